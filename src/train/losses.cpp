#include "train/losses.h"

namespace qiss {

torch::Tensor vse_loss(const torch::Tensor& a, const torch::Tensor& b, float margin, bool hardest) {
    auto scores = a.matmul(b.t());               // [B,B]
    auto diag = scores.diagonal().unsqueeze(1);  // [B,1]
    auto eye = torch::eye(scores.size(0), torch::TensorOptions().dtype(torch::kBool));
    // a_i against every b_j (rows) and b_j against every a_i (columns).
    auto cost_b = (margin + scores - diag).clamp_min(0).masked_fill(eye, 0);
    auto cost_a = (margin + scores - diag.t()).clamp_min(0).masked_fill(eye, 0);
    if (hardest) return (cost_b.amax(1) + cost_a.amax(0)).mean();
    return (cost_b.sum(1) + cost_a.sum(0)).mean();
}

torch::Tensor infonce_loss(const torch::Tensor& a, const torch::Tensor& b, float temperature) {
    auto logits = a.matmul(b.t()) / temperature;
    auto target = torch::arange(logits.size(0), torch::kInt64);
    return 0.5 * (torch::nn::functional::cross_entropy(logits, target) +
                  torch::nn::functional::cross_entropy(logits.t(), target));
}

torch::Tensor proxy_loss(const torch::Tensor& x, const torch::Tensor& proxies,
                         const torch::Tensor& labels, float temperature) {
    namespace F = torch::nn::functional;
    auto p = F::normalize(proxies, F::NormalizeFuncOptions().dim(1));
    return F::cross_entropy(x.matmul(p.t()) / temperature, labels);
}

torch::Tensor proxy_loss(const torch::Tensor& x, const torch::Tensor& proxies,
                         const torch::Tensor& labels, const torch::Tensor& partners,
                         float temperature) {
    namespace F = torch::nn::functional;
    auto p = F::normalize(proxies, F::NormalizeFuncOptions().dim(1));
    auto logp = F::log_softmax(x.matmul(p.t()) / temperature, F::LogSoftmaxFuncOptions(1));
    auto own = logp.gather(1, labels.unsqueeze(1)).squeeze(1);
    auto other = logp.gather(1, partners.clamp_min(0).unsqueeze(1)).squeeze(1);
    return torch::where(partners >= 0, -0.5 * (own + other), -own).mean();
}

}  // namespace qiss
