#include "train/schedule.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace qiss {

LrSchedule::LrSchedule(double peak, int64_t warmup_steps, int64_t total_steps)
    : peak_(peak),
      warmup_(std::max<int64_t>(1, warmup_steps)),
      total_(std::max<int64_t>(total_steps, warmup_ + 1)) {}

double LrSchedule::at(int64_t step) const {
    if (step < warmup_) return peak_ * static_cast<double>(step + 1) / static_cast<double>(warmup_);
    double p =
        std::min(1.0, static_cast<double>(step - warmup_) / static_cast<double>(total_ - warmup_));
    return peak_ * (0.02 + 0.98 * 0.5 * (1 + std::cos(std::numbers::pi * p)));
}

void set_lr(torch::optim::AdamW& opt, double lr, const std::vector<double>& group_scale) {
    auto& groups = opt.param_groups();
    for (std::size_t i = 0; i < groups.size(); ++i)
        static_cast<torch::optim::AdamWOptions&>(groups[i].options())
            .lr(lr * (i < group_scale.size() ? group_scale[i] : 1.0));
}

}  // namespace qiss
