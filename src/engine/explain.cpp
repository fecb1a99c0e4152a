#include "engine/explain.h"

#include <algorithm>
#include <set>

#include "common/error_kind.h"
#include "engine/query.h"
#include "index/simd_flat.h"
#include "text/utf8.h"

namespace qiss {
namespace {

/// A word of the query and where it lies in the text (bytes).
struct Span {
    std::size_t begin = 0, end = 0;
};

/// Spaces and punctuation: ASCII's, Latin-1's, general punctuation, CJK symbols and
/// punctuation, full-width forms' punctuation.
bool is_separator(char32_t cp) {
    if (cp < 0x80) return !std::isalnum(static_cast<int>(cp));
    return (cp >= 0xA0 && cp <= 0xBF) || cp == 0xD7 || cp == 0xF7 ||
           (cp >= 0x2000 && cp <= 0x206F) || (cp >= 0x3000 && cp <= 0x303F) ||
           (cp >= 0xFF00 && cp <= 0xFF0F) || (cp >= 0xFF1A && cp <= 0xFF20);
}

/// Scripts written without spaces between words: each character is a word.
bool is_unspaced_script(char32_t cp) {
    return (cp >= 0x0E00 && cp <= 0x0EFF) ||  // Thai, Lao
           (cp >= 0x1000 && cp <= 0x109F) ||  // Myanmar
           (cp >= 0x1780 && cp <= 0x17FF) ||  // Khmer
           (cp >= 0x3040 && cp <= 0x30FF) ||  // Hiragana, Katakana
           (cp >= 0x3400 && cp <= 0x4DBF) ||  // Han extension A
           (cp >= 0x4E00 && cp <= 0x9FFF) ||  // Han
           (cp >= 0xF900 && cp <= 0xFAFF) ||  // Han compatibility
           (cp >= 0x20000 && cp <= 0x3FFFF);  // Han extensions
}

std::vector<Span> word_spans(const std::string& text) {
    std::vector<Span> spans;
    std::size_t start = std::string::npos;
    for (std::size_t i = 0; i < text.size();) {
        std::size_t length = 1;
        const char32_t cp = decode_utf8_at(text, i, length);
        const bool separator = is_separator(cp);
        const bool single = is_unspaced_script(cp);
        if ((separator || single) && start != std::string::npos) {
            spans.push_back({start, i});
            start = std::string::npos;
        }
        if (single) {
            spans.push_back({i, i + length});
        } else if (!separator && start == std::string::npos) {
            start = i;
        }
        i += length;
    }
    if (start != std::string::npos) spans.push_back({start, text.size()});
    return spans;
}

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
std::string without(const std::string& text, const Span& span) {
    std::size_t begin = span.begin, end = span.end;
    if (end < text.size() && text[end] == ' ')
        ++end;
    else if (begin > 0 && text[begin - 1] == ' ')
        --begin;
    return text.substr(0, begin) + text.substr(end);
}

}  // namespace

std::vector<std::string> query_words(const std::string& text) {
    std::vector<std::string> words;
    for (const Span& s : word_spans(text)) words.push_back(text.substr(s.begin, s.end - s.begin));
    return words;
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
    Explanation e;
    e.id = id;
    e.text = text;
    e.language = detect_language(text);
    e.score = score_of(text);
    if (const auto map = relevance_map(c, true))
        e.relevance =
            static_cast<float>(map->relevance(e.score, collection_prior(c.store().count())));
    e.caption = record->caption;
    e.keyword_matches = c.keyword_matches(text, keyword_language(e.language), id);
    std::set<std::string> caption_words;
    for (const std::string& w : query_words(record->caption)) caption_words.insert(folded(w));
    const std::vector<Span> spans = word_spans(text);
    for (std::size_t i = 0; i < spans.size(); ++i) {
        WordInfluence w;
        w.word = text.substr(spans[i].begin, spans[i].end - spans[i].begin);
        w.in_caption = caption_words.count(folded(w.word)) > 0;
        if (spans.size() > 1 && i < kMaxExplainedWords) {
            const std::string rest = without(text, spans[i]);
            if (rest.find_first_not_of(" \t\n\r") != std::string::npos)
                w.influence = e.score - score_of(rest);
        }
        e.words.push_back(std::move(w));
    }
    return e;
}

}  // namespace qiss
