#include "engine/query_spec.h"

#include <algorithm>
#include <cmath>

#include "common/error.h"
#include "text/utf8.h"

namespace qiss {
namespace {

/// `what` names the text in messages: "the query text" or "term 2's text".
void check_text(const std::string& text, const std::string& what, const QueryLimits& limits) {
    QISS_CHECK(is_valid_utf8(text), "{} is not valid UTF-8", what);
    QISS_CHECK(text.find_first_not_of(" \t\r\n") != std::string::npos, "{} is empty", what);
    QISS_CHECK(text.size() <= limits.max_text_bytes, "{} has {} bytes; the limit is {}", what,
               text.size(), limits.max_text_bytes);
}

void check_terms(const std::vector<QueryTerm>& terms, const QueryLimits& limits) {
    QISS_CHECK(!terms.empty(), "a combined query needs at least one term");
    QISS_CHECK(static_cast<int>(terms.size()) <= limits.max_terms,
               "a combined query has {} terms; the limit is {}", terms.size(), limits.max_terms);
    for (std::size_t i = 0; i < terms.size(); ++i) {
        const QueryTerm& t = terms[i];
        const std::string what = "term " + std::to_string(i + 1);
        QISS_CHECK(std::isfinite(t.weight) && std::abs(t.weight) <= kMaxTermWeight,
                   "{}'s weight must be a number between -{} and {} (got {})", what, kMaxTermWeight,
                   kMaxTermWeight, t.weight);
        switch (t.kind) {
            case QueryTerm::Kind::Text:
                check_text(t.text, what + "'s text", limits);
                break;
            case QueryTerm::Kind::Image:
                QISS_CHECK(!t.image.empty(), "{}'s image is empty", what);
                break;
            case QueryTerm::Kind::Id:
                break;
        }
    }
    QISS_CHECK(
        std::any_of(terms.begin(), terms.end(), [](const QueryTerm& t) { return t.weight != 0; }),
        "every term has weight 0: give at least one term a weight");
}

}  // namespace

std::vector<QueryTerm> terms_of(const Query& q) {
    if (q.kind == Query::Kind::Terms) return q.terms;
    QueryTerm t;
    t.weight = 1;
    switch (q.kind) {
        case Query::Kind::Text:
            t.kind = QueryTerm::Kind::Text;
            t.text = q.text;
            break;
        case Query::Kind::Image:
            t.kind = QueryTerm::Kind::Image;
            t.image = q.image;
            t.image_name = q.image_name;
            break;
        case Query::Kind::Id:
        case Query::Kind::Terms:
            t.kind = QueryTerm::Kind::Id;
            t.id = q.id;
            break;
    }
    return {t};
}

const char* search_mode_name(SearchMode mode) {
    switch (mode) {
        case SearchMode::Hybrid:
            return "hybrid";
        case SearchMode::Semantic:
            return "semantic";
        case SearchMode::Keyword:
            return "keyword";
    }
    return "?";
}

SearchMode parse_search_mode(const std::string& name) {
    for (const SearchMode m : {SearchMode::Hybrid, SearchMode::Semantic, SearchMode::Keyword})
        if (name == search_mode_name(m)) return m;
    QISS_THROW("mode must be hybrid, semantic or keyword (got '{}')", name);
}

void validate_query(const Query& q, const QueryLimits& limits) {
    QISS_CHECK(q.k >= 1 && q.k <= limits.max_k, "k must be between 1 and {} (got {})", limits.max_k,
               q.k);
    QISS_CHECK(q.offset >= 0 && q.offset <= limits.max_offset,
               "offset must be between 0 and {} (got {})", limits.max_offset, q.offset);
    QISS_CHECK(!q.collapse || (*q.collapse > 0 && *q.collapse <= 1),
               "collapse must be a cosine in (0, 1] (got {})", q.collapse.value_or(0));
    // Folding compares each candidate with every kept result: bound the page it may reach.
    QISS_CHECK(!q.collapse || q.offset + q.k <= limits.max_k,
               "a collapsed search reaches at most result {} (offset + k; got {})", limits.max_k,
               q.offset + q.k);
    QISS_CHECK(q.after.empty() || q.offset == 0,
               "give offset or after, not both (after continues where the previous page ended)");
    QISS_CHECK(!q.min_relevance || (*q.min_relevance >= 0 && *q.min_relevance <= 1),
               "min_relevance must be a probability in [0, 1] (got {})",
               q.min_relevance.value_or(0));
    QISS_CHECK(q.after.empty() || !q.collapse, "a collapsed search pages with offset, not after");
    check_filter(q.filter);
    QISS_CHECK(!q.mode || *q.mode == SearchMode::Semantic || q.kind == Query::Kind::Text,
               "mode={} needs a text query (images, ids and combined terms are searched by "
               "meaning: mode=semantic)",
               search_mode_name(q.mode.value_or(SearchMode::Semantic)));
    switch (q.kind) {
        case Query::Kind::Text:
            check_text(q.text, "the query text", limits);
            return;
        case Query::Kind::Image:
            QISS_CHECK(!q.image.empty(), "the query image is empty");
            return;
        case Query::Kind::Id:
            return;
        case Query::Kind::Terms:
            check_terms(q.terms, limits);
            return;
    }
}

}  // namespace qiss
