// Explaining a result (issue 13 item 7): the words of a query, each word's influence against
// scores computed directly with the model, caption words, the calibrated relevance; the HTTP API
// (GET /api/images/{id}/explain) and the CLI (`qiss explain`). A real collection built with the
// tiny model from a manifest with captions.
#include <cmath>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "common/error_kind.h"
#include "engine/collection.h"
#include "engine/explain.h"
#include "engine/query.h"
#include "index/simd_flat.h"
#include "server_fixture.h"

using namespace qiss;
using namespace qiss::test;

namespace {

/// 12 emoji whose manifest lines carry a caption ("Red heart 0", "Red heart 1", …).
fs::path captioned_collection(const TempDir& dir) {
    return test::captioned_collection(dir,
                                      [](std::size_t i) { return fmt::format("Red heart {}", i); });
}

float score(const Collection& c, const std::string& text, std::uint64_t id) {
    const auto v = c.vector_of(id);
    return simd_inner_product(c.embed_text(text).data(), v->data(), v->size());
}

}  // namespace

TEST(Explain, QueryWordsSplitAtSpacesAndPunctuationAndPerCharacterInUnspacedScripts) {
    EXPECT_EQ(query_words("un chat qui dort"),
              (std::vector<std::string>{"un", "chat", "qui", "dort"}));
    EXPECT_EQ(query_words("  a crying-cat!  "), (std::vector<std::string>{"a", "crying", "cat"}));
    EXPECT_EQ(query_words("Katze, rot."), (std::vector<std::string>{"Katze", "rot"}));
    EXPECT_EQ(query_words("猫が寝る"), (std::vector<std::string>{"猫", "が", "寝", "る"}));
    EXPECT_EQ(query_words("красное сердце"), (std::vector<std::string>{"красное", "сердце"}));
    EXPECT_EQ(query_words("café «noir»"), (std::vector<std::string>{"café", "noir"}));
    EXPECT_TRUE(query_words(" ,;! ").empty());
}

TEST(Explain, InfluencesAreTheScoreEachWordAddsAndCaptionWordsAreFound) {
    TempDir dir("explain-engine");
    const fs::path data = captioned_collection(dir);
    CollectionOptions ro;
    ro.read_only = true;
    const auto c = Collection::open(data, ro);
    Query q;
    q.kind = Query::Kind::Text;
    q.text = "the RED heart, please";
    q.k = 3;
    const QueryResult r = run_query(*c, q);
    ASSERT_EQ(r.hits.size(), 3u);
    for (std::size_t rank = 0; rank < r.hits.size(); ++rank) {
        const Hit& hit = r.hits[rank];
        const Explanation e = explain_text(*c, q.text, hit.id);
        EXPECT_EQ(e.id, hit.id);
        EXPECT_NEAR(e.score, hit.score, 1e-5);
        ASSERT_EQ(r.relevance.size(), 3u) << "the tiny model is calibrated";
        ASSERT_TRUE(e.relevance.has_value());
        EXPECT_NEAR(*e.relevance, r.relevance[rank], 1e-5);
        EXPECT_EQ(e.caption, hit.record.caption);
        EXPECT_EQ(e.language.code, r.terms[0].language->code);
        ASSERT_EQ(e.words.size(), 4u);
        const std::vector<std::string> rests = {"RED heart, please", "the heart, please",
                                                "the RED, please", "the RED heart,"};
        for (std::size_t i = 0; i < 4; ++i) {
            ASSERT_TRUE(e.words[i].influence.has_value()) << i;
            EXPECT_NEAR(*e.words[i].influence, e.query_score - score(*c, rests[i], hit.id), 1e-5)
                << e.words[i].word;
        }
        EXPECT_EQ(e.words[1].word, "RED");
        EXPECT_TRUE(e.words[1].in_caption);  // "Red heart N", without case
        EXPECT_TRUE(e.words[2].in_caption);
        EXPECT_FALSE(e.words[0].in_caption);
        EXPECT_FALSE(e.words[3].in_caption);
    }
    // One word: nothing to leave out.
    const Explanation one = explain_text(*c, "heart", r.hits[0].id);
    ASSERT_EQ(one.words.size(), 1u);
    EXPECT_FALSE(one.words[0].influence.has_value());
    // Over kMaxExplainedWords words: the rest are listed without an influence.
    std::string many;
    for (int i = 0; i < 40; ++i) many += fmt::format("w{} ", i);
    const Explanation long_one = explain_text(*c, many, r.hits[0].id);
    ASSERT_EQ(long_one.words.size(), 40u);
    EXPECT_TRUE(long_one.words[kMaxExplainedWords - 1].influence.has_value());
    EXPECT_FALSE(long_one.words[kMaxExplainedWords].influence.has_value());
    // Errors: an unknown id (not_found), an empty or invalid text.
    try {
        explain_text(*c, "heart", 999);
        ADD_FAILURE() << "no error";
    } catch (const Error& e) {
        EXPECT_EQ(error_kind(e), ErrorKind::not_found);
    }
    EXPECT_NE(error_of([&] { explain_text(*c, "", r.hits[0].id); }), "");
    EXPECT_NE(error_of([&] { explain_text(*c, "\xff", r.hits[0].id); }), "");
}

TEST(ExplainApi, AnswersTheWordsAndRelevanceOfAResultAndRefusesBadInput) {
    TempDir dir("explain-api");
    const fs::path data = captioned_collection(dir);
    ServeProcess serve(data, dir.path());
    ASSERT_GT(serve.wait_port(), 0) << serve.output();
    auto cli = serve.client();
    const json found = parse(cli.Get("/api/search?q=red%20heart&k=1"));
    const std::uint64_t id = found["results"][0]["id"];
    const json e = parse(cli.Get(fmt::format("/api/images/{}/explain?q=red%20heart", id)));
    EXPECT_EQ(e["id"], id);
    EXPECT_EQ(e["query"]["text"], "red heart");
    EXPECT_NEAR(e["score"].get<double>(), found["results"][0]["score"].get<double>(), 1e-5);
    EXPECT_NEAR(e["relevance"].get<double>(), found["results"][0]["relevance"].get<double>(), 1e-5);
    ASSERT_EQ(e["words"].size(), 2u);
    EXPECT_EQ(e["words"][0]["word"], "red");
    EXPECT_TRUE(e["words"][0]["in_caption"].get<bool>());
    EXPECT_TRUE(e["words"][0].contains("influence"));
    EXPECT_TRUE(e["caption"].get<std::string>().starts_with("Red heart"));
    expect_error(cli.Get("/api/images/999/explain?q=heart"), 404, "no image with id 999");
    expect_error(cli.Get(fmt::format("/api/images/{}/explain", id)), 400, "missing parameter q");
    expect_error(cli.Get(fmt::format("/api/images/{}/explain?q=", id)), 400, "");
    // The CLI says the same.
    serve.stop();
    const auto r = run_qiss(
        fmt::format("explain --data {} --text \"red heart\" --id {} --json", data.string(), id),
        false);
    ASSERT_EQ(r.exit_code, 0) << r.output;
    const json cli_e = json::parse(r.output);
    ASSERT_EQ(cli_e["words"].size(), e["words"].size());
    for (std::size_t i = 0; i < e["words"].size(); ++i) {
        EXPECT_EQ(cli_e["words"][i]["word"], e["words"][i]["word"]);
        EXPECT_EQ(cli_e["words"][i]["in_caption"], e["words"][i]["in_caption"]);
        EXPECT_NEAR(cli_e["words"][i]["influence"].get<double>(),
                    e["words"][i]["influence"].get<double>(), 1e-5);
    }
    EXPECT_NEAR(cli_e["score"].get<double>(), e["score"].get<double>(), 1e-5);
    const auto text =
        run_qiss(fmt::format("explain --data {} --text \"red heart\" --id {}", data.string(), id));
    EXPECT_NE(text.output.find("(in the caption)"), std::string::npos) << text.output;
    const auto bad =
        run_qiss(fmt::format("explain --data {} --text heart --id 999", data.string()));
    EXPECT_NE(bad.exit_code, 0);
    EXPECT_NE(bad.output.find("no image with id 999"), std::string::npos) << bad.output;
}
