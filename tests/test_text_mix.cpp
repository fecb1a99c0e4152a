// Two-concept texts of the text phase (train/text_mix.h) and their half-and-half loss.
#include <gtest/gtest.h>

#include <set>

#include "train/losses.h"
#include "train/text_mix.h"

namespace qiss {
namespace {

/// 10 English identities (caption "thingN", keyword "kwN"); identity 0 also has the only
/// French texts.
TrainingSet small_set() {
    TrainingSet set;
    for (int i = 0; i < 10; ++i) {
        TrainingGroup g;
        g.id = "id" + std::to_string(i);
        g.texts.push_back({"en", {"thing" + std::to_string(i)}, {"kw" + std::to_string(i)}});
        if (i == 0) g.texts.push_back({"fr", {"chose"}, {"mot"}});
        set.groups.push_back(std::move(g));
    }
    return set;
}

TEST(TextMix, JoinsATextOfAnotherIdentityOfTheSameLocaleInEitherOrder) {
    const TrainingSet set = small_set();
    const TextMix mix(set, 1.0);
    std::mt19937_64 rng(3);
    std::set<std::int64_t> partners;
    bool before = false, after = false;
    for (int i = 0; i < 300; ++i) {
        const auto m = mix.apply(TextItem{4, 0, true}, "thing4", rng);
        ASSERT_GE(m.partner, 0) << m.text;
        ASSERT_LT(m.partner, 10);
        EXPECT_NE(m.partner, 4);
        partners.insert(m.partner);
        const std::string n = std::to_string(m.partner);
        const std::set<std::string> allowed{"thing4 thing" + n, "thing4 kw" + n,
                                            "thing" + n + " thing4", "kw" + n + " thing4"};
        EXPECT_TRUE(allowed.count(m.text)) << m.text;
        before |= m.text.rfind("thing4 ", 0) == 0;
        after |= m.text.size() > 7 && m.text.compare(m.text.size() - 7, 7, " thing4") == 0;
    }
    EXPECT_EQ(partners.size(), 9u);  // every other identity, none twice as likely to be missed
    EXPECT_TRUE(before && after);
}

TEST(TextMix, LeavesTextsAloneWithoutProbabilityOrPartner) {
    const TrainingSet set = small_set();
    std::mt19937_64 rng(5), untouched(5);
    const TextMix off(set, 0.0);
    const auto m = off.apply(TextItem{1, 0, true}, "thing1", rng);
    EXPECT_EQ(m.text, "thing1");
    EXPECT_EQ(m.partner, -1);
    EXPECT_EQ(rng(), untouched());  // nothing drawn: runs without the setting are unchanged
    // The French locale has one identity: no partner to join.
    const TextMix on(set, 1.0);
    const auto fr = on.apply(TextItem{0, 1, true}, "chose", rng);
    EXPECT_EQ(fr.text, "chose");
    EXPECT_EQ(fr.partner, -1);
    // Half the texts at probability 0.5.
    const TextMix half(set, 0.5);
    int joined = 0;
    for (int i = 0; i < 2000; ++i)
        joined += half.apply(TextItem{2, 0, false}, "kw2", rng).partner >= 0;
    EXPECT_GT(joined, 850);
    EXPECT_LT(joined, 1150);
}

TEST(TextMix, LossTakesHalfOfEachIdentitysCrossEntropy) {
    torch::manual_seed(1);
    namespace F = torch::nn::functional;
    auto x = F::normalize(torch::randn({4, 8}), F::NormalizeFuncOptions().dim(1));
    auto targets = torch::randn({6, 8});
    auto labels = torch::tensor({0, 1, 2, 3}, torch::kInt64);
    auto none = torch::full({4}, -1, torch::kInt64);
    const float t = 0.1f;
    EXPECT_NEAR(proxy_loss(x, targets, labels, none, t).item<double>(),
                proxy_loss(x, targets, labels, t).item<double>(), 1e-5);
    auto partners = torch::tensor({5, -1, 0, -1}, torch::kInt64);
    auto logp =
        F::log_softmax(x.matmul(F::normalize(targets, F::NormalizeFuncOptions().dim(1)).t()) / t,
                       F::LogSoftmaxFuncOptions(1));
    const double expected = (-0.5 * (logp[0][0] + logp[0][5]) - logp[1][1] -
                             0.5 * (logp[2][2] + logp[2][0]) - logp[3][3])
                                .item<double>() /
                            4;
    EXPECT_NEAR(proxy_loss(x, targets, labels, partners, t).item<double>(), expected, 1e-5);
    // A two-identity row pulls its text towards both targets (orthogonal targets at temperature
    // 1: the gradient along target k is softmax_k - 1/2 < 0 for both).
    auto axes = torch::eye(8).slice(0, 0, 6);
    auto y = x.clone().requires_grad_(true);
    proxy_loss(y, axes, labels, partners, 1.0f).backward();
    EXPECT_LT(y.grad()[0][0].item<double>(), 0);  // descent raises the cosine to target 0
    EXPECT_LT(y.grad()[0][5].item<double>(), 0);  // ... and to target 5
}

}  // namespace
}  // namespace qiss
