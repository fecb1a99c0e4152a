// qiss corpus emoji: the multilingual emoji corpus manifest from npm packages.
#include <spdlog/spdlog.h>

#include "cli/commands.h"
#include "corpus/emoji_corpus.h"
#include "corpus/fillers.h"

namespace qiss::cli {

Command register_corpus(CLI::App& app) {
    auto* sub = app.add_subcommand("corpus", "Build a training/evaluation corpus manifest");
    sub->require_subcommand(1);
    auto* emoji = sub->add_subcommand(
        "emoji", "Emoji images (11 drawing styles) + CLDR names in ~170 locales");
    auto o = std::make_shared<EmojiCorpusOptions>();
    emoji->add_option("--out", o->out, "Corpus folder to write (manifest.jsonl, fillers.tsv)")
        ->required();
    emoji->add_option("--node-modules", o->node_modules, "Where npm installed the packages")
        ->capture_default_str();
    emoji
        ->add_option("--val-fraction", o->val_fraction,
                     "Share of identities with two of their drawings held out for validation")
        ->capture_default_str();
    emoji->add_option("--seed", o->seed, "Seed of the validation hold-out")->capture_default_str();
    emoji
        ->add_option("--styles", o->styles,
                     "Extra drawing styles for training, comma-separated, or 'none'")
        ->delimiter(',')
        ->capture_default_str();
    emoji->add_option("--cache", o->cache, "Cache of rasterized style images (default: OUT/cache)");
    emoji->add_option("--threads", o->threads, "Rasterizing threads (0: one per core)")
        ->check(CLI::NonNegativeNumber)
        ->capture_default_str();
    return {sub, [o] {
                if (o->styles == std::vector<std::string>{"none"}) o->styles.clear();
                EmojiCorpusStats st;
                const FillerWords fillers = fillers_from_stopwords_iso(
                    o->node_modules / "stopwords-iso" / "stopwords-iso.json");
                auto entries = build_emoji_corpus(*o, st);
                std::filesystem::create_directories(o->out);
                write_manifest(manifest_path(o->out), entries);
                write_fillers(o->out / kFillersFile, fillers);
                spdlog::info(
                    "wrote {}: {} images of {} identities, {} locales ({} identities "
                    "without captions)",
                    manifest_path(o->out).string(), entries.size(), st.identities, st.locales,
                    st.without_captions);
                for (const auto& [v, n] : st.images_per_vendor)
                    spdlog::info("  vendor {}: {}", v, n);
                for (const auto& [s, n] : st.images_per_split) spdlog::info("  split {}: {}", s, n);
                spdlog::info("  style images: {} rasterized, {} from the cache, {} failed",
                             st.rendered, st.reused, st.failed);
                std::size_t words = 0;
                for (const auto& [_, list] : fillers) words += list.size();
                spdlog::info("wrote {}: {} filler words in {} languages",
                             (o->out / kFillersFile).string(), words, fillers.size());
                return 0;
            }};
}

}  // namespace qiss::cli
