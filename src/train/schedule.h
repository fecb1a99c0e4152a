#pragma once
/// @file schedule.h
/// Learning-rate schedule: linear warm-up, then cosine decay to 2 % of the peak.

#include <cstdint>
#include <vector>

#include <torch/torch.h>

namespace qiss {

class LrSchedule {
  public:
    /// `warmup_steps` is clamped to at least 1 and `total_steps` to more than the warm-up.
    LrSchedule(double peak, int64_t warmup_steps, int64_t total_steps);
    /// The learning rate of a step (0-based).
    double at(int64_t step) const;

  private:
    double peak_;
    int64_t warmup_, total_;
};

/// Sets the learning rate of every parameter group of an AdamW optimizer: `lr` times the
/// group's entry in `group_scale` (1 for a group past its end).
void set_lr(torch::optim::AdamW& optimizer, double lr, const std::vector<double>& group_scale = {});

}  // namespace qiss
