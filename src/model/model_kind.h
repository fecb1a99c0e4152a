#pragma once
/// @file model_kind.h
/// The registry of model kinds: the one place that maps a model file's `config.kind` to the
/// network it builds and to what the kind can do. A new model family adds its network (a
/// NetworkImpl, model/network.h) and one entry in model_kind.cpp.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "model/model_config.h"
#include "model/network.h"

namespace qiss {

struct ModelKind {
    const char* name;
    /// Embeds texts (has a tokenizer and a text branch); else the model is image-only.
    bool has_text;
    /// `qiss train` can train it.
    bool trainable;
    /// A network of this kind, untrained or to be loaded. Throws qiss::Error when the
    /// configuration is invalid for the kind.
    std::shared_ptr<NetworkImpl> (*make)(const ModelConfig& config);
};

/// The kind named `name`. Throws qiss::Error naming the known kinds for any other.
const ModelKind& model_kind(std::string_view name);
/// Every registered kind, in the registry's order.
std::vector<const ModelKind*> model_kinds();

}  // namespace qiss
