#include "model/torchscript/torchscript_network.h"

#include <sstream>

#include <torch/version.h>

#include "common/error.h"

namespace qiss {
namespace {

constexpr const char* kImageKey = "torchscript_image_encoder";
constexpr const char* kTextKey = "torchscript_text_encoder";

/// The gist of a libtorch exception: c10::Error without its C++ backtrace; the interpreter's
/// exceptions (a TorchScript traceback, then the error) by their last line.
std::string gist(const std::exception& e) {
    if (const auto* c = dynamic_cast<const c10::Error*>(&e)) return c->what_without_backtrace();
    std::string what = e.what();
    while (!what.empty() && (what.back() == '\n' || what.back() == ' ')) what.pop_back();
    const std::size_t nl = what.rfind('\n');
    return nl == std::string::npos ? what : what.substr(nl + 1);
}

std::shared_ptr<torch::jit::Module> load_module(const std::string& archive, const char* encoder) {
    QISS_CHECK(!archive.empty(), "the {} is empty", encoder);
    try {
        std::istringstream in(archive);
        auto m = std::make_shared<torch::jit::Module>(torch::jit::load(in, torch::kCPU));
        m->eval();
        return m;
    } catch (const std::exception& e) {
        QISS_THROW(
            "libtorch {} cannot load the {} (an operator or a TorchScript feature it does "
            "not know, or a damaged archive; see scripts/export_torchscript.py): {}",
            TORCH_VERSION, encoder, gist(e));
    }
}

std::string module_bytes(const torch::jit::Module& m) {
    std::ostringstream out;
    m.save(out);
    return out.str();
}

torch::Tensor bytes_tensor(const std::string& bytes) {
    return torch::from_blob(const_cast<char*>(bytes.data()), {static_cast<int64_t>(bytes.size())},
                            torch::kUInt8)
        .clone();
}

std::string tensor_bytes(const torch::Tensor& t) {
    const torch::Tensor c = t.contiguous();
    return {reinterpret_cast<const char*>(c.data_ptr<std::uint8_t>()),
            static_cast<std::size_t>(c.numel())};
}

}  // namespace

TorchScriptNetworkImpl::TorchScriptNetworkImpl(const ModelConfig& config) : config_(config) {}

void TorchScriptNetworkImpl::set_encoders(const std::string& image_archive,
                                          const std::string& text_archive) {
    image_ = load_module(image_archive, "image encoder");
    text_ = load_module(text_archive, "text encoder");
}

torch::Tensor TorchScriptNetworkImpl::checked(const torch::Tensor& out, int64_t n,
                                              const char* encoder) const {
    QISS_CHECK(out.dim() == 2 && out.size(0) == n && out.size(1) == config_.embed_dim,
               "the {} answered a tensor of shape {} for {} inputs; expected [{}, {}]", encoder,
               c10::str(out.sizes()), n, n, config_.embed_dim);
    return torch::nn::functional::normalize(out.to(torch::kFloat32),
                                            torch::nn::functional::NormalizeFuncOptions().dim(1));
}

torch::Tensor TorchScriptNetworkImpl::embed_images(const torch::Tensor& pixels) {
    QISS_ASSERT(image_);
    torch::jit::IValue out;
    try {
        out = image_->forward({pixels});
    } catch (const std::exception& e) {
        QISS_THROW("the image encoder failed: {}", gist(e));
    }
    QISS_CHECK(out.isTensor(), "the image encoder answered a {}, not a tensor", out.tagKind());
    return checked(out.toTensor(), pixels.size(0), "image encoder");
}

torch::Tensor TorchScriptNetworkImpl::embed_texts(const TokenBatch& tokens) {
    QISS_ASSERT(text_);
    const int64_t t = tokens.ids.size(1);
    const torch::Tensor mask =
        (torch::arange(t, torch::kInt64).unsqueeze(0) < tokens.lengths.unsqueeze(1))
            .to(torch::kInt64);
    torch::jit::IValue out;
    try {
        out = text_->forward({tokens.ids, mask});
    } catch (const std::exception& e) {
        QISS_THROW("the text encoder failed: {}", gist(e));
    }
    QISS_CHECK(out.isTensor(), "the text encoder answered a {}, not a tensor", out.tagKind());
    return checked(out.toTensor(), tokens.ids.size(0), "text encoder");
}

void TorchScriptNetworkImpl::check_loaded() {
    QISS_CHECK(image_ && text_, "the model file holds no TorchScript encoders");
    torch::NoGradGuard no_grad;
    const int s = config_.preprocess.size;
    embed_images(torch::zeros({1, 3, s, s}));
    const TextInput& in = config_.text_input;
    TokenBatch blank{torch::full({1, in.context_length}, in.pad, torch::kInt64),
                     torch::ones({1}, torch::kInt64)};
    embed_texts(blank);
}

void TorchScriptNetworkImpl::save(torch::serialize::OutputArchive& archive) const {
    QISS_ASSERT(image_ && text_);
    archive.write(kImageKey, bytes_tensor(module_bytes(*image_)));
    archive.write(kTextKey, bytes_tensor(module_bytes(*text_)));
}

void TorchScriptNetworkImpl::load(torch::serialize::InputArchive& archive) {
    torch::Tensor image, text;
    QISS_CHECK(archive.try_read(kImageKey, image) && archive.try_read(kTextKey, text),
               "the model file holds no TorchScript encoders");
    set_encoders(tensor_bytes(image), tensor_bytes(text));
}

}  // namespace qiss
