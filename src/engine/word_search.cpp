#include "engine/word_search.h"

#include <algorithm>
#include <unordered_set>

#include "common/error.h"
#include "index/simd_flat.h"
#include "text/words.h"

namespace qiss {

float SemanticQuery::score(const float* v, int& word) const {
    float best = simd_inner_product(query.data(), v, query.size());
    word = -1;
    for (std::size_t j = 0; j < word_vectors.size(); ++j) {
        const float s = word_weight * simd_inner_product(word_vectors[j].data(), v, query.size());
        if (s > best) {
            best = s;
            word = static_cast<int>(j);
        }
    }
    return best;
}

std::vector<std::string> searched_words(const std::string& text, float word_weight) {
    if (word_weight <= 0) return {};
    std::vector<std::string> words;
    for (std::string& w : words_of(text, UnspacedScripts::as_runs)) {
        if (words.size() == kMaxQueryWords) break;
        if (std::find(words.begin(), words.end(), w) == words.end()) words.push_back(std::move(w));
    }
    if (words.size() < 2) words.clear();
    return words;
}

SemanticQuery semantic_query(const Collection& c, const std::string& text) {
    SemanticQuery q;
    q.word_weight = c.word_weight();
    q.words = searched_words(text, q.word_weight);
    std::vector<std::string> texts{text};
    texts.insert(texts.end(), q.words.begin(), q.words.end());
    std::vector<std::vector<float>> vectors = c.embed_texts(texts);
    QISS_ASSERT(vectors.size() == texts.size());
    q.query = std::move(vectors.front());
    q.word_vectors.assign(std::make_move_iterator(vectors.begin() + 1),
                          std::make_move_iterator(vectors.end()));
    return q;
}

std::vector<Hit> semantic_search(const Collection& c, const SemanticQuery& q, int start,
                                 int count, std::span<const std::uint64_t> exclude,
                                 const IdSet* allowed, bool records, int exact) {
    if (!q.worded())
        return records ? c.search(q.query.data(), count, start, exclude, std::nullopt, allowed)
                       : c.search_ids(q.query.data(), count, start, exclude, allowed);
    // The candidates: the nearest start + count of the query and of each word (or `exact` of
    // each word), ids only.
    const int depth = start + count;
    const int word_depth = exact >= 1 ? std::min(exact, depth) : depth;
    std::vector<std::uint64_t> ids;
    std::unordered_set<std::uint64_t> seen;
    const auto gather = [&](const std::vector<float>& v, int k) {
        for (const Hit& h : c.search_ids(v.data(), k, 0, exclude, allowed))
            if (seen.insert(h.id).second) ids.push_back(h.id);
    };
    gather(q.query, depth);
    for (const std::vector<float>& w : q.word_vectors) gather(w, word_depth);
    // Each scored with its stored vector, from one snapshot of the store (an image removed
    // meanwhile has none and drops out).
    std::vector<Hit> hits;
    hits.reserve(ids.size());
    c.store().for_vectors(ids, [&](std::uint64_t id, const float* v) {
        Hit h;
        h.id = id;
        h.score = q.score(v, h.word);
        hits.push_back(std::move(h));
    });
    std::sort(hits.begin(), hits.end(), [](const Hit& a, const Hit& b) {
        return a.score != b.score ? a.score > b.score : a.id < b.id;
    });
    hits.erase(hits.begin(), hits.begin() + std::min<std::ptrdiff_t>(start, std::ssize(hits)));
    if (hits.size() > static_cast<std::size_t>(count)) hits.resize(static_cast<std::size_t>(count));
    if (!records) return hits;
    // The records of the page only.
    std::vector<Hit> shown;
    for (Hit& h : hits) {
        auto record = c.store().get(h.id);
        if (!record) continue;  // removed meanwhile
        h.record = std::move(*record);
        shown.push_back(std::move(h));
    }
    return shown;
}

}  // namespace qiss
