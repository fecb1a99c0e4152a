#include "train/sampler.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>

#include "common/error.h"
#include "corpus/skin_tone.h"

namespace qiss {
namespace {

std::uint64_t splitmix(std::uint64_t x) {
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

std::size_t pick(std::size_t n, std::mt19937_64& rng) {
    return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng);
}

/// One, two or three of the keywords, space-separated.
std::string keyword_bundle(const std::vector<std::string>& keywords, std::mt19937_64& rng) {
    std::uniform_real_distribution<double> coin(0, 1);
    if (keywords.size() == 1 || coin(rng) < 0.5) return keywords[pick(keywords.size(), rng)];
    std::vector<std::string> kw = keywords;
    std::shuffle(kw.begin(), kw.end(), rng);
    std::size_t n = std::min<std::size_t>(kw.size(), 2 + pick(2, rng));
    std::string out = kw[0];
    for (std::size_t i = 1; i < n; ++i) out += " " + kw[i];
    return out;
}

/// A caption (if `caption` and there is one) or a keyword bundle (if there are keywords).
std::string locale_text(const TrainingGroup::LocaleTexts& lt, bool caption, std::mt19937_64& rng) {
    if (lt.keywords.empty() || (caption && !lt.captions.empty()))
        return lt.captions[pick(lt.captions.size(), rng)];
    return keyword_bundle(lt.keywords, rng);
}

/// The id with its man / woman / person variants made one: the person code points of each age
/// (U+1F468/U+1F469/U+1F9D1, U+1F466/U+1F467/U+1F9D2, U+1F474/U+1F475/U+1F9D3) become one
/// token and the ZWJ gender signs (U+2640, U+2642) are dropped; skin tones stay
/// ("1f469-1f3fd-200d-1f33e" and "1f9d1-1f3fd-200d-1f33e" -> "adult-1f3fd-200d-1f33e").
std::string gender_key(const std::string& id) {
    static const std::map<std::string, std::string> ages = {
        {"1f468", "adult"}, {"1f469", "adult"}, {"1f9d1", "adult"},
        {"1f466", "child"}, {"1f467", "child"}, {"1f9d2", "child"},
        {"1f474", "old"},   {"1f475", "old"},   {"1f9d3", "old"}};
    std::vector<std::string> parts;
    for (std::size_t i = 0; i <= id.size();) {
        const std::size_t end = std::min(id.find('-', i), id.size());
        parts.push_back(id.substr(i, end - i));
        i = end + 1;
    }
    std::string out;
    for (std::size_t i = 0; i < parts.size(); ++i) {
        if (parts[i] == "200d" && i + 1 < parts.size() &&
            (parts[i + 1] == "2640" || parts[i + 1] == "2642")) {
            i += (i + 2 < parts.size() && parts[i + 2] == "fe0f") ? 2 : 1;
            continue;
        }
        const auto age = ages.find(parts[i]);
        out += (out.empty() ? "" : "-") + (age == ages.end() ? parts[i] : age->second);
    }
    return out;
}

/// The identities grouped by family: equal ids once the skin-tone modifiers are removed
/// (`by` "skin_tone") or once the gender variants are made one (`by` "gender").
std::vector<std::vector<std::size_t>> identity_families(const TrainingSet& set,
                                                        const std::string& by) {
    std::map<std::string, std::vector<std::size_t>> by_key;
    for (std::size_t gi = 0; gi < set.groups.size(); ++gi) {
        const std::string& id = set.groups[gi].id;
        by_key[by == "gender" ? gender_key(id) : without_skin_tones(id)].push_back(gi);
    }
    std::vector<std::vector<std::size_t>> families;
    for (auto& [key, members] : by_key) families.push_back(std::move(members));
    return families;
}

}  // namespace

std::mt19937_64 seeded_rng(std::uint64_t seed, std::uint64_t a, std::uint64_t b, std::uint64_t c) {
    return std::mt19937_64(splitmix(splitmix(splitmix(splitmix(seed) ^ a) ^ b) ^ c));
}

JointSampler::JointSampler(const TrainingSet& set, const TrainConfig& config, std::uint64_t seed)
    : set_(set), config_(config), seed_(seed) {
    const auto groups = static_cast<int64_t>(set.groups.size());
    QISS_ASSERT(groups >= 2 && config.batch_size >= 2);
    batch_ = std::min<int64_t>(config.batch_size, groups);
    // By default an epoch shows each training image about once: passes = images / identities.
    passes_ = config.passes_per_epoch > 0
                  ? config.passes_per_epoch
                  : std::max<int>(1, static_cast<int>(std::lround(
                                         static_cast<double>(set.pixels.size(0)) / groups)));
    batches_per_pass_ = groups / batch_;
    if (config.family_batches) families_ = identity_families(set, config.family_by);
}

void JointSampler::start_epoch(int epoch) {
    epoch_ = epoch;
    rng_ = seeded_rng(seed_, 1, static_cast<std::uint64_t>(epoch));
    orders_.assign(static_cast<std::size_t>(passes_), {});
    for (auto& order : orders_) {
        if (families_.empty()) {
            order.resize(set_.groups.size());
            std::iota(order.begin(), order.end(), 0);
            std::shuffle(order.begin(), order.end(), rng_);
            continue;
        }
        // Families in a random order, each family's members together in a random order.
        std::vector<std::size_t> family_order(families_.size());
        std::iota(family_order.begin(), family_order.end(), 0);
        std::shuffle(family_order.begin(), family_order.end(), rng_);
        for (const std::size_t f : family_order) {
            std::vector<std::size_t> members = families_[f];
            std::shuffle(members.begin(), members.end(), rng_);
            order.insert(order.end(), members.begin(), members.end());
        }
    }
}

JointBatch JointSampler::batch(int64_t step) {
    const int pass = static_cast<int>(step / batches_per_pass_);
    const int64_t b = step % batches_per_pass_;
    const int k = config_.texts_per_identity;
    JointBatch out;
    out.rows.resize(static_cast<std::size_t>(2 * batch_));
    out.texts.resize(static_cast<std::size_t>(k * batch_));
    for (int64_t i = 0; i < batch_; ++i) {
        const std::size_t gi = orders_[pass][static_cast<std::size_t>(b * batch_ + i)];
        const auto& g = set_.groups[gi];
        out.labels.push_back(static_cast<int64_t>(gi));
        std::size_t ia = pick(g.images.size(), rng_), ib = pick(g.images.size(), rng_);
        if (g.images.size() > 1)
            while (ib == ia) ib = pick(g.images.size(), rng_);
        out.rows[i] = g.images[ia];
        out.rows[batch_ + i] = g.images[ib];
        // Each identity is visited once per pass: its k text slots of this visit.
        const int64_t visit = (static_cast<int64_t>(epoch_) * passes_ + pass) * k;
        for (int s = 0; s < k; ++s) out.texts[s * batch_ + i] = text_for(gi, visit + s);
    }
    return out;
}

std::string JointSampler::text_for(std::size_t group, int64_t visit) const {
    const auto& g = set_.groups[group];
    const auto n = static_cast<int64_t>(g.texts.size());
    auto rng = seeded_rng(seed_, 2, group, static_cast<std::uint64_t>(visit));
    if (config_.sampler == "random") {
        const TrainingGroup::LocaleTexts* lt = nullptr;
        if (visit % config_.texts_per_identity == 0 && !config_.anchor_locale.empty())
            for (const auto& t : g.texts)
                if (t.locale == config_.anchor_locale) lt = &t;
        if (!lt) lt = &g.texts[pick(g.texts.size(), rng)];
        std::uniform_real_distribution<double> coin(0, 1);
        return locale_text(*lt, coin(rng) < 0.5, rng);
    }
    // Balanced: cycle c visits every locale once in an order drawn for (group, c); captions on
    // even cycles, keyword bundles on odd ones.
    const int64_t cycle = visit / n;
    std::vector<std::size_t> order(g.texts.size());
    std::iota(order.begin(), order.end(), 0);
    auto cycle_rng = seeded_rng(seed_, 3, group, static_cast<std::uint64_t>(cycle));
    std::shuffle(order.begin(), order.end(), cycle_rng);
    return locale_text(g.texts[order[static_cast<std::size_t>(visit % n)]], cycle % 2 == 0, rng);
}

std::vector<TextItem> all_text_items(const TrainingSet& set, const std::string& keywords) {
    QISS_ASSERT(keywords == "all" || keywords == "family");
    std::vector<bool> gives_keywords(set.groups.size(), keywords == "all");
    if (keywords == "family")
        for (const auto& members : identity_families(set, "skin_tone")) {
            // Its tone-free member, or its first.
            auto tone_free = std::find_if(members.begin(), members.end(), [&](std::size_t gi) {
                return without_skin_tones(set.groups[gi].id) == set.groups[gi].id;
            });
            gives_keywords[tone_free != members.end() ? *tone_free : members.front()] = true;
        }
    std::vector<TextItem> items;
    for (std::size_t gi = 0; gi < set.groups.size(); ++gi) {
        const auto& g = set.groups[gi];
        for (std::size_t li = 0; li < g.texts.size(); ++li) {
            auto group = static_cast<std::uint32_t>(gi);
            auto locale = static_cast<std::uint32_t>(li);
            if (!g.texts[li].captions.empty()) items.push_back({group, locale, true});
            if (gives_keywords[gi] && !g.texts[li].keywords.empty())
                items.push_back({group, locale, false});
        }
    }
    return items;
}

namespace {

bool reweighs_text_items(const TrainConfig& c) {
    return c.text_base_repeat != 1 || c.text_tone_share != 1.0f;
}

bool has_skin_tone(const TrainingSet& set, const TextItem& item) {
    const std::string& id = set.groups[item.group].id;
    return without_skin_tones(id) != id;
}

std::size_t tone_items_kept(std::size_t tone_items, const TrainConfig& c) {
    return static_cast<std::size_t>(
        std::lround(static_cast<double>(tone_items) * c.text_tone_share));
}

}  // namespace

std::size_t text_epoch_size(const TrainingSet& set, const std::vector<TextItem>& items,
                            const TrainConfig& c) {
    if (!reweighs_text_items(c)) return items.size();
    auto tone = static_cast<std::size_t>(std::count_if(
        items.begin(), items.end(), [&](const TextItem& it) { return has_skin_tone(set, it); }));
    return (items.size() - tone) * static_cast<std::size_t>(c.text_base_repeat) +
           tone_items_kept(tone, c);
}

std::vector<TextItem> text_epoch_items(const TrainingSet& set, const std::vector<TextItem>& items,
                                       const TrainConfig& c, std::mt19937_64& rng) {
    if (!reweighs_text_items(c)) return items;
    std::vector<TextItem> out, tone;
    for (const auto& it : items) {
        if (has_skin_tone(set, it))
            tone.push_back(it);
        else
            out.insert(out.end(), static_cast<std::size_t>(c.text_base_repeat), it);
    }
    std::shuffle(tone.begin(), tone.end(), rng);
    out.insert(out.end(), tone.begin(),
               tone.begin() + static_cast<std::ptrdiff_t>(tone_items_kept(tone.size(), c)));
    return out;
}

std::string item_text(const TrainingSet& set, const TextItem& item, std::mt19937_64& rng) {
    return locale_text(set.groups[item.group].texts[item.locale], item.caption, rng);
}

}  // namespace qiss
