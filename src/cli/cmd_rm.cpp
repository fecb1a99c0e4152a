// qiss rm: delete images from a collection.
#include <iostream>

#include <fmt/format.h>

#include "cli/commands.h"
#include "common/error.h"
#include "engine/collection.h"

namespace qiss::cli {

Command register_rm(CLI::App& app) {
    auto* sub = app.add_subcommand("rm", "Delete images from a collection");
    struct Args {
        std::string data;
        std::vector<std::uint64_t> ids;
        double map_size_gb = 64;
    };
    auto a = std::make_shared<Args>();
    sub->add_option("--data", a->data, "Collection folder")
        ->required()
        ->check(CLI::ExistingDirectory);
    sub->add_option("ids", a->ids, "Image ids")->required();
    add_map_size_option(sub, a->map_size_gb);
    return {sub, [a] {
                CollectionOptions co;
                co.store_map_size = map_size_bytes(a->map_size_gb);
                auto c = Collection::open(a->data, co);
                std::vector<std::uint64_t> unknown;
                std::size_t removed = 0;
                for (auto id : a->ids) {
                    if (c->remove(id))
                        ++removed;
                    else
                        unknown.push_back(id);
                }
                c->maintain_index();  // reclaims removed vectors when they outnumber the live
                c->save_index();
                std::cout << fmt::format("removed {}; the collection has {} images\n", removed,
                                         c->store().count());
                QISS_CHECK(unknown.empty(), "no image with id {}", fmt::join(unknown, ", "));
                return 0;
            }};
}

}  // namespace qiss::cli
