// Combined queries ("terms": texts, images and stored ids with weights, negative ones too)
// through validate_query, the CLI (`qiss search --text … --id …:WEIGHT`) and the HTTP API
// (`{"terms": […]}` and a multipart `terms` field naming the form's image parts), on the real
// server over a collection built with the tiny model. The scores of a combined answer are
// checked against the scores of its terms asked alone: with unit vectors u_t, a combined query
// searches for Σ w_t·u_t / |Σ w_t·u_t|, so each hit's score is Σ w_t·s_t(hit) / that norm.
#include <cmath>
#include <map>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "common/error.h"
#include "engine/query_spec.h"
#include "server_fixture.h"

using namespace qiss;
using namespace qiss::test;

namespace {

/// id → score of every result of an answer.
std::map<std::uint64_t, double> scores_of(const json& answer) {
    std::map<std::uint64_t, double> out;
    for (const auto& r : answer["results"])
        out[r["id"].get<std::uint64_t>()] = r["score"].get<double>();
    return out;
}

/// Checks each hit of `combined` against Σ w·s / norm, where `alone[i]` holds term i's scores
/// over the whole collection (1 for the term's own id) and `weights[i]` its weight.
void expect_combined_scores(const json& combined,
                            const std::vector<std::map<std::uint64_t, double>>& alone,
                            const std::vector<double>& weights, double norm) {
    ASSERT_FALSE(combined["results"].empty()) << combined.dump();
    double previous = 2;
    for (const auto& r : combined["results"]) {
        const auto id = r["id"].get<std::uint64_t>();
        double want = 0;
        for (std::size_t t = 0; t < alone.size(); ++t) {
            ASSERT_TRUE(alone[t].count(id)) << "term " << t << " has no score for " << id;
            want += weights[t] * alone[t].at(id);
        }
        EXPECT_NEAR(r["score"].get<double>(), want / norm, 2e-4) << "id " << id;
        EXPECT_LE(r["score"].get<double>(), previous + 1e-6) << "best first";
        previous = r["score"].get<double>();
    }
}

Query terms_query(std::vector<QueryTerm> terms) {
    Query q;
    q.kind = Query::Kind::Terms;
    q.terms = std::move(terms);
    return q;
}

QueryTerm text_term(const std::string& text, float weight) {
    QueryTerm t;
    t.kind = QueryTerm::Kind::Text;
    t.text = text;
    t.weight = weight;
    return t;
}

}  // namespace

TEST(Terms, ValidateRejectsWhatCannotRun) {
    const QueryLimits limits;
    EXPECT_NO_THROW(validate_query(terms_query({text_term("beach", 1), text_term("people", -1)})));
    const auto error = [&](const Query& q) {
        return test::error_of([&] { validate_query(q, limits); });
    };
    EXPECT_NE(error(terms_query({})).find("at least one term"), std::string::npos);
    EXPECT_NE(error(terms_query(std::vector<QueryTerm>(9, text_term("cat", 1))))
                  .find("has 9 terms; the limit is 8"),
              std::string::npos);
    EXPECT_NE(error(terms_query({text_term("cat", 0), text_term("dog", 0)})).find("weight 0"),
              std::string::npos);
    EXPECT_NE(error(terms_query({text_term("cat", std::nanf(""))})).find("term 1's weight"),
              std::string::npos);
    EXPECT_NE(error(terms_query({text_term("cat", 1), text_term("dog", -101)}))
                  .find("term 2's weight must be a number between -100 and 100"),
              std::string::npos);
    EXPECT_NE(error(terms_query({text_term("cat", 1), text_term("  ", 1)}))
                  .find("term 2's text is empty"),
              std::string::npos);
    QueryTerm image;
    image.kind = QueryTerm::Kind::Image;
    EXPECT_NE(error(terms_query({image})).find("term 1's image is empty"), std::string::npos);
    // A plain query is one term of weight 1.
    Query plain;
    plain.kind = Query::Kind::Id;
    plain.id = 7;
    const auto one = terms_of(plain);
    ASSERT_EQ(one.size(), 1u);
    EXPECT_EQ(one[0].kind, QueryTerm::Kind::Id);
    EXPECT_EQ(one[0].id, 7u);
    EXPECT_EQ(one[0].weight, 1.0f);
}

TEST(TermsCli, CombinesWeightedTermsAndExcludesTheirIds) {
    TempDir dir("terms-cli");
    const auto files = copy_emoji(dir / "in", 30);
    const fs::path data = dir / "data";
    ASSERT_EQ(run_qiss("index --data " + data.string() + " --model " + std::string(QISS_TEST_DATA) +
                       "/tiny.qiss " + (dir / "in").string())
                  .exit_code,
              0);
    const auto search = [&](const std::string& args) {
        const auto r = run_qiss("search --json -k 30 --data " + data.string() + " " + args, false);
        EXPECT_EQ(r.exit_code, 0) << args << ": " << r.output;
        return json::parse(r.output, nullptr, false);
    };
    const json all = search("--text face");
    ASSERT_EQ(all["results"].size(), 30u) << all.dump();
    EXPECT_EQ(all["query"]["type"], "text");
    const auto a = all["results"][3]["id"].get<std::uint64_t>();
    const auto b = all["results"][11]["id"].get<std::uint64_t>();
    auto sa = scores_of(search(fmt::format("--id {}", a)));
    auto sb = scores_of(search(fmt::format("--id {}", b)));
    const double cos_ab = sa.at(b);
    sa[a] = 1;
    sb[b] = 1;
    // a + 0.5·b: both ids left out of the results, each score the weighted sum over the norm.
    const json ab = search(fmt::format("--id {} --id {}:0.5", a, b));
    EXPECT_EQ(ab["query"]["type"], "terms");
    ASSERT_EQ(ab["query"]["terms"].size(), 2u);
    EXPECT_EQ(ab["query"]["terms"][1]["id"], b);
    EXPECT_DOUBLE_EQ(ab["query"]["terms"][1]["weight"].get<double>(), 0.5);
    EXPECT_EQ(ab["results"].size(), 28u);
    for (const auto& r : ab["results"]) {
        EXPECT_NE(r["id"], a);
        EXPECT_NE(r["id"], b);
    }
    expect_combined_scores(ab, {sa, sb}, {1, 0.5}, std::sqrt(1 + 0.25 + cos_ab));
    // a − "face": a negative text term; its scores from the text search, its language shown.
    auto sface = scores_of(all);
    const json minus = search(fmt::format("--id {} --text face:-1", a));
    EXPECT_EQ(minus["query"]["terms"][1]["language"]["code"], "en") << minus.dump();
    expect_combined_scores(minus, {sa, sface}, {1, -1}, std::sqrt(2 - 2 * sface.at(a)));
    // One term with an explicit weight: the same order as the plain query.
    const json weighted = search(fmt::format("--id {}:3", a));
    const json plain = search(fmt::format("--id {}", a));
    ASSERT_EQ(weighted["results"].size(), plain["results"].size());
    for (std::size_t i = 0; i < plain["results"].size(); ++i)
        EXPECT_EQ(weighted["results"][i]["id"], plain["results"][i]["id"]) << i;
    // The text form lists the terms.
    auto r =
        run_qiss(fmt::format("search -k 2 --data {} --id {} --text face:-0.5", data.string(), a));
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find(fmt::format("term  +1  id {}", a)), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("term  -0.5  text \"face\"  (language: English (en)"),
              std::string::npos)
        << r.output;
    // An image term: its file and size in the answer.
    const json image = search("--image " + files[5].string() + " --text face:-0.25");
    EXPECT_EQ(image["query"]["terms"][0]["type"], "image");
    EXPECT_EQ(image["query"]["terms"][0]["image"], files[5].string());
    EXPECT_GT(image["query"]["terms"][0]["width"].get<int>(), 0);
    // Errors: clear messages, exit 1.
    struct Case {
        std::string args, message;
    };
    for (const auto& c :
         std::vector<Case>{{fmt::format("--id {} --id {}:-1", a, a), "the terms cancel out"},
                           {"--text cat:0", "give at least one term a weight"},
                           {"--text cat:1000", "between -100 and 100"},
                           {"--id x:1", "expected an image id"},
                           {"--id 424242:2", "no image with id 424242"},
                           {"-k 3", "give --text, --image or --id"}}) {
        r = run_qiss("search --data " + data.string() + " " + c.args);
        EXPECT_EQ(r.exit_code, 1) << c.args << ": " << r.output;
        EXPECT_NE(r.output.find(c.message), std::string::npos) << c.args << ": " << r.output;
    }
}

TEST(TermsApi, JsonAndMultipartTermsRunAndBadTermsAre4xx) {
    Served s("terms-api", {"--max-terms", "3"});
    ASSERT_GT(s.port, 0) << s.serve->output();
    auto cli = s.serve->client();
    const json all = parse(cli.Get("/api/search?q=face&k=40"));
    ASSERT_EQ(all["results"].size(), 40u) << all.dump();
    const auto a = all["results"][0]["id"].get<std::uint64_t>();
    auto sa = scores_of(parse(cli.Get(fmt::format("/api/images/{}/similar?k=40", a))));
    sa[a] = 1;
    auto sface = scores_of(all);
    const auto post = [&](const std::string& body) {
        return cli.Post("/api/search", body, "application/json");
    };
    // JSON: an id plus a negative text; the answer names the terms with their weights.
    const json minus = parse(post(
        fmt::format(R"({{"terms":[{{"id":{}}},{{"text":"face","weight":-0.5}}],"k":39}})", a)));
    EXPECT_EQ(minus["query"]["type"], "terms") << minus.dump();
    EXPECT_EQ(minus["query"]["k"], 39);
    EXPECT_EQ(minus["query"]["terms"][0], json({{"type", "id"}, {"id", a}, {"weight", 1.0}}));
    EXPECT_EQ(minus["query"]["terms"][1]["language"]["code"], "en");
    EXPECT_EQ(minus["results"].size(), 39u);
    expect_combined_scores(minus, {sa, sface}, {1, -0.5}, std::sqrt(1.25 - sface.at(a)));
    // Multipart: a `terms` field whose image term names a part of the form; an image of the
    // collection as that part, weight 1, ranks its stored copy first. The text term is light
    // (-0.01): these emoji are keycaps, which a small model may embed within a few hundredths of
    // each other, and a heavier text term could then rank another keycap above the copy.
    const std::string png = read_all(emoji_files()[7]);
    httplib::MultipartFormDataItems form = {
        {"terms", R"([{"image":"pic"},{"text":"face","weight":-0.01}])", "", "application/json"},
        {"pic", png, "seven.png", "image/png"},
        {"k", "5", "", ""}};
    const json with_image = parse(cli.Post("/api/search", form));
    ASSERT_EQ(with_image["results"].size(), 5u) << with_image.dump();
    EXPECT_EQ(with_image["query"]["terms"][0]["image"], "seven.png");
    EXPECT_EQ(fs::path(with_image["results"][0]["source"].get<std::string>()).filename(),
              emoji_files()[7].filename());
    // Bad terms: 4xx with a JSON error that says what is wrong.
    expect_error(post(R"({"terms":[]})"), 400, "non-empty array");
    expect_error(post(R"({"terms":{"text":"cat"}})"), 400, "non-empty array");
    expect_error(post(R"({"terms":[{"text":"cat"},{"text":"dog"},{"text":"x"},{"text":"y"}]})"),
                 400, "the limit is 3");
    expect_error(post(R"({"terms":[{"text":"cat","weight":0}]})"), 400,
                 "at least one term a weight");
    expect_error(post(R"({"terms":[{"text":"cat","weight":"2"}]})"), 400,
                 "\"weight\" must be a number");
    expect_error(post(R"({"terms":[{"text":"cat","weight":1e39}]})"), 400, "term 1's weight");
    expect_error(post(R"({"terms":[{"text":"cat","colour":"red"}]})"), 400,
                 "unknown member 'colour'");
    expect_error(post(R"({"terms":[{"text":"cat","id":1}]})"), 400, "exactly one of");
    expect_error(post(R"({"terms":[{"image":"pic"}]})"), 400, "unknown member 'image'");
    expect_error(post(R"({"terms":[{"id":-3}]})"), 400, "non-negative integer");
    expect_error(post(R"({"terms":[{"id":987654}]})"), 404, "no image with id 987654");
    expect_error(post(fmt::format(R"({{"terms":[{{"id":{}}},{{"id":{},"weight":-1}}]}})", a, a)),
                 400, "the terms cancel out");
    expect_error(post(R"({"text":"cat","terms":[{"text":"dog"}]})"), 400, "exactly one of");
    expect_error(post(R"({"text":"cat","kk":3})"), 400, "unknown member 'kk'");
    form = {{"terms", R"([{"image":"nope"}])", "", "application/json"}};
    expect_error(cli.Post("/api/search", form), 400, "the part 'nope'");
    form = {{"terms", "[{", "", "application/json"}};
    expect_error(cli.Post("/api/search", form), 400, "not valid JSON");
    // The server still answers.
    EXPECT_EQ(parse(cli.Get("/api/search?q=face&k=1"))["results"].size(), 1u);
}
