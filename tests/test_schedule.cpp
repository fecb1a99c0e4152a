// The learning-rate schedule (train/schedule.h) and its per-group scales, with a real optimizer.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include "train/schedule.h"

namespace qiss {
namespace {

TEST(LrSchedule, WarmsUpLinearlyThenDecaysToTwoPercent) {
    const LrSchedule s(0.5, 4, 104);
    EXPECT_DOUBLE_EQ(s.at(0), 0.125);
    EXPECT_DOUBLE_EQ(s.at(3), 0.5);
    EXPECT_NEAR(s.at(54), 0.5 * (0.02 + 0.98 * 0.5), 1e-12);  // half-way through the decay
    EXPECT_NEAR(s.at(104), 0.01, 1e-12);
    EXPECT_NEAR(s.at(1000), 0.01, 1e-12);  // stays at the floor past the end
    for (int64_t step = 4; step < 104; ++step) EXPECT_LE(s.at(step + 1), s.at(step)) << step;
}

TEST(LrSchedule, GroupScalesMultiplyEachGroupsRateAndMissingOnesAreOne) {
    // Three parameters with the same value and gradient, one per group; Adam's first step moves
    // each by its group's learning rate, whatever the gradient's size.
    std::vector<torch::Tensor> params;
    std::vector<torch::optim::OptimizerParamGroup> groups;
    for (int g = 0; g < 3; ++g) {
        params.push_back(torch::ones({4}, torch::requires_grad()));
        groups.emplace_back(std::vector<torch::Tensor>{params.back()});
    }
    torch::optim::AdamW opt(std::move(groups), torch::optim::AdamWOptions(1.0).weight_decay(0));
    set_lr(opt, 0.001, {10.0, 0.5});
    const auto rate = [&](int g) {
        return static_cast<torch::optim::AdamWOptions&>(opt.param_groups()[g].options()).lr();
    };
    EXPECT_DOUBLE_EQ(rate(0), 0.01);
    EXPECT_DOUBLE_EQ(rate(1), 0.0005);
    EXPECT_DOUBLE_EQ(rate(2), 0.001);
    opt.zero_grad();
    (params[0].sum() + params[1].sum() + params[2].sum()).backward();
    opt.step();
    EXPECT_NEAR(1 - params[0][0].item<double>(), 0.01, 1e-6);
    EXPECT_NEAR(1 - params[1][0].item<double>(), 0.0005, 1e-6);
    EXPECT_NEAR(1 - params[2][0].item<double>(), 0.001, 1e-6);
    set_lr(opt, 0.002);
    for (int g = 0; g < 3; ++g) EXPECT_DOUBLE_EQ(rate(g), 0.002);
}

}  // namespace
}  // namespace qiss
