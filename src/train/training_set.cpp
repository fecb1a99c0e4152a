#include "train/training_set.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <random>
#include <set>

#include <spdlog/spdlog.h>

#include "common/error.h"
#include "image/image_io.h"
#include "image/resize.h"

namespace qiss {

bool locale_in(const std::string& locale, const std::unordered_set<std::string>& langs) {
    return langs.count(locale_language(locale)) > 0;
}

TrainingSet load_training_set(const std::vector<ManifestEntry>& entries, Split split,
                              const ImagePreprocess& pre,
                              const std::unordered_set<std::string>& exclude_langs,
                              bool keep_textless) {
    std::vector<const ManifestEntry*> chosen;
    for (const auto& e : entries)
        if (e.split == split) chosen.push_back(&e);

    const int s = pre.size;
    const auto n = static_cast<int64_t>(chosen.size());
    auto pixels = torch::empty({n, s, s, 3}, torch::kUInt8);
    std::vector<char> ok(chosen.size(), 0);
    std::vector<std::string> errors(chosen.size());
#pragma omp parallel for schedule(dynamic, 16)
    for (int64_t i = 0; i < n; ++i) {
        try {
            cv::Mat sq = fit_square(read_image(chosen[i]->path).rgb, s);
            if (!sq.isContinuous()) sq = sq.clone();
            std::memcpy(pixels[i].data_ptr<std::uint8_t>(), sq.data,
                        static_cast<std::size_t>(s) * s * 3);
            ok[i] = 1;
        } catch (const std::exception& e) {
            errors[i] = e.what();
        }
    }

    TrainingSet set;
    std::map<std::string, std::size_t> group_of;
    std::vector<int64_t> keep;
    for (std::size_t i = 0; i < chosen.size(); ++i) {
        const ManifestEntry& e = *chosen[i];
        if (!ok[i]) {
            spdlog::warn("skipping {}: {}", e.path.string(), errors[i]);
            ++set.skipped;
            continue;
        }
        auto [it, inserted] = group_of.try_emplace(e.id, set.groups.size());
        if (inserted) {
            TrainingGroup g;
            g.id = e.id;
            const auto& captions = e.captions();
            const auto& keywords = e.keywords();
            for (const auto& [loc, caps] : captions) {
                if (locale_in(loc, exclude_langs)) continue;
                auto kw = keywords.find(loc);
                g.texts.push_back(
                    {loc, caps, kw == keywords.end() ? std::vector<std::string>{} : kw->second});
            }
            for (const auto& [loc, kws] : keywords)
                if (!captions.count(loc) && !locale_in(loc, exclude_langs) && !kws.empty())
                    g.texts.push_back({loc, {}, kws});
            set.groups.push_back(std::move(g));
        }
        set.groups[it->second].images.push_back(static_cast<int>(keep.size()));
        keep.push_back(static_cast<int64_t>(i));
    }
    set.pixels =
        keep.size() == chosen.size() ? pixels : pixels.index_select(0, torch::tensor(keep));
    if (!keep_textless) {
        std::erase_if(set.groups, [](const TrainingGroup& g) { return g.texts.empty(); });
    }
    return set;
}

std::vector<std::string> all_texts(const TrainingSet& set) {
    std::vector<std::string> out;
    for (const auto& g : set.groups)
        for (const auto& lt : g.texts) {
            out.insert(out.end(), lt.captions.begin(), lt.captions.end());
            out.insert(out.end(), lt.keywords.begin(), lt.keywords.end());
        }
    return out;
}

std::vector<std::string> tokenizer_texts(const TrainingSet& set, const std::string& sampling,
                                         std::size_t max_sentences, double caption_weight,
                                         std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    if (sampling == "uniform") {
        auto texts = all_texts(set);
        std::shuffle(texts.begin(), texts.end(), rng);
        if (texts.size() > max_sentences) texts.resize(max_sentences);
        return texts;
    }
    const auto copies = static_cast<std::size_t>(std::max(1.0, std::round(caption_weight)));
    if (sampling == "distinct") {
        std::map<std::string, std::pair<std::set<std::string>, std::set<std::string>>> by_locale;
        for (const auto& g : set.groups)
            for (const auto& lt : g.texts) {
                auto& [captions, keywords] = by_locale[lt.locale];
                captions.insert(lt.captions.begin(), lt.captions.end());
                keywords.insert(lt.keywords.begin(), lt.keywords.end());
            }
        std::vector<std::string> out;
        for (const auto& [locale, texts] : by_locale) {
            const auto& [captions, keywords] = texts;
            for (const auto& c : captions) out.insert(out.end(), copies, c);
            for (const auto& k : keywords)
                if (!captions.count(k)) out.push_back(k);
        }
        std::shuffle(out.begin(), out.end(), rng);
        if (out.size() > max_sentences) out.resize(max_sentences);
        return out;
    }
    QISS_ASSERT(sampling == "balanced");
    std::map<std::string, std::vector<const std::string*>> pool;
    for (const auto& g : set.groups)
        for (const auto& lt : g.texts) {
            auto& p = pool[lt.locale];
            for (const auto& c : lt.captions) p.insert(p.end(), copies, &c);
            for (const auto& k : lt.keywords) p.push_back(&k);
        }
    std::vector<std::string> out;
    if (pool.empty()) return out;
    const std::size_t per_locale = std::max<std::size_t>(1, max_sentences / pool.size());
    for (auto& [locale, p] : pool) {
        std::shuffle(p.begin(), p.end(), rng);
        for (std::size_t i = 0; i < std::min(per_locale, p.size()); ++i) out.push_back(*p[i]);
    }
    std::shuffle(out.begin(), out.end(), rng);
    return out;
}

}  // namespace qiss
