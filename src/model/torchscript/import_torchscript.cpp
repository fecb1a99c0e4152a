#include "model/torchscript/import_torchscript.h"

#include <set>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/file_util.h"
#include "common/json_number.h"
#include "model/torchscript/torchscript_network.h"

namespace qiss {
namespace {

namespace fs = std::filesystem;

constexpr std::uint64_t kMaxEncoderBytes = 8ull << 30;
constexpr std::uint64_t kMaxTokenizerBytes = 64ull << 20;
constexpr std::uint64_t kMaxJsonBytes = 1ull << 20;

std::string read_part(const fs::path& dir, const std::string& name, std::uint64_t max_bytes) {
    const fs::path p = dir / name;
    QISS_CHECK(fs::is_regular_file(p),
               "{}: missing (an export folder holds image_encoder.pt, "
               "text_encoder.pt, qiss.json and the tokenizer file qiss.json names)",
               p.string());
    return read_file_bytes(p, max_bytes);
}

/// qiss.json, with every key checked.
nlohmann::json read_description(const fs::path& dir) {
    const std::string name = (dir / "qiss.json").string();
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(read_part(dir, "qiss.json", kMaxJsonBytes));
    } catch (const nlohmann::json::exception& e) {
        QISS_THROW("{}: invalid JSON: {}", name, e.what());
    }
    QISS_CHECK(j.is_object(), "{}: expected a JSON object", name);
    static const std::set<std::string> kKeys{"embed_dim",
                                             "image_size",
                                             "mean",
                                             "std",
                                             "resize",
                                             "tokenizer",
                                             "tokenizer_file",
                                             "context_length",
                                             "bpe_merges",
                                             "bos",
                                             "eos",
                                             "pad",
                                             "offset",
                                             "unk",
                                             "name"};
    for (const auto& [key, value] : j.items())
        QISS_CHECK(kKeys.count(key), "{}: unknown key '{}'", name, key);
    for (const char* key : {"embed_dim", "image_size", "tokenizer", "tokenizer_file"})
        QISS_CHECK(j.contains(key), "{}: '{}' is required", name, key);
    return j;
}

}  // namespace

Model import_torchscript(const fs::path& dir) {
    QISS_CHECK(fs::is_directory(dir), "{}: not a folder", dir.string());
    const nlohmann::json j = read_description(dir);
    const std::string where = (dir / "qiss.json").string();
    ModelConfig config;
    std::optional<Tokenizer> tokenizer;
    std::shared_ptr<const ClipBpe> bpe;
    try {
        config.kind = "torchscript";
        config.preset = j.value("name", std::string("imported"));
        config.embed_dim = json_get<int>(j.at("embed_dim"));
        QISS_CHECK(config.embed_dim >= 1 && config.embed_dim <= 65536,
                   "embed_dim {} is outside 1..65536", config.embed_dim);
        // CLIP's preprocessing unless told otherwise.
        from_json({{"size", j.at("image_size")},
                   {"resize", j.value("resize", "center_crop")},
                   {"mean", j.value("mean", nlohmann::json{0.48145466, 0.4578275, 0.40821073})},
                   {"std", j.value("std", nlohmann::json{0.26862954, 0.26130258, 0.27577711})}},
                  config.preprocess);
        const std::string kind = j.at("tokenizer").get<std::string>();
        const std::string file = j.at("tokenizer_file").get<std::string>();
        QISS_CHECK(fs::path(file).filename() == file,
                   "tokenizer_file '{}' must be a file name in "
                   "the export folder",
                   file);
        const std::string bytes =
            gunzip_if_compressed(read_part(dir, file, kMaxTokenizerBytes), file);
        nlohmann::json text{{"tokenizer", kind},
                            {"context_length", j.value("context_length", 77)},
                            {"pad", j.value("pad", 0)},
                            {"offset", j.value("offset", 0)},
                            {"unk", j.value("unk", -1)}};
        if (kind == "clip_bpe") {
            bpe = std::make_shared<const ClipBpe>(bytes,
                                                  json_value<std::size_t>(j, "bpe_merges", 48894));
            text["bos"] = j.value("bos", bpe->start_id());
            text["eos"] = j.value("eos", bpe->end_id());
        } else {
            QISS_CHECK(kind == "sentencepiece",
                       "unsupported tokenizer '{}' (expected sentencepiece or clip_bpe)", kind);
            tokenizer.emplace(bytes, false);
            text["bos"] = j.value("bos", -1);
            text["eos"] = j.value("eos", -1);
        }
        from_json(text, config.text_input);
    } catch (const nlohmann::json::exception& e) {
        QISS_THROW("{}: {}", where, e.what());
    } catch (const Error& e) {
        QISS_THROW("{}: {}", where, e.what());
    }
    Model model(config, std::move(tokenizer), std::move(bpe));
    auto* net = dynamic_cast<TorchScriptNetworkImpl*>(&model.network());
    QISS_ASSERT(net);
    try {
        net->set_encoders(read_part(dir, "image_encoder.pt", kMaxEncoderBytes),
                          read_part(dir, "text_encoder.pt", kMaxEncoderBytes));
        net->check_loaded();
        model.embed_texts({"a photo of a cat"});  // ids within the text encoder's vocabulary
    } catch (const Error& e) {
        QISS_THROW("{}: {}", dir.string(), e.what());
    }
    model.training_info() = {{"imported_from", fs::absolute(dir).string()}, {"export", j}};
    return model;
}

}  // namespace qiss
