// qiss calibrate: fits a model's relevance calibration on a corpus's validation split, or on a
// drawing style the model never saw, and writes the model with it (docs/api.md, "Relevance").
#include <charconv>
#include <cmath>
#include <iostream>

#include <fmt/format.h>
#include <torch/torch.h>

#include "cli/commands.h"
#include "common/error.h"
#include "corpus/manifest.h"
#include "eval/calibration_fit.h"

namespace qiss::cli {
namespace {

/// "A,B" -> the map relevance = 1 / (1 + exp(-(A·score + B))); A must be > 0.
PlattScaling parse_map(const std::string& option, const std::string& text) {
    const auto comma = text.find(',');
    double a = 0, b = 0;
    const char* end = text.data() + text.size();
    const auto ra = std::from_chars(text.data(), text.data() + std::min(comma, text.size()), a);
    const auto rb =
        comma == std::string::npos ? ra : std::from_chars(text.data() + comma + 1, end, b);
    QISS_CHECK(
        comma != std::string::npos && ra.ec == std::errc() && ra.ptr == text.data() + comma &&
            rb.ec == std::errc() && rb.ptr == end && a > 0 && std::isfinite(a) && std::isfinite(b),
        "{} {}: expected A,B with A > 0 (relevance = 1 / (1 + exp(-(A*score + B))))", option, text);
    return {a, b};
}

}  // namespace

Command register_calibrate(CLI::App& app) {
    auto* sub = app.add_subcommand(
        "calibrate",
        "Fit the score -> relevance calibration of a model on a corpus's validation split, or on "
        "a drawing style it was trained without (--vendor)");
    struct Args {
        std::string model, corpus, out, text_map, image_map, vendor, query_vendor = "apple";
        std::vector<std::string> locales;
        int negatives = 100, threads = 0;
    };
    auto a = std::make_shared<Args>();
    sub->add_option("--model", a->model, "Model file")->required();
    auto* corpus =
        sub->add_option("--corpus", a->corpus,
                        "Corpus folder (manifest.jsonl) or manifest file; its val split is used");
    auto* text_map = sub->add_option("--text-map", a->text_map,
                                     "Set the text map by hand instead of fitting: A,B "
                                     "(relevance = 1 / (1 + exp(-(A*score + B))))");
    auto* image_map =
        sub->add_option("--image-map", a->image_map, "Set the image map by hand (A,B)");
    auto* vendor = sub->add_option(
        "--vendor", a->vendor,
        "Fit on every image of this vendor (a drawing style the model was trained without, "
        "--exclude-vendors) instead of the val split");
    sub->add_option("--query-vendor", a->query_vendor,
                    "With --vendor: the vendor whose images are the image queries")
        ->capture_default_str();
    auto* locales = sub->add_option("--locales", a->locales,
                                    "Text queries in these locales only (default: every locale)")
                        ->delimiter(',');
    text_map->needs(image_map);
    image_map->needs(text_map);
    locales->needs(corpus);
    corpus->excludes(text_map);
    vendor->needs(corpus);
    sub->add_option("--out", a->out, "Write the calibrated model here (default: over --model)");
    sub->add_option("--negatives", a->negatives, "Irrelevant pairs sampled per query")
        ->check(CLI::Range(1, 1000))
        ->capture_default_str();
    sub->add_option("--threads", a->threads, "Threads (0 = all cores)");
    return {sub, [a] {
                if (a->threads > 0) torch::set_num_threads(a->threads);
                Model model = Model::load(a->model);
                Calibration c;
                if (!a->text_map.empty()) {
                    c.text = parse_map("--text-map", a->text_map);
                    c.image = parse_map("--image-map", a->image_map);
                    c.fitted_on = {{"set_by_hand", true}};
                } else {
                    QISS_CHECK(!a->corpus.empty(),
                               "give --corpus (to fit on its val split) or --text-map and "
                               "--image-map");
                    Manifest manifest = read_manifest(resolve_manifest(a->corpus));
                    CalibrationFitOptions o;
                    o.negatives = a->negatives;
                    o.gallery_vendor = a->vendor;
                    o.query_vendor = a->query_vendor;
                    o.locales = a->locales;
                    c = fit_calibration(model, manifest.entries, o);
                }
                model.set_calibration(c);
                model.save(a->out.empty() ? a->model : a->out);
                // Where the cut of 0.5 falls for two collection sizes, and the maps as --text-map
                // and --image-map take them (to give them to another model).
                const double small = collection_prior(1000), large = collection_prior(100000);
                std::cout << fmt::format(
                    "text: relevance 0.5 at score {:.3f} in 1,000 images, {:.3f} in 100,000 "
                    "(--text-map {},{})\n"
                    "image: relevance 0.5 at score {:.3f} in 1,000 images, {:.3f} in 100,000 "
                    "(--image-map {},{})\n"
                    "wrote {}\n",
                    c.text->score_for(0.5, small), c.text->score_for(0.5, large), c.text->a,
                    c.text->b, c.image->score_for(0.5, small), c.image->score_for(0.5, large),
                    c.image->a, c.image->b, a->out.empty() ? a->model : a->out);
                return 0;
            }};
}

}  // namespace qiss::cli
