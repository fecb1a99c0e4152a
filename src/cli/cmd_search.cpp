// qiss search: query a collection with a text in any language, an image, a stored image's id,
// or a weighted combination of them ("beach" + photo.jpg − "people").
#include <charconv>
#include <filesystem>
#include <iostream>

#include <fmt/format.h>

#include "cli/commands.h"
#include "common/error.h"
#include "engine/query.h"
#include "image/image_io.h"
#include "server/answer_json.h"

namespace qiss::cli {
namespace {

/// "VALUE:WEIGHT" → (VALUE, WEIGHT) when what follows the last ':' is a number; else
/// (VALUE, nullopt). An image path that exists as given keeps its ':'.
std::pair<std::string, std::optional<float>> split_weight(const std::string& arg, bool is_path) {
    const auto colon = arg.rfind(':');
    if (colon == std::string::npos || (is_path && std::filesystem::exists(arg))) return {arg, {}};
    const std::string w = arg.substr(colon + 1);
    float weight = 0;
    const char* end = w.data() + w.size();
    const char* first = w.data() + (!w.empty() && w[0] == '+' ? 1 : 0);
    const auto [p, ec] = std::from_chars(first, end, weight);
    if (w.empty() || ec != std::errc() || p != end) return {arg, {}};
    return {arg.substr(0, colon), weight};
}

/// The terms of --text, --image and --id in the order given (`order`: every option as parsed,
/// one entry per occurrence); sets `weighted` if one gave a weight.
std::vector<QueryTerm> terms_from_args(const std::vector<CLI::Option*>& order,
                                       const CLI::Option* text_option,
                                       const CLI::Option* image_option,
                                       const CLI::Option* id_option,
                                       const std::vector<std::string>& texts,
                                       const std::vector<std::string>& images,
                                       const std::vector<std::string>& ids, bool& weighted) {
    std::vector<QueryTerm> terms;
    std::size_t next_text = 0, next_image = 0, next_id = 0;
    for (const CLI::Option* option : order) {
        if (option != text_option && option != image_option && option != id_option) continue;
        const QueryTerm::Kind kind = option == text_option    ? QueryTerm::Kind::Text
                                     : option == image_option ? QueryTerm::Kind::Image
                                                              : QueryTerm::Kind::Id;
        const std::string& arg = kind == QueryTerm::Kind::Text    ? texts.at(next_text++)
                                 : kind == QueryTerm::Kind::Image ? images.at(next_image++)
                                                                  : ids.at(next_id++);
        auto [value, weight] = split_weight(arg, kind == QueryTerm::Kind::Image);
        weighted = weighted || weight.has_value();
        QueryTerm& t = terms.emplace_back();
        t.kind = kind;
        t.weight = weight.value_or(1.0f);
        if (kind == QueryTerm::Kind::Text) {
            t.text = value;
        } else if (kind == QueryTerm::Kind::Image) {
            t.image = read_image(value).rgb;
            t.image_name = value;
        } else {
            std::uint64_t id = 0;
            const auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), id);
            QISS_CHECK(ec == std::errc() && p == value.data() + value.size() && !value.empty(),
                       "--id {}: expected an image id, optionally with :WEIGHT", arg);
            t.id = id;
        }
    }
    return terms;
}

/// One search from the terms: a plain text, image or id query when there is one term without a
/// weight, a combined one otherwise.
Query query_of(std::vector<QueryTerm>&& terms, bool weighted) {
    Query q;
    if (terms.size() != 1 || weighted) {
        q.kind = Query::Kind::Terms;
        q.terms = std::move(terms);
        return q;
    }
    QueryTerm& t = terms.front();
    q.kind = t.kind == QueryTerm::Kind::Text    ? Query::Kind::Text
             : t.kind == QueryTerm::Kind::Image ? Query::Kind::Image
                                                : Query::Kind::Id;
    q.text = std::move(t.text);
    q.image = t.image;
    q.image_name = std::move(t.image_name);
    q.id = t.id;
    return q;
}

/// The lines above the results: each term of a combined query, or a text's language.
void print_query(const QueryResult& r) {
    for (const TermAsRun& t : r.terms) {
        std::string what = t.kind == QueryTerm::Kind::Text    ? fmt::format("text \"{}\"", t.text)
                           : t.kind == QueryTerm::Kind::Image ? "image " + t.image_name
                                                              : fmt::format("id {}", t.id);
        std::string language;
        if (const auto& l = t.language)
            language = fmt::format("language: {} ({}){}", l->name, l->code,
                                   l->reliable ? "" : ", not reliable");
        if (r.kind == Query::Kind::Terms)
            std::cout << fmt::format("term  {:+g}  {}{}\n", t.weight, what,
                                     language.empty() ? "" : "  (" + language + ")");
        else if (!language.empty())
            std::cout << language << "\n";
    }
    std::cout << "mode: " << search_mode_name(r.mode) << "\n";
}

}  // namespace

Command register_search(CLI::App& app) {
    auto* sub = app.add_subcommand(
        "search", "Search a collection by text, image or id, or a weighted combination of them");
    struct Args {
        std::string data;
        std::vector<std::string> texts, images, ids;
        int k = kDefaultK, offset = 0;
        std::string after;
        bool json = false;
        bool collapse = false;
        float collapse_threshold = kDefaultDupeThreshold;
        std::optional<float> min_relevance;
        std::vector<std::string> where;
        std::string mode;
        double map_size_gb = 64;
        SearchOptions search;
        std::size_t filter_scan_max = CollectionOptions{}.filter_scan_max;
        std::optional<float> word_weight;
    };
    auto a = std::make_shared<Args>();
    sub->add_option("--data", a->data, "Collection folder")->required();
    auto* text = sub->add_option("--text", a->texts,
                                 "A text in any language; repeat and add :WEIGHT to combine terms "
                                 "(--text beach --text people:-1)");
    auto* image = sub->add_option("--image", a->images, "An image file (repeatable, :WEIGHT)");
    auto* id = sub->add_option("--id", a->ids,
                               "Images similar to this stored image (repeatable, :WEIGHT)");
    sub->add_option("-k", a->k, "Number of results")->capture_default_str();
    sub->add_option("--offset", a->offset, "Results to skip (paging)")->capture_default_str();
    sub->add_option("--after", a->after,
                    "The page after this cursor (the `next` a previous page printed)");
    auto* collapse = sub->add_flag("--collapse", a->collapse,
                                   "Fold near-duplicates into one result (+N similar)");
    auto* threshold =
        sub->add_option("--collapse-threshold", a->collapse_threshold,
                        "Cosine at or above which --collapse folds a result (implies --collapse)")
            ->check(CLI::Range(0.0, 1.0))
            ->capture_default_str();
    sub->add_option("--min-relevance", a->min_relevance,
                    "Leave out results whose calibrated relevance is below this (0..1; needs a "
                    "calibrated model, see qiss calibrate)")
        ->check(CLI::Range(0.0, 1.0));
    sub->add_option("--where", a->where,
                    "Only images that pass this condition, KEY=VALUE (repeatable, all must "
                    "hold): root, source_prefix, added_after, added_before, min_width, "
                    "max_width, min_height, max_height, format, field.NAME (docs/api.md, "
                    "\"Filters\")");
    sub->add_option("--mode", a->mode,
                    "How a text is matched: hybrid (meaning and words), semantic (meaning) or "
                    "keyword (words of captions, tags, file names); default: hybrid when the "
                    "collection has text")
        ->check(CLI::IsMember({"hybrid", "semantic", "keyword"}));
    sub->add_flag("--json", a->json, "Print one JSON object");
    add_map_size_option(sub, a->map_size_gb);
    add_search_options(sub, a->search);
    add_filter_scan_option(sub, a->filter_scan_max);
    add_word_weight_option(sub, a->word_weight);
    return {sub, [a, sub, text, image, id, collapse, threshold] {
                QISS_CHECK(!a->texts.empty() || !a->images.empty() || !a->ids.empty(),
                           "give --text, --image or --id (repeat them, with :WEIGHT, to combine)");
                bool weighted = false;
                std::vector<QueryTerm> terms = terms_from_args(
                    sub->parse_order(), text, image, id, a->texts, a->images, a->ids, weighted);
                Query q = query_of(std::move(terms), weighted);
                q.k = a->k;
                q.offset = a->offset;
                q.after = a->after;
                if (collapse->count() || threshold->count()) q.collapse = a->collapse_threshold;
                q.min_relevance = a->min_relevance;
                for (const std::string& condition : a->where) add_condition(q.filter, condition);
                if (!a->mode.empty()) q.mode = parse_search_mode(a->mode);
                CollectionOptions co;
                co.read_only = true;
                co.store_map_size = map_size_bytes(a->map_size_gb);
                co.search = a->search;
                co.filter_scan_max = a->filter_scan_max;
                co.word_weight = a->word_weight;
                auto c = Collection::open(a->data, co);
                QueryResult r = run_query(*c, q);
                if (a->json) {
                    auto j = to_json(r, PathDisplay::Absolute);
                    j["took_ms"] = r.took_ms;
                    std::cout << j.dump() << std::endl;
                    return 0;
                }
                print_query(r);
                int rank = a->offset;
                for (std::size_t n = 0; n < r.hits.size(); ++n) {
                    const Hit& h = r.hits[n];
                    const std::size_t folded = n < r.similar.size() ? r.similar[n].size() : 0;
                    const std::string relevance =
                        n < r.relevance.size() ? fmt::format("  relevance {:.2f}", r.relevance[n])
                                               : "";
                    std::string found;
                    if (n < r.ranks.size())
                        found = fmt::format("  [{}{}{}]", r.ranks[n].semantic ? "meaning" : "",
                                            r.ranks[n].semantic && r.ranks[n].keyword ? "+" : "",
                                            r.ranks[n].keyword ? "words" : "");
                    std::cout << fmt::format(
                        "{:>4}  {:.4f}{}  id {:<8} {}{}{}{}\n", ++rank, h.score, relevance, h.id,
                        h.record.source,
                        h.record.caption.empty() ? "" : fmt::format("  \"{}\"", h.record.caption),
                        folded ? fmt::format("  (+{} similar)", folded) : "", found);
                }
                if (r.filter_matches)
                    std::cout << fmt::format("{} images pass the filter\n", *r.filter_matches);
                std::cout << fmt::format("{} results in {:.1f} ms\n", r.hits.size(), r.took_ms);
                if (!r.next.empty()) std::cout << "next page: --after " << r.next << "\n";
                return 0;
            }};
}

}  // namespace qiss::cli
