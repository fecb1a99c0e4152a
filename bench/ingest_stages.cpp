// The stages of `qiss index` measured one at a time on the same files (docs/benchmarks.md,
// "Ingestion"): read, hash, decode (as the ingester does it), thumbnail + model input, and
// embedding alone (one single-threaded embedding thread per core, as the ingester), each as
// images/s over all cores. Comparing them with the end-to-end rate
// of `qiss index` tells which stage bounds ingestion.
//   build/bench/ingest_stages --model models/qiss-default.qiss [--json] [--list FILE]
//   FILES_OR_FOLDERS...
#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include <ATen/Parallel.h>
#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "common/content_hash.h"
#include "common/error.h"
#include "common/file_util.h"
#include "image/image_io.h"
#include "image/resize.h"
#include "image/thumbnail.h"
#include "ingest/source.h"
#include "model/compute_threads.h"
#include "model/model.h"

namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;

/// The files `qiss index SOURCES` would take (folders, manifests, files; URLs are left out).
std::vector<fs::path> list_files(const std::vector<std::string>& sources) {
    std::vector<qiss::SourceProblem> problems;
    std::vector<fs::path> files;
    for (const auto& item : qiss::expand_sources(sources, problems))
        if (!item.is_url) files.emplace_back(item.source);
    QISS_CHECK(!files.empty(), "no input files");
    return files;
}

/// Runs `work(i)` for i in [0, n) on `threads` threads; returns the items per second.
double rate(std::size_t n, int threads, const std::function<void(std::size_t)>& work) {
    std::atomic<std::size_t> next{0};
    const auto t0 = Clock::now();
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t)
        pool.emplace_back([&] {
            for (std::size_t i; (i = next.fetch_add(1)) < n;) {
                try {
                    work(i);
                } catch (const std::exception& e) {  // as the ingester: skip the file, go on
                    std::cerr << "ingest_stages: skipped: " << e.what() << "\n";
                }
            }
        });
    for (auto& t : pool) t.join();
    return static_cast<double>(n) / std::chrono::duration<double>(Clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"Throughput of each ingestion stage on the same files"};
    std::string model_path = "models/qiss-default.qiss";
    std::vector<std::string> inputs;
    int threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    int batch = 32;
    bool json = false;
    app.add_option("--model", model_path, "Model file")->check(CLI::ExistingFile);
    app.add_option("--threads", threads, "Threads for the per-file stages")
        ->check(CLI::PositiveNumber);
    app.add_option("--batch", batch, "Embedding batch size (the ingester's default: 32)")
        ->check(CLI::PositiveNumber);
    app.add_flag("--json", json, "Print one JSON object");
    app.add_option("inputs", inputs, "Image files, folders or manifests (as for qiss index)")
        ->required();
    CLI11_PARSE(app, argc, argv);
    try {
        const auto files = list_files(inputs);
        const std::size_t n = files.size();
        qiss::Model model = qiss::Model::load(model_path);
        const int input_size = model.config().preprocess.size;
        qiss::DecodeLimits limits;
        limits.reduce_jpeg_to = std::max(256, input_size);  // what the ingester asks for

        std::vector<std::string> bytes(n);
        nlohmann::json out = {{"files", n}, {"threads", threads}, {"batch", batch}};
        out["read"] = rate(n, threads, [&](std::size_t i) {
            bytes[i] = qiss::read_file_bytes(files[i], limits.max_file_bytes);
        });
        std::uint64_t total_bytes = 0;
        for (const auto& b : bytes) total_bytes += b.size();
        out["mean_file_bytes"] = total_bytes / n;
        auto view = [&](std::size_t i) {
            return std::span<const std::uint8_t>(
                reinterpret_cast<const std::uint8_t*>(bytes[i].data()), bytes[i].size());
        };
        out["hash"] = rate(n, threads, [&](std::size_t i) { qiss::content_hash(view(i)); });
        std::vector<cv::Mat> decoded(n);
        std::atomic<std::uint64_t> pixels{0};
        out["decode"] = rate(n, threads, [&](std::size_t i) {
            auto img = qiss::decode_image(view(i), limits, files[i].string());
            pixels += static_cast<std::uint64_t>(img.width) * img.height;
            decoded[i] = std::move(img.rgb);
        });
        out["mean_megapixels"] = static_cast<double>(pixels) / n / 1e6;
        std::vector<cv::Mat> inputs_rgb(n);
        out["thumbnail_and_input"] = rate(n, threads, [&](std::size_t i) {
            if (decoded[i].empty()) return;
            qiss::make_thumbnail(decoded[i]);
            inputs_rgb[i] = qiss::fit_square(decoded[i], input_size);
        });
        decoded.clear();
        // As `qiss index` embeds: one single-threaded embedding thread per core, batches taken
        // in turn.
        std::erase_if(inputs_rgb, [](const cv::Mat& m) { return m.empty(); });
        const std::size_t m = inputs_rgb.size();
        const std::size_t batches = (m + batch - 1) / batch;
        {
            qiss::ComputeThreads one_each(1);
            out["embed"] =
                static_cast<double>(m) / static_cast<double>(batches) *
                rate(batches, threads, [&](std::size_t i) {
                    at::init_num_threads();
                    const std::size_t from = i * batch;
                    std::vector<cv::Mat> b(inputs_rgb.begin() + from,
                                           inputs_rgb.begin() + std::min(m, from + batch));
                    model.embed_images(b);
                });
        }
        if (json) {
            std::cout << out.dump() << "\n";
        } else {
            for (const char* stage : {"read", "hash", "decode", "thumbnail_and_input", "embed"})
                std::cout << fmt::format("{:>20}: {:>9.0f} images/s\n", stage,
                                         out[stage].get<double>());
            std::cout << fmt::format("{} files, {:.2f} MP and {:.0f} KB on average\n", n,
                                     out["mean_megapixels"].get<double>(),
                                     out["mean_file_bytes"].get<double>() / 1e3);
        }
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "ingest_stages: " << e.what() << "\n";
        return 1;
    }
}
