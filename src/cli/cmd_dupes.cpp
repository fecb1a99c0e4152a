// qiss dupes: list the groups of near-duplicate images of a collection.
#include <iostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "common/error.h"
#include "engine/dupes.h"

namespace qiss::cli {

Command register_dupes(CLI::App& app) {
    auto* sub = app.add_subcommand(
        "dupes", "List groups of near-duplicate images (resized, re-encoded, slightly edited)");
    struct Args {
        std::string data;
        DupeOptions dupes;
        bool json = false;
        double map_size_gb = 64;
        SearchOptions search;
    };
    auto a = std::make_shared<Args>();
    sub->add_option("--data", a->data, "Collection folder")
        ->required()
        ->check(CLI::ExistingDirectory);
    sub->add_option("--threshold", a->dupes.threshold,
                    "Cosine at or above which two images are near-duplicates (docs/dupes.md)")
        ->check(CLI::Range(0.0, 1.0))
        ->capture_default_str();
    sub->add_option("--neighbours", a->dupes.neighbours,
                    "Nearest images examined per image (groups are their transitive closure)")
        ->check(CLI::Range(1, 1000))
        ->capture_default_str();
    sub->add_flag("--json", a->json,
                  "Print a JSON list of groups, each a list of records {id, source}");
    add_map_size_option(sub, a->map_size_gb);
    add_search_options(sub, a->search);
    return {sub, [a] {
                CollectionOptions co;
                co.read_only = true;
                co.store_map_size = map_size_bytes(a->map_size_gb);
                co.search = a->search;
                auto c = Collection::open(a->data, co);
                const auto groups = find_duplicate_groups(*c, a->dupes);
                auto source = [&](std::uint64_t id) {
                    const auto r = c->store().get(id);
                    return r ? r->source : std::string();
                };
                if (a->json) {
                    nlohmann::json out = nlohmann::json::array();
                    for (const auto& g : groups) {
                        nlohmann::json members = nlohmann::json::array();
                        for (const auto id : g)
                            members.push_back({{"id", id}, {"source", source(id)}});
                        out.push_back(std::move(members));
                    }
                    std::cout << out.dump() << std::endl;
                    return 0;
                }
                std::size_t images = 0;
                for (std::size_t i = 0; i < groups.size(); ++i) {
                    std::cout << fmt::format("group {} ({} images)\n", i + 1, groups[i].size());
                    for (const auto id : groups[i])
                        std::cout << fmt::format("  id {:<8} {}\n", id, source(id));
                    images += groups[i].size();
                }
                std::cout << fmt::format(
                    "{} groups of near-duplicates ({} images; threshold {:.3f}) among {} images\n",
                    groups.size(), images, a->dupes.threshold, c->store().count());
                return 0;
            }};
}

}  // namespace qiss::cli
