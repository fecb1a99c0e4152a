// Collapsed searches (`collapse`): near-duplicates folded into one result with their ids listed
// under it, through the CLI (`qiss search --collapse`) and the HTTP API (`collapse=`), on a
// collection of emoji and byte-different copies of some of them with the same pixels (which the
// tiny model embeds identically; distinct emoji stay below 0.999, see test_dupes.cpp).
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>

#include "engine/query_spec.h"
#include "server_fixture.h"

using namespace qiss;
using namespace qiss::test;

namespace {

/// Ten emoji of different families; e0..e3 with two pixel-equal copies each.
fs::path copies_collection(const TempDir& dir) {
    const fs::path in = dir / "in";
    fs::create_directories(in);
    const std::vector<fs::path> all = emoji_files_without_skin_tones();
    for (std::size_t i = 0; i < 10; ++i) {
        const fs::path src = all[300 + 70 * i];
        const std::string stem = fmt::format("e{}", i);
        fs::copy_file(src, in / (stem + ".png"));
        if (i >= 4) continue;
        const cv::Mat rgba = cv::imread(src.string(), cv::IMREAD_UNCHANGED);
        cv::imwrite((in / (stem + "-a.png")).string(), rgba, {cv::IMWRITE_PNG_COMPRESSION, 0});
        cv::imwrite((in / (stem + "-b.png")).string(), rgba, {cv::IMWRITE_PNG_COMPRESSION, 1});
    }
    const fs::path data = dir / "data";
    const auto r = run_qiss("index --data " + data.string() + " --model " +
                            std::string(QISS_TEST_DATA) + "/tiny.qiss " + in.string());
    EXPECT_EQ(r.exit_code, 0) << r.output;
    return data;
}

std::string stem_of(const json& result) {
    const std::string file = fs::path(result["source"].get<std::string>()).filename();
    return file.substr(0, file.find_first_of("-."));
}

/// A collapsed answer: no two results are copies of one emoji, and every result of e0..e3 that
/// comes with its copies lists them under it. Returns the stems in order.
std::vector<std::string> check_collapsed(const json& answer, float threshold) {
    EXPECT_NEAR(answer["query"]["collapse"].get<double>(), threshold, 1e-6) << answer.dump();
    std::vector<std::string> stems;
    for (const auto& r : answer["results"]) {
        EXPECT_TRUE(r.contains("similar") && r["similar"].is_array()) << r.dump();
        const std::string s = stem_of(r);
        EXPECT_EQ(std::count(stems.begin(), stems.end(), s), 0) << s << " twice: " << answer.dump();
        stems.push_back(s);
    }
    return stems;
}

}  // namespace

TEST(Collapse, CliFoldsCopiesUnderOneResultAndPagesTheFoldedList) {
    TempDir dir("collapse-cli");
    const fs::path data = copies_collection(dir);
    const auto id_of_e0 = [&] {
        const auto r = run_qiss("search --json -k 1 --data " + data.string() + " --image " +
                                    (dir / "in" / "e0.png").string(),
                                false);
        return json::parse(r.output)["results"][0]["id"].get<std::uint64_t>();
    }();
    const std::string by_id =
        fmt::format("search --json --id {} --data {}", id_of_e0, data.string());
    // Plain: the two other copies of e0 come first, each a result of its own.
    auto r = run_qiss(by_id + " -k 4", false);
    ASSERT_EQ(r.exit_code, 0) << r.output;
    json plain = json::parse(r.output);
    ASSERT_GE(plain["results"].size(), 2u);
    EXPECT_EQ(stem_of(plain["results"][0]), "e0");
    EXPECT_EQ(stem_of(plain["results"][1]), "e0");
    EXPECT_FALSE(plain["results"][0].contains("similar"));
    // Collapsed: one e0 result with the other copy under it, then three other emoji.
    r = run_qiss(by_id + " -k 4 --collapse-threshold 0.999", false);
    ASSERT_EQ(r.exit_code, 0) << r.output;
    const json folded = json::parse(r.output);
    const auto stems = check_collapsed(folded, 0.999f);
    ASSERT_EQ(stems.size(), 4u);
    EXPECT_EQ(stems[0], "e0");
    EXPECT_EQ(folded["results"][0]["similar"].size(), 1u) << folded.dump();
    // The next page continues the folded order.
    r = run_qiss(by_id + " --collapse-threshold 0.999 --offset 1 -k 3", false);
    ASSERT_EQ(r.exit_code, 0) << r.output;
    const auto page2 = check_collapsed(json::parse(r.output), 0.999f);
    EXPECT_EQ(page2, std::vector<std::string>(stems.begin() + 1, stems.end()));
    // --collapse alone: the default threshold; the text form says "+N similar".
    r = run_qiss(fmt::format("search -k 4 --id {} --collapse --data {}", id_of_e0, data.string()));
    ASSERT_EQ(r.exit_code, 0) << r.output;
    // (The tiny model folds other emoji too at 0.97; the count is not asserted.)
    EXPECT_TRUE(std::regex_search(r.output, std::regex(R"(\(\+\d+ similar\))"))) << r.output;
    // Out of range: a clear error.
    r = run_qiss(by_id + " --collapse-threshold 1.5");
    EXPECT_NE(r.exit_code, 0) << r.output;
}

TEST(Collapse, ApiFoldsCopiesAndRejectsBadValues) {
    TempDir dir("collapse-api");
    const fs::path data = copies_collection(dir);
    ServeProcess serve(data, dir.path());
    ASSERT_GT(serve.wait_port(), 0) << serve.output();
    auto cli = serve.client();
    // An id of e1 (18 = every image of the collection).
    const json all = parse(cli.Get("/api/search?q=face&k=18"));
    std::uint64_t id_e1 = 0;
    for (const auto& r : all["results"])
        if (stem_of(r) == "e1") id_e1 = r["id"].get<std::uint64_t>();
    ASSERT_NE(id_e1, 0u) << all.dump();
    const json similar =
        parse(cli.Get(fmt::format("/api/images/{}/similar?k=3&collapse=0.999", id_e1)));
    const auto stems = check_collapsed(similar, 0.999f);
    ASSERT_EQ(stems.size(), 3u);
    EXPECT_EQ(stems[0], "e1");
    EXPECT_EQ(similar["results"][0]["similar"].size(), 1u) << similar.dump();
    // A text search, GET and POST: collapsed answers hold each emoji once; true = the default.
    check_collapsed(parse(cli.Get("/api/search?q=face&k=10&collapse=0.999")), 0.999f);
    check_collapsed(parse(cli.Post("/api/search", R"({"text":"face","k":10,"collapse":true})",
                                   "application/json")),
                    kDefaultDupeThreshold);
    const json off = parse(cli.Get("/api/search?q=face&k=18&collapse=false"));
    EXPECT_FALSE(off["query"].contains("collapse"));
    EXPECT_EQ(off["results"].size(), 18u);
    // Bad values are 400s with a JSON error naming the parameter.
    expect_error(cli.Get("/api/search?q=face&collapse=2"), 400, "collapse");
    expect_error(cli.Get("/api/search?q=face&collapse=maybe"), 400, "collapse");
    expect_error(cli.Post("/api/search", R"({"text":"face","collapse":"yes"})", "application/json"),
                 400, "collapse");
    expect_error(cli.Post("/api/search", R"({"text":"face","collapse":0})", "application/json"),
                 400, "collapse");
    // Folding compares candidates with every kept result: a collapsed page ends by result max_k.
    expect_error(cli.Get("/api/search?q=face&collapse=true&k=1000&offset=1"), 400,
                 "a collapsed search reaches at most result 1000");
}
