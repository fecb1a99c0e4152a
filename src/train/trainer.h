#pragma once
/// @file trainer.h
/// `qiss train`: trains the tokenizer and the dual-path network on a corpus manifest, seeded
/// and resumable (a checkpoint folder OUT.ckpt is written after each epoch). Joint epochs train
/// both branches; optional text-phase epochs then train the text branch alone (text_phase.h).

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace qiss {

struct TrainOptions {
    std::filesystem::path corpus;  ///< corpus folder (with manifest.jsonl) or a manifest file
    std::filesystem::path out;     ///< the model file to write
    std::string preset = "default";
    std::optional<int> epochs;        ///< overrides the preset
    std::optional<std::string> loss;  ///< "vse_max" or "infonce"; overrides the preset
    std::uint64_t seed = 1;
    std::vector<std::string> exclude_langs;  ///< languages left out of training (zero-shot tests)
    /// Vendors (drawing styles) left out of training, e.g. "google" to keep it as a held-out
    /// style for model selection (`qiss eval --gallery-vendor google`).
    std::vector<std::string> exclude_vendors;
    /// TrainConfig overrides as "key=value" (value in JSON, e.g. "proxy_weight=0"); applied
    /// after the preset and --epochs/--loss.
    std::vector<std::string> overrides;
    int threads = 0;           ///< 0 = all cores
    std::string command_line;  ///< recorded in the model file
};

/// Trains and writes the model file. Resumes from OUT.ckpt when it matches the options.
/// Throws qiss::Error on bad options or an unusable corpus.
void train_model(const TrainOptions& options);

}  // namespace qiss
