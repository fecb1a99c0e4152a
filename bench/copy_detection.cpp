// Copy detection with a model (docs/benchmarks.md, "Photos: copy detection"): every image of
// GALLERY is embedded, then every edited copy in QUERIES/EDIT/NAME is embedded and searched
// exactly (inner product over all gallery vectors); a query is found at rank r when the gallery
// image of the same NAME is its r-th result. Prints, per edit, recall@1 and recall@10, and the
// embedding throughput of the gallery (decoding and the model apart).
//   build/bench/copy_detection --model M --gallery DIR --queries DIR [--threads 2] [--batch 32]
// bench/photo/run.sh makes the set (bench/photo/make_set.py) and runs this for each model.
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "image/image_io.h"
#include "model/compute_threads.h"
#include "model/inference_model.h"
#include "model/tensor_memory.h"

namespace fs = std::filesystem;

namespace {

struct Timed {
    torch::Tensor vectors;  ///< [N, D], one row per file, in the files' order
    double decode_s = 0;
    double embed_s = 0;
};

double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

std::vector<fs::path> images_in(const fs::path& dir) {
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(dir))
        if (e.is_regular_file()) files.push_back(e.path());
    std::sort(files.begin(), files.end());
    QISS_CHECK(!files.empty(), "no image in {}", dir.string());
    return files;
}

Timed embed_files(const qiss::InferenceModel& model, const std::vector<fs::path>& files,
                  int batch) {
    Timed out;
    std::vector<torch::Tensor> parts;
    for (std::size_t begin = 0; begin < files.size(); begin += batch) {
        const std::size_t end = std::min(files.size(), begin + static_cast<std::size_t>(batch));
        std::vector<cv::Mat> rgb;
        auto t0 = std::chrono::steady_clock::now();
        for (std::size_t i = begin; i < end; ++i) rgb.push_back(qiss::read_image(files[i]).rgb);
        out.decode_s += seconds_since(t0);
        t0 = std::chrono::steady_clock::now();
        parts.push_back(model.embed_images(rgb));
        out.embed_s += seconds_since(t0);
    }
    out.vectors = torch::cat(parts);
    return out;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"Copy detection: recall of each original from its edited copies"};
    std::string model_path, gallery, queries;
    int threads = 2, batch = 32;
    bool misses = false;
    app.add_option("--model", model_path, "qiss model file")->required();
    app.add_option("--gallery", gallery, "Folder of gallery images (originals and distractors)")
        ->required();
    app.add_option("--queries", queries, "Folder of EDIT/NAME copies of gallery images")
        ->required();
    app.add_option("--threads", threads, "Compute threads")->capture_default_str();
    app.add_option("--batch", batch, "Images per forward pass")->capture_default_str();
    app.add_flag("--misses", misses, "List on stderr each query whose original is not first");
    CLI11_PARSE(app, argc, argv);
    qiss::keep_tensor_memory();  // as `qiss` does
    try {
        QISS_CHECK(threads >= 1 && batch >= 1, "--threads and --batch must be at least 1");
        qiss::limit_compute_threads(threads);
        const auto model = qiss::InferenceModel::load(model_path);
        const auto gallery_files = images_in(gallery);
        std::map<std::string, std::int64_t> row_of;
        for (std::size_t i = 0; i < gallery_files.size(); ++i)
            row_of[gallery_files[i].filename().string()] = static_cast<std::int64_t>(i);

        const Timed g = embed_files(model, gallery_files, batch);
        const double n = static_cast<double>(gallery_files.size());
        nlohmann::json report = {{"model", model_path},
                                 {"kind", model.kind()},
                                 {"dim", model.dim()},
                                 {"input_size", model.config().preprocess.size},
                                 {"threads", threads},
                                 {"gallery", gallery_files.size()},
                                 {"decode_images_per_s", n / g.decode_s},
                                 {"embed_images_per_s", n / g.embed_s},
                                 {"edits", nlohmann::json::object()}};

        std::vector<fs::path> edits;
        for (const auto& e : fs::directory_iterator(queries))
            if (e.is_directory()) edits.push_back(e.path());
        std::sort(edits.begin(), edits.end());
        QISS_CHECK(!edits.empty(), "no edit folder in {}", queries);
        for (const auto& edit : edits) {
            const auto files = images_in(edit);
            std::vector<std::int64_t> target;
            for (const auto& f : files) {
                auto it = row_of.find(f.filename().string());
                QISS_CHECK(it != row_of.end(), "{} has no original of its name in {}", f.string(),
                           gallery);
                target.push_back(it->second);
            }
            const torch::Tensor q = embed_files(model, files, batch).vectors;
            const auto top = std::get<1>(q.mm(g.vectors.t()).topk(10, 1));
            int at1 = 0, at10 = 0;
            for (std::size_t i = 0; i < files.size(); ++i) {
                const auto row = top[static_cast<std::int64_t>(i)];
                const auto first = row[0].item<std::int64_t>();
                at1 += first == target[i];
                at10 += (row == target[i]).any().item<bool>();
                if (misses && first != target[i])
                    std::cerr << fmt::format(
                        "{}: first {}\n", files[i].string(),
                        gallery_files[static_cast<std::size_t>(first)].filename().string());
            }
            const double m = static_cast<double>(files.size());
            report["edits"][edit.filename().string()] = {
                {"queries", files.size()}, {"recall_at_1", at1 / m}, {"recall_at_10", at10 / m}};
        }
        std::cout << report.dump() << "\n";
    } catch (const std::exception& e) {
        std::cerr << "copy_detection: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
