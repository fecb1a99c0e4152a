#include "engine/word_search.h"

#include <algorithm>
#include <unordered_map>

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

std::vector<Hit> semantic_search(const Collection& c, const SemanticQuery& q, int start, int count,
                                 std::span<const std::uint64_t> exclude, const IdSet* allowed) {
    if (!q.worded()) return c.search(q.query.data(), count, start, exclude, std::nullopt, allowed);
    const int depth = start + count;
    std::unordered_map<std::uint64_t, Hit> found;
    const auto gather = [&](const std::vector<float>& v) {
        for (Hit& h : c.search(v.data(), depth, 0, exclude, std::nullopt, allowed))
            found.try_emplace(h.id, std::move(h));
    };
    gather(q.query);
    for (const std::vector<float>& w : q.word_vectors) gather(w);
    std::vector<Hit> hits;
    hits.reserve(found.size());
    for (auto& [id, hit] : found) {
        const auto v = c.vector_of(id);
        if (!v || v->size() != q.query.size()) continue;  // removed meanwhile
        hit.score = q.score(v->data(), hit.word);
        hits.push_back(std::move(hit));
    }
    std::sort(hits.begin(), hits.end(), [](const Hit& a, const Hit& b) {
        return a.score != b.score ? a.score > b.score : a.id < b.id;
    });
    hits.erase(hits.begin(), hits.begin() + std::min<std::ptrdiff_t>(start, std::ssize(hits)));
    if (hits.size() > static_cast<std::size_t>(count)) hits.resize(static_cast<std::size_t>(count));
    return hits;
}

}  // namespace qiss
