#include "model/model_kind.h"

#include <array>

#include "common/error.h"
#include "model/dual_encoder.h"
#include "model/keras/keras_graph.h"
#include "model/torchscript/torchscript_network.h"

namespace qiss {
namespace {

std::shared_ptr<NetworkImpl> make_dual(const ModelConfig& config) {
    return std::make_shared<DualEncoderImpl>(config);
}

std::shared_ptr<NetworkImpl> make_image_graph(const ModelConfig& config) {
    return std::make_shared<KerasGraphImpl>(config);
}

std::shared_ptr<NetworkImpl> make_torchscript(const ModelConfig& config) {
    return std::make_shared<TorchScriptNetworkImpl>(config);
}

constexpr std::array kKinds{
    ModelKind{"dual", true, true, make_dual},
    ModelKind{"image_graph", false, false, make_image_graph},
    ModelKind{"torchscript", true, false, make_torchscript},
};

}  // namespace

const ModelKind& model_kind(std::string_view name) {
    for (const ModelKind& k : kKinds)
        if (name == k.name) return k;
    std::string known;
    for (const ModelKind& k : kKinds) known += (known.empty() ? "" : ", ") + std::string(k.name);
    QISS_THROW("unknown model kind '{}' (this qiss knows {}); a newer qiss may read it", name,
               known);
}

std::vector<const ModelKind*> model_kinds() {
    std::vector<const ModelKind*> all;
    for (const ModelKind& k : kKinds) all.push_back(&k);
    return all;
}

}  // namespace qiss
