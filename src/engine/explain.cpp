#include "engine/explain.h"

#include <algorithm>
#include <set>

#include "common/error.h"
#include "common/error_kind.h"
#include "engine/query.h"
#include "engine/word_search.h"
#include "index/simd_flat.h"
#include "text/utf8.h"
#include "text/words.h"

namespace qiss {
namespace {

/// Lower case for the scripts whose capitals are one offset away (Latin, Latin-1, Greek,
/// Cyrillic); other characters as they are.
std::string folded(const std::string& word) {
    std::string out;
    for (std::size_t i = 0; i < word.size();) {
        std::size_t length = 1;
        char32_t cp = decode_utf8_at(word, i, length);
        if ((cp >= 'A' && cp <= 'Z') || (cp >= 0xC0 && cp <= 0xDE && cp != 0xD7) ||
            (cp >= 0x391 && cp <= 0x3A9) || (cp >= 0x410 && cp <= 0x42F))
            cp += 0x20;
        else if (cp >= 0x400 && cp <= 0x40F)
            cp += 0x50;
        append_utf8(cp, out);
        i += length;
    }
    return out;
}

/// `text` without the bytes of `span`, and without the space that separated it.
std::string without(const std::string& text, const WordSpan& span) {
    std::size_t begin = span.begin, end = span.end;
    if (end < text.size() && text[end] == ' ')
        ++end;
    else if (begin > 0 && text[begin - 1] == ' ')
        --begin;
    return text.substr(0, begin) + text.substr(end);
}

}  // namespace

std::vector<std::string> query_words(const std::string& text) {
    return words_of(text, UnspacedScripts::each_character);
}

Explanation explain_text(const Collection& c, const std::string& text, std::uint64_t id,
                         const QueryLimits& limits) {
    Query q;
    q.kind = Query::Kind::Text;
    q.text = text;
    validate_query(q, limits);
    const auto record = c.store().get(id);
    const auto vector = c.vector_of(id);
    QISS_CHECK_KIND(record && vector, not_found, "no image with id {}", id);
    const std::size_t d = vector->size();
    const auto score_of = [&](const std::string& t) {
        return simd_inner_product(c.embed_text(t).data(), vector->data(), d);
    };
    const SemanticQuery sq = semantic_query(c, text);
    QISS_ASSERT(sq.query.size() == d);
    Explanation e;
    e.id = id;
    e.text = text;
    e.language = detect_language(text);
    int word = -1;
    e.score = sq.score(vector->data(), word);
    e.query_score = simd_inner_product(sq.query.data(), vector->data(), d);
    for (std::size_t j = 0; j < sq.words.size(); ++j)
        e.searched.push_back(
            {sq.words[j],
             sq.word_weight * simd_inner_product(sq.word_vectors[j].data(), vector->data(), d)});
    if (sq.worded()) e.word_weight = sq.word_weight;
    if (word >= 0) e.scored_by = sq.words[static_cast<std::size_t>(word)];
    if (const auto map = relevance_map(c, true))
        e.relevance =
            static_cast<float>(map->relevance(e.score, collection_prior(c.store().count())));
    e.caption = record->caption;
    e.keyword_matches = c.keyword_matches(text, keyword_language(e.language), id);
    std::set<std::string> caption_words;
    for (const std::string& w : query_words(record->caption)) caption_words.insert(folded(w));
    const std::vector<WordSpan> spans = word_spans(text, UnspacedScripts::each_character);
    for (std::size_t i = 0; i < spans.size(); ++i) {
        WordInfluence w;
        w.word = text.substr(spans[i].begin, spans[i].end - spans[i].begin);
        w.in_caption = caption_words.count(folded(w.word)) > 0;
        if (spans.size() > 1 && i < kMaxExplainedWords) {
            const std::string rest = without(text, spans[i]);
            if (rest.find_first_not_of(" \t\n\r") != std::string::npos)
                w.influence = e.query_score - score_of(rest);
        }
        e.words.push_back(std::move(w));
    }
    return e;
}

}  // namespace qiss
