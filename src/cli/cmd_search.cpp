// qiss search: query a collection with a text in any language, an image or a stored image's id.
#include <iostream>

#include <fmt/format.h>

#include "cli/commands.h"
#include "common/error.h"
#include "engine/query.h"
#include "image/image_io.h"
#include "server/answer_json.h"

namespace qiss::cli {

Command register_search(CLI::App& app) {
    auto* sub = app.add_subcommand("search", "Search a collection by text, image or id");
    struct Args {
        std::string data, text, image;
        std::uint64_t id = 0;
        int k = kDefaultK, offset = 0;
        bool json = false;
        bool collapse = false;
        float collapse_threshold = kDefaultDupeThreshold;
        double map_size_gb = 64;
        SearchOptions search;
    };
    auto a = std::make_shared<Args>();
    sub->add_option("--data", a->data, "Collection folder")->required();
    auto* t = sub->add_option("--text", a->text, "A text in any language");
    auto* i = sub->add_option("--image", a->image, "An image file");
    auto* d = sub->add_option("--id", a->id, "Images similar to this stored image");
    t->excludes(i)->excludes(d);
    i->excludes(d);
    sub->add_option("-k", a->k, "Number of results")->capture_default_str();
    sub->add_option("--offset", a->offset, "Results to skip (paging)")->capture_default_str();
    auto* collapse = sub->add_flag("--collapse", a->collapse,
                                   "Fold near-duplicates into one result (+N similar)");
    auto* threshold =
        sub->add_option("--collapse-threshold", a->collapse_threshold,
                        "Cosine at or above which --collapse folds a result (implies --collapse)")
            ->check(CLI::Range(0.0, 1.0))
            ->capture_default_str();
    sub->add_flag("--json", a->json, "Print one JSON object");
    add_map_size_option(sub, a->map_size_gb);
    add_search_options(sub, a->search);
    return {sub, [a, t, i, d, collapse, threshold] {
                QISS_CHECK(t->count() + i->count() + d->count() == 1,
                           "give one of --text, --image or --id");
                CollectionOptions co;
                co.read_only = true;
                co.store_map_size = map_size_bytes(a->map_size_gb);
                co.search = a->search;
                auto c = Collection::open(a->data, co);
                Query q;
                q.k = a->k;
                q.offset = a->offset;
                if (collapse->count() || threshold->count()) q.collapse = a->collapse_threshold;
                if (t->count()) {
                    q.kind = Query::Kind::Text;
                    q.text = a->text;
                } else if (i->count()) {
                    q.kind = Query::Kind::Image;
                    q.image = read_image(a->image).rgb;
                    q.image_name = a->image;
                } else {
                    q.kind = Query::Kind::Id;
                    q.id = a->id;
                }
                QueryResult r = run_query(*c, q);
                if (a->json) {
                    auto j = to_json(r, PathDisplay::Absolute);
                    j["took_ms"] = r.took_ms;
                    std::cout << j.dump() << std::endl;
                    return 0;
                }
                if (const auto& l = r.language)
                    std::cout << fmt::format("language: {} ({}){}\n", l->name, l->code,
                                             l->reliable ? "" : ", not reliable");
                int rank = a->offset;
                for (std::size_t n = 0; n < r.hits.size(); ++n) {
                    const Hit& h = r.hits[n];
                    const std::size_t folded = n < r.similar.size() ? r.similar[n].size() : 0;
                    std::cout << fmt::format(
                        "{:>4}  {:.4f}  id {:<8} {}{}{}\n", ++rank, h.score, h.id, h.record.source,
                        h.record.caption.empty() ? "" : fmt::format("  \"{}\"", h.record.caption),
                        folded ? fmt::format("  (+{} similar)", folded) : "");
                }
                std::cout << fmt::format("{} results in {:.1f} ms\n", r.hits.size(), r.took_ms);
                return 0;
            }};
}

}  // namespace qiss::cli
