// `qiss serve` against hostile clients (issue 12), over raw sockets on 127.0.0.1: bodies over
// the limit (chunked too), idle and slowloris connections, ambiguous framing (RFC 9112),
// numbers out of range, bodies without Content-Type, and image_url aimed at this host.
#include <poll.h>

#include <fstream>
#include <thread>

#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "server_fixture.h"

using namespace qiss;
using namespace qiss::test;

namespace {

/// The server's resident memory (VmRSS of /proc/PID/status) in bytes.
std::size_t rss_bytes(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    for (std::string line; std::getline(in, line);)
        if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6)) * 1024;
    return 0;
}

/// The status of the first answer in `raw` ("HTTP/1.1 413 …" → 413), 0 if none.
int status_of(const std::string& raw) {
    if (raw.rfind("HTTP/1.", 0) != 0 || raw.size() < 12) return 0;
    return std::atoi(raw.substr(9, 3).c_str());
}

/// Whether `fd` has something to read (or was closed) within `ms` milliseconds.
bool readable(int fd, int ms) {
    pollfd p{fd, POLLIN, 0};
    return ::poll(&p, 1, ms) > 0;
}

const std::string kJsonSearch =
    "POST /api/search HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n";

}  // namespace

TEST_F(ServerTest, ChunkedBodyOverTheLimitIs413AndNeverBuffered) {
    Served& s = start("http-chunked", {"--max-upload-mb", "4"});
    ASSERT_GT(s.port, 0);
    const pid_t pid = s.serve->pid();
    // Warm up first (model, tokenizer, the background refresh thread's first round), so that
    // what grows below is what the body costs.
    auto cli = s.serve->client();
    ASSERT_EQ(parse(cli.Get("/api/search?q=cat&k=2"))["results"].size(), 2u);
    std::this_thread::sleep_for(std::chrono::milliseconds(1200));
    const std::size_t limit = 4000000 + (64u << 10), before = rss_bytes(pid);
    ASSERT_GT(before, 0u);
    const int fd = connect_to(s.port);
    const std::string head = kJsonSearch + "Transfer-Encoding: chunked\r\n\r\n";
    ASSERT_EQ(::send(fd, head.data(), head.size(), MSG_NOSIGNAL), (ssize_t)head.size());
    // Up to 64 MB in chunks of 64 KiB, watching the server's memory, until it answers.
    const std::string chunk = "10000\r\n" + std::string(65536, 'a') + "\r\n";
    std::size_t sent = 0, peak = before;
    while (sent < (64u << 20) && !readable(fd, 0)) {
        if (::send(fd, chunk.data(), chunk.size(), MSG_NOSIGNAL) != (ssize_t)chunk.size()) break;
        sent += 65536;
        if (sent % (1u << 20) == 0) peak = std::max(peak, rss_bytes(pid));
    }
    ASSERT_TRUE(readable(fd, 10000)) << "no answer after " << sent << " bytes";
    char buf[4096];
    const ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    ASSERT_GT(n, 0);
    const std::string answer(buf, n);
    ::close(fd);
    EXPECT_EQ(status_of(answer), 413) << answer;
    EXPECT_NE(answer.find("\"status\":413"), std::string::npos) << answer;
    EXPECT_LT(sent, 3 * limit) << "the server read far past the limit before answering";
#ifdef __SANITIZE_ADDRESS__
    // AddressSanitizer keeps freed memory in quarantine (256 MB by default) to catch its reuse:
    // every chunk read and freed stays resident, and its realloc never grows a block in place,
    // so each doubling of the body's buffer stays too (about 2x the limit) beside the last one.
    // Measured at 2026-12-01: 15.2 MB for 7.1 MB sent with a 4 MB limit.
    const std::size_t allowed = sent + 3 * limit;
#else
    const std::size_t allowed = 2 * limit;
#endif
    EXPECT_LT(peak - before, allowed) << "RSS grew from " << before << " to " << peak;
    // A chunked body within the limit is read and answered.
    const std::string body = R"({"text":"cat","k":2})";
    const std::string ok = raw_request(
        s.port, kJsonSearch + "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n" +
                    fmt::format("{:x}\r\n{}\r\n0\r\n\r\n", body.size(), body));
    EXPECT_EQ(status_of(ok), 200) << ok;
}

TEST_F(ServerTest, IdleAndSlowlorisConnectionsDoNotBlockSearches) {
    Served& s =
        start("http-slowloris", {"--threads", "2", "--header-timeout", "3", "--read-timeout", "3"});
    ASSERT_GT(s.port, 0);
    std::vector<int> idle, slow;
    for (int i = 0; i < 200; ++i) idle.push_back(connect_to(s.port));
    const std::string start_line = "GET /api/health HTTP/1.1\r\nHost: x\r\n";
    for (int i = 0; i < 50; ++i) {
        slow.push_back(connect_to(s.port));
        ::send(slow.back(), start_line.data(), start_line.size(), MSG_NOSIGNAL);
    }
    // One header line every 500 ms on each slow connection until the server closes it.
    std::atomic<bool> done{false};
    std::vector<bool> closed(slow.size(), false);
    std::thread loris([&] {
        for (int round = 0; round < 60 && !done; ++round) {
            done = true;
            for (std::size_t i = 0; i < slow.size(); ++i) {
                if (closed[i]) continue;
                char byte;
                if (readable(slow[i], 0) && ::recv(slow[i], &byte, 1, MSG_DONTWAIT) <= 0) {
                    closed[i] = true;
                    continue;
                }
                const std::string line = "X-Slow-" + std::to_string(round) + ": 1\r\n";
                if (::send(slow[i], line.data(), line.size(), MSG_NOSIGNAL) < 0) closed[i] = true;
                done = done && closed[i];
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(500));
        }
    });
    // A normal search answers while all of them are open.
    httplib::Client cli("127.0.0.1", s.port);
    cli.set_read_timeout(std::chrono::seconds(10));
    auto r = cli.Get("/api/search?q=cat&k=3");
    ASSERT_TRUE(r) << "no answer with 200 idle and 50 slow connections open";
    EXPECT_EQ(r->status, 200) << r->body;
    loris.join();
    for (std::size_t i = 0; i < slow.size(); ++i)
        EXPECT_TRUE(closed[i]) << "slowloris connection " << i << " is still open after 30 s";
    // The idle ones are closed too (nothing sent for --read-timeout).
    for (int fd : idle) {
        char byte;
        EXPECT_TRUE(readable(fd, 10000) && ::recv(fd, &byte, 1, 0) <= 0);
    }
    for (int fd : idle) ::close(fd);
    for (int fd : slow) ::close(fd);
}

TEST_F(ServerTest, AmbiguousFramingIsRefused) {
    Served& s = start("http-framing");
    ASSERT_GT(s.port, 0);
    const std::string body = R"({"text":"cat"})";
    const std::string len = std::to_string(body.size());
    auto expect_refused = [&](const std::string& headers, int status, const std::string& what) {
        const std::string answer =
            raw_request(s.port, kJsonSearch + headers + "\r\n" + body + "0\r\n\r\n");
        EXPECT_EQ(status_of(answer), status) << what << ":\n" << answer;
        EXPECT_NE(answer.find("\"status\":" + std::to_string(status)), std::string::npos) << answer;
        // The connection is closed after the refusal: nothing more is answered.
        EXPECT_EQ(answer.find("HTTP/1.1", 5), std::string::npos) << answer;
    };
    expect_refused("Content-Length: " + len + "\r\nContent-Length: 5\r\n", 400,
                   "two different Content-Length");
    expect_refused("Content-Length: " + len + "\r\nTransfer-Encoding: chunked\r\n", 400,
                   "Content-Length then Transfer-Encoding");
    expect_refused("Transfer-Encoding: chunked\r\nContent-Length: " + len + "\r\n", 400,
                   "Transfer-Encoding then Content-Length");
    expect_refused("Transfer-Encoding: gzip\r\nContent-Length: " + len + "\r\n", 400,
                   "an unknown Transfer-Encoding with a Content-Length");
    expect_refused("Transfer-Encoding: gzip\r\n", 501, "an unknown Transfer-Encoding");
    expect_refused("Transfer-Encoding: gzip, chunked\r\n", 501, "a coding before chunked");
    expect_refused("Content-Length: " + len + "\r\nX-Folded: a\r\n b\r\n", 400, "obs-fold");
    expect_refused("Content-Length: " + len + "\r\nX-Long: " + std::string(20000, 'a') + "\r\n",
                   431, "a header over the limit");
    const std::string long_line =
        raw_request(s.port, "GET /api/search?q=" + std::string(9000, 'a') + " HTTP/1.1\r\n\r\n");
    EXPECT_EQ(status_of(long_line), 414) << long_line;

    // Pipelined requests are all answered, in order.
    const std::string pipelined = raw_request(
        s.port, "GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n" + kJsonSearch +
                    "Content-Length: " + len + "\r\n\r\n" + body +
                    "GET /api/images/1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    const std::size_t first = pipelined.find("HTTP/1.1 200");
    const std::size_t second = pipelined.find("HTTP/1.1 200", first + 1);
    const std::size_t third = pipelined.find("HTTP/1.1 200", second + 1);
    ASSERT_NE(third, std::string::npos) << pipelined;
    EXPECT_NE(pipelined.substr(first, second - first).find("\"status\":\"ok\""), std::string::npos);
    EXPECT_NE(pipelined.substr(second, third - second).find("\"results\""), std::string::npos);
    EXPECT_NE(pipelined.substr(third).find("\"id\":1,"), std::string::npos) << pipelined;
}

TEST_F(ServerTest, OutOfRangeNumbersAndMissingContentTypeAreClientErrors) {
    Served& s = start("http-json");
    ASSERT_GT(s.port, 0);
    auto cli = s.serve->client();
    expect_error(cli.Post("/api/search", R"({"text":"cat","k":1e400})", "application/json"), 400,
                 "out of range");
    expect_error(cli.Post("/api/search", R"({"id":1e400})", "application/json"), 400,
                 "out of range");
    expect_error(cli.Post("/api/search", R"({"id":-1e400})", "application/json"), 400,
                 "out of range");
    expect_error(cli.Post("/api/search", R"({"text":"cat","k":1e300})", "application/json"), 400,
                 "\"k\" must be an integer");
    // JSON without a Content-Type is not parsed (a page's form or a no-cors fetch sends such).
    const std::string body = R"({"text":"cat"})";
    const std::string answer =
        raw_request(s.port,
                    "POST /api/search HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                    "Content-Length: " +
                        std::to_string(body.size()) + "\r\n\r\n" + body);
    EXPECT_EQ(status_of(answer), 415) << answer;
    EXPECT_NE(answer.find("Content-Type"), std::string::npos) << answer;
    expect_error(cli.Post("/api/search", body, "text/plain"), 415, "Content-Type");
    expect_error(cli.Post("/api/search", body, "application/jsonx"), 415, "Content-Type");
    auto ok = cli.Post("/api/search", body, "application/json; charset=utf-8");
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->status, 200) << ok->body;
}

TEST_F(ServerTest, ImageUrlIsOptInAndNeverReachesThisHost) {
    {
        Served& s = start("http-url-off");
        ASSERT_GT(s.port, 0);
        auto cli = s.serve->client();
        expect_error(cli.Post("/api/search", R"({"image_url":"http://example.org/a.png"})",
                              "application/json"),
                     403, "--allow-image-url");
    }
    Served& s = start("http-url-on", {"--allow-image-url"});
    ASSERT_GT(s.port, 0);
    auto cli = s.serve->client();
    const std::string self =
        "http://127.0.0.1:" + std::to_string(s.port) + "/api/images/1/thumbnail";
    // An open and a closed port give the same answer: no probing of this host's ports.
    for (const std::string& url :
         {self, std::string("http://127.0.0.1:1/a.png"),
          "http://localhost:" + std::to_string(s.port) + "/", std::string("http://[::1]:1/"),
          std::string("http://10.0.0.1/"), std::string("http://169.254.169.254/latest/meta-data/"),
          std::string("http://0.0.0.0:1/")}) {
        auto r =
            cli.Post("/api/search", nlohmann::json{{"image_url", url}}.dump(), "application/json");
        expect_error(r, 403, "address");
    }
}
