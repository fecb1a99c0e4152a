// Relevance calibration (issue 13): Platt scaling fitted on the validation split and stored in
// the model file; `qiss calibrate`; `relevance` next to `score` and `min_relevance` in the CLI
// and the HTTP API, on real collections built with the tiny model, calibrated and not.
#include <cmath>
#include <random>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "model/calibration.h"
#include "model/model.h"
#include "model/model_file.h"
#include "server_fixture.h"

using namespace qiss;
using namespace qiss::test;

namespace {

const fs::path kTiny = fs::path(QISS_TEST_DATA) / "tiny.qiss";

/// The tiny model with its calibration fitted by `qiss calibrate` (once per test binary).
const fs::path& calibrated_model() {
    static TempDir dir("relevance-model");
    static const fs::path path = [] {
        const fs::path out = dir / "calibrated.qiss";
        auto r = run_qiss(fmt::format("calibrate --model {} --corpus {}/emoji --out {}",
                                      kTiny.string(), QISS_TEST_DATA, out.string()));
        EXPECT_EQ(r.exit_code, 0) << r.output;
        EXPECT_NE(r.output.find("text: relevance 0.5 at score"), std::string::npos) << r.output;
        return out;
    }();
    return path;
}

/// A collection of the first 40 emoji indexed with `model`, in `dir`.
fs::path collection_with(const TempDir& dir, const fs::path& model) {
    const auto files = emoji_files();
    fs::create_directories(dir / "in");
    for (std::size_t i = 0; i < 40; ++i) fs::copy_file(files[i], dir / "in" / files[i].filename());
    const fs::path data = dir / "data";
    auto r = run_qiss(fmt::format("index --data {} --model {} {}", data.string(), model.string(),
                                  (dir / "in").string()));
    EXPECT_EQ(r.exit_code, 0) << r.output;
    return data;
}

/// A collection of the first 40 emoji indexed with the tiny model stripped of its calibration.
fs::path uncalibrated_collection(const TempDir& dir) {
    Model m = Model::load(kTiny);
    m.set_calibration(std::nullopt);
    m.save(dir / "plain.qiss");
    return collection_with(dir, dir / "plain.qiss");
}

/// Checks that every result has a relevance in [0, 1], that it falls with the score, and that
/// each is the calibration's value of the score in a collection of 40 images.
void expect_relevance(const json& answer, const PlattScaling& map) {
    const double prior = collection_prior(40);
    double previous = 2;
    for (const auto& hit : answer["results"]) {
        ASSERT_TRUE(hit.contains("relevance")) << hit.dump();
        const double rel = hit["relevance"].get<double>();
        EXPECT_GE(rel, 0.0);
        EXPECT_LE(rel, 1.0);
        EXPECT_LE(rel, previous + 1e-6) << "relevance falls with the score";
        EXPECT_NEAR(rel, map.relevance(hit["score"].get<double>(), prior), 1e-5);
        previous = rel;
    }
}

/// The relevances of an answer's results.
std::vector<double> relevances(const json& answer) {
    std::vector<double> out;
    for (const auto& hit : answer["results"]) out.push_back(hit["relevance"].get<double>());
    return out;
}

}  // namespace

TEST(Relevance, PlattFitRecoversAKnownMapAndNeedsBothKindsOfPair) {
    std::mt19937 rng(5);
    std::uniform_real_distribution<float> score(-0.2f, 0.9f);
    std::uniform_real_distribution<double> coin(0, 1);
    const PlattScaling truth{12.0, -6.0};
    std::vector<float> scores, labels;
    for (int i = 0; i < 40000; ++i) {
        scores.push_back(score(rng));
        labels.push_back(coin(rng) < truth.relevance(scores.back()) ? 1.0f : 0.0f);
    }
    const PlattScaling fit = fit_platt(scores, labels, std::vector<double>(scores.size(), 1.0));
    EXPECT_NEAR(fit.a, truth.a, 1.0);
    EXPECT_NEAR(fit.b, truth.b, 0.5);
    EXPECT_NEAR(fit.relevance(fit.score_for(0.9)), 0.9, 1e-9);
    EXPECT_NEAR(fit.relevance(fit.score_for(0.25, -4), -4), 0.25, 1e-9);
    // A larger collection holds more near misses: the same score is less likely the one.
    EXPECT_DOUBLE_EQ(collection_prior(2), 0.0);
    EXPECT_NEAR(collection_prior(101), -std::log(100.0), 1e-12);
    EXPECT_LT(fit.relevance(0.6, collection_prior(100000)),
              fit.relevance(0.6, collection_prior(100)));
    const PlattScaling steep{50, 0};
    EXPECT_DOUBLE_EQ(steep.relevance(-100), 0.0);  // no overflow far out
    EXPECT_DOUBLE_EQ(steep.relevance(100), 1.0);

    std::vector<float> ones(10, 1.0f), some(10, 0.5f);
    EXPECT_NE(error_of([&] {
                  fit_platt(some, ones, std::vector<double>(10, 1.0));
              }).find("relevant and irrelevant pairs"),
              std::string::npos);
    // Relevance that falls with the score is no calibration.
    std::vector<float> s = {0.1f, 0.2f, 0.8f, 0.9f}, l = {1, 1, 0, 0};
    EXPECT_NE(error_of([&] {
                  fit_platt(s, l, std::vector<double>(4, 100.0));
              }).find("does not rise with the score"),
              std::string::npos);
}

TEST(Relevance, TheModelFileKeepsItsCalibrationAndRefusesABadOne) {
    Model m = Model::load(kTiny);
    Calibration c;
    c.text = PlattScaling{10, -5};
    c.image = PlattScaling{20, -15};
    c.fitted_on = {{"split", "val"}};
    m.set_calibration(c);
    const Model back = Model::from_bytes(m.to_bytes(), "round trip");
    ASSERT_TRUE(back.calibration().has_value());
    EXPECT_DOUBLE_EQ(back.calibration()->text->a, 10);
    EXPECT_DOUBLE_EQ(back.calibration()->image->b, -15);
    EXPECT_EQ(back.calibration()->fitted_on["split"], "val");

    m.set_calibration(std::nullopt);
    EXPECT_FALSE(Model::from_bytes(m.to_bytes(), "none").calibration().has_value());

    // A calibration whose relevance falls with the score is refused when the file is read.
    ModelFileContents contents = decode_model_file(m.to_bytes(), "tiny");
    contents.header["calibration"] = {{"text", {{"a", -3.0}, {"b", 1.0}}}};
    const std::string message =
        error_of([&] { Model::from_bytes(encode_model_file(contents), "bad.qiss"); });
    EXPECT_NE(message.find("bad.qiss"), std::string::npos) << message;
    EXPECT_NE(message.find("text calibration is invalid"), std::string::npos) << message;
}

TEST(RelevanceCli, CalibrateThenSearchWithMinRelevance) {
    const Model model = Model::load(calibrated_model());
    ASSERT_TRUE(model.calibration() && model.calibration()->text && model.calibration()->image);
    EXPECT_GT(model.calibration()->text->a, 0);
    EXPECT_EQ(model.calibration()->fitted_on["split"], "val");
    EXPECT_GT(model.calibration()->fitted_on["text"]["relevant_pairs"].get<int>(), 0);
    EXPECT_EQ(model.calibration()->fitted_on["text"]["sampled_other_pairs"].get<int>(),
              100 * model.calibration()->fitted_on["text"]["queries"].get<int>());

    TempDir dir("relevance-cli");
    const fs::path data = collection_with(dir, calibrated_model());
    const std::string search = "search --json --data " + data.string();
    auto all = run_qiss(search + " --text cat -k 40", false);
    ASSERT_EQ(all.exit_code, 0) << all.output;
    const json everything = json::parse(all.output);
    ASSERT_EQ(everything["results"].size(), 40u);
    expect_relevance(everything, *model.calibration()->text);

    // The cut keeps exactly the results at or above it (relevance falls with the rank).
    const std::vector<double> rel = relevances(everything);
    const double cut = rel[rel.size() / 2];
    const auto kept = static_cast<std::size_t>(
        std::count_if(rel.begin(), rel.end(), [&](double r) { return r >= cut - 1e-6; }));
    auto some = run_qiss(
        fmt::format("{} --text cat -k 40 --min-relevance {:.6f}", search, cut - 1e-6), false);
    ASSERT_EQ(some.exit_code, 0) << some.output;
    const json filtered = json::parse(some.output);
    EXPECT_EQ(filtered["results"].size(), kept);
    EXPECT_FALSE(filtered.contains("next")) << "a cut page is the last";
    for (const auto& hit : filtered["results"])
        EXPECT_GE(hit["relevance"].get<double>(), cut - 1e-5);

    // Image queries use the image calibration.
    auto by_id = run_qiss(search + " --id 1 -k 10", false);
    ASSERT_EQ(by_id.exit_code, 0) << by_id.output;
    expect_relevance(json::parse(by_id.output), *model.calibration()->image);

    auto bad = run_qiss(search + " --text cat --min-relevance 1.5");
    EXPECT_NE(bad.exit_code, 0);
    EXPECT_NE(bad.output.find("min-relevance"), std::string::npos) << bad.output;
}

TEST(RelevanceCli, CalibrateOnAHeldOutStyleAndGiveItsMapsToAnotherModel) {
    TempDir dir("relevance-vendor");
    const std::string base = fmt::format("calibrate --model {} --corpus {}/emoji --locales en,fr",
                                         kTiny.string(), QISS_TEST_DATA);
    const fs::path google = dir / "google.qiss";
    auto r = run_qiss(fmt::format("{} --vendor google --out {}", base, google.string()));
    ASSERT_EQ(r.exit_code, 0) << r.output;
    const Model fitted = Model::load(google);
    ASSERT_TRUE(fitted.calibration() && fitted.calibration()->text && fitted.calibration()->image);
    const json& on = fitted.calibration()->fitted_on;
    EXPECT_EQ(on["vendor"], "google");
    EXPECT_EQ(on["query_vendor"], "apple");
    EXPECT_FALSE(on.contains("split"));
    EXPECT_EQ(on["locales"], json({"en", "fr"}));
    // Every google image is the gallery; a query per identity and locale, one per apple image.
    const int images = on["images"].get<int>();
    EXPECT_GT(images, 1000);
    EXPECT_EQ(on["text"]["queries"].get<int>(), on["text"]["relevant_pairs"].get<int>())
        << "one relevant google image per caption";
    EXPECT_GT(on["text"]["queries"].get<int>(), images) << "captions in two locales";
    EXPECT_GT(on["image"]["queries"].get<int>(), images / 2);
    EXPECT_LE(on["image"]["queries"].get<int>(), images);

    // The maps, printed as the options take them, give another model the same calibration.
    const auto flag = [&](const std::string& name) {
        const auto at = r.output.find("--" + name + " ");
        EXPECT_NE(at, std::string::npos) << r.output;
        const auto start = at + name.size() + 3;
        return r.output.substr(start, r.output.find(')', start) - start);
    };
    const fs::path copy = dir / "copy.qiss";
    auto by_hand =
        run_qiss(fmt::format("calibrate --model {} --text-map {} --image-map {} --out {}",
                             kTiny.string(), flag("text-map"), flag("image-map"), copy.string()));
    ASSERT_EQ(by_hand.exit_code, 0) << by_hand.output;
    const Model copied = Model::load(copy);
    EXPECT_NEAR(copied.calibration()->text->a, fitted.calibration()->text->a,
                1e-5 * std::abs(fitted.calibration()->text->a));
    EXPECT_NEAR(copied.calibration()->image->b, fitted.calibration()->image->b,
                1e-5 * std::abs(fitted.calibration()->image->b) + 1e-9);

    // Clear errors, nothing written.
    for (const auto& [args, expected] : std::vector<std::pair<std::string, std::string>>{
             {"--vendor google --query-vendor google", "must differ"},
             {"--vendor nosuchstyle", "vendor nosuchstyle"},
             {"--vendor google --query-vendor nosuchstyle", "nosuchstyle has no image"}}) {
        const fs::path out = dir / "bad.qiss";
        auto bad = run_qiss(fmt::format("{} {} --out {}", base, args, out.string()));
        EXPECT_NE(bad.exit_code, 0) << args;
        EXPECT_NE(bad.output.find(expected), std::string::npos) << args << ": " << bad.output;
        EXPECT_FALSE(fs::exists(out)) << args;
    }
    auto no_corpus = run_qiss("calibrate --model " + kTiny.string() + " --vendor google");
    EXPECT_NE(no_corpus.exit_code, 0);
    EXPECT_NE(no_corpus.output.find("--corpus"), std::string::npos) << no_corpus.output;
}

TEST(RelevanceCli, AModelWithoutCalibrationHasNoRelevanceAndSaysHowToGetOne) {
    TempDir dir("relevance-none");
    const fs::path data = uncalibrated_collection(dir);
    auto r = run_qiss("search --json --data " + data.string() + " --text cat -k 5", false);
    ASSERT_EQ(r.exit_code, 0) << r.output;
    const json answer = json::parse(r.output);
    for (const auto& hit : answer["results"]) EXPECT_FALSE(hit.contains("relevance"));
    auto cut = run_qiss("search --data " + data.string() + " --text cat --min-relevance 0.5");
    EXPECT_NE(cut.exit_code, 0);
    EXPECT_NE(cut.output.find("qiss calibrate"), std::string::npos) << cut.output;
}

TEST(RelevanceApi, MinRelevanceInEveryFormOfSearch) {
    TempDir dir("relevance-api");
    const fs::path data = collection_with(dir, calibrated_model());
    ServeProcess serve(data, dir.path());
    ASSERT_GT(serve.wait_port(), 0) << serve.output();
    auto cli = serve.client();
    const Model model = Model::load(calibrated_model());

    const json all = parse(cli.Get("/api/search?q=cat&k=40"));
    expect_relevance(all, *model.calibration()->text);
    const std::vector<double> rel = relevances(all);
    const double cut = rel[rel.size() / 3] - 1e-6;
    const auto kept = static_cast<std::size_t>(
        std::count_if(rel.begin(), rel.end(), [&](double r) { return r >= cut; }));

    const json by_get =
        parse(cli.Get(fmt::format("/api/search?q=cat&k=40&min_relevance={:.7f}", cut)));
    EXPECT_EQ(by_get["results"].size(), kept);
    EXPECT_NEAR(by_get["query"]["min_relevance"].get<double>(), cut, 1e-6);
    const json by_json = parse(
        cli.Post("/api/search", json{{"text", "cat"}, {"k", 40}, {"min_relevance", cut}}.dump(),
                 "application/json"));
    EXPECT_EQ(by_json["results"].size(), kept);
    const json similar = parse(cli.Get("/api/images/1/similar?k=10&min_relevance=0"));
    expect_relevance(similar, *model.calibration()->image);
    EXPECT_EQ(similar["results"].size(), 10u) << "a cut at 0 keeps everything";

    expect_error(cli.Get("/api/search?q=cat&min_relevance=1.5"), 400, "min_relevance");
    expect_error(cli.Get("/api/search?q=cat&min_relevance=high"), 400, "min_relevance");
    expect_error(
        cli.Post("/api/search", R"({"text":"cat","min_relevance":"high"})", "application/json"),
        400, "min_relevance");
    expect_error(
        cli.Post("/api/search", R"({"text":"cat","min_relevance":-0.1})", "application/json"), 400,
        "min_relevance");
}

TEST(RelevanceApi, MinRelevanceWithoutCalibrationIsAClientError) {
    TempDir dir("relevance-api-none");
    const fs::path data = uncalibrated_collection(dir);
    ServeProcess serve(data, dir.path());
    ASSERT_GT(serve.wait_port(), 0) << serve.output();
    auto cli = serve.client();
    const json plain = parse(cli.Get("/api/search?q=cat&k=5"));
    for (const auto& hit : plain["results"]) EXPECT_FALSE(hit.contains("relevance"));
    expect_error(cli.Get("/api/search?q=cat&min_relevance=0.5"), 400, "qiss calibrate");
}
