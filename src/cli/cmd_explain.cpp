// qiss explain: why a stored image answers a text query (engine/explain.h).
#include <iostream>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "cli/commands.h"
#include "engine/collection.h"
#include "engine/explain.h"
#include "server/answer_json.h"

namespace qiss::cli {

Command register_explain(CLI::App& app) {
    auto* sub = app.add_subcommand(
        "explain",
        "Why an image answers a text query: its score, relevance, and each word's share");
    struct Args {
        std::string data, text;
        std::uint64_t id = 0;
        bool json = false;
        double map_size_gb = 64;
        std::optional<float> word_weight;
    };
    auto a = std::make_shared<Args>();
    sub->add_option("--data", a->data, "Collection folder")
        ->required()
        ->check(CLI::ExistingDirectory);
    sub->add_option("--text", a->text, "The text query")->required();
    sub->add_option("--id", a->id, "The stored image")->required();
    sub->add_flag("--json", a->json, "Print one JSON object (as GET /api/images/{id}/explain)");
    add_map_size_option(sub, a->map_size_gb);
    add_word_weight_option(sub, a->word_weight);
    return {sub, [a] {
                CollectionOptions co;
                co.read_only = true;
                co.store_map_size = map_size_bytes(a->map_size_gb);
                co.word_weight = a->word_weight;
                auto c = Collection::open(a->data, co);
                const Explanation e = explain_text(*c, a->text, a->id);
                if (a->json) {
                    std::cout << to_json(e).dump() << std::endl;
                    return 0;
                }
                std::cout << fmt::format(
                    "image {}: score {:.4f}{}\n", e.id, e.score,
                    e.relevance ? fmt::format(", relevance {:.2f}", *e.relevance) : "");
                if (e.scored_by)
                    std::cout << fmt::format(
                        "from the word \"{}\" on its own (cosine with the query {:.4f})\n",
                        *e.scored_by, e.query_score);
                if (!e.caption.empty()) std::cout << fmt::format("caption: \"{}\"\n", e.caption);
                std::cout << fmt::format("language: {} ({})\n", e.language.name, e.language.code);
                for (const WordInfluence& w : e.words)
                    std::cout << fmt::format(
                        "  {:<20} {}{}\n", w.word,
                        w.influence ? fmt::format("{:+.4f}", *w.influence) : std::string("   -   "),
                        w.in_caption ? "  (in the caption)" : "");
                std::cout << fmt::format(
                    "words found in its caption, tags or file name: {}\n",
                    e.keyword_matches.empty()
                        ? std::string("none")
                        : fmt::format("{}", fmt::join(e.keyword_matches, ", ")));
                return 0;
            }};
}

}  // namespace qiss::cli
