#pragma once
/// @file torchscript_network.h
/// Kind "torchscript": a CLIP-family model brought by the user as two TorchScript modules
/// (`qiss model import --torchscript`, model/torchscript/import_torchscript.h). The image
/// encoder maps preprocessed pixels [N,3,S,S] (float32) to [N,D]; the text encoder maps token
/// ids [N,T] and a mask [N,T] (both int64; 1 for the text's ids, 0 for padding) to [N,D].
/// qiss L2-normalises both outputs. The modules travel inside the model file's weights
/// section, re-serialised by libtorch (docs/format.md).

#include <memory>
#include <string>

#include <torch/script.h>
#include <torch/torch.h>

#include "model/model_config.h"
#include "model/network.h"

namespace qiss {

class TorchScriptNetworkImpl : public NetworkImpl {
  public:
    explicit TorchScriptNetworkImpl(const ModelConfig& config);

    /// Takes the two encoders from TorchScript archives (what torch.jit.save writes). Throws
    /// qiss::Error naming the encoder when libtorch cannot load one (an operator this libtorch
    /// does not know, a damaged archive).
    void set_encoders(const std::string& image_archive, const std::string& text_archive);

    torch::Tensor embed_images(const torch::Tensor& pixels) override;
    torch::Tensor embed_texts(const TokenBatch& tokens) override;
    /// Runs each encoder once on a blank input and checks it answers [1, embed_dim].
    void check_loaded() override;

    void save(torch::serialize::OutputArchive& archive) const override;
    void load(torch::serialize::InputArchive& archive) override;

  private:
    torch::Tensor checked(const torch::Tensor& out, int64_t n, const char* encoder) const;

    ModelConfig config_;
    std::shared_ptr<torch::jit::Module> image_, text_;
};

}  // namespace qiss
