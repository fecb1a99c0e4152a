#include "train/name_keywords.h"

#include <algorithm>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include <unicode/unistr.h>

namespace qiss {
namespace {

std::string case_folded(const std::string& s) {
    std::string out;
    icu::UnicodeString::fromUTF8(s).foldCase().toUTF8String(out);
    return out;
}

}  // namespace

std::size_t drop_other_names(TrainingSet& set) {
    // Per locale, every identity's captions, case folded.
    std::unordered_map<std::string, std::unordered_set<std::string>> names;
    for (const auto& g : set.groups)
        for (const auto& lt : g.texts)
            for (const auto& c : lt.captions) names[lt.locale].insert(case_folded(c));
    std::size_t dropped = 0;
    for (auto& g : set.groups) {
        for (auto& lt : g.texts) {
            const auto of_locale = names.find(lt.locale);
            if (of_locale == names.end()) continue;
            std::unordered_set<std::string> own;
            for (const auto& c : lt.captions) own.insert(case_folded(c));
            dropped += std::erase_if(lt.keywords, [&](const std::string& k) {
                const std::string key = case_folded(k);
                return !own.contains(key) && of_locale->second.contains(key);
            });
        }
        std::erase_if(g.texts, [](const TrainingGroup::LocaleTexts& lt) {
            return lt.captions.empty() && lt.keywords.empty();
        });
    }
    return dropped;
}

}  // namespace qiss
