#include "model/inference_model.h"

namespace qiss {

InferenceModel::InferenceModel(Model&& model) : model_(std::move(model)) {
    model_.network().eval();
}

InferenceModel InferenceModel::load(const std::filesystem::path& path) {
    return InferenceModel(Model::load(path));
}

InferenceModel InferenceModel::from_bytes(const std::string& bytes, const std::string& what) {
    return InferenceModel(Model::from_bytes(bytes, what));
}

torch::Tensor InferenceModel::embed_images(const std::vector<cv::Mat>& rgb_images) const {
    return model_.embed_images(rgb_images);
}

torch::Tensor InferenceModel::embed_texts(const std::vector<std::string>& texts) const {
    return model_.embed_texts(texts);
}

}  // namespace qiss
