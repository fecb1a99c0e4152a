#include "train/text_phase.h"

#include <algorithm>
#include <numeric>

#include "common/error.h"
#include "train/batch_loss.h"

namespace qiss {
namespace F = torch::nn::functional;

torch::Tensor identity_targets(Model& model, const TrainingSet& set, const torch::Tensor& proxies,
                               const std::string& kind) {
    torch::NoGradGuard no_grad;
    const auto unit = F::NormalizeFuncOptions().dim(1);
    torch::Tensor p = F::normalize(proxies.detach(), unit);
    if (kind == "proxy") return p;
    const bool was_training = model.net()->is_training();
    model.net()->eval();
    const int64_t n = set.pixels.size(0);
    std::vector<torch::Tensor> parts;
    for (int64_t s = 0; s < n; s += 512) {
        auto x = normalize_pixels(to_unit_float(set.pixels.slice(0, s, std::min(n, s + 512))),
                                  model.config().preprocess);
        parts.push_back(model.net()->image->forward(x));
    }
    model.net()->train(was_training);
    auto emb = torch::cat(parts);
    auto mean = torch::zeros({static_cast<int64_t>(set.groups.size()), emb.size(1)});
    for (std::size_t gi = 0; gi < set.groups.size(); ++gi) {
        const auto& rows = set.groups[gi].images;
        auto idx = torch::tensor(std::vector<int64_t>(rows.begin(), rows.end()));
        mean[static_cast<int64_t>(gi)] = emb.index_select(0, idx).mean(0);
    }
    mean = F::normalize(mean, unit);
    if (kind == "mean_image") return mean;
    QISS_ASSERT(kind == "both");
    return F::normalize(mean + p, unit);
}

torch::Tensor encode_texts_bucketed(Model& model, const std::vector<std::string>& texts,
                                    int64_t chunk) {
    QISS_ASSERT(!texts.empty() && chunk >= 1);
    const int max_tokens = model.config().max_tokens;
    std::vector<std::vector<int>> tokens;
    tokens.reserve(texts.size());
    for (const auto& t : texts) tokens.push_back(model.tokenizer().encode(t, max_tokens));
    std::vector<int64_t> order(texts.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](int64_t a, int64_t b) { return tokens[a].size() < tokens[b].size(); });
    std::vector<torch::Tensor> parts;
    for (std::size_t s = 0; s < order.size(); s += static_cast<std::size_t>(chunk)) {
        std::size_t e = std::min(order.size(), s + static_cast<std::size_t>(chunk));
        std::vector<std::vector<int>> part;
        for (std::size_t i = s; i < e; ++i) part.push_back(std::move(tokens[order[i]]));
        parts.push_back(model.net()->text->forward(make_token_batch(part)));
    }
    // Row r of the concatenation is text order[r]: scatter back to the input order.
    auto inverse = torch::empty({static_cast<int64_t>(order.size())}, torch::kInt64);
    auto inv = inverse.accessor<int64_t, 1>();
    for (std::size_t r = 0; r < order.size(); ++r) inv[order[r]] = static_cast<int64_t>(r);
    return torch::cat(parts).index_select(0, inverse);
}

int64_t text_steps_per_epoch(std::size_t items, const TrainConfig& c) {
    auto used = static_cast<int64_t>(static_cast<double>(items) * c.text_epoch_share);
    return std::max<int64_t>(1, (used + c.text_batch_size - 1) / c.text_batch_size);
}

double run_text_epoch(Model& model, const TrainingSet& set, const std::vector<TextItem>& all_items,
                      const TextContext& context, const TextMix& mix, const torch::Tensor& targets,
                      const TrainConfig& c, torch::optim::AdamW& opt, const LrSchedule& schedule,
                      const std::vector<double>& group_scale, int text_epoch, std::uint64_t seed,
                      const TextProgress& progress) {
    auto draw_rng = seeded_rng(seed, 5, static_cast<std::uint64_t>(text_epoch));
    const std::vector<TextItem> items = text_epoch_items(set, all_items, c, draw_rng);
    auto rng = seeded_rng(seed, 4, static_cast<std::uint64_t>(text_epoch));
    std::vector<std::size_t> order(items.size());
    std::iota(order.begin(), order.end(), 0);
    std::shuffle(order.begin(), order.end(), rng);
    const int64_t steps = text_steps_per_epoch(items.size(), c);
    auto net = model.net();
    net->image->eval();
    net->text->train();
    double loss_sum = 0;
    int64_t done = 0;
    for (int64_t step = 0; step < steps; ++step) {
        std::size_t s = static_cast<std::size_t>(step * c.text_batch_size);
        std::size_t e = std::min(order.size(), s + static_cast<std::size_t>(c.text_batch_size));
        std::vector<std::string> texts;
        std::vector<int64_t> labels, partners;
        for (std::size_t i = s; i < e; ++i) {
            const TextItem& item = items[order[i]];
            auto mixed = mix.apply(item, context.apply(item, item_text(set, item, rng), rng), rng);
            texts.push_back(std::move(mixed.text));
            labels.push_back(item.group);
            partners.push_back(mixed.partner);
        }
        set_lr(opt, schedule.at(static_cast<int64_t>(text_epoch) * steps + step), group_scale);
        opt.zero_grad();
        auto t = encode_texts_bucketed(model, texts);
        auto loss = text_phase_loss(c, t, torch::tensor(labels, torch::kInt64),
                                    torch::tensor(partners, torch::kInt64), targets);
        loss.backward();
        opt.step();
        loss_sum += loss.item<double>();
        done += static_cast<int64_t>(texts.size());
        progress(step, loss_sum / static_cast<double>(step + 1), done);
    }
    return loss_sum / static_cast<double>(steps);
}

}  // namespace qiss
