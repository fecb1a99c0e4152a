#include "engine/query.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <iterator>
#include <unordered_map>

#include "common/error.h"
#include "common/error_kind.h"
#include "engine/cursor.h"
#include "engine/dupes.h"
#include "engine/word_search.h"
#include "keyword/keyword_index.h"

namespace qiss {
namespace {

/// What a text term asked: its text and language.
void describe_term(const QueryTerm& t, TermAsRun& as_run) {
    as_run.kind = t.kind;
    as_run.weight = t.weight;
    as_run.text = t.text;
    as_run.language = detect_language(t.text);
}

/// The unit embedding of one term, and what it asked.
std::vector<float> embed_term(const Collection& c, const QueryTerm& t, TermAsRun& as_run) {
    as_run.kind = t.kind;
    as_run.weight = t.weight;
    switch (t.kind) {
        case QueryTerm::Kind::Text:
            describe_term(t, as_run);
            return c.embed_text(t.text);
        case QueryTerm::Kind::Image:
            as_run.image_name = t.image_name;
            as_run.image_width = t.image.cols;
            as_run.image_height = t.image.rows;
            return c.embed_image(t.image);
        case QueryTerm::Kind::Id: {
            auto v = c.vector_of(t.id);
            QISS_CHECK(v.has_value(), "no image with id {}", t.id);
            as_run.id = t.id;
            return std::move(*v);
        }
    }
    QISS_ASSERT(false);
    return {};
}

/// Σ weight·vector over the terms, normalised. Throws if the sum is (nearly) zero.
std::vector<float> combine(const std::vector<std::vector<float>>& vectors,
                           const std::vector<QueryTerm>& terms) {
    std::vector<float> sum(vectors.front().size(), 0.0f);
    for (std::size_t t = 0; t < terms.size(); ++t)
        for (std::size_t i = 0; i < sum.size(); ++i) sum[i] += terms[t].weight * vectors[t][i];
    double norm = 0;
    for (float x : sum) norm += static_cast<double>(x) * x;
    norm = std::sqrt(norm);
    double scale = 0;
    for (const QueryTerm& t : terms) scale += std::abs(t.weight);
    QISS_CHECK(norm > 1e-6 * scale,
               "the terms cancel out (their weighted sum is zero): change a weight or a term");
    for (float& x : sum) x = static_cast<float>(x / norm);
    return sum;
}

/// Keeps the hits (and what runs parallel to them) for which `keep` is true.
void keep_hits(QueryResult& r, const std::vector<bool>& keep) {
    std::size_t n = 0;
    for (std::size_t i = 0; i < r.hits.size(); ++i) {
        if (!keep[i]) continue;
        if (n != i) {
            r.hits[n] = std::move(r.hits[i]);
            if (i < r.relevance.size()) r.relevance[n] = r.relevance[i];
            if (i < r.similar.size()) r.similar[n] = std::move(r.similar[i]);
            if (i < r.ranks.size()) r.ranks[n] = r.ranks[i];
        }
        ++n;
    }
    r.hits.resize(n);
    r.relevance.resize(std::min(n, r.relevance.size()));
    r.similar.resize(std::min(n, r.similar.size()));
    r.ranks.resize(std::min(n, r.ranks.size()));
}

/// The page of a folded list (collapse_hits) from result `offset` on, into r.hits and
/// r.similar: paging walks one order of collapsed results.
void take_folded_page(QueryResult& r, Collapsed folded, int offset) {
    const auto skip = std::min(folded.hits.size(), static_cast<std::size_t>(offset));
    r.hits.assign(std::make_move_iterator(folded.hits.begin() + static_cast<long>(skip)),
                  std::make_move_iterator(folded.hits.end()));
    r.similar.assign(std::make_move_iterator(folded.similar.begin() + static_cast<long>(skip)),
                     std::make_move_iterator(folded.similar.end()));
}

/// The mode a query runs in: its own, else hybrid for a text query when the collection has
/// text, else semantic.
SearchMode mode_of(const Collection& c, const Query& q) {
    if (q.mode) return *q.mode;
    return q.kind == Query::Kind::Text && c.has_text() ? SearchMode::Hybrid : SearchMode::Semantic;
}

/// Fills r.relevance from the collection's calibration and drops the hits below
/// q.min_relevance.
void apply_relevance(const Collection& c, const Query& q, const std::vector<QueryTerm>& terms,
                     QueryResult& r) {
    r.min_relevance = q.min_relevance;
    const bool has_text = std::any_of(terms.begin(), terms.end(), [](const QueryTerm& t) {
        return t.kind == QueryTerm::Kind::Text;
    });
    const std::optional<PlattScaling> map = relevance_map(c, has_text);
    QISS_CHECK(map || !q.min_relevance,
               "min_relevance needs a calibrated model; this collection's model has no {} "
               "calibration (add one with `qiss calibrate`)",
               has_text ? "text" : "image");
    if (!map) return;
    const double prior = collection_prior(c.store().count());
    for (const Hit& h : r.hits)
        r.relevance.push_back(static_cast<float>(map->relevance(h.score, prior)));
    if (!q.min_relevance) return;
    std::vector<bool> keep(r.hits.size());
    for (std::size_t i = 0; i < keep.size(); ++i) keep[i] = r.relevance[i] >= *q.min_relevance;
    keep_hits(r, keep);
}

}  // namespace

std::optional<PlattScaling> relevance_map(const Collection& c, bool text) {
    const auto& calibration = c.calibration();
    if (!calibration) return std::nullopt;
    return text ? calibration->text : calibration->image;
}

QueryResult run_query(const Collection& c, const Query& q, const QueryLimits& limits) {
    const auto t0 = std::chrono::steady_clock::now();
    validate_query(q, limits);
    QueryResult r;
    r.kind = q.kind;
    r.k = q.k;
    r.offset = q.offset;
    r.after = q.after;
    // Only a cursor read or written needs the fingerprint (an image's hashes every pixel).
    std::optional<std::uint64_t> fingerprint;
    std::optional<Cursor> after;
    if (!q.after.empty()) {
        fingerprint = query_fingerprint(q);
        after = decode_cursor(q.after, *fingerprint);
    }
    // The filter first: one that keeps nothing is answered before any embedding.
    std::optional<IdSet> kept;
    if (!q.filter.empty()) {
        r.filter = q.filter;
        kept = c.select(q.filter);
        r.filter_matches = kept->size();
        QISS_CHECK_KIND(!kept->empty(), not_found,
                        "no image of the collection passes the filter {}",
                        filter_to_json(q.filter).dump());
    }
    const IdSet* allowed = kept ? &*kept : nullptr;
    const std::vector<QueryTerm> terms = terms_of(q);
    SemanticQuery sq;
    std::vector<std::uint64_t> exclude;
    if (q.kind == Query::Kind::Text) {
        describe_term(terms.front(), r.terms.emplace_back());
        sq = semantic_query(c, q.text);
        r.words = sq.words;
        if (sq.worded()) r.word_weight = sq.word_weight;
    } else {
        std::vector<std::vector<float>> vectors;
        for (const QueryTerm& t : terms) {
            vectors.push_back(embed_term(c, t, r.terms.emplace_back()));
            if (t.kind == QueryTerm::Kind::Id) exclude.push_back(t.id);
        }
        sq.query =
            q.kind == Query::Kind::Terms ? combine(vectors, terms) : std::move(vectors.front());
    }
    r.mode = mode_of(c, q);
    // Fused and worded pages continue by rank: `after` holds the rank where the last page
    // ended. Their cost grows with the rank, so they end where an offset must.
    const bool by_rank = r.mode != SearchMode::Semantic || sq.worded();
    QISS_CHECK(!by_rank || !after || after->rank <= limits.max_offset,
               "this search's pages end at result {} (the largest offset); refine the query to "
               "see further (the cursor asks for result {})",
               limits.max_offset + q.k, after ? after->rank + 1 : 0);
    if (r.mode != SearchMode::Semantic) {
        const int start = after ? static_cast<int>(after->rank) : q.offset;
        const std::string language = keyword_language(*r.terms.front().language);
        const int count = q.collapse ? kCollapseFetch * (start + q.k) : q.k;
        r.hits = fused_search(c, r.mode, q.text, language, sq, q.collapse ? 0 : start, count,
                              allowed, r.ranks);
        if (q.collapse) {
            r.collapse = q.collapse;
            std::unordered_map<std::uint64_t, FusedRank> rank_of;
            for (std::size_t i = 0; i < r.hits.size(); ++i) rank_of[r.hits[i].id] = r.ranks[i];
            take_folded_page(r,
                             collapse_hits(c, std::move(r.hits), *q.collapse,
                                           static_cast<std::size_t>(start + q.k)),
                             start);
            r.ranks.clear();
            for (const Hit& h : r.hits) r.ranks.push_back(rank_of[h.id]);
        }
    } else if (after && sq.worded()) {
        r.hits = semantic_search(c, sq, static_cast<int>(after->rank), q.k, exclude, allowed);
    } else if (after) {
        r.hits = c.search_after(sq.query.data(), q.k, *after, exclude, allowed);
    } else if (!q.collapse) {
        r.hits = semantic_search(c, sq, q.offset, q.k, exclude, allowed);
    } else {
        // Fold the nearest kCollapseFetch·(offset + k), then take the page from the folded list,
        // so that paging walks one order of collapsed results.
        r.collapse = q.collapse;
        const int want = q.offset + q.k;
        take_folded_page(
            r,
            collapse_hits(c, semantic_search(c, sq, 0, kCollapseFetch * want, exclude, allowed),
                          *q.collapse, static_cast<std::size_t>(want)),
            q.offset);
    }
    apply_relevance(c, q, terms, r);
    const std::int64_t next_rank = (after ? after->rank : q.offset) + q.k;
    if (!q.collapse && static_cast<int>(r.hits.size()) == q.k &&
        (!by_rank || next_rank <= limits.max_offset)) {
        Cursor next;
        next.score = r.hits.back().score;
        next.id = r.hits.back().id;
        next.rank = next_rank;
        if (!fingerprint) fingerprint = query_fingerprint(q);
        r.next = encode_cursor(next, *fingerprint);
    }
    r.took_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    return r;
}

}  // namespace qiss
