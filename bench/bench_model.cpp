// Model cost: embedding latency (batch 1) and throughput (larger batches), and load time, all
// in wall-clock time (what a caller waits), with --threads intra-op threads per embedding (ATen
// and OpenBLAS; default: every core), reported as the "threads" counter. The CPU column is the
// main thread's alone.
//   build/bench/bench_model --model models/qiss-default.qiss [--threads N] [--benchmark_filter=...]
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <thread>

#include <ATen/Parallel.h>
#include <benchmark/benchmark.h>
#include <opencv2/core.hpp>

#include "model/compute_threads.h"
#include "model/model.h"
#include "train/text_phase.h"

namespace {

std::string g_model_path = "models/qiss-default.qiss";

qiss::Model& model() {
    static std::optional<qiss::Model> m;
    if (!m) m.emplace(qiss::Model::load(g_model_path));
    return *m;
}

void BM_LoadModel(benchmark::State& state) {
    for (auto _ : state) benchmark::DoNotOptimize(qiss::Model::load(g_model_path));
}

void BM_EmbedImages(benchmark::State& state) {
    const auto n = static_cast<std::size_t>(state.range(0));
    cv::RNG rng(1);
    std::vector<cv::Mat> images(n);
    for (auto& im : images) {
        im.create(64, 64, CV_8UC3);
        rng.fill(im, cv::RNG::UNIFORM, 0, 255);
    }
    for (auto _ : state) benchmark::DoNotOptimize(model().embed_images(images));
    state.counters["images/s"] = benchmark::Counter(static_cast<double>(n * state.iterations()),
                                                    benchmark::Counter::kIsRate);
    state.counters["threads"] = at::get_num_threads();
}

void BM_EmbedTexts(benchmark::State& state) {
    const auto n = static_cast<std::size_t>(state.range(0));
    const char* q[] = {"un chat qui dort",
                       "Katze",
                       "a sleeping cat",
                       "red heart",
                       "猫",
                       "bandera de España",
                       "grinning face with big eyes",
                       "собака"};
    std::vector<std::string> texts;
    for (std::size_t i = 0; i < n; ++i) texts.emplace_back(q[i % 8]);
    for (auto _ : state) benchmark::DoNotOptimize(model().embed_texts(texts));
    state.counters["texts/s"] = benchmark::Counter(static_cast<double>(n * state.iterations()),
                                                   benchmark::Counter::kIsRate);
    state.counters["threads"] = at::get_num_threads();
}

/// One query typed without ligatures: each of its three words with "oe" is tokenized once more
/// per ligature variant (text/spelling.h), the worst case of a short query.
void BM_EmbedTypedText(benchmark::State& state) {
    const std::vector<std::string> texts{"ma soeur mange un oeuf au coeur rouge"};
    for (auto _ : state) benchmark::DoNotOptimize(model().embed_texts(texts));
    state.counters["threads"] = at::get_num_threads();
}

/// Training cost of the text branch: forward + backward of n texts of mixed lengths (short
/// keywords to long skin-tone captions, as in a training batch), padded to the longest
/// (range(1) = 0) or encoded in chunks of similar length (range(1) = 1).
void BM_TrainTexts(benchmark::State& state) {
    const auto n = static_cast<std::size_t>(state.range(0));
    const bool bucketed = state.range(1) != 0;
    const char* q[] = {"cat",
                       "Katze",
                       "coeur",
                       "猫",
                       "flag",
                       "heart red",
                       "собака",
                       "woman and man holding hands: medium-light skin tone, dark skin tone",
                       "personne qui court",
                       "family: man, woman, girl, boy"};
    std::vector<std::string> texts;
    for (std::size_t i = 0; i < n; ++i) texts.emplace_back(q[(i * 7) % 10]);
    auto& m = model();
    m.net()->text->train();
    for (auto _ : state) {
        auto t = bucketed ? qiss::encode_texts_bucketed(m, texts)
                          : m.net()->text->forward(m.tokenize(texts));
        t.sum().backward();
    }
    m.net()->text->eval();
    state.counters["texts/s"] = benchmark::Counter(static_cast<double>(n * state.iterations()),
                                                   benchmark::Counter::kIsRate);
}

}  // namespace

BENCHMARK(BM_TrainTexts)
    ->ArgsProduct({{128, 512, 2048}, {0, 1}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_LoadModel)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_EmbedImages)
    ->Arg(1)
    ->Arg(32)
    ->Arg(64)
    ->Arg(128)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_EmbedTexts)->Arg(1)->Arg(8)->Arg(32)->Arg(256)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_EmbedTypedText)->Unit(benchmark::kMillisecond)->UseRealTime();

int main(int argc, char** argv) {
    int threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    for (int i = 1; i + 1 < argc; ++i) {
        if (std::strcmp(argv[i], "--model") == 0) g_model_path = argv[i + 1];
        if (std::strcmp(argv[i], "--threads") == 0) threads = std::max(1, std::atoi(argv[i + 1]));
    }
    qiss::limit_compute_threads(threads);
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    return 0;
}
