#include "model/mix_style.h"

namespace qiss {

torch::Tensor mix_style(const torch::Tensor& x, float alpha) {
    const int64_t b = x.size(0);
    if (b < 2) return x;
    auto mu = x.mean({2, 3}, /*keepdim=*/true).detach();
    auto sigma = (x.var({2, 3}, /*unbiased=*/false, /*keepdim=*/true) + 1e-6).sqrt().detach();
    auto normed = (x - mu) / sigma;
    // Beta(alpha, alpha) as G1 / (G1 + G2) of two Gamma(alpha) draws, in double: with alpha 0.1
    // both draws can underflow a float to 0.
    auto shape = torch::full({b, 1, 1, 1}, static_cast<double>(alpha), torch::kFloat64);
    auto g1 = at::_standard_gamma(shape), g2 = at::_standard_gamma(shape);
    auto lambda = (g1 / (g1 + g2).clamp_min(1e-300)).to(x.scalar_type());
    auto perm = torch::randperm(b, torch::kInt64);
    auto mu_mix = lambda * mu + (1 - lambda) * mu.index_select(0, perm);
    auto sigma_mix = lambda * sigma + (1 - lambda) * sigma.index_select(0, perm);
    return normed * sigma_mix + mu_mix;
}

}  // namespace qiss
