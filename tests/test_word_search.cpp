// The words of a text query searched on their own (engine/word_search.h): which words are
// searched, every result's score against scores computed one text at a time with the model over
// the whole collection, paging by rank and its end, hybrid and collapsed searches, explain, the
// HTTP API, the CLI and `qiss model words`. Real collections built with the tiny model, its word
// weight set through CollectionOptions / --word-weight.
#include <algorithm>
#include <map>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "engine/collection.h"
#include "engine/cursor.h"
#include "engine/explain.h"
#include "engine/query.h"
#include "engine/word_search.h"
#include "index/simd_flat.h"
#include "model/model.h"
#include "model/model_file.h"
#include "server_fixture.h"
#include "text/words.h"

using namespace qiss;
using namespace qiss::test;

namespace {

const std::string kText = "a red heart and a smiling face";
const std::vector<std::string> kWords = {"a", "red", "heart", "and", "smiling", "face"};
constexpr float kWeight = 0.85f;

/// A read-only copy of the 40-emoji base collection, with this word weight.
std::unique_ptr<Collection> open_copy(const TempDir& dir, const std::string& name, float weight) {
    fs::copy(base_collection(), dir / name, fs::copy_options::recursive);
    CollectionOptions o;
    o.read_only = true;
    o.word_weight = weight;
    return Collection::open(dir / name, o);
}

struct Expected {
    std::uint64_t id = 0;
    float score = 0;
    int word = -1;
    float margin = 1;  ///< how far the best score is above the second best
};

/// Every stored image's score for kText, from each text embedded on its own: the best of its
/// cosine with the text and kWeight x its cosine with each word; best first, ties by id.
std::vector<Expected> expected_ranking(const Collection& c) {
    const std::vector<float> query = c.embed_text(kText);
    std::vector<std::vector<float>> words;
    for (const std::string& w : kWords) words.push_back(c.embed_text(w));
    std::vector<Expected> all;
    for (const Hit& h : c.search(query.data(), 1000)) {
        const auto v = c.vector_of(h.id);
        Expected e{h.id, simd_inner_product(query.data(), v->data(), v->size()), -1, 1};
        std::vector<float> scores{e.score};
        for (std::size_t j = 0; j < words.size(); ++j) {
            const float s = kWeight * simd_inner_product(words[j].data(), v->data(), v->size());
            scores.push_back(s);
            if (s > e.score) e = {h.id, s, static_cast<int>(j), 1};
        }
        std::sort(scores.rbegin(), scores.rend());
        e.margin = scores[0] - scores[1];
        all.push_back(e);
    }
    std::sort(all.begin(), all.end(), [](const Expected& a, const Expected& b) {
        return a.score != b.score ? a.score > b.score : a.id < b.id;
    });
    return all;
}

/// The hits' ids against the expected ranking from `from` on; scores within 1e-4 (a batch of
/// texts and one text at a time round differently) and, where the best is clear, the word.
void expect_ranked(const std::vector<Hit>& hits, const std::vector<Expected>& want,
                   std::size_t from, const std::string& what) {
    ASSERT_LE(from + hits.size(), want.size()) << what;
    for (std::size_t i = 0; i < hits.size(); ++i) {
        const Expected& e = want[from + i];
        EXPECT_EQ(hits[i].id, e.id) << what << " rank " << from + i;
        EXPECT_NEAR(hits[i].score, e.score, 1e-4) << what << " rank " << from + i;
        if (e.margin > 1e-3) {
            EXPECT_EQ(hits[i].word, e.word) << what << " rank " << from + i;
        }
    }
}

/// Every page of `q` (k at a time) by following `next`, concatenated.
std::vector<Hit> walk(const Collection& c, Query q, const QueryLimits& limits = {}) {
    std::vector<Hit> all;
    for (int page = 0; page < 100; ++page) {
        QueryResult r = run_query(c, q, limits);
        all.insert(all.end(), r.hits.begin(), r.hits.end());
        if (r.next.empty()) return all;
        q.after = r.next;
    }
    ADD_FAILURE() << "more than 100 pages";
    return all;
}

}  // namespace

TEST(WordSearch, SearchedWordsAreTheDistinctWordsOfAQueryOfTwoOrMore) {
    EXPECT_EQ(searched_words(kText, kWeight), kWords);
    EXPECT_EQ(searched_words("un chat qui dort", 0.5f),
              (std::vector<std::string>{"un", "chat", "qui", "dort"}));
    EXPECT_EQ(searched_words("  a crying-cat!  ", 1.0f),
              (std::vector<std::string>{"a", "crying", "cat"}));
    // One word, the same word twice, or a weight of 0: nothing is searched on its own.
    EXPECT_TRUE(searched_words("Katze", kWeight).empty());
    EXPECT_TRUE(searched_words("cat, cat!", kWeight).empty());
    EXPECT_TRUE(searched_words(kText, 0).empty());
    // A script written without spaces: each run is one word (as typed), not each character.
    EXPECT_TRUE(searched_words("猫が寝る", kWeight).empty());
    EXPECT_EQ(searched_words("猫が寝る ソファ", kWeight),
              (std::vector<std::string>{"猫が寝る", "ソファ"}));
    EXPECT_EQ(words_of("猫が寝る", UnspacedScripts::each_character),
              (std::vector<std::string>{"猫", "が", "寝", "る"}));
    // Unicode's categories: the Arabic comma separates, vowel signs and viramas belong to
    // their word, an emoji with its skin tone is one word.
    EXPECT_EQ(searched_words("أسرة: رجل، وفتاة", kWeight),
              (std::vector<std::string>{"أسرة", "رجل", "وفتاة"}));
    EXPECT_EQ(searched_words("बिल्ली सो रही है।", kWeight),
              (std::vector<std::string>{"बिल्ली", "सो", "रही", "है"}));
    EXPECT_EQ(searched_words("👍🏽 cool_cat", kWeight),
              (std::vector<std::string>{"👍🏽", "cool", "cat"}));
    // At most kMaxQueryWords: the first distinct ones.
    std::string many;
    for (int i = 0; i < 20; ++i) many += fmt::format("w{} w{} ", i, i);
    const auto words = searched_words(many, kWeight);
    ASSERT_EQ(words.size(), kMaxQueryWords);
    EXPECT_EQ(words.front(), "w0");
    EXPECT_EQ(words.back(), fmt::format("w{}", kMaxQueryWords - 1));
}

TEST(WordSearch, ScoresAreTheBestOfTheQueryAndItsWeightedWordsOverTheWholeCollection) {
    TempDir dir("words-engine");
    const auto c = open_copy(dir, "data", kWeight);
    ASSERT_EQ(c->word_weight(), kWeight);
    const std::vector<Expected> want = expected_ranking(*c);
    ASSERT_EQ(want.size(), 40u);
    ASSERT_TRUE(std::any_of(want.begin(), want.end(), [](const Expected& e) {
        return e.word >= 0;
    })) << "no image's best score comes from a word: the query cannot tell the rule from none";

    Query q = text_query(kText, 10);
    QueryResult r = run_query(*c, q);
    EXPECT_EQ(r.mode, SearchMode::Semantic) << "the base collection has no captions";
    EXPECT_EQ(r.words, kWords);
    EXPECT_EQ(r.word_weight, kWeight);
    ASSERT_EQ(r.hits.size(), 10u);
    expect_ranked(r.hits, want, 0, "first page");
    q.offset = 5;
    expect_ranked(run_query(*c, q).hits, want, 5, "offset 5");

    // Pages continue by rank and walk the whole ranking once.
    q.offset = 0;
    q.k = 7;
    const std::vector<Hit> all = walk(*c, q);
    ASSERT_EQ(all.size(), 40u);
    expect_ranked(all, want, 0, "walk");
    // ... up to the largest offset: then no `next`, and a deeper cursor is refused.
    QueryLimits limits;
    limits.max_offset = 14;
    EXPECT_EQ(walk(*c, q, limits).size(), 21u);
    Cursor deep;
    deep.rank = 1'000'000'000'000;
    q.after = encode_cursor(deep, query_fingerprint(q));
    EXPECT_NE(error_of([&] { run_query(*c, q); }).find("this search's pages end at result"),
              std::string::npos);
    // The same for a hybrid search's cursor (its cost grows with the rank too).
    q.mode = SearchMode::Hybrid;
    q.after = encode_cursor(deep, query_fingerprint(q));
    EXPECT_NE(error_of([&] { run_query(*c, q); }).find("this search's pages end at result"),
              std::string::npos);

    // Hybrid: the semantic side is the worded ranking, each hit scored as a semantic search.
    q.after.clear();
    q.k = 10;
    r = run_query(*c, q);
    ASSERT_EQ(r.ranks.size(), r.hits.size());
    std::map<std::uint64_t, Expected> by_id;
    for (const Expected& e : want) by_id[e.id] = e;
    for (std::size_t i = 0; i < r.hits.size(); ++i) {
        EXPECT_NEAR(r.hits[i].score, by_id[r.hits[i].id].score, 1e-4) << i;
        // The semantic side is exact where a page is taken (its first 2 (offset + k)).
        if (r.ranks[i].semantic > 0 && r.ranks[i].semantic <= 2 * q.k) {
            EXPECT_EQ(want[static_cast<std::size_t>(r.ranks[i].semantic - 1)].id, r.hits[i].id);
        }
    }
    // Collapsed: every result keeps its worded score.
    q.mode = SearchMode::Semantic;
    q.collapse = 0.99f;
    r = run_query(*c, q);
    ASSERT_FALSE(r.hits.empty());
    for (const Hit& h : r.hits) EXPECT_NEAR(h.score, by_id[h.id].score, 1e-4);

    // Explain gives the search's score, the word that gave it and each searched word's.
    const Hit& top = all.front();
    const Explanation e = explain_text(*c, kText, top.id);
    EXPECT_NEAR(e.score, top.score, 1e-4);
    ASSERT_EQ(e.searched.size(), kWords.size());
    EXPECT_EQ(e.word_weight, kWeight);
    float best = e.query_score;
    for (const SearchedWord& w : e.searched) best = std::max(best, w.score);
    EXPECT_NEAR(e.score, best, 1e-6);
    if (by_id[top.id].margin > 1e-3) {
        EXPECT_EQ(e.scored_by.has_value(), top.word >= 0);
        if (top.word >= 0) {
            EXPECT_EQ(*e.scored_by, kWords[static_cast<std::size_t>(top.word)]);
        }
    }

    // Weight 0: the query alone, its cosine, and nothing about words.
    const auto off = open_copy(dir, "off", 0);
    const QueryResult plain = run_query(*off, text_query(kText, 40));
    EXPECT_TRUE(plain.words.empty());
    const std::vector<float> qv = off->embed_text(kText);
    for (const Hit& h : plain.hits) {
        EXPECT_EQ(h.word, -1);
        const auto v = off->vector_of(h.id);
        EXPECT_NEAR(h.score, simd_inner_product(qv.data(), v->data(), v->size()), 1e-5);
    }
    EXPECT_FALSE(explain_text(*off, kText, top.id).scored_by.has_value());
    // A weight outside [0, 1] is refused by name.
    EXPECT_NE(error_of([&] { open_copy(dir, "bad", 1.5f); }).find("word_weight"),
              std::string::npos);
}

TEST(WordSearchApi, AnswersTheSearchedWordsAndWhichWordScoredEachResult) {
    Served s("words-api", {"--word-weight", "0.85"});
    ASSERT_GT(s.port, 0) << s.serve->output();
    auto cli = s.serve->client();
    const std::string q = "a%20red%20heart%20and%20a%20smiling%20face";
    const json j = parse(cli.Get("/api/search?q=" + q + "&k=40"));
    EXPECT_EQ(j["query"]["words"], json(kWords));
    EXPECT_FLOAT_EQ(j["query"]["word_weight"].get<float>(), kWeight);
    ASSERT_EQ(j["results"].size(), 40u);
    int by_word = 0;
    for (const auto& r : j["results"]) {
        if (!r.contains("word")) continue;
        ++by_word;
        EXPECT_NE(std::find(kWords.begin(), kWords.end(), r["word"].get<std::string>()),
                  kWords.end());
    }
    EXPECT_GT(by_word, 0) << "the same collection and query as the engine test";
    // Explain answers the same score and each searched word's.
    const auto& top = j["results"][0];
    const json e =
        parse(cli.Get(fmt::format("/api/images/{}/explain?q={}", top["id"].get<int>(), q)));
    EXPECT_NEAR(e["score"].get<float>(), top["score"].get<float>(), 1e-4);
    EXPECT_EQ(e["searched_words"].size(), kWords.size());
    EXPECT_EQ(e.contains("scored_by"), top.contains("word"));
    // A cursor crafted for a deep rank is a 400, not a search for a billion results.
    Cursor deep;
    deep.rank = 1'000'000'000;
    const std::string token = encode_cursor(deep, query_fingerprint(text_query(kText, 10)));
    expect_error(cli.Get("/api/search?q=" + q + "&after=" + token), 400,
                 "this search's pages end at result");
    // A query of one word searches nothing more.
    EXPECT_FALSE(parse(cli.Get("/api/search?q=heart"))["query"].contains("words"));

    // --word-weight 0 turns it off; a weight outside [0, 1] stops the server with a message.
    Served off("words-api-off", {"--word-weight", "0"});
    ASSERT_GT(off.port, 0) << off.serve->output();
    auto cli_off = off.serve->client();
    EXPECT_FALSE(parse(cli_off.Get("/api/search?q=" + q))["query"].contains("words"));
    Served bad("words-api-bad", {"--word-weight", "1.5"});
    EXPECT_EQ(bad.port, 0);
    EXPECT_NE(bad.serve->output().find("--word-weight"), std::string::npos) << bad.serve->output();
}

TEST(WordSearchCli, ModelWordsSetsTheWeightThatSearchesUse) {
    TempDir dir("words-cli");
    const std::string tiny = std::string(QISS_TEST_DATA) + "/tiny.qiss";
    const fs::path model = dir / "worded.qiss";
    auto r = run_qiss("model words " + tiny + " --weight 0.85 --out " + model.string());
    ASSERT_EQ(r.exit_code, 0) << r.output;
    r = run_qiss("model info " + model.string(), false);
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_FLOAT_EQ(json::parse(r.output)["word_weight"].get<float>(), kWeight);
    EXPECT_EQ(json::parse(run_qiss("model info " + tiny, false).output)["word_weight"], 0);
    // A collection indexed with it searches the words; --word-weight 0 overrides the model's.
    copy_emoji(dir / "in", 12);
    const std::string data = (dir / "data").string();
    r = run_qiss("index --data " + data + " --model " + model.string() + " " +
                 (dir / "in").string());
    ASSERT_EQ(r.exit_code, 0) << r.output;
    r = run_qiss("search --data " + data + " --json --text '" + kText + "'", false);
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_EQ(json::parse(r.output)["query"]["words"], json(kWords));
    r = run_qiss("search --data " + data + " --json --word-weight 0 --text '" + kText + "'", false);
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_FALSE(json::parse(r.output)["query"].contains("words"));
    // Bad weights: a clear message and a non-zero exit.
    r = run_qiss("model words " + tiny + " --weight 1.5 --out " + (dir / "x.qiss").string());
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE(r.output.find("--weight"), std::string::npos) << r.output;
    EXPECT_FALSE(fs::exists(dir / "x.qiss"));
    r = run_qiss("search --data " + data + " --word-weight -1 --text cat");
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE(r.output.find("--word-weight"), std::string::npos) << r.output;
}

TEST(WordSearch, TheModelFileKeepsItsWordWeightAndRefusesOneOutsideZeroToOne) {
    Model m = Model::load(std::string(QISS_TEST_DATA) + "/tiny.qiss");
    EXPECT_EQ(m.config().word_weight, 0.0f) << "the tiny preset searches no words";
    m.set_word_weight(0.7f);
    EXPECT_EQ(Model::from_bytes(m.to_bytes(), "w.qiss").config().word_weight, 0.7f);
    EXPECT_NE(error_of([&] { m.set_word_weight(1.5f); }).find("word weight"), std::string::npos);
    // A header whose weight is outside [0, 1] is refused with the file's name and the setting's.
    const ModelFileContents good = decode_model_file(m.to_bytes(), "w.qiss");
    for (const double bad : {-0.1, 1.01, 1e9}) {
        ModelFileContents c = good;
        c.header["config"]["text"]["word_weight"] = bad;
        const std::string msg =
            error_of([&] { Model::from_bytes(encode_model_file(c), "w.qiss"); });
        EXPECT_NE(msg.find("w.qiss"), std::string::npos) << bad << ": " << msg;
        EXPECT_NE(msg.find("model/text/word_weight"), std::string::npos) << bad << ": " << msg;
    }
    // A header without it (files written before) searches no words.
    ModelFileContents old = good;
    old.header["config"]["text"].erase("word_weight");
    EXPECT_EQ(Model::from_bytes(encode_model_file(old), "old.qiss").config().word_weight, 0.0f);
}
