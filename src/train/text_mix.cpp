#include "train/text_mix.h"

#include "common/error.h"

namespace qiss {

TextMix::TextMix(const TrainingSet& set, double probability)
    : set_(set), probability_(probability) {
    QISS_ASSERT(probability >= 0 && probability <= 1);
    if (probability_ == 0) return;
    for (std::size_t g = 0; g < set.groups.size(); ++g) {
        const auto& texts = set.groups[g].texts;
        for (std::size_t l = 0; l < texts.size(); ++l)
            by_locale_[texts[l].locale].emplace_back(static_cast<std::uint32_t>(g),
                                                     static_cast<std::uint32_t>(l));
    }
}

TextMix::Mixed TextMix::apply(const TextItem& item, std::string text, std::mt19937_64& rng) const {
    if (probability_ == 0) return {std::move(text), -1};
    std::uniform_real_distribution<double> coin(0, 1);
    if (coin(rng) >= probability_) return {std::move(text), -1};
    const auto found = by_locale_.find(set_.groups[item.group].texts[item.locale].locale);
    QISS_ASSERT(found != by_locale_.end());
    const auto& others = found->second;
    if (others.size() < 2) return {std::move(text), -1};
    // Uniform over the locale's other identities: draw among n - 1 and skip the item's own.
    std::size_t k = std::uniform_int_distribution<std::size_t>(0, others.size() - 2)(rng);
    if (others[k].first == item.group) k = others.size() - 1;
    const auto [group, locale] = others[k];
    QISS_ASSERT(group != item.group);
    const std::string other = item_text(set_, TextItem{group, locale, coin(rng) < 0.5}, rng);
    std::string joined = coin(rng) < 0.5 ? text + " " + other : other + " " + text;
    return {std::move(joined), static_cast<std::int64_t>(group)};
}

}  // namespace qiss
