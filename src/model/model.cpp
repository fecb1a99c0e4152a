#include "model/model.h"

#include <algorithm>
#include <cstring>
#include <sstream>

#include "common/error.h"
#include "common/file_util.h"
#include "image/resize.h"
#include "model/model_file.h"
#include "model/weight_archive.h"
#include "text/spelling.h"

namespace qiss {
namespace {
/// Tensors this large are stored as float16 under weight_dtype "float16" (docs/format.md).
constexpr std::int64_t kHalfFromElements = 65536;
}  // namespace

Model::Model(ModelConfig config, std::optional<Tokenizer> tokenizer,
             std::shared_ptr<const ClipBpe> bpe)
    : config_(std::move(config)),
      kind_(&model_kind(config_.kind)),
      tokenizer_(std::move(tokenizer)),
      bpe_(std::move(bpe)),
      net_(kind_->make(config_)) {
    if (kind_->has_text && config_.kind == "torchscript") {
        const bool clip = config_.text_input.tokenizer == "clip_bpe";
        QISS_CHECK(clip ? bpe_ != nullptr : tokenizer_.has_value(),
                   "a model of kind {} with text input {} needs that tokenizer", kind_->name,
                   config_.text_input.tokenizer);
    } else if (kind_->has_text) {
        QISS_CHECK(tokenizer_, "a model of kind {} needs a tokenizer", kind_->name);
        QISS_CHECK(tokenizer_->vocab_size() <= config_.vocab_size,
                   "tokenizer has {} pieces but the model only {} embeddings",
                   tokenizer_->vocab_size(), config_.vocab_size);
    }
    if (auto dual = std::dynamic_pointer_cast<DualEncoderImpl>(net_)) dual_ = DualEncoder(dual);
    net_->eval();
}

const Tokenizer& Model::tokenizer() const {
    QISS_CHECK(tokenizer_, "the model (kind {}) embeds images only: it has no tokenizer",
               kind_->name);
    return *tokenizer_;
}

DualEncoder& Model::net() {
    QISS_CHECK(!dual_.is_empty(), "a model of kind {} cannot be trained (only kind dual)",
               kind_->name);
    return dual_;
}

Model Model::from_bytes(const std::string& bytes, const std::string& what) {
    ModelFileContents c = decode_model_file(bytes, what);
    ModelConfig config;
    try {
        c.header.at("config").get_to(config);
    } catch (const nlohmann::json::exception& e) {
        QISS_THROW("{}: invalid model configuration: {}", what, e.what());
    } catch (const Error& e) {
        QISS_THROW("{}: {}", what, e.what());
    }
    if (config.kind == "dual") {
        const double need = DualEncoderImpl::minimum_weight_bytes(config);
        QISS_CHECK(need <= static_cast<double>(c.weights.size()),
                   "{}: the header describes a network of at least {:.0f} bytes of weights; the "
                   "file holds {} bytes",
                   what, need, c.weights.size());
    }
    Model m = [&] {
        try {
            std::optional<Tokenizer> tokenizer;
            std::shared_ptr<const ClipBpe> bpe;
            const bool imported = config.kind == "torchscript";
            if (imported && config.text_input.tokenizer == "clip_bpe")
                bpe = std::make_shared<const ClipBpe>(c.tokenizer);
            else if (!c.tokenizer.empty())
                tokenizer.emplace(std::move(c.tokenizer), !imported);
            return Model(std::move(config), std::move(tokenizer), std::move(bpe));
        } catch (const Error& e) {
            QISS_THROW("{}: {}", what, e.what());
        }
    }();
    m.training_info_ = c.header.value("training", nlohmann::json::object());
    if (c.header.contains("calibration")) {
        try {
            m.calibration_ = c.header.at("calibration").get<Calibration>();
        } catch (const nlohmann::json::exception& e) {
            QISS_THROW("{}: invalid calibration: {}", what, e.what());
        } catch (const Error& e) {
            QISS_THROW("{}: {}", what, e.what());
        }
    }
    try {
        torch::serialize::InputArchive archive;
        std::istringstream in(c.weights);
        archive.load_from(in);
        if (!m.dual_.is_empty())
            read_weights(*m.net_, archive);  // float16 or float32, widened to the network's
        else
            m.net_->load(archive);
    } catch (const c10::Error& e) {
        QISS_THROW("{}: weights do not match the model configuration: {}", what,
                   e.what_without_backtrace());
    } catch (const Error& e) {
        QISS_THROW("{}: {}", what, e.what());
    }
    m.net_->eval();
    try {
        m.net_->check_loaded();
    } catch (const Error& e) {
        QISS_THROW("{}: {}", what, e.what());
    }
    return m;
}

void Model::set_weight_dtype(const std::string& dtype) {
    QISS_CHECK(!dual_.is_empty(),
               "only a trained (kind dual) model's weights can be stored as float16; this one is "
               "of kind {}",
               config_.kind);
    check_weight_dtype(dtype);
    config_.weight_dtype = dtype;
}

void Model::set_word_weight(float weight) {
    QISS_CHECK(!dual_.is_empty(),
               "only a trained (kind dual) model stores a word weight; this one is of kind {}",
               config_.kind);
    check_word_weight(weight, "word weight");
    config_.word_weight = weight;
}

void Model::set_anchors(const torch::Tensor& proxies, float temperature, float weight) {
    QISS_CHECK(!dual_.is_empty(), "only a trained (kind dual) model can hold identity anchors");
    QISS_CHECK(proxies.dim() == 2 && proxies.size(0) >= 1 && proxies.size(1) == config_.embed_dim,
               "identity anchors must be [K, {}] with K >= 1, not {}", config_.embed_dim,
               c10::str(proxies.sizes()));
    QISS_CHECK(temperature > 0 && weight > 0,
               "identity anchors need a temperature > 0 and a weight > 0 (got {} and {})",
               temperature, weight);
    dual_->set_anchors(proxies, temperature, weight);
    config_.anchor_count = static_cast<int>(proxies.size(0));
    config_.anchor_temperature = temperature;
    config_.anchor_weight = weight;
    calibration_.reset();
}

Model Model::load(const std::filesystem::path& path) {
    QISS_CHECK(std::filesystem::is_regular_file(path), "{}: no such model file", path.string());
    return from_bytes(read_file_bytes(path), path.string());
}

std::string Model::to_bytes(Precision precision) const {
    ModelFileContents c;
    c.header = {{"config", config_}, {"training", training_info_}};
    if (calibration_) c.header["calibration"] = *calibration_;
    if (tokenizer_) c.tokenizer = tokenizer_->serialized();
    if (bpe_) c.tokenizer = bpe_->serialized();
    torch::serialize::OutputArchive archive;
    if (!dual_.is_empty())
        write_weights(*net_, archive,
                      precision == Precision::configured && config_.weight_dtype == "float16"
                          ? kHalfFromElements
                          : 0);
    else
        net_->save(archive);  // imported kinds keep their own layout
    std::ostringstream out;
    archive.save_to(out);
    c.weights = out.str();
    return encode_model_file(c);
}

void Model::save(const std::filesystem::path& path, Precision precision) const {
    write_file_atomic(path, to_bytes(precision));
}

torch::Tensor to_unit_float(const torch::Tensor& rgb_u8) {
    return rgb_u8.permute({0, 3, 1, 2}).to(torch::kFloat32).div_(255.0);
}

torch::Tensor normalize_pixels(const torch::Tensor& x, const ImagePreprocess& p) {
    auto mean = torch::tensor({p.mean[0], p.mean[1], p.mean[2]}).view({1, 3, 1, 1});
    auto std = torch::tensor({p.std[0], p.std[1], p.std[2]}).view({1, 3, 1, 1});
    return ((x - mean) / std).contiguous();
}

torch::Tensor Model::preprocess(const std::vector<cv::Mat>& rgb_images) const {
    const int s = config_.preprocess.size;
    auto batch = torch::empty({static_cast<int64_t>(rgb_images.size()), s, s, 3}, torch::kUInt8);
    const bool stretch = config_.preprocess.resize == "stretch";
    const bool crop = config_.preprocess.resize == "center_crop";
    for (std::size_t i = 0; i < rgb_images.size(); ++i) {
        cv::Mat sq = stretch ? stretch_square(rgb_images[i], s)
                     : crop  ? center_crop_square(rgb_images[i], s)
                             : fit_square(rgb_images[i], s);
        if (!sq.isContinuous()) sq = sq.clone();
        std::memcpy(batch[static_cast<int64_t>(i)].data_ptr<std::uint8_t>(), sq.data,
                    static_cast<std::size_t>(s) * s * 3);
    }
    return normalize_pixels(to_unit_float(batch), config_.preprocess);
}

TokenBatch Model::tokenize(const std::vector<std::string>& texts) const {
    if (config_.kind == "torchscript") return tokenize_imported(texts);
    std::vector<std::vector<int>> tokens;
    tokens.reserve(texts.size());
    for (const auto& t : texts)
        tokens.push_back(tokenizer().encode(known_spelling(tokenizer(), t), config_.max_tokens));
    return make_token_batch(tokens);
}

std::vector<int> Model::imported_ids(std::string_view text) const {
    if (bpe_) return bpe_->encode(text);
    const TextInput& in = config_.text_input;
    std::vector<int> ids = tokenizer().pieces(text);
    for (int& id : ids) id = id == tokenizer_->unk_id() && in.unk >= 0 ? in.unk : id + in.offset;
    return ids;
}

TokenBatch Model::tokenize_imported(const std::vector<std::string>& texts) const {
    const TextInput& in = config_.text_input;
    const auto n = static_cast<int64_t>(texts.size());
    TokenBatch batch{torch::full({n, in.context_length}, in.pad, torch::kInt64),
                     torch::empty({n}, torch::kInt64)};
    auto ids = batch.ids.accessor<int64_t, 2>();
    auto lengths = batch.lengths.accessor<int64_t, 1>();
    for (int64_t b = 0; b < n; ++b) {
        std::vector<int> seq;
        if (in.bos >= 0) seq.push_back(in.bos);
        std::vector<int> text = imported_ids(texts[static_cast<std::size_t>(b)]);
        text.resize(std::min<std::size_t>(text.size(), max_text_pieces()));
        seq.insert(seq.end(), text.begin(), text.end());
        if (in.eos >= 0) seq.push_back(in.eos);
        for (std::size_t t = 0; t < seq.size(); ++t) ids[b][static_cast<int64_t>(t)] = seq[t];
        lengths[b] = static_cast<int64_t>(seq.size());
    }
    return batch;
}

Tokenizer::PieceStats Model::piece_stats(std::string_view text) const {
    if (!bpe_) return tokenizer().piece_stats(text);
    return {static_cast<int>(bpe_->encode(text).size()), 0, 0};  // byte-level: nothing unknown
}

int Model::max_text_pieces() const {
    if (config_.kind != "torchscript") return config_.max_tokens;
    const TextInput& in = config_.text_input;
    return in.context_length - (in.bos >= 0) - (in.eos >= 0);
}

torch::Tensor Model::embed_images(const std::vector<cv::Mat>& rgb_images) {
    QISS_ASSERT(!rgb_images.empty());
    QISS_ASSERT(!net_->is_training());  // the trainer switches to eval() around validation
    torch::NoGradGuard no_grad;
    return net_->embed_images(preprocess(rgb_images));
}

torch::Tensor Model::embed_texts(const std::vector<std::string>& texts) {
    QISS_ASSERT(!texts.empty());
    QISS_ASSERT(!net_->is_training());
    QISS_CHECK(kind_->has_text,
               "the model (kind {}) embeds images only: search by image or by id, or use a "
               "model with a text branch for text",
               kind_->name);
    torch::NoGradGuard no_grad;
    return net_->embed_texts(tokenize(texts));
}

}  // namespace qiss
