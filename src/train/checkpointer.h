#pragma once
/// @file checkpointer.h
/// The checkpoint folder OUT.ckpt of a training run: after each epoch the model, the optimizer
/// state with the identity proxies, and state.json (epoch, elapsed time, and the signature of
/// the run's settings, so that a resume with other settings is refused).

#include <filesystem>
#include <functional>
#include <optional>

#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include "model/model.h"

namespace qiss {

class Checkpointer {
  public:
    /// Whether a checkpoint saved with `saved` settings after `epoch` epochs may be resumed by
    /// this run; by default the signatures must be equal.
    using ResumeCheck = std::function<bool(const nlohmann::json& saved, int epoch)>;

    Checkpointer(std::filesystem::path dir, nlohmann::json signature, ResumeCheck check = {});

    struct Saved {
        int epoch = 0;  ///< epochs done (joint and text phase counted together)
        double elapsed_s = 0;
    };
    /// The last saved epoch, if any. Throws qiss::Error if it was made with other settings.
    std::optional<Saved> last() const;

    Model load_model(int epoch) const;
    /// The optimizer archive of an epoch (holds "proxies" besides the optimizer state).
    torch::serialize::InputArchive load_optimizer(int epoch) const;

    /// Writes the files of `epoch`, then the state that points at them, then removes the
    /// previous epoch's files.
    void save(int epoch, double elapsed_s, const Model& model, const torch::optim::Optimizer& opt,
              const torch::Tensor& proxies) const;
    /// Deletes the folder (after the model file is written).
    void remove() const;

    const std::filesystem::path& dir() const { return dir_; }

  private:
    std::filesystem::path state_path() const { return dir_ / "state.json"; }
    std::filesystem::path model_path(int epoch) const;
    std::filesystem::path optim_path(int epoch) const;

    std::filesystem::path dir_;
    nlohmann::json signature_;
    ResumeCheck check_;
};

/// The identity proxies [K,D] kept by a checkpoint: `path` is a checkpoint folder (its last
/// epoch's) or one optim-N.pt file of it. Throws qiss::Error for a missing or foreign file.
torch::Tensor read_checkpoint_proxies(const std::filesystem::path& path);

}  // namespace qiss
