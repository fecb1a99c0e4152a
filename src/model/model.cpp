#include "model/model.h"

#include <cstring>
#include <sstream>

#include "common/error.h"
#include "common/file_util.h"
#include "image/resize.h"
#include "model/model_file.h"

namespace qiss {

Model::Model(ModelConfig config, Tokenizer tokenizer)
    : config_(std::move(config)), tokenizer_(std::move(tokenizer)), net_(config_) {
    QISS_CHECK(tokenizer_.vocab_size() <= config_.vocab_size,
               "tokenizer has {} pieces but the model only {} embeddings", tokenizer_.vocab_size(),
               config_.vocab_size);
    net_->eval();
}

Model Model::from_bytes(const std::string& bytes, const std::string& what) {
    ModelFileContents c = decode_model_file(bytes, what);
    ModelConfig config;
    try {
        c.header.at("config").get_to(config);
    } catch (const nlohmann::json::exception& e) {
        QISS_THROW("{}: invalid model configuration: {}", what, e.what());
    }
    Model m(std::move(config), Tokenizer(std::move(c.tokenizer)));
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
        m.net_->load(archive);
    } catch (const c10::Error& e) {
        QISS_THROW("{}: weights do not match the model configuration: {}", what,
                   e.what_without_backtrace());
    }
    m.net_->eval();
    return m;
}

Model Model::load(const std::filesystem::path& path) {
    QISS_CHECK(std::filesystem::is_regular_file(path), "{}: no such model file", path.string());
    return from_bytes(read_file_bytes(path), path.string());
}

std::string Model::to_bytes() const {
    ModelFileContents c;
    c.header = {{"config", config_}, {"training", training_info_}};
    if (calibration_) c.header["calibration"] = *calibration_;
    c.tokenizer = tokenizer_.serialized();
    torch::serialize::OutputArchive archive;
    net_->save(archive);
    std::ostringstream out;
    archive.save_to(out);
    c.weights = out.str();
    return encode_model_file(c);
}

void Model::save(const std::filesystem::path& path) const {
    write_file_atomic(path, to_bytes());
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
    for (std::size_t i = 0; i < rgb_images.size(); ++i) {
        cv::Mat sq = fit_square(rgb_images[i], s);
        if (!sq.isContinuous()) sq = sq.clone();
        std::memcpy(batch[static_cast<int64_t>(i)].data_ptr<std::uint8_t>(), sq.data,
                    static_cast<std::size_t>(s) * s * 3);
    }
    return normalize_pixels(to_unit_float(batch), config_.preprocess);
}

TokenBatch Model::tokenize(const std::vector<std::string>& texts) const {
    std::vector<std::vector<int>> tokens;
    tokens.reserve(texts.size());
    for (const auto& t : texts) tokens.push_back(tokenizer_.encode(t, config_.max_tokens));
    return make_token_batch(tokens);
}

torch::Tensor Model::embed_images(const std::vector<cv::Mat>& rgb_images) {
    QISS_ASSERT(!rgb_images.empty());
    QISS_ASSERT(!net_->is_training());  // the trainer switches to eval() around validation
    torch::NoGradGuard no_grad;
    return net_->image->forward(preprocess(rgb_images));
}

torch::Tensor Model::embed_texts(const std::vector<std::string>& texts) {
    QISS_ASSERT(!texts.empty());
    QISS_ASSERT(!net_->is_training());
    torch::NoGradGuard no_grad;
    return net_->text->forward(tokenize(texts));
}

}  // namespace qiss
