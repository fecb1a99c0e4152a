// `qiss serve` under load and misuse: searches during additions and deletions, a read-only
// server following a concurrent `qiss index`, exclusive ports, and clients that stall.
#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "server_fixture.h"

using namespace qiss;
using namespace qiss::test;

TEST_F(ServerTest, SearchesRunWhileImagesAreAddedAndDeleted) {
    Served& s = start("server-concurrent", {"--token-file", "TOKEN"});
    ASSERT_GT(s.port, 0);
    const auto files = emoji_files();
    std::mutex mu;
    std::set<std::uint64_t> returned, deleted;
    std::vector<std::string> failures;
    std::atomic<bool> adding{true};

    std::thread adder([&] {
        auto cli = s.serve->client();
        for (std::size_t i = 0; i < 20; ++i) {
            auto r = cli.Post("/api/images", kAuth, image_form(read_all(files[200 + i]), "n.png"));
            std::lock_guard lock(mu);
            if (!r || r->status != 201) {
                failures.push_back("add: " + (r ? r->body : std::string("no answer")));
                continue;
            }
            if (i % 4 == 3) {
                const std::uint64_t id = json::parse(r->body)["id"];
                deleted.insert(id);  // before the DELETE: a search may return it until then
                auto d = cli.Delete("/api/images/" + std::to_string(id), kAuth);
                if (!d || d->status != 200) failures.push_back("delete failed");
            }
        }
        adding = false;
    });
    const std::vector<std::string> queries = {"chat",  "dog",       "Katze",  "coeur%20rouge",
                                              "smile", "%E7%8C%AB", "sonrisa"};
    std::vector<std::thread> searchers;
    for (int t = 0; t < 4; ++t) {
        searchers.emplace_back([&, t] {
            auto cli = s.serve->client();
            for (int n = 0; n < 25; ++n) {
                auto r = cli.Get("/api/search?k=10&q=" + queries[(t * 25 + n) % queries.size()]);
                std::lock_guard lock(mu);
                if (!r || r->status != 200) {
                    failures.push_back("search: " + (r ? r->body : std::string("no answer")));
                    continue;
                }
                const json answer = json::parse(r->body);  // outlives the loop over its results
                for (const auto& h : answer["results"])
                    returned.insert(h["id"].get<std::uint64_t>());
            }
        });
    }
    for (auto& t : searchers) t.join();
    adder.join();
    EXPECT_TRUE(failures.empty()) << failures.size() << " failures, first: " << failures.front();

    auto cli = s.serve->client();
    for (std::uint64_t id : returned) {
        auto r = cli.Get("/api/images/" + std::to_string(id));
        ASSERT_TRUE(r);
        EXPECT_TRUE(r->status == 200 || deleted.count(id)) << id << ": " << r->status;
    }
    auto m = cli.Get("/metrics");
    ASSERT_TRUE(m);
    std::smatch match;
    ASSERT_TRUE(std::regex_search(
        m->body, match,
        std::regex(R"(qiss_http_requests_total\{endpoint="search",status="200"\} (\d+))")))
        << m->body;
    EXPECT_EQ(std::stoi(match[1]), 100);
    EXPECT_NE(m->body.find("qiss_http_requests_total{endpoint=\"add_image\",status=\"201\"} 20"),
              std::string::npos)
        << m->body;
    EXPECT_NE(m->body.find("qiss_index_vectors 55"), std::string::npos) << m->body;
    EXPECT_NE(m->body.find("qiss_queries_total{language="), std::string::npos) << m->body;
}

TEST_F(ServerTest, ReadOnlyServerSeesImagesIndexedMeanwhileAndPortsAreExclusive) {
    Served& s = start("server-refresh");
    ASSERT_GT(s.port, 0);
    auto cli = s.serve->client();
    EXPECT_EQ(parse(cli.Get("/api/health"))["images"], 40);
    const auto files = emoji_files();
    fs::create_directories(s.dir / "extra");
    for (std::size_t i = 300; i < 305; ++i)
        fs::copy_file(files[i], s.dir / "extra" / files[i].filename());
    auto r = test::run_qiss("index --data " + s.data.string() + " " + (s.dir / "extra").string());
    ASSERT_EQ(r.exit_code, 0) << r.output;
    // A background thread applies the store's log once per --refresh-interval (1 s).
    EXPECT_TRUE(wait_for_health(cli, "index_vectors", 45)) << s.serve->output();
    json found = parse(cli.Post("/api/search?k=1", image_form(read_all(files[302]), "q.png")));
    ASSERT_EQ(found["results"].size(), 1u);
    EXPECT_EQ(fs::path(found["results"][0]["source"].get<std::string>()).filename(),
              files[302].filename());
    json health = parse(cli.Get("/api/health"));
    EXPECT_EQ(health["images"], 45);
    EXPECT_EQ(health["index_vectors"], 45);

    auto busy =
        test::run_qiss("serve --data " + s.data.string() + " --port " + std::to_string(s.port));
    EXPECT_EQ(busy.exit_code, 1) << busy.output;
    EXPECT_NE(busy.output.find("cannot listen on 127.0.0.1:" + std::to_string(s.port)),
              std::string::npos)
        << busy.output;
    auto no_data = test::run_qiss("serve --data " + (s.dir / "nothing").string() + " --port 0");
    EXPECT_EQ(no_data.exit_code, 1);
    EXPECT_NE(no_data.output.find("not a qiss collection"), std::string::npos) << no_data.output;
}

TEST_F(ServerTest, ReadOnlyServerReloadsAnIndexReTypedByAnotherProcess) {
    Served& s = start("server-retyped", {"--refresh-interval", "0.2"});
    auto cli = s.serve->client();
    ASSERT_EQ(parse(cli.Get("/api/health"))["index_factory"], "Flat");
    // Another process re-types the index file (as `qiss index` does when the collection
    // outgrows Flat). Before, the server kept searching its Flat copy next to the HNSW file.
    auto r = test::run_qiss("index --data " + s.data.string() + " --index HNSW32 " +
                            emoji_files()[310].string());
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_TRUE(wait_for_health(cli, "index_factory", "HNSW32")) << s.serve->output();
    const json health = parse(cli.Get("/api/health"));
    EXPECT_EQ(health["index_vectors"], health["images"]);
    EXPECT_NE(s.serve->output().find("re-typed by another process (Flat -> HNSW32)"),
              std::string::npos)
        << s.serve->output();
    // Searches go on over the reloaded index.
    json found = parse(cli.Get("/api/search?k=3&q=cat"));
    EXPECT_EQ(found["results"].size(), 3u);
}

TEST_F(ServerTest, SilentClientsAreDroppedAndBodilessPostsAnsweredAtOnce) {
    Served& s = start("server-slow",
                      {"--threads", "2", "--read-timeout", "1", "--keep-alive-timeout", "1"});
    ASSERT_GT(s.port, 0);
    // No Content-Length: no body (RFC 9112); answered at once instead of after a read timeout.
    std::string r =
        raw_request(s.port, "POST /api/search HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    EXPECT_EQ(r.rfind("HTTP/1.1 411", 0), 0u) << r;
    r = raw_request(s.port, "PATCH /api/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    EXPECT_EQ(r.rfind("HTTP/1.1 405", 0), 0u) << r;
    // Two clients that send nothing hold both workers only until the timeouts drop them.
    const int a = connect_to(s.port), b = connect_to(s.port);
    auto cli = s.serve->client();
    auto health = cli.Get("/api/health");
    ASSERT_TRUE(health);
    EXPECT_EQ(health->status, 200);
    char byte;
    EXPECT_EQ(::recv(a, &byte, 1, 0), 0) << "the silent connection was not closed";
    ::close(a);
    ::close(b);
}
