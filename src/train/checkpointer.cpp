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

torch::Tensor read_checkpoint_proxies(const fs::path& path) {
    fs::path file = path;
    if (fs::is_directory(path)) {
        const fs::path state = path / "state.json";
        QISS_CHECK(fs::is_regular_file(state), "{}: not a training checkpoint (no state.json)",
                   path.string());
        int epoch = 0;
        try {
            epoch = json_get<int>(nlohmann::json::parse(read_file_bytes(state)).at("epoch"));
        } catch (const nlohmann::json::exception& e) {
            QISS_THROW("{}: unreadable state.json: {}", path.string(), e.what());
        }
        file = path / fmt::format("optim-{}.pt", epoch);
    }
    QISS_CHECK(fs::is_regular_file(file), "{}: no such checkpoint file", file.string());
    torch::Tensor proxies;
    try {
        torch::serialize::InputArchive archive;
        archive.load_from(file.string());
        archive.read("proxies", proxies);
    } catch (const c10::Error& e) {
        QISS_THROW("{}: not a training checkpoint's optimizer archive with proxies ({})",
                   file.string(), e.what_without_backtrace());
    }
    QISS_CHECK(proxies.dim() == 2 && proxies.size(0) >= 1,
               "{}: the proxies are {}, not [identities, dimension]", file.string(),
               c10::str(proxies.sizes()));
    return proxies;
}

}  // namespace qiss
