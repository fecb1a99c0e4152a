#include "model/weight_archive.h"

#include "common/error.h"

namespace qiss {
namespace {

torch::Tensor stored_form(const torch::Tensor& t, std::int64_t half_from) {
    if (half_from > 0 && t.scalar_type() == torch::kFloat32 && t.numel() >= half_from)
        return t.to(torch::kFloat16);
    return t;
}

void read_into(torch::serialize::InputArchive& archive, const std::string& path,
               const std::string& key, torch::Tensor& t, bool is_buffer) {
    torch::Tensor stored;  // undefined: the archive hands over its tensor as stored
    archive.read(key, stored, is_buffer);
    QISS_CHECK(stored.sizes() == t.sizes(), "weight {}{} has shape {} in the file, {} in the model",
               path, key, c10::str(stored.sizes()), c10::str(t.sizes()));
    torch::NoGradGuard no_grad;
    t.copy_(stored);
}

/// read_weights for the submodule at `path` ("text.embed."), named in errors.
void read_module(torch::nn::Module& module, torch::serialize::InputArchive& archive,
                 const std::string& path) {
    for (auto& p : module.named_parameters(/*recurse=*/false))
        read_into(archive, path, p.key(), p.value(), false);
    for (auto& b : module.named_buffers(/*recurse=*/false))
        read_into(archive, path, b.key(), b.value(), true);
    for (const auto& child : module.named_children()) {
        if (!child.value()->is_serializable()) continue;
        torch::serialize::InputArchive child_archive;
        archive.read(child.key(), child_archive);
        read_module(*child.value(), child_archive, path + child.key() + ".");
    }
}

}  // namespace

void write_weights(const torch::nn::Module& module, torch::serialize::OutputArchive& archive,
                   std::int64_t half_from) {
    for (const auto& p : module.named_parameters(/*recurse=*/false))
        archive.write(p.key(), stored_form(p.value(), half_from));
    for (const auto& b : module.named_buffers(/*recurse=*/false))
        archive.write(b.key(), stored_form(b.value(), half_from), /*is_buffer=*/true);
    for (const auto& child : module.named_children()) {
        if (!child.value()->is_serializable()) continue;
        torch::serialize::OutputArchive child_archive(archive.compilation_unit());
        write_weights(*child.value(), child_archive, half_from);
        archive.write(child.key(), child_archive);
    }
}

void read_weights(torch::nn::Module& module, torch::serialize::InputArchive& archive) {
    read_module(module, archive, "");
}

}  // namespace qiss
