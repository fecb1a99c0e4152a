// qiss index: ingest folders, manifests, files and URLs into a collection.
#include <unistd.h>

#include <iostream>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "cli/commands.h"
#include "common/error.h"
#include "engine/collection.h"
#include "ingest/ingester.h"

namespace qiss::cli {

Command register_index(CLI::App& app) {
    auto* sub = app.add_subcommand("index", "Add images to a collection (DATADIR)");
    struct Args {
        std::string data, model, factory;
        std::vector<std::string> sources;
        IngestOptions ingest;
        double max_file_mb = 64;
        double map_size_gb = 64;
    };
    auto a = std::make_shared<Args>();
    sub->add_option("--data", a->data, "Collection folder (created if missing)")->required();
    sub->add_option("--model", a->model,
                    "Model file (default: the collection's, or the shipped default model)");
    sub->add_option("--index", a->factory,
                    "FAISS index factory string (default: chosen from the collection size)");
    sub->add_option("--batch", a->ingest.batch_size, "Images embedded per batch")
        ->check(CLI::Range(1, 4096))
        ->capture_default_str();
    sub->add_option("--decode-threads", a->ingest.decode_threads,
                    "Reader/decoder threads (0 = one per core)");
    sub->add_option("--embed-threads", a->ingest.embed_threads,
                    "Threads embedding batches side by side (0 = cores / --threads)")
        ->check(CLI::NonNegativeNumber);
    sub->add_option("--threads", a->ingest.threads_per_embed, "Cores each embedding thread uses")
        ->check(CLI::Range(1, 1024))
        ->capture_default_str();
    sub->add_option("--max-file-mb", a->max_file_mb, "Larger files are skipped")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    sub->add_option("--max-pixels", a->ingest.decode.max_pixels,
                    "Images with more pixels are skipped (decompression bombs)")
        ->capture_default_str();
    sub->add_option("--max-jpeg-scans", a->ingest.decode.max_jpeg_scans,
                    "JPEGs with more scans are skipped (progressive scan bombs)")
        ->check(CLI::Range(1, 100000))
        ->capture_default_str();
    add_map_size_option(sub, a->map_size_gb);
    sub->add_option("sources", a->sources, "Folders, .jsonl manifests, image files, http(s) URLs")
        ->required();
    return {sub, [a] {
                a->ingest.decode.max_file_bytes = static_cast<std::uint64_t>(a->max_file_mb * 1e6);
                a->ingest.fetch.max_bytes = a->ingest.decode.max_file_bytes;
                a->ingest.progress_bar = ::isatty(STDERR_FILENO);
                CollectionOptions co;
                co.model = a->model;
                co.index_factory = a->factory;
                co.store_map_size = map_size_bytes(a->map_size_gb);
                auto collection = Collection::open(a->data, co);
                std::vector<SourceProblem> problems;
                auto items = expand_sources(a->sources, problems);
                const auto errors_file = std::filesystem::path(a->data) / "ingest-errors.jsonl";
                spdlog::info("{} images to consider from {} source(s)", items.size(),
                             a->sources.size());
                IngestSummary s = ingest(*collection, items, a->ingest, errors_file);
                for (const auto& p : problems) {
                    spdlog::warn("skipped source {}: {}", p.source, p.message);
                    s.errors.push_back({p.source, p.source + ": " + p.message});
                    ++s.skipped;
                }
                std::cout << fmt::format(
                    "added {}, duplicates {}, skipped {} in {:.1f} s ({:.0f} images/s); the "
                    "collection has {} images\n",
                    s.added, s.duplicates, s.skipped, s.seconds,
                    s.seconds > 0 ? static_cast<double>(s.added + s.duplicates) / s.seconds : 0.0,
                    collection->store().count());
                const std::size_t shown = 20;
                for (std::size_t i = 0; i < s.errors.size() && i < shown; ++i)
                    std::cout << fmt::format("  skipped: {}\n", s.errors[i].message);
                if (s.errors.size() > shown)
                    std::cout << fmt::format("  … and {} more\n", s.errors.size() - shown);
                if (!s.errors.empty())
                    std::cout << fmt::format("  (every skipped file is listed in {})\n",
                                             errors_file.string());
                // Nothing usable at all is an error; a few bad files in a big folder are not.
                QISS_CHECK(!(items.empty() && !problems.empty()),
                           "no image could be read from the given sources");
                return 0;
            }};
}

}  // namespace qiss::cli
