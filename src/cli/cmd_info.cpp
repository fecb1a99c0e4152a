// qiss info: what a collection holds.
#include <iostream>

#include <fmt/format.h>

#include "cli/commands.h"
#include "engine/collection.h"

namespace qiss::cli {

Command register_info(CLI::App& app) {
    auto* sub = app.add_subcommand("info", "Counts, model, index type and sizes of a collection");
    struct Args {
        std::string data;
        bool json = false;
        double map_size_gb = 64;
    };
    auto a = std::make_shared<Args>();
    sub->add_option("--data", a->data, "Collection folder")
        ->required()
        ->check(CLI::ExistingDirectory);
    sub->add_flag("--json", a->json, "Print one JSON object");
    add_map_size_option(sub, a->map_size_gb);
    return {sub, [a] {
                CollectionOptions co;
                co.read_only = true;
                co.store_map_size = map_size_bytes(a->map_size_gb);
                auto c = Collection::open(a->data, co);
                CollectionInfo i = c->info();
                if (a->json) {
                    std::cout << nlohmann::json{{"images", i.images},
                                                {"index_vectors", i.index_vectors},
                                                {"index_tombstones", i.index_tombstones},
                                                {"index_factory", i.index_factory},
                                                {"keyword_images", i.keyword_images},
                                                {"has_text", i.has_text},
                                                {"dim", c->dim()},
                                                {"model", i.model_path},
                                                {"model_fingerprint", i.model_fingerprint},
                                                {"store_bytes", i.store_bytes},
                                                {"index_bytes", i.index_bytes},
                                                {"model_bytes", i.model_bytes}}
                                     .dump()
                              << std::endl;
                    return 0;
                }
                auto mb = [](std::uint64_t b) { return static_cast<double>(b) / 1e6; };
                std::cout << fmt::format(
                    "collection  {}\nimages      {}\nindex       {} ({} vectors, {} removed, dim "
                    "{})\nkeywords "
                    "   {} images{}\nmodel       {} (sha256 {}…)\non disk     store {:.1f} MB, "
                    "index {:.1f} MB, model {:.1f} MB\n",
                    a->data, i.images, i.index_factory, i.index_vectors, i.index_tombstones,
                    c->dim(), i.keyword_images,
                    i.has_text ? " (with captions or tags: text queries are hybrid)" : "",
                    i.model_path, i.model_fingerprint.substr(0, 12), mb(i.store_bytes),
                    mb(i.index_bytes), mb(i.model_bytes));
                return 0;
            }};
}

}  // namespace qiss::cli
