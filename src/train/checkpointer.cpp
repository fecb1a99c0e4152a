#include "train/checkpointer.h"

#include <sstream>

#include <fmt/format.h>

#include "common/error.h"
#include "common/file_util.h"
#include "common/json_number.h"

namespace qiss {
namespace fs = std::filesystem;

Checkpointer::Checkpointer(fs::path dir, nlohmann::json signature, ResumeCheck check)
    : dir_(std::move(dir)), signature_(std::move(signature)), check_(std::move(check)) {}

fs::path Checkpointer::model_path(int epoch) const {
    return dir_ / fmt::format("model-{}.qiss", epoch);
}

fs::path Checkpointer::optim_path(int epoch) const {
    return dir_ / fmt::format("optim-{}.pt", epoch);
}

std::optional<Checkpointer::Saved> Checkpointer::last() const {
    if (!fs::exists(state_path())) return std::nullopt;
    auto state = nlohmann::json::parse(read_file_bytes(state_path()));
    const int epoch = json_get<int>(state.at("epoch"));
    const auto& saved = state.at("signature");
    QISS_CHECK(check_ ? check_(saved, epoch) : saved == signature_,
               "checkpoint {} was made with other settings or another corpus; delete it to "
               "start over",
               dir_.string());
    return Saved{epoch, json_get<double>(state.at("elapsed_s"))};
}

Model Checkpointer::load_model(int epoch) const {
    return Model::load(model_path(epoch));
}

torch::serialize::InputArchive Checkpointer::load_optimizer(int epoch) const {
    torch::serialize::InputArchive archive;
    archive.load_from(optim_path(epoch).string());
    return archive;
}

void Checkpointer::save(int epoch, double elapsed_s, const Model& model,
                        const torch::optim::Optimizer& opt, const torch::Tensor& proxies) const {
    fs::create_directories(dir_);
    write_file_atomic(model_path(epoch), model.to_bytes(Model::Precision::full));
    {
        torch::serialize::OutputArchive ar;
        opt.save(ar);
        ar.write("proxies", proxies.detach());
        std::ostringstream os;
        ar.save_to(os);
        write_file_atomic(optim_path(epoch), os.str());
    }
    nlohmann::json state = {{"signature", signature_}, {"epoch", epoch}, {"elapsed_s", elapsed_s}};
    write_file_atomic(state_path(), state.dump(2));
    std::error_code ec;
    fs::remove(model_path(epoch - 1), ec);
    fs::remove(optim_path(epoch - 1), ec);
}

void Checkpointer::remove() const {
    fs::remove_all(dir_);
}

}  // namespace qiss
