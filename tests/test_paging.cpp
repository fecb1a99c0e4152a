// Deep paging with cursors (`after` / `next`): the cursor token itself, the engine's two ways to
// a page (the index for shallow pages, an exact scan of the store for deep ones) against one
// search of the whole collection, the HTTP API (walking every page, a deletion between pages,
// bad and stale cursors) and the CLI. Real collections built with the tiny model.
#include <set>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "engine/collection.h"
#include "engine/cursor.h"
#include "engine/query.h"
#include "server_fixture.h"

using namespace qiss;
using namespace qiss::test;

namespace {

/// (id, score) of hits, to compare orders.
std::vector<std::pair<std::uint64_t, float>> ranked(const std::vector<Hit>& hits) {
    std::vector<std::pair<std::uint64_t, float>> out;
    for (const Hit& h : hits) out.emplace_back(h.id, h.score);
    return out;
}

/// Every page of `q` (k at a time) by following `next`, concatenated.
std::vector<Hit> walk(const Collection& c, Query q) {
    std::vector<Hit> all;
    for (int page = 0; page < 100; ++page) {
        QueryResult r = run_query(c, q);
        EXPECT_LE(r.hits.size(), static_cast<std::size_t>(q.k));
        all.insert(all.end(), r.hits.begin(), r.hits.end());
        if (r.next.empty()) return all;
        q.after = r.next;
    }
    ADD_FAILURE() << "more than 100 pages";
    return all;
}

/// The server's answers page by page, from `after` (empty: the first page), following `next`:
/// the ids in order.
std::vector<std::uint64_t> walk_api(httplib::Client& cli, const std::string& path_and_query,
                                    std::string after = {}) {
    std::vector<std::uint64_t> ids;
    for (int page = 0; page < 100; ++page) {
        const json j = parse(cli.Get(path_and_query + (after.empty() ? "" : "&after=" + after)));
        for (const auto& r : j["results"]) ids.push_back(r["id"].get<std::uint64_t>());
        if (!j.contains("next")) return ids;
        after = j["next"].get<std::string>();
    }
    ADD_FAILURE() << "more than 100 pages";
    return ids;
}

}  // namespace

TEST(Cursor, TokensRoundTripAndRefuseDamageAndOtherQueries) {
    Cursor c;
    c.score = -0.1234567f;
    c.id = 18446744073709551615ull;
    c.rank = 10000;
    const std::uint64_t fp = query_fingerprint(text_query("cat", 5));
    const std::string token = encode_cursor(c, fp);
    EXPECT_EQ(
        token.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
        std::string::npos)
        << token;
    const Cursor back = decode_cursor(token, fp);
    EXPECT_EQ(back.score, c.score);
    EXPECT_EQ(back.id, c.id);
    EXPECT_EQ(back.rank, c.rank);
    // k does not change the query; its text does.
    EXPECT_EQ(query_fingerprint(text_query("cat", 50)), fp);
    EXPECT_NE(query_fingerprint(text_query("cats", 5)), fp);
    EXPECT_NE(error_of([&] {
                  decode_cursor(token, query_fingerprint(text_query("dog", 5)));
              }).find("the cursor belongs to another query"),
              std::string::npos);
    // Any character changed (the score, the id, the rank or the check) is an invalid cursor.
    for (std::size_t i = 0; i < token.size(); ++i) {
        std::string damaged = token;
        damaged[i] = damaged[i] == 'A' ? 'B' : 'A';
        const std::string message = error_of([&] { decode_cursor(damaged, fp); });
        EXPECT_NE(message.find("invalid cursor"), std::string::npos) << i << ": " << message;
    }
    for (const std::string& bad :
         {std::string(), token.substr(1), token + "A", std::string("!") + token.substr(1)})
        EXPECT_NE(error_of([&] { decode_cursor(bad, fp); }).find("invalid cursor"),
                  std::string::npos)
            << bad;
}

TEST(Paging, IndexAndScanPagesEqualOneSearchOfEverything) {
    TempDir dir("paging-engine");
    copy_emoji(dir / "in", 40);
    const fs::path data = dir / "data";
    ASSERT_EQ(run_qiss("index --data " + data.string() + " --model " + std::string(QISS_TEST_DATA) +
                       "/tiny.qiss " + (dir / "in").string())
                  .exit_code,
              0);
    // A copy of the collection (a store is opened once per process) whose pages after a cursor
    // all come from the scan of the store.
    fs::copy(data, dir / "copy", fs::copy_options::recursive);
    CollectionOptions read_only;
    read_only.read_only = true;
    CollectionOptions scanning = read_only;
    scanning.cursor_index_depth = 0;
    const auto by_index = Collection::open(data, read_only);
    const auto by_scan = Collection::open(dir / "copy", scanning);
    for (const std::string text : {"face", "red heart", "un chat"}) {
        const auto everything = ranked(run_query(*by_index, text_query(text, 40)).hits);
        ASSERT_EQ(everything.size(), 40u);
        for (int k : {1, 7, 40}) {
            EXPECT_EQ(ranked(walk(*by_index, text_query(text, k))), everything) << text << k;
            EXPECT_EQ(ranked(walk(*by_scan, text_query(text, k))), everything) << text << k;
        }
    }
    // Similar images: the image itself stays out of every page.
    const std::uint64_t id = run_query(*by_index, text_query("face", 1)).hits.at(0).id;
    Query similar;
    similar.kind = Query::Kind::Id;
    similar.id = id;
    similar.k = 39;
    const auto all_similar = ranked(run_query(*by_index, similar).hits);
    ASSERT_EQ(all_similar.size(), 39u);
    similar.k = 6;
    EXPECT_EQ(ranked(walk(*by_scan, similar)), all_similar);
    EXPECT_EQ(ranked(walk(*by_index, similar)), all_similar);
    // A cursor with an offset, or with collapsing, is refused.
    Query q = text_query("face", 5);
    q.after = run_query(*by_index, q).next;
    ASSERT_FALSE(q.after.empty());
    q.offset = 5;
    EXPECT_NE(error_of([&] { run_query(*by_index, q); }).find("offset or after"),
              std::string::npos);
    q.offset = 0;
    q.collapse = 0.99f;
    EXPECT_NE(error_of([&] { run_query(*by_index, q); }).find("pages with offset"),
              std::string::npos);
}

TEST(PagingApi, NextWalksEveryResultOnceEvenAcrossADeletion) {
    Served s("paging-api", {"--token-file", "TOKEN"});
    ASSERT_GT(s.port, 0) << s.serve->output();
    auto cli = s.serve->client();
    std::vector<std::uint64_t> everything;
    const json all = parse(cli.Get("/api/search?q=face&k=40"));
    for (const auto& r : all["results"]) everything.push_back(r["id"].get<std::uint64_t>());
    ASSERT_EQ(everything.size(), 40u);
    EXPECT_EQ(walk_api(cli, "/api/search?q=face&k=9"), everything);
    // POST with a JSON body: `after` as a member; the answer echoes it.
    const json first =
        parse(cli.Post("/api/search", R"({"text":"face","k":9})", "application/json"));
    const std::string next = first["next"];
    const json second =
        parse(cli.Post("/api/search", json{{"text", "face"}, {"k", 9}, {"after", next}}.dump(),
                       "application/json"));
    EXPECT_EQ(second["query"]["after"], next);
    ASSERT_EQ(second["results"].size(), 9u);
    EXPECT_EQ(second["results"][0]["id"], everything[9]);
    // Similar images page the same way.
    const auto similar = walk_api(cli, fmt::format("/api/images/{}/similar?k=8", everything[0]));
    EXPECT_EQ(similar.size(), 39u);
    EXPECT_EQ(std::set<std::uint64_t>(similar.begin(), similar.end()).size(), 39u);
    // A deletion between two pages: the rest continues without a repeat or a gap.
    const json page1 = parse(cli.Get("/api/search?q=face&k=10"));
    ASSERT_EQ(cli.Delete(fmt::format("/api/images/{}", everything[12]), kAuth)->status, 200);
    const auto after_delete =
        walk_api(cli, "/api/search?q=face&k=10", page1["next"].get<std::string>());
    std::vector<std::uint64_t> want(everything.begin() + 10, everything.end());
    std::erase(want, everything[12]);
    EXPECT_EQ(after_delete, want);
    // Bad cursors are 400s that say what is wrong.
    expect_error(cli.Get("/api/search?q=face&after=nonsense"), 400, "invalid cursor");
    expect_error(cli.Get("/api/search?q=heart&after=" + page1["next"].get<std::string>()), 400,
                 "the cursor belongs to another query");
    expect_error(cli.Get("/api/search?q=face&offset=10&after=" + page1["next"].get<std::string>()),
                 400, "offset or after");
    expect_error(
        cli.Get("/api/search?q=face&collapse=true&after=" + page1["next"].get<std::string>()), 400,
        "pages with offset");
    expect_error(cli.Post("/api/search", R"({"text":"face","after":7})", "application/json"), 400,
                 "\"after\" must be a string");
    // A page that is not full has no `next`.
    EXPECT_FALSE(parse(cli.Get("/api/search?q=face&k=50")).contains("next"));
}

TEST(PagingCli, AfterContinuesWhereThePreviousPageEnded) {
    TempDir dir("paging-cli");
    fs::copy(base_collection(), dir / "data", fs::copy_options::recursive);
    const std::string base = "search --data " + (dir / "data").string() + " --text face";
    auto r = run_qiss(base + " -k 5 --json", false);
    ASSERT_EQ(r.exit_code, 0) << r.output;
    const json first = json::parse(r.output);
    r = run_qiss(base + " -k 10 --json", false);
    const json ten = json::parse(r.output);
    r = run_qiss(base + " -k 5 --json --after " + first["next"].get<std::string>(), false);
    ASSERT_EQ(r.exit_code, 0) << r.output;
    const json second = json::parse(r.output);
    for (int i = 0; i < 5; ++i) EXPECT_EQ(second["results"][i]["id"], ten["results"][5 + i]["id"]);
    r = run_qiss(base + " -k 5");
    EXPECT_NE(r.output.find("next page: --after " + first["next"].get<std::string>()),
              std::string::npos)
        << r.output;
    r = run_qiss(base + " -k 5 --after garbage");
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.output.find("invalid cursor"), std::string::npos) << r.output;
}
