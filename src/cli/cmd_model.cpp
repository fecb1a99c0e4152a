// qiss model: import a pretrained model into a qiss model file; describe a model file; store
// a trained model's weights as float16 or float32; attach a training run's identity anchors;
// set the weight of the words of a text query searched on their own.
#include <algorithm>
#include <cmath>
#include <iostream>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "cli/commands.h"
#include "common/error.h"
#include "ingest/source.h"
#include "model/keras/import_tfjs.h"
#include "model/model.h"
#include "model/torchscript/import_torchscript.h"
#include "train/checkpointer.h"

namespace qiss::cli {
namespace {

/// The image files of the sources given to --whiten-on, at most `max` (evenly spread).
std::vector<std::filesystem::path> whitening_images(const std::vector<std::string>& sources,
                                                    std::size_t max) {
    std::vector<SourceProblem> problems;
    const std::vector<IngestItem> items = expand_sources(sources, problems);
    for (const auto& p : problems) spdlog::warn("--whiten-on {}: {}", p.source, p.message);
    std::vector<std::filesystem::path> files;
    for (const auto& item : items)
        if (!item.is_url) files.emplace_back(item.source);
    QISS_CHECK(!files.empty(), "--whiten-on: no image files in {}", fmt::join(sources, ", "));
    if (files.size() <= max) return files;
    std::vector<std::filesystem::path> picked;
    for (std::size_t i = 0; i < max; ++i) picked.push_back(files[i * files.size() / max]);
    return picked;
}

/// A subcommand that reads the model file `in` and writes `out` (`qiss model convert`,
/// `anchors`, `words`).
CLI::App* add_rewrite(CLI::App* sub, const std::string& name, const std::string& description,
                      const std::string& model_help, std::string& in, std::string& out) {
    auto* cmd = sub->add_subcommand(name, description);
    cmd->add_option("model", in, model_help)->required();
    cmd->add_option("--out", out, "Model file to write")->required();
    return cmd;
}

}  // namespace

Command register_model(CLI::App& app) {
    auto* sub =
        app.add_subcommand("model", "Import a pretrained model; describe or convert a model file");
    sub->require_subcommand(1);
    struct Args {
        std::string tfjs, torchscript, out, info, convert, convert_out, weight_dtype;
        std::string anchored, checkpoint, anchored_out;
        float anchor_temperature = 0.02f, anchor_weight = 1.0f;
        std::string worded, worded_out;
        float word_weight = 0;
        std::vector<std::string> whiten_on;
        std::size_t whiten_max = 2000;
        std::vector<float> mean{0, 0, 0}, std{1, 1, 1};
        TfjsImportOptions options;
    };
    auto a = std::make_shared<Args>();
    auto* imp = sub->add_subcommand(
        "import",
        "Convert a pretrained model into a qiss model file: a TF.js image model (--tfjs, kind "
        "image_graph) or TorchScript image and text encoders (--torchscript, kind torchscript)");
    auto* tfjs = imp->add_option(
        "--tfjs", a->tfjs, "Folder of a TF.js layers model (model.json and its weight files)");
    auto* ts = imp->add_option("--torchscript", a->torchscript,
                               "Folder of a TorchScript export: image_encoder.pt, text_encoder.pt, "
                               "qiss.json and its tokenizer (scripts/export_torchscript.py)");
    tfjs->excludes(ts);
    imp->add_option("--out", a->out, "Model file to write")->required();
    imp->add_option("--feature-layer", a->options.feature_layer,
                    "Layer whose output is pooled (default: the last before the first Flatten or "
                    "global pooling)");
    imp->add_option("--pooling", a->options.pooling, "gem or avg")
        ->check(CLI::IsMember({"gem", "avg"}))
        ->capture_default_str();
    imp->add_option("--gem-p", a->options.gem_p, "Exponent of GeM pooling")
        ->check(CLI::Range(1.0, 16.0))
        ->capture_default_str();
    imp->add_option("--power", a->options.power,
                    "Signed power normalisation of the pooled features (1 = none)")
        ->check(CLI::Range(0.01, 1.0))
        ->capture_default_str();
    imp->add_option("--whiten-on", a->whiten_on,
                    "Images (folders, files, manifests) to fit a PCA whitening on")
        ->expected(1, -1);
    imp->add_option("--whiten-max", a->whiten_max, "At most this many of them (evenly spread)")
        ->check(CLI::Range(2, 1000000))
        ->capture_default_str();
    imp->add_option("--dim", a->options.dim,
                    "Whitened dimension (default: the features, at most 512)")
        ->check(CLI::Range(1, 65536));
    imp->add_option("--mean", a->mean, "Per-channel (RGB) mean after scaling pixels to [0,1]")
        ->expected(3)
        ->capture_default_str();
    imp->add_option("--std", a->std, "Per-channel (RGB) std after scaling pixels to [0,1]")
        ->expected(3)
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    auto* info = sub->add_subcommand("info", "Describe a model file (kind, dimension, input)");
    info->add_option("model", a->info, "Model file")->required();
    auto* convert = add_rewrite(
        sub, "convert",
        "Rewrite a trained (kind dual) model file with its large tensors stored as float16 "
        "(half the file) or every tensor as float32",
        "Model file", a->convert, a->convert_out);
    convert->add_option("--weight-dtype", a->weight_dtype, "float16 or float32")
        ->required()
        ->check(CLI::IsMember({"float16", "float32"}));
    auto* anchors = add_rewrite(
        sub, "anchors",
        "Attach the identity proxies of a model's training checkpoint as identity anchors "
        "(image embeddings pulled towards the identities they resemble); drops the relevance "
        "calibration, which qiss calibrate fits again",
        "Model file (kind dual)", a->anchored, a->anchored_out);
    anchors
        ->add_option("--checkpoint", a->checkpoint,
                     "The training run's checkpoint folder (MODEL.ckpt) or one optim-N.pt")
        ->required();
    anchors->add_option("--temperature", a->anchor_temperature, "Softmax temperature")
        ->check(CLI::Range(1e-4, 10.0))
        ->capture_default_str();
    anchors->add_option("--weight", a->anchor_weight, "Weight of the pulled vector")
        ->check(CLI::Range(1e-4, 100.0))
        ->capture_default_str();
    auto* words = add_rewrite(
        sub, "words",
        "Set how a text query of two or more words also searches each word on its own: the "
        "weight of a word's score (0 = off; engine/word_search.h); the network is unchanged",
        "Model file (kind dual)", a->worded, a->worded_out);
    words->add_option("--weight", a->word_weight, "Weight of a word's score, 0..1")
        ->required()
        ->check(CLI::Range(0.0, 1.0));

    return {
        sub, [a, imp, info, convert, anchors, words] {
            if (words->parsed()) {
                Model model = Model::load(a->worded);
                model.set_word_weight(a->word_weight);
                model.save(a->worded_out);
                spdlog::info("wrote {} with word weight {}", a->worded_out, a->word_weight);
                return 0;
            }
            if (anchors->parsed()) {
                Model model = Model::load(a->anchored);
                const torch::Tensor proxies = read_checkpoint_proxies(a->checkpoint);
                QISS_CHECK(proxies.size(1) == model.dim(),
                           "{}: the proxies have {} dimensions, the model {}", a->checkpoint,
                           proxies.size(1), model.dim());
                model.set_anchors(proxies, a->anchor_temperature, a->anchor_weight);
                model.save(a->anchored_out);
                spdlog::info(
                    "wrote {} ({:.1f} MB) with {} identity anchors; fit its relevance "
                    "calibration again with qiss calibrate",
                    a->anchored_out,
                    static_cast<double>(std::filesystem::file_size(a->anchored_out)) / 1e6,
                    proxies.size(0));
                return 0;
            }
            if (convert->parsed()) {
                Model model = Model::load(a->convert);
                model.set_weight_dtype(a->weight_dtype);
                model.save(a->convert_out);
                spdlog::info("wrote {} ({:.1f} MB, large tensors as {})", a->convert_out,
                             static_cast<double>(std::filesystem::file_size(a->convert_out)) / 1e6,
                             a->weight_dtype);
                return 0;
            }
            if (imp->parsed() && !a->torchscript.empty()) {
                Model model = import_torchscript(a->torchscript);
                model.training_info()["command"] =
                    "qiss model import --torchscript " + a->torchscript;
                model.save(a->out);
                spdlog::info("wrote {}: kind {}, {} dimensions, {} px input, {} tokens", a->out,
                             model.kind().name, model.dim(), model.config().preprocess.size,
                             model.config().text_input.context_length);
                return 0;
            }
            if (imp->parsed()) {
                QISS_CHECK(!a->tfjs.empty(), "model import: give --tfjs DIR or --torchscript DIR");
                TfjsImportOptions o = a->options;
                std::copy(a->mean.begin(), a->mean.end(), o.mean.begin());
                std::copy(a->std.begin(), a->std.end(), o.std.begin());
                if (!a->whiten_on.empty())
                    o.whiten_images = whitening_images(a->whiten_on, a->whiten_max);
                QISS_CHECK(o.dim == 0 || !o.whiten_images.empty(),
                           "--dim needs --whiten-on (without whitening the embedding is the "
                           "pooled features)");
                Model model = import_tfjs(a->tfjs, o);
                model.training_info()["command"] = "qiss model import --tfjs " + a->tfjs;
                model.save(a->out);
                spdlog::info("wrote {}: kind {}, {} dimensions, {} px input", a->out,
                             model.kind().name, model.dim(), model.config().preprocess.size);
                return 0;
            }
            QISS_ASSERT(info->parsed());
            const Model model = Model::load(a->info);
            const nlohmann::json j = {
                {"kind", model.kind().name},
                {"dim", model.dim()},
                {"has_text", model.has_text()},
                {"preprocess", model.config().preprocess},
                {"identity_anchors", model.config().anchor_count},
                {"word_weight",
                 std::round(static_cast<double>(model.config().word_weight) * 1e6) / 1e6},
                {"training", model.training_info()}};
            std::cout << j.dump() << std::endl;
            return 0;
        }};
}

}  // namespace qiss::cli
