// qiss eval: recall on the held-out gallery (the twitter images of the emoji corpus).
#include <filesystem>
#include <iostream>
#include <sstream>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include "cli/commands.h"
#include "common/error.h"
#include "corpus/manifest.h"
#include "eval/retrieval_eval.h"

namespace qiss::cli {

namespace {

void print_markdown(const EvalReport& r) {
    const auto& m = r.text_to_image_mean;
    const auto& i = r.image_to_image;
    const auto& l = r.text_to_image_mean_large;
    std::cout << fmt::format(
        "Gallery ({}): {} images. Text→image: the locale's primary name as the query.\n\n"
        "| | R@1 | R@5 | R@10 | median rank |\n|---|---|---|---|---|\n"
        "| text→image, mean of {} locales | {:.3f} | {:.3f} | {:.3f} | {:.1f} |\n"
        "| text→image, mean of the {} locales with ≥ 1,000 queries | {:.3f} | {:.3f} | {:.3f} | "
        "{:.1f} |\n"
        "| image→image ({} queries) | {:.3f} | {:.3f} | {:.3f} | |\n"
        "| image→image, skin-tone variants merged | {:.3f} | {:.3f} | {:.3f} | |\n\n",
        r.gallery, r.gallery_size, r.text_to_image.size(), m.r1, m.r5, m.r10, m.median_rank,
        r.large_locales, l.r1, l.r5, l.r10, l.median_rank, i.queries, i.r1, i.r5, i.r10,
        r.image_to_image_merged.r1, r.image_to_image_merged.r5, r.image_to_image_merged.r10);
    std::cout << "| locale | R@1 | R@5 | R@10 | median rank | pieces/query | `<unk>` | bytes | "
                 "truncated |\n|---|---|---|---|---|---|---|---|---|\n";
    for (const auto& [loc, s] : r.text_to_image) {
        const TokenStats& t = r.tokens.at(loc);
        std::cout << fmt::format(
            "| {} | {:.3f} | {:.3f} | {:.3f} | {:.1f} | {:.1f} | {:.1f} % | {:.1f} % | {:.1f} % "
            "|\n",
            loc, s.r1, s.r5, s.r10, s.median_rank, t.mean_pieces, 100 * t.unk_rate,
            100 * t.byte_rate, 100 * t.truncated_rate);
    }
}

/// The relevance cuts (a calibrated model): per cut, precision and survival, pooled over all
/// locales, for the locales named in `rows`, and for image queries.
void print_relevance(const RelevanceReport& r, bool markdown) {
    std::vector<std::pair<std::string, const std::vector<CutStats>*>> rows = {
        {"text, all locales", &r.text_all}};
    for (const char* loc : {"en", "fr", "de", "es", "ja", "zh", "ru", "ar"})
        if (auto it = r.text.find(loc); it != r.text.end()) rows.emplace_back(loc, &it->second);
    if (!r.image.empty()) rows.emplace_back("image->image", &r.image);
    std::string header = "| queries |", rule = "|---|";
    for (double c : relevance_cuts()) {
        header += fmt::format(" ≥ {:g}: precision / survival / shown |", c);
        rule += "---|";
    }
    std::cout << (markdown ? "\n" : "\nrelevance cuts (top 10; precision / survival / shown)\n")
              << header << "\n"
              << rule << "\n";
    for (const auto& [name, cuts] : rows) {
        std::string line = "| " + name + " |";
        for (const auto& c : *cuts)
            line += fmt::format(" {:.2f} / {:.2f} / {:.1f} |", c.precision, c.survival, c.shown);
        std::cout << line << "\n";
    }
}

}  // namespace

Command register_eval(CLI::App& app) {
    auto* sub = app.add_subcommand("eval", "Evaluate a model on the corpus's test gallery");
    struct Args {
        std::string model, corpus, locales, query_vendor = "apple", gallery_vendor, dump;
        bool json = false, markdown = false;
        int threads = 0;
    };
    auto a = std::make_shared<Args>();
    sub->add_option("--model", a->model, "Model file")->required();
    sub->add_option("--corpus", a->corpus, "Corpus folder (manifest.jsonl) or manifest file")
        ->required();
    sub->add_option("--locales", a->locales, "Comma-separated locales to query (default: all)");
    sub->add_option("--query-vendor", a->query_vendor, "Vendor of the image->image queries")
        ->capture_default_str();
    sub->add_option("--gallery-vendor", a->gallery_vendor,
                    "Gallery = every image of this vendor (a style held out of training with "
                    "`qiss train --exclude-vendors`) instead of the test split");
    sub->add_flag("--json", a->json, "Print one JSON object");
    sub->add_flag("--markdown", a->markdown, "Print Markdown tables (for the model card)");
    sub->add_option("--threads", a->threads, "Threads (0 = all cores)");
    sub->add_option("--dump", a->dump,
                    "Also write the embeddings behind the report into this folder (NumPy .npy "
                    "and .tsv per query set and for the gallery; docs/format.md)");
    return {sub, [a] {
                if (a->threads > 0) torch::set_num_threads(a->threads);
                QISS_CHECK(a->dump.empty() || !std::filesystem::exists(a->dump) ||
                               std::filesystem::is_directory(a->dump),
                           "--dump {}: a file of that name exists (give a folder)", a->dump);
                Model model = Model::load(a->model);
                Manifest manifest = read_manifest(resolve_manifest(a->corpus));
                EvalOptions opt;
                opt.query_vendor = a->query_vendor;
                opt.gallery_vendor = a->gallery_vendor;
                opt.dump_dir = a->dump;
                std::stringstream ss(a->locales);
                for (std::string l; std::getline(ss, l, ',');)
                    if (!l.empty()) opt.locales.push_back(l);
                EvalReport r = evaluate(model, manifest.entries, opt);
                if (a->json) {
                    std::cout << r.to_json().dump() << std::endl;
                    return 0;
                }
                if (a->markdown) {
                    print_markdown(r);
                    if (r.relevance) print_relevance(*r.relevance, true);
                    return 0;
                }
                std::cout << fmt::format(
                    "gallery ({}): {} images\n{:<16} {:>7} {:>6} {:>6} {:>6} {:>7} {:>6} {:>6}\n",
                    r.gallery, r.gallery_size, "locale", "queries", "R@1", "R@5", "R@10", "median",
                    "unk%", "trunc%");
                for (const auto& [loc, s] : r.text_to_image) {
                    const TokenStats& t = r.tokens.at(loc);
                    std::cout << fmt::format(
                        "{:<16} {:>7} {:>6.3f} {:>6.3f} {:>6.3f} {:>7.1f} {:>6.1f} {:>6.1f}\n", loc,
                        s.queries, s.r1, s.r5, s.r10, s.median_rank, 100 * t.unk_rate,
                        100 * t.truncated_rate);
                }
                const auto& m = r.text_to_image_mean;
                std::cout << fmt::format("{:<16} {:>7} {:>6.3f} {:>6.3f} {:>6.3f} {:>7.1f}\n",
                                         "MEAN (locales)", m.queries, m.r1, m.r5, m.r10,
                                         m.median_rank);
                const auto& i = r.image_to_image;
                std::cout << fmt::format(
                    "image->image ({} queries): R@1 {:.3f} R@5 {:.3f} R@10 {:.3f} (skin tones "
                    "merged: R@1 {:.3f})\n",
                    i.queries, i.r1, i.r5, i.r10, r.image_to_image_merged.r1);
                if (r.relevance) print_relevance(*r.relevance, false);
                return 0;
            }};
}

}  // namespace qiss::cli
