#include "train/batch_loss.h"

#include "common/error.h"
#include "train/losses.h"

namespace qiss {

torch::Tensor joint_loss(const TrainConfig& c, const torch::Tensor& images,
                         const torch::Tensor& texts, const torch::Tensor& labels,
                         const torch::Tensor& proxies, int epoch) {
    const int64_t batch = labels.size(0);
    const int64_t k = texts.size(0) / batch;
    QISS_ASSERT(images.size(0) == 2 * batch && texts.size(0) == k * batch && k >= 1);
    auto pair = [&](const torch::Tensor& a, const torch::Tensor& b) {
        if (c.loss == "infonce") return infonce_loss(a, b, c.temperature);
        return vse_loss(a, b, c.margin, /*hardest=*/epoch >= c.vse_warmup_epochs);
    };
    auto a = images.slice(0, 0, batch), b = images.slice(0, batch, 2 * batch);
    auto loss = c.image_pair_weight * pair(a, b);
    auto first = texts.slice(0, 0, batch);
    for (int64_t s = 0; s < k; ++s) {
        auto t = texts.slice(0, s * batch, (s + 1) * batch);
        loss = loss + 0.5 / static_cast<double>(k) * (pair(a, t) + pair(b, t));
        if (s > 0) loss = loss + c.text_pair_weight / static_cast<double>(k - 1) * pair(first, t);
    }
    if (c.proxy_weight > 0)
        loss = loss + 0.5 * c.proxy_weight *
                          (proxy_loss(images, proxies, labels.repeat({2}), c.proxy_temperature) +
                           proxy_loss(texts, proxies, labels.repeat({k}), c.proxy_temperature));
    return loss;
}

torch::Tensor text_phase_loss(const TrainConfig& c, const torch::Tensor& texts,
                              const torch::Tensor& labels, const torch::Tensor& partners,
                              const torch::Tensor& targets) {
    if (c.text_mix == 0) return proxy_loss(texts, targets, labels, c.text_temperature);
    return proxy_loss(texts, targets, labels, partners, c.text_temperature);
}

}  // namespace qiss
