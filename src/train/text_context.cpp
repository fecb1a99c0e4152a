#include "train/text_context.h"

#include <algorithm>
#include <cmath>
#include <unordered_set>

#include "common/error.h"

namespace qiss {
namespace {

/// A word must occur in the texts of this share of a locale's identities to be common.
constexpr double kCommonShare = 0.01;
/// ... and of at least this many, so that a small corpus has no common words.
constexpr std::size_t kCommonMin = 5;

std::size_t pick(std::size_t n, std::mt19937_64& rng) {
    return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng);
}

/// Every word of one locale's captions and keywords.
std::unordered_set<std::string> words_of(const TrainingGroup::LocaleTexts& lt) {
    std::unordered_set<std::string> out;
    for (const auto* list : {&lt.captions, &lt.keywords})
        for (const auto& t : *list)
            for (auto& w : split_words(t)) out.insert(std::move(w));
    return out;
}

}  // namespace

std::vector<std::string> split_words(const std::string& text) {
    std::vector<std::string> out;
    std::size_t s = 0;
    while (s < text.size()) {
        std::size_t e = text.find(' ', s);
        if (e == std::string::npos) e = text.size();
        if (e > s) out.push_back(text.substr(s, e - s));
        s = e + 1;
    }
    return out;
}

TextContext::TextContext(const TrainingSet& set, double probability)
    : set_(set), probability_(probability) {
    QISS_ASSERT(probability >= 0 && probability <= 1);
    if (probability == 0) return;
    // Per locale: in how many identities' texts each word occurs.
    std::unordered_map<std::string, std::unordered_map<std::string, std::size_t>> df;
    std::unordered_map<std::string, std::size_t> identities;
    for (const auto& g : set.groups)
        for (const auto& lt : g.texts) {
            ++identities[lt.locale];
            auto& counts = df[lt.locale];
            for (const auto& w : words_of(lt)) ++counts[w];
        }
    for (const auto& [locale, counts] : df) {
        const auto n = identities[locale];
        const auto min = std::max(
            kCommonMin, static_cast<std::size_t>(std::ceil(kCommonShare * static_cast<double>(n))));
        auto& words = common_[locale];
        for (const auto& [w, c] : counts)
            if (c >= min) words.push_back(w);
        std::sort(words.begin(), words.end());
    }
}

TextContext::TextContext(const TrainingSet& set, double probability, const FillerWords& fillers,
                         double filler_probability)
    : TextContext(set, probability) {
    QISS_ASSERT(filler_probability >= 0 && filler_probability <= 1);
    filler_probability_ = filler_probability;
    if (filler_probability == 0) return;
    // Per locale: its language's fillers, less every whole text of the locale.
    std::unordered_map<std::string, std::unordered_set<std::string>> texts;
    for (const auto& g : set.groups)
        for (const auto& lt : g.texts)
            for (const auto* list : {&lt.captions, &lt.keywords})
                texts[lt.locale].insert(list->begin(), list->end());
    for (const auto& [locale, whole] : texts) {
        auto it = fillers.find(locale_language(locale));
        if (it == fillers.end()) continue;
        auto& words = fillers_[locale];
        for (const auto& w : it->second)
            if (!whole.count(w)) words.push_back(w);
    }
}

std::vector<std::string> TextContext::filler_words(const std::string& locale) const {
    auto it = fillers_.find(locale);
    return it == fillers_.end() ? std::vector<std::string>{} : it->second;
}

std::size_t TextContext::filler_locales() const {
    return static_cast<std::size_t>(std::count_if(
        fillers_.begin(), fillers_.end(), [](const auto& kv) { return !kv.second.empty(); }));
}

void TextContext::insert_some(std::vector<std::string>& words, const std::vector<std::string>& pool,
                              const std::unordered_set<std::string>& own, std::mt19937_64& rng) {
    const std::size_t n = 1 + pick(3, rng);
    for (std::size_t i = 0, tries = 0; i < n && tries < 4 * n; ++tries) {
        const auto& w = pool[pick(pool.size(), rng)];
        if (own.count(w)) continue;
        words.insert(words.begin() + static_cast<std::ptrdiff_t>(pick(words.size() + 1, rng)), w);
        ++i;
    }
}

std::vector<std::string> TextContext::common_words(const std::string& locale) const {
    auto it = common_.find(locale);
    return it == common_.end() ? std::vector<std::string>{} : it->second;
}

std::string TextContext::apply(const TextItem& item, std::string text, std::mt19937_64& rng) const {
    if (probability_ == 0 && filler_probability_ == 0) return text;
    std::uniform_real_distribution<double> coin(0, 1);
    const auto& lt = set_.groups[item.group].texts[item.locale];
    std::vector<std::string> words = split_words(text);
    bool changed = false;
    if (probability_ > 0 && coin(rng) < probability_) {
        changed = true;
        // (a) Half of the time, another text of the identity in this locale, before or after.
        if (coin(rng) < 0.5) {
            const auto& other = !item.caption || lt.keywords.empty() ? lt.captions : lt.keywords;
            if (!other.empty()) {
                auto more = split_words(other[pick(other.size(), rng)]);
                words.insert(coin(rng) < 0.5 ? words.begin() : words.end(), more.begin(),
                             more.end());
            }
        }
        // (b) One to three common words of the locale that are none of the identity's own.
        auto it = common_.find(lt.locale);
        if (it != common_.end() && !it->second.empty())
            insert_some(words, it->second, words_of(lt), rng);
    }
    // (c) One to three filler words of the locale's language that are none of its own.
    if (filler_probability_ > 0 && coin(rng) < filler_probability_) {
        auto it = fillers_.find(lt.locale);
        if (it != fillers_.end() && !it->second.empty()) {
            changed = true;
            insert_some(words, it->second, words_of(lt), rng);
        }
    }
    if (!changed) return text;
    std::string out;
    for (const auto& w : words) out += (out.empty() ? "" : " ") + w;
    return out.empty() ? text : out;
}

}  // namespace qiss
