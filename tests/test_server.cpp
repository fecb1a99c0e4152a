// `qiss serve` end to end: the real binary as a child process on a free port of 127.0.0.1, a
// collection built here with the tiny model, and httplib::Client for every endpoint and error.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <mutex>
#include <regex>
#include <set>
#include <thread>

#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "test_support.h"

extern char** environ;

namespace fs = std::filesystem;
using namespace qiss;
using nlohmann::json;

namespace {

std::string read_all(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

/// The twitter emoji PNGs, sorted by name.
std::vector<fs::path> emoji_files() {
    fs::path src = test::source_dir() / "node_modules/emoji-datasource-twitter/img/twitter/64";
    std::vector<fs::path> all;
    for (const auto& e : fs::directory_iterator(src)) all.push_back(e.path());
    std::sort(all.begin(), all.end());
    return all;
}

/// A collection of the first 40 emoji, built once with `qiss index`; tests copy it.
const fs::path& base_collection() {
    static test::TempDir dir("server-base");
    static const fs::path data = [] {
        auto files = emoji_files();
        fs::create_directories(dir / "in");
        for (std::size_t i = 0; i < 40; ++i)
            fs::copy_file(files[i], dir / "in" / files[i].filename());
        fs::path d = dir / "data";
        auto r =
            test::run_qiss("index --data " + d.string() + " --model " +
                           std::string(QISS_TEST_DATA) + "/tiny.qiss " + (dir / "in").string());
        EXPECT_EQ(r.exit_code, 0) << r.output;
        return d;
    }();
    return data;
}

/// `qiss serve` running as a child; stopped (SIGTERM, then SIGKILL) when destroyed.
class ServeProcess {
  public:
    ServeProcess(const fs::path& data, const fs::path& log_dir,
                 std::vector<std::string> extra = {}) {
        out_ = log_dir / "serve.out";
        err_ = log_dir / "serve.err";
        std::vector<std::string> args = {QISS_BINARY,   "serve",  "--data",
                                         data.string(), "--port", "0"};
        args.insert(args.end(), extra.begin(), extra.end());
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, 1, out_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        posix_spawn_file_actions_addopen(&fa, 2, err_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        const int rc = posix_spawn(&pid_, QISS_BINARY, &fa, nullptr, argv.data(), environ);
        posix_spawn_file_actions_destroy(&fa);
        if (rc != 0) pid_ = -1;
    }
    ~ServeProcess() { stop(); }
    ServeProcess(const ServeProcess&) = delete;
    ServeProcess& operator=(const ServeProcess&) = delete;

    /// Waits for "serving … at http://127.0.0.1:PORT/"; 0 if the child died or never said it.
    int wait_port() {
        static const std::regex url(R"(at http://127\.0\.0\.1:(\d+)/)");
        for (int i = 0; i < 1200 && pid_ > 0; ++i) {
            std::smatch m;
            const std::string out = read_all(out_);
            if (std::regex_search(out, m, url)) return port_ = std::stoi(m[1]);
            int status = 0;
            if (::waitpid(pid_, &status, WNOHANG) == pid_) {
                pid_ = -1;
                exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
                return 0;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        return 0;
    }
    httplib::Client client() const {
        httplib::Client c("127.0.0.1", port_);
        c.set_read_timeout(std::chrono::seconds(60));
        c.set_write_timeout(std::chrono::seconds(60));
        return c;
    }
    /// Sends `sig` and waits for the exit code (SIGKILL after 30 s).
    int stop(int sig = SIGTERM) {
        if (pid_ <= 0) return exit_code_;
        ::kill(pid_, sig);
        int status = 0;
        for (int i = 0; i < 300 && ::waitpid(pid_, &status, WNOHANG) == 0; ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        if (::waitpid(pid_, &status, WNOHANG) == 0) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, &status, 0);
        }
        pid_ = -1;
        exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        return exit_code_;
    }
    std::string output() const { return read_all(out_) + read_all(err_); }

  private:
    pid_t pid_ = -1;
    int port_ = 0, exit_code_ = -1;
    fs::path out_, err_;
};

json parse(const httplib::Result& r) {
    EXPECT_TRUE(r) << "no answer";
    if (!r) return {};
    json j = json::parse(r->body, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r->status << " " << r->body;
    return j;
}

/// The answer is the JSON error body with this status and a message containing `fragment`.
void expect_error(const httplib::Result& r, int status, const std::string& fragment) {
    ASSERT_TRUE(r) << "no answer for the case of " << fragment;
    EXPECT_EQ(r->status, status) << r->body;
    EXPECT_EQ(r->get_header_value("Content-Type"), "application/json") << r->body;
    json j = parse(r);
    EXPECT_EQ(j.value("status", 0), status) << r->body;
    EXPECT_NE(j.value("error", "").find(fragment), std::string::npos) << r->body;
}

httplib::MultipartFormDataItems image_form(const std::string& bytes, const std::string& name) {
    return {{"image", bytes, name, "image/png"}};
}

/// A server over a fresh copy of the base collection, in a temporary folder.
struct Served {
    explicit Served(const std::string& name, std::vector<std::string> extra = {})
        : dir(name), data(dir / "data") {
        fs::copy(base_collection(), data, fs::copy_options::recursive);
        for (auto& a : extra)
            if (a == "TOKEN") {
                std::ofstream(dir / "token") << "s3cret-token\n";
                a = (dir / "token").string();
            }
        serve = std::make_unique<ServeProcess>(data, dir.path(), extra);
        port = serve->wait_port();
    }
    test::TempDir dir;
    fs::path data;
    std::unique_ptr<ServeProcess> serve;
    int port = 0;
};

/// A TCP connection to the server that sends only what it is told to.
int connect_to(int port) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    timeval tv{30, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    return fd;
}

/// Sends raw bytes and returns everything the server answers until it closes.
std::string raw_request(int port, const std::string& request) {
    const int fd = connect_to(port);
    EXPECT_EQ(::send(fd, request.data(), request.size(), 0), static_cast<ssize_t>(request.size()));
    std::string answer;
    char buf[4096];
    for (ssize_t n; (n = ::recv(fd, buf, sizeof(buf), 0)) > 0;) answer.append(buf, n);
    ::close(fd);
    return answer;
}

const httplib::Headers kAuth = {{"Authorization", "Bearer s3cret-token"}};

}  // namespace

class ServerTest : public ::testing::Test {
  protected:
    void TearDown() override { served_.reset(); }  // kills the child even after a failure
    Served& start(const std::string& name, std::vector<std::string> extra = {}) {
        served_ = std::make_unique<Served>(name, std::move(extra));
        EXPECT_GT(served_->port, 0) << served_->serve->output();
        return *served_;
    }
    std::unique_ptr<Served> served_;
};

TEST_F(ServerTest, AnswersSearchImageHealthPageAndMetrics) {
    Served& s = start("server-read");
    ASSERT_GT(s.port, 0);
    auto cli = s.serve->client();
    EXPECT_NE(s.serve->output().find("qiss: serving " + s.data.string() + " at http://127.0.0.1:"),
              std::string::npos);

    json health = parse(cli.Get("/api/health"));
    EXPECT_EQ(health["status"], "ok");
    EXPECT_EQ(health["images"], 40);
    EXPECT_EQ(health["index_vectors"], 40);
    EXPECT_EQ(health["writable"], false);
    EXPECT_GT(health["model"]["dim"].get<int>(), 0);

    auto r = cli.Get("/api/search?q=un%20chat%20qui%20dort%20sur%20le%20canap%C3%A9&k=5");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
    json t = parse(r);
    EXPECT_EQ(t["query"]["type"], "text");
    EXPECT_EQ(t["query"]["language"]["code"], "fr");
    EXPECT_GE(t["took_ms"].get<double>(), 0);
    ASSERT_EQ(t["results"].size(), 5u);
    for (const auto& h : t["results"]) {
        const std::string id = std::to_string(h["id"].get<std::uint64_t>());
        EXPECT_EQ(h["url"], "/api/images/" + id);
        EXPECT_EQ(h["thumbnail_url"], "/api/images/" + id + "/thumbnail");
        EXPECT_EQ(h["width"], 64);
    }
    json page2 = parse(
        cli.Get("/api/search?q=un%20chat%20qui%20dort%20sur%20le%20canap%C3%A9&k=2&offset=2"));
    EXPECT_EQ(page2["results"][0]["id"], t["results"][2]["id"]);

    const std::uint64_t first = t["results"][0]["id"];
    const std::string base = "/api/images/" + std::to_string(first);
    json record = parse(cli.Get(base));
    EXPECT_EQ(record["id"], first);
    EXPECT_EQ(record["format"], "png");
    EXPECT_EQ(record["source"], t["results"][0]["source"]);
    auto thumb = cli.Get(base + "/thumbnail");
    ASSERT_TRUE(thumb);
    EXPECT_EQ(thumb->status, 200);
    EXPECT_EQ(thumb->get_header_value("Content-Type"), "image/jpeg");
    EXPECT_NE(thumb->get_header_value("Cache-Control").find("max-age"), std::string::npos);
    ASSERT_GT(thumb->body.size(), 2u);
    EXPECT_EQ(thumb->body.substr(0, 2), "\xFF\xD8");
    json similar = parse(cli.Get(base + "/similar?k=3"));
    EXPECT_EQ(similar["results"].size(), 3u);
    for (const auto& h : similar["results"]) EXPECT_NE(h["id"], first);

    // POST: JSON text and id, and an uploaded image that comes back first with a score of ~1.
    json by_text = parse(cli.Post("/api/search?k=3", R"({"text":"Katze"})", "application/json"));
    EXPECT_EQ(by_text["results"].size(), 3u);
    json by_id =
        parse(cli.Post("/api/search", json{{"id", first}, {"k", 2}}.dump(), "application/json"));
    EXPECT_EQ(by_id["query"]["type"], "id");
    EXPECT_EQ(by_id["results"].size(), 2u);
    const fs::path png = emoji_files()[17];
    auto up = cli.Post("/api/search?k=4", image_form(read_all(png), png.filename().string()));
    json by_image = parse(up);
    ASSERT_EQ(by_image["results"].size(), 4u) << up->body;
    EXPECT_EQ(by_image["query"]["type"], "image");
    EXPECT_EQ(fs::path(by_image["results"][0]["source"].get<std::string>()).filename(),
              png.filename());
    EXPECT_NEAR(by_image["results"][0]["score"].get<double>(), 1.0, 1e-3);

    // The page and its files.
    auto page = cli.Get("/");
    ASSERT_TRUE(page);
    EXPECT_EQ(page->status, 200);
    EXPECT_NE(page->get_header_value("Content-Type").find("text/html"), std::string::npos);
    EXPECT_NE(page->body.find("app.js"), std::string::npos);
    auto js = cli.Get("/app.js");
    ASSERT_TRUE(js);
    EXPECT_EQ(js->status, 200);
    EXPECT_NE(js->get_header_value("Content-Type").find("javascript"), std::string::npos);

    auto m = cli.Get("/metrics");
    ASSERT_TRUE(m);
    EXPECT_EQ(m->status, 200);
    for (const char* want :
         {"qiss_http_requests_total{endpoint=\"search\",status=\"200\"}",
          "qiss_http_request_duration_seconds_bucket{endpoint=\"search\",le=\"+Inf\"}",
          "qiss_http_requests_total{endpoint=\"thumbnail\",status=\"200\"}",
          "qiss_queries_total{language=\"fr\"} 2", "qiss_index_vectors 40",
          "# TYPE qiss_http_request_duration_seconds histogram"})
        EXPECT_NE(m->body.find(want), std::string::npos) << want << "\n" << m->body;

    EXPECT_EQ(s.serve->stop(SIGINT), 0) << s.serve->output();
}

TEST_F(ServerTest, EveryErrorIsAJsonBodyWithTheRightStatus) {
    Served& s = start("server-errors", {"--max-upload-mb", "0.05"});
    ASSERT_GT(s.port, 0);
    auto cli = s.serve->client();
    const std::string png = read_all(emoji_files()[3]);

    expect_error(cli.Post("/api/search", "{\"text\": ", "application/json"), 400, "invalid JSON");
    expect_error(cli.Post("/api/search", "[1,2]", "application/json"), 400, "JSON object");
    expect_error(cli.Post("/api/search", R"({"text":"a","id":1})", "application/json"), 400,
                 "exactly one");
    expect_error(cli.Post("/api/search", R"({"text":"cat","k":"ten"})", "application/json"), 400,
                 "\"k\" must be an integer");
    expect_error(cli.Post("/api/search", "cat", "text/plain"), 415, "Content-Type");
    expect_error(cli.Get("/api/images/987654"), 404, "no image with id 987654");
    expect_error(cli.Get("/api/images/987654/thumbnail"), 404, "no image with id");
    expect_error(cli.Get("/api/images/987654/similar"), 404, "no image with id");
    expect_error(cli.Get("/api/images/99999999999999999999999"), 404, "no image with id");
    expect_error(cli.Post("/api/search", R"({"id":987654})", "application/json"), 404,
                 "no image with id");
    expect_error(cli.Get("/api/search?q=cat&k=-1"), 400, "k must be between 1 and 1000");
    expect_error(cli.Get("/api/search?q=cat&k=1001"), 400, "k must be between");
    expect_error(cli.Get("/api/search?q=cat&k=abc"), 400, "k must be an integer");
    expect_error(cli.Get("/api/search?q=cat&offset=10001"), 400, "offset must be between");
    expect_error(cli.Get("/api/search?q=%FF%FEcat"), 400, "UTF-8");
    expect_error(cli.Get("/api/search?q=%20%20"), 400, "empty");
    expect_error(cli.Get("/api/search"), 400, "missing parameter q");
    expect_error(cli.Get("/api/search?q=" + std::string(2001, 'a')), 400, "limit is 2000");
    expect_error(cli.Get("/api/nothing"), 404, "no such route");
    expect_error(cli.Get("/api/images/abc"), 404, "no such route");
    auto put = cli.Put("/api/search", "{}", "application/json");
    expect_error(put, 405, "not allowed");
    if (put) {
        EXPECT_EQ(put->get_header_value("Allow"), "GET, POST");
    }
    expect_error(cli.Delete("/api/health"), 405, "not allowed");

    // Uploads: not an image, a truncated image, over the limit (in the handler, and before).
    expect_error(cli.Post("/api/search", image_form("just some text", "notes.png")), 415,
                 "not an image");
    expect_error(cli.Post("/api/search", image_form(png.substr(0, png.size() / 2), "half.png")),
                 400, "uploaded image");
    expect_error(cli.Post("/api/search",
                          httplib::MultipartFormDataItems{{"file", png, "a.png", "image/png"}}),
                 400, "`image` field");
    std::string big = png + std::string(60000, '\0');
    expect_error(cli.Post("/api/search", image_form(big, "big.png")), 413, "limit");
    expect_error(cli.Post("/api/search", image_form(std::string(300000, 'x'), "huge.png")), 413,
                 "larger than the limit");

    // Writing is disabled without --token-file.
    expect_error(cli.Post("/api/images", kAuth, image_form(png, "a.png")), 403, "disabled");
    expect_error(cli.Delete("/api/images/1", kAuth), 403, "disabled");

    // The server is still up and counted the errors.
    auto m = cli.Get("/metrics");
    ASSERT_TRUE(m);
    EXPECT_NE(m->body.find("qiss_http_requests_total{endpoint=\"search\",status=\"400\"}"),
              std::string::npos);
    EXPECT_NE(m->body.find("qiss_http_requests_total{endpoint=\"unmatched\",status=\"404\"}"),
              std::string::npos);
    EXPECT_NE(m->body.find("status=\"413\""), std::string::npos) << m->body;
}

TEST_F(ServerTest, TokenProtectsAdditionsAndDeletions) {
    Served& s = start("server-write", {"--token-file", "TOKEN", "--max-upload-mb", "1"});
    ASSERT_GT(s.port, 0);
    auto cli = s.serve->client();
    EXPECT_EQ(parse(cli.Get("/api/health"))["writable"], true);
    const fs::path png = emoji_files()[100];
    const std::string bytes = read_all(png);
    httplib::MultipartFormDataItems form = image_form(bytes, png.filename().string());
    form.push_back({"caption", "un petit test", "", ""});

    auto missing = cli.Post("/api/images", form);
    expect_error(missing, 401, "Authorization: Bearer");
    if (missing) {
        EXPECT_EQ(missing->get_header_value("WWW-Authenticate"), "Bearer realm=\"qiss\"");
    }
    expect_error(cli.Post("/api/images", {{"Authorization", "Bearer wrong"}}, form), 401,
                 "wrong token");
    expect_error(cli.Post("/api/images", {{"Authorization", "Basic s3cret-token"}}, form), 401,
                 "wrong token");

    auto added = cli.Post("/api/images", kAuth, form);
    ASSERT_TRUE(added);
    ASSERT_EQ(added->status, 201) << added->body;
    json rec = parse(added);
    const std::uint64_t id = rec["id"];
    EXPECT_EQ(rec["caption"], "un petit test");
    EXPECT_EQ(rec["source"], "upload:" + png.filename().string());
    EXPECT_EQ(rec["duplicate"], false);
    EXPECT_EQ(added->get_header_value("Location"), "/api/images/" + std::to_string(id));
    auto again = cli.Post("/api/images", kAuth, form);
    ASSERT_TRUE(again);
    EXPECT_EQ(again->status, 200);
    EXPECT_EQ(parse(again)["duplicate"], true);
    EXPECT_EQ(parse(again)["id"], id);

    // The new image is found first when searched with the same picture.
    json found = parse(cli.Post("/api/search?k=3", image_form(bytes, "q.png")));
    ASSERT_FALSE(found["results"].empty());
    EXPECT_EQ(found["results"][0]["id"], id);
    EXPECT_NEAR(found["results"][0]["score"].get<double>(), 1.0, 1e-3);
    EXPECT_EQ(parse(cli.Get("/api/images/" + std::to_string(id)))["caption"], "un petit test");

    // JSON with image_url: the server downloads (here: a thumbnail from itself).
    const std::string url =
        "http://127.0.0.1:" + std::to_string(s.port) + "/api/images/1/thumbnail";
    auto by_url =
        cli.Post("/api/images", kAuth, json{{"image_url", url}, {"caption", "vignette"}}.dump(),
                 "application/json");
    ASSERT_TRUE(by_url);
    EXPECT_EQ(by_url->status, 201) << by_url->body;
    EXPECT_EQ(parse(by_url)["source"], url);
    EXPECT_EQ(parse(by_url)["format"], "jpeg");
    json url_search = parse(
        cli.Post("/api/search", json{{"image_url", url}, {"k", 1}}.dump(), "application/json"));
    EXPECT_EQ(url_search["results"][0]["id"], parse(by_url)["id"]);
    expect_error(cli.Post("/api/images", kAuth, R"({"image_url":"ftp://example.org/a.png"})",
                          "application/json"),
                 400, "ftp://example.org/a.png");
    expect_error(cli.Post("/api/images", kAuth, R"({"image_url":"http://127.0.0.1:1/a.png"})",
                          "application/json"),
                 400, "127.0.0.1:1");
    expect_error(cli.Post("/api/images", kAuth, json{{"image_url", url}, {"caption", 3}}.dump(),
                          "application/json"),
                 400, "caption");
    expect_error(cli.Post("/api/images", kAuth, image_form("GIF89a but not really", "x.gif")), 400,
                 "uploaded image");

    // Deletion.
    const std::string path = "/api/images/" + std::to_string(id);
    expect_error(cli.Delete(path), 401, "Authorization");
    auto del = cli.Delete(path, kAuth);
    ASSERT_TRUE(del);
    EXPECT_EQ(del->status, 200) << del->body;
    EXPECT_EQ(parse(del)["deleted"], true);
    expect_error(cli.Get(path), 404, "no image with id");
    expect_error(cli.Delete(path, kAuth), 404, "no image with id");
    json after = parse(cli.Post("/api/search?k=3", image_form(bytes, "q.png")));
    for (const auto& h : after["results"]) EXPECT_NE(h["id"], id);

    // A clean stop saves the index: 40 + 2 added - 1 deleted.
    EXPECT_EQ(s.serve->stop(SIGTERM), 0) << s.serve->output();
    auto info = test::run_qiss("info --json --data " + s.data.string(), false);
    ASSERT_EQ(info.exit_code, 0) << info.output;
    json i = json::parse(info.output);
    EXPECT_EQ(i["images"], 41);
    EXPECT_EQ(i["index_vectors"], 41);
}

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
                for (const auto& h : json::parse(r->body)["results"])
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
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));
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
