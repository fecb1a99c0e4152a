// Filters (issue 13 item 5): the filter's two textual forms and their errors; the record
// table's selection against a record-by-record check, following adds and removals made by other
// processes; filtered searches (by the exact scan and by the index restricted with a FAISS
// IDSelector, Flat and HNSW) against the exact top k of the images that pass; paging with a
// cursor under a filter; the HTTP API and the CLI. Real collections built with the tiny model
// from a manifest whose lines carry fields.
#include <chrono>
#include <set>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "common/error_kind.h"
#include "engine/collection.h"
#include "engine/filter.h"
#include "engine/query.h"
#include "server/http_framing.h"
#include "server_fixture.h"

using namespace qiss;
using namespace qiss::test;

namespace {

std::int64_t now_ms() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

/// A collection of 36 emoji from a manifest (fields vendor a/b/c, tags, n, flag) in `in/` and,
/// added by a second `qiss index` after `between_ms`, 8 emoji of folder `more/`, 4 of them
/// re-encoded as 100×80 JPEGs.
struct FieldCollection {
    explicit FieldCollection(const std::string& name, const std::string& index_args = "")
        : dir(name), data(dir / "data") {
        const auto files = copy_emoji(dir / "in", 36);
        std::ofstream manifest(dir / "in" / "manifest.jsonl");
        for (std::size_t i = 0; i < files.size(); ++i) {
            json line = {{"path", files[i].filename().string()},
                         {"vendor", std::string(1, static_cast<char>('a' + i % 3))},
                         {"tags", i % 2 ? json{"odd", "x"} : json{"even"}},
                         {"n", i},
                         {"flag", i < 10}};
            manifest << line.dump() << "\n";
        }
        manifest.close();
        const std::string model = " --model " + std::string(QISS_TEST_DATA) + "/tiny.qiss ";
        auto r = run_qiss("index --data " + data.string() + model + index_args + " " +
                          (dir / "in" / "manifest.jsonl").string());
        EXPECT_EQ(r.exit_code, 0) << r.output;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        between_ms = now_ms();
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        const auto more = copy_emoji(dir / "more", 8, 100);
        for (std::size_t i = 0; i < 4; ++i) {
            cv::Mat img = cv::imread(more[i].string(), cv::IMREAD_COLOR), big;
            cv::resize(img, big, cv::Size(100, 80));
            cv::imwrite((dir / "more" / fmt::format("big{}.jpg", i)).string(), big);
            fs::remove(more[i]);
        }
        r = run_qiss("index --data " + data.string() + model + index_args + " " +
                     (dir / "more").string());
        EXPECT_EQ(r.exit_code, 0) << r.output;
    }
    TempDir dir;
    fs::path data;
    std::int64_t between_ms = 0;
};

/// The ids of every stored image that passes `f`, by filter_matches on each record.
std::vector<std::uint64_t> passing(const Collection& c, const Filter& f) {
    std::vector<std::uint64_t> ids;
    for (std::uint64_t id = 1; id < 500; ++id)
        if (auto r = c.store().get(id); r && filter_matches(f, *r)) ids.push_back(id);
    return ids;
}

Filter conditions(std::initializer_list<const char*> list) {
    Filter f;
    for (const char* c : list) add_condition(f, c);
    check_filter(f);
    return f;
}

/// The exact top k of the images passing `f` for the text query: (id, score), best first.
std::vector<std::pair<std::uint64_t, float>> exact_top(const Collection& c, const std::string& text,
                                                       const Filter& f, std::size_t k) {
    const std::vector<float> q = c.embed_text(text);
    std::vector<std::pair<std::uint64_t, float>> all;
    for (std::uint64_t id : passing(c, f)) {
        const auto v = c.vector_of(id);
        float s = 0;
        for (std::size_t i = 0; i < q.size(); ++i) s += q[i] * (*v)[i];
        all.emplace_back(id, s);
    }
    std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) {
        return a.second != b.second ? a.second > b.second : a.first < b.first;
    });
    if (all.size() > k) all.resize(k);
    return all;
}

Query filtered_text(const std::string& text, int k, const Filter& f) {
    Query q;
    q.kind = Query::Kind::Text;
    q.text = text;
    q.k = k;
    q.filter = f;
    return q;
}

void expect_same_ranking(const std::vector<Hit>& hits,
                         const std::vector<std::pair<std::uint64_t, float>>& want,
                         const std::string& what) {
    ASSERT_EQ(hits.size(), want.size()) << what;
    for (std::size_t i = 0; i < hits.size(); ++i) {
        EXPECT_EQ(hits[i].id, want[i].first) << what << " rank " << i;
        EXPECT_NEAR(hits[i].score, want[i].second, 1e-4) << what << " rank " << i;
    }
}

}  // namespace

TEST(Filter, ParsesBothFormsAndRefusesBadOnes) {
    const Filter f = filter_from_json(json::parse(R"({
        "root": "/photos", "source_prefix": "/photos/cats/", "added_after": "2026-11-01",
        "added_before": 1798761600000, "min_width": 10, "max_height": 2000,
        "format": ["PNG", "jpeg"], "fields": {"vendor": "google", "n": [1, 2], "flag": true}})"));
    EXPECT_EQ(f.root, "/photos");
    EXPECT_EQ(f.added_after, 1793491200000);
    EXPECT_EQ(f.added_before, 1798761600000);
    EXPECT_EQ(f.formats, (std::vector<std::string>{"png", "jpeg"}));
    EXPECT_EQ(f.fields.at("n"), (std::vector<std::string>{"1", "2"}));
    EXPECT_EQ(f.fields.at("flag"), (std::vector<std::string>{"true"}));
    // The JSON form round-trips, and the KEY=VALUE form says the same.
    EXPECT_EQ(filter_to_json(filter_from_json(filter_to_json(f))), filter_to_json(f));
    const Filter g = conditions(
        {"root=/photos", "source_prefix=/photos/cats/", "added_after=2026-11-01",
         "added_before=1798761600000", "min_width=10", "max_height=2000", "format=PNG",
         "format=jpeg", "field.vendor=google", "field.n=1", "field.n=2", "field.flag=true"});
    EXPECT_EQ(filter_to_json(g), filter_to_json(f));
    EXPECT_TRUE(Filter{}.empty());
    EXPECT_FALSE(g.empty());

    const auto refused = [](const std::string& body, const std::string& fragment) {
        const std::string e = error_of([&] { filter_from_json(json::parse(body)); });
        EXPECT_NE(e.find(fragment), std::string::npos) << body << " -> " << e;
    };
    refused(R"({"vendor": "google"})", "unknown filter member 'vendor'");
    refused(R"({"min_width": -1})", "min_width must be a number of pixels");
    refused(R"({"min_width": 1.5})", "min_width must be a number of pixels");
    refused(R"({"min_width": 9, "max_width": 3})", "nothing can match");
    refused(R"({"added_after": "2026-12-01", "added_before": "2026-11-01"})",
            "added_after must be before added_before");
    refused(R"({"added_after": "yesterday"})", "must be a date");
    refused(R"({"added_after": "2026-02-30"})", "must be a date");
    refused(R"({"format": []})", "empty list");
    refused(R"({"format": 3})", "format must be a string");
    refused(R"({"fields": {"tags": {"a": 1}}})", "must be a string, a number, a boolean");
    refused(R"({"fields": {"tags": []}})", "has no value");
    refused(R"({"root": ""})", "must not be empty");
    refused(R"([1])", "must be a JSON object");
    refused(json{{"root", std::string(1001, 'x')}}.dump(), "the limit is 1000");
    json many = json::array();
    for (int i = 0; i < 65; ++i) many.push_back(std::to_string(i));
    refused(json{{"fields", {{"tags", many}}}}.dump(), "the limit is 64");

    const auto refused_condition = [](const std::string& condition, const std::string& fragment) {
        const std::string e = error_of([&] { conditions({condition.c_str()}); });
        EXPECT_NE(e.find(fragment), std::string::npos) << condition << " -> " << e;
    };
    refused_condition("vendor=google", "unknown filter key 'vendor'");
    refused_condition("format", "KEY=VALUE");
    refused_condition("=png", "KEY=VALUE");
    refused_condition("min_width=wide", "number of pixels");
    refused_condition("field.=x", "field name must not be empty");
    EXPECT_NE(error_of([] {
                  conditions({"root=/a", "root=/b"});
              }).find("given twice"),
              std::string::npos);
}

TEST(Filter, QueryStringValuesKeepEverythingAfterTheFirstEquals) {
    httplib::Params p;
    server::parse_query("q=un+chat&where=field.vendor=google&where=format%3Dpng&&flag&e=&k=5", p);
    const auto all = [&](const std::string& key) {
        std::vector<std::string> out;
        for (auto [it, end] = p.equal_range(key); it != end; ++it) out.push_back(it->second);
        return out;
    };
    EXPECT_EQ(all("q"), std::vector<std::string>{"un chat"});
    EXPECT_EQ(all("where"), (std::vector<std::string>{"field.vendor=google", "format=png"}));
    EXPECT_EQ(all("flag"), std::vector<std::string>{""});
    EXPECT_EQ(all("e"), std::vector<std::string>{""});
    EXPECT_EQ(all("k"), std::vector<std::string>{"5"});
    EXPECT_EQ(p.size(), 6u);
}

TEST(Filter, TimesAreRfc3339DatesOrMilliseconds) {
    EXPECT_EQ(parse_time_ms("1970-01-01", "t"), 0);
    EXPECT_EQ(parse_time_ms("2026-11-30", "t"), 1795996800000);
    EXPECT_EQ(parse_time_ms("2026-11-30T12:30:15Z", "t"), 1795996800000 + 45015000);
    EXPECT_EQ(parse_time_ms("2026-11-30T12:30:15.25Z", "t"), 1795996800000 + 45015250);
    EXPECT_EQ(parse_time_ms("2026-11-30T13:30:15+01:00", "t"), 1795996800000 + 45015000);
    EXPECT_EQ(parse_time_ms("2026-11-30T12:30", "t"), 1795996800000 + 45000000);
    EXPECT_EQ(parse_time_ms("-5", "t"), -5);
    for (const char* bad : {"", "2026-11-3", "2026/11/30", "2026-13-01", "2026-11-30T25:00",
                            "2026-11-30T12:00:00+1", "2026-11-30T12:00:00Zjunk", "2026-11-30T"})
        EXPECT_NE(error_of([&] {
                      parse_time_ms(bad, "added_after");
                  }).find("filter added_after must be a date"),
                  std::string::npos)
            << bad;
}

TEST(FilterEngine, SelectionMatchesEveryRecordAndFollowsOtherProcessesWrites) {
    FieldCollection fc("filter-select");
    CollectionOptions ro;
    ro.read_only = true;
    const auto c = Collection::open(fc.data, ro);
    const std::string in_root = fs::absolute(fc.dir / "in").lexically_normal().string();
    const std::string more_root = fs::absolute(fc.dir / "more").lexically_normal().string();
    const std::vector<Filter> filters = {
        conditions({"field.vendor=b"}),
        conditions({"field.vendor=a", "field.vendor=c", "field.tags=odd"}),
        conditions({"field.n=7"}),
        conditions({"field.flag=true", "field.tags=even"}),
        conditions({"format=jpeg"}),
        conditions({"format=png", "min_width=65"}),
        conditions({"min_width=100", "max_width=100", "min_height=80", "max_height=80"}),
        conditions({("root=" + more_root).c_str()}),
        conditions({("source_prefix=" + in_root + "/1f60").c_str()}),
        conditions({("added_after=" + std::to_string(fc.between_ms)).c_str()}),
        conditions({("added_before=" + std::to_string(fc.between_ms)).c_str()}),
        conditions({"field.vendor=zzz"}),
    };
    std::vector<std::size_t> sizes;
    for (const Filter& f : filters) {
        const std::vector<std::uint64_t> want = passing(*c, f);
        EXPECT_EQ(c->select(f).ids(), want) << filter_to_json(f).dump();
        sizes.push_back(want.size());
    }
    // The conditions do select something, and not everything.
    EXPECT_EQ(sizes[0], 12u);
    EXPECT_EQ(sizes[4], 4u);
    EXPECT_EQ(sizes[6], 4u);
    EXPECT_EQ(sizes[7], 8u);
    EXPECT_EQ(sizes[9], 8u);
    EXPECT_EQ(sizes[10], 36u);
    EXPECT_EQ(sizes[11], 0u);
    // Relative sources: the path below the indexed folder.
    Filter relative = conditions({"source_prefix=big"});
    relative.relative_sources = true;
    EXPECT_EQ(c->select(relative).size(), 4u);
    // A field no record has is an error of its own (not_found), not an empty selection.
    try {
        c->select(conditions({"field.vendr=b"}));
        ADD_FAILURE() << "no error";
    } catch (const Error& e) {
        EXPECT_EQ(error_kind(e), ErrorKind::not_found);
        EXPECT_NE(std::string(e.what()).find("no image of the collection has the field 'vendr'"),
                  std::string::npos);
    }
    // Another process removes two images and adds one: the next selection knows.
    const std::vector<std::uint64_t> b = c->select(filters[0]).ids();
    ASSERT_EQ(run_qiss(fmt::format("rm --data {} {} {}", fc.data.string(), b[0], b[1])).exit_code,
              0);
    copy_emoji(fc.dir / "late", 1, 200);
    std::ofstream(fc.dir / "late" / "m.jsonl")
        << json{{"path", emoji_files()[200].filename().string()}, {"vendor", "b"}}.dump() << "\n";
    ASSERT_EQ(
        run_qiss("index --data " + fc.data.string() + " " + (fc.dir / "late" / "m.jsonl").string())
            .exit_code,
        0);
    const std::vector<std::uint64_t> now = c->select(filters[0]).ids();
    EXPECT_EQ(now, passing(*c, filters[0]));
    EXPECT_EQ(now.size(), 11u);
    EXPECT_FALSE(std::count(now.begin(), now.end(), b[0]));
}

TEST(FilterEngine, FilteredSearchIsTheExactTopKOfThePassingImages) {
    FieldCollection flat("filter-search-flat");
    FieldCollection hnsw("filter-search-hnsw", "--index HNSW32");
    const std::vector<Filter> filters = {conditions({"field.vendor=b"}),
                                         conditions({"field.tags=odd", "format=png"}),
                                         conditions({"format=jpeg"}), conditions({"field.n=5"})};
    for (const fs::path& data : {flat.data, hnsw.data}) {
        for (std::size_t scan_max : {std::size_t{10000}, std::size_t{0}}) {
            // Two copies: a store is opened once per process.
            const fs::path copy = data.parent_path() / fmt::format("copy{}", scan_max);
            fs::remove_all(copy);
            fs::copy(data, copy, fs::copy_options::recursive);
            CollectionOptions o;
            o.read_only = true;
            o.filter_scan_max = scan_max;
            const auto c = Collection::open(copy, o);
            for (const Filter& f : filters) {
                for (const std::string text : {"face", "red heart"}) {
                    const std::string what =
                        fmt::format("{} scan_max {} {} {}", c->info().index_factory, scan_max,
                                    filter_to_json(f).dump(), text);
                    const QueryResult r = run_query(*c, filtered_text(text, 5, f));
                    expect_same_ranking(r.hits, exact_top(*c, text, f, 5), what);
                    EXPECT_EQ(r.filter_matches, passing(*c, f).size()) << what;
                    // Paging with a cursor walks the same order, without leaving the filter.
                    Query q = filtered_text(text, 3, f);
                    std::vector<Hit> walked;
                    for (int page = 0; page < 20; ++page) {
                        const QueryResult p = run_query(*c, q);
                        walked.insert(walked.end(), p.hits.begin(), p.hits.end());
                        if (p.next.empty()) break;
                        q.after = p.next;
                    }
                    expect_same_ranking(walked, exact_top(*c, text, f, 100), what + " paged");
                }
            }
            // A cursor of another filter is another query.
            const QueryResult first = run_query(*c, filtered_text("face", 3, filters[0]));
            ASSERT_FALSE(first.next.empty());
            Query other = filtered_text("face", 3, filters[1]);
            other.after = first.next;
            EXPECT_NE(error_of([&] { run_query(*c, other); }).find("another query"),
                      std::string::npos);
            // Similar images and collapsed searches keep to the filter too.
            Query similar;
            similar.kind = Query::Kind::Id;
            similar.id = first.hits.at(0).id;
            similar.k = 50;
            similar.filter = filters[0];
            const QueryResult sim = run_query(*c, similar);
            EXPECT_EQ(sim.hits.size(), passing(*c, filters[0]).size() - 1);
            Query collapsed = filtered_text("face", 50, filters[2]);
            collapsed.collapse = 0.97f;
            std::size_t shown = 0;
            for (const Hit& h : run_query(*c, collapsed).hits) {
                EXPECT_TRUE(filter_matches(filters[2], *c->store().get(h.id)));
                ++shown;
            }
            EXPECT_GE(shown, 1u);
            // A filter that keeps nothing is an error that says so.
            try {
                run_query(*c, filtered_text("face", 5, conditions({"field.vendor=zzz"})));
                ADD_FAILURE() << "no error";
            } catch (const Error& e) {
                EXPECT_EQ(error_kind(e), ErrorKind::not_found);
                EXPECT_NE(
                    std::string(e.what()).find("no image of the collection passes the filter"),
                    std::string::npos);
            }
        }
    }
}

TEST(FilterApi, WhereParametersAndTheJsonFilterRestrictEverySearch) {
    FieldCollection fc("filter-api");
    ServeProcess serve(fc.data, fc.dir.path());
    ASSERT_GT(serve.wait_port(), 0) << serve.output();
    auto cli = serve.client();
    const auto vendors = [&](const json& answer) {
        std::set<std::string> out;
        for (const auto& r : answer["results"]) {
            const json rec =
                parse(cli.Get(fmt::format("/api/images/{}", r["id"].get<std::uint64_t>())));
            out.insert(rec["metadata"].value("vendor", "-"));
        }
        return out;
    };
    const json get = parse(cli.Get("/api/search?q=face&k=50&where=field.vendor=b"));
    EXPECT_EQ(get["results"].size(), 12u);
    EXPECT_EQ(get["filter_matches"], 12);
    EXPECT_EQ(get["query"]["filter"], json({{"fields", {{"vendor", {"b"}}}}}));
    EXPECT_EQ(vendors(get), std::set<std::string>{"b"});
    // The same as a JSON member; several conditions all hold.
    const json post = parse(
        cli.Post("/api/search",
                 R"({"text":"face","k":50,"filter":{"fields":{"vendor":["a","b"],"tags":"odd"}}})",
                 "application/json"));
    EXPECT_EQ(post["filter_matches"], 12);
    EXPECT_EQ(vendors(post), (std::set<std::string>{"a", "b"}));
    // Similar images, a multipart upload, and relative source prefixes.
    const std::uint64_t id = get["results"][0]["id"];
    EXPECT_EQ(
        parse(cli.Get(fmt::format("/api/images/{}/similar?k=50&where=format=jpeg", id)))["results"]
            .size(),
        4u);
    httplib::MultipartFormDataItems form = image_form(read_all(emoji_files()[0]), "q.png");
    form.push_back({"where", "source_prefix=big", "", ""});
    form.push_back({"k", "50", "", ""});
    const json upload = parse(cli.Post("/api/search", form));
    EXPECT_EQ(upload["results"].size(), 4u);
    for (const auto& r : upload["results"])
        EXPECT_TRUE(r["source"].get<std::string>().starts_with("big")) << r.dump();
    // Bad filters are 4xx with a JSON error that names the problem.
    expect_error(cli.Get("/api/search?q=face&where=vendor=b"), 400, "unknown filter key 'vendor'");
    expect_error(cli.Get("/api/search?q=face&where=field.vendr=b"), 404,
                 "no image of the collection has the field 'vendr'");
    expect_error(cli.Get("/api/search?q=face&where=field.vendor=zzz"), 404,
                 "no image of the collection passes the filter");
    expect_error(cli.Get("/api/search?q=face&where=added_after=soon"), 400, "must be a date");
    expect_error(cli.Get("/api/search?q=face&where=min_width=9&where=max_width=3"), 400,
                 "nothing can match");
    expect_error(
        cli.Post("/api/search", R"({"text":"face","filter":{"colour":"red"}})", "application/json"),
        400, "unknown filter member 'colour'");
    expect_error(
        cli.Post("/api/search", R"({"text":"face","filter":"vendor=b"})", "application/json"), 400,
        "\"filter\" must be a JSON object");
    expect_error(cli.Post("/api/search?where=format=png", R"({"text":"face","filter":{}})",
                          "application/json"),
                 400, "give the filter once");
    // The server shows relative sources: it does not filter on (and so tell) its folders.
    expect_error(cli.Get("/api/search?q=face&where=root=/tmp"), 400, "filter with source_prefix");
    EXPECT_EQ(cli.Get("/api/health")->status, 200);
}

TEST(FilterCli, WhereKeepsToTheFilterAndExplainsBadConditions) {
    FieldCollection fc("filter-cli");
    const std::string base = "search --data " + fc.data.string() + " --text face -k 50 --json";
    const auto r = run_qiss(base + " --where field.vendor=c --where format=png", false);
    ASSERT_EQ(r.exit_code, 0) << r.output;
    const json j = json::parse(r.output);
    EXPECT_EQ(j["results"].size(), 12u);
    EXPECT_EQ(j["filter_matches"], 12);
    const auto root = run_qiss(
        base + " --where root=" + fs::absolute(fc.dir / "more").lexically_normal().string(), false);
    ASSERT_EQ(root.exit_code, 0) << root.output;
    EXPECT_EQ(json::parse(root.output)["results"].size(), 8u);
    const auto bad = run_qiss(base + " --where colour=red");
    EXPECT_NE(bad.exit_code, 0);
    EXPECT_NE(bad.output.find("unknown filter key 'colour'"), std::string::npos) << bad.output;
    const auto none = run_qiss(base + " --where field.vendor=zzz");
    EXPECT_NE(none.exit_code, 0);
    EXPECT_NE(none.output.find("passes the filter"), std::string::npos) << none.output;
}
