#pragma once
// Shared by the server tests: the real `qiss serve` binary as a child process on a free port of
// 127.0.0.1, over a collection built with the tiny model; httplib::Client and raw sockets talk
// to it.
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
#include <functional>
#include <mutex>
#include <regex>
#include <set>
#include <thread>

#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "engine/query_spec.h"
#include "test_support.h"

extern char** environ;

namespace qiss::test {

namespace fs = std::filesystem;
using nlohmann::json;

inline std::string read_all(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

/// A text query for `k` results.
inline Query text_query(const std::string& text, int k) {
    Query q;
    q.kind = Query::Kind::Text;
    q.text = text;
    q.k = k;
    return q;
}

/// A collection of the first 40 emoji, built once with `qiss index`; tests copy it.
inline const fs::path& base_collection() {
    static TempDir dir("server-base");
    static const fs::path data = [] {
        auto files = emoji_files();
        fs::create_directories(dir / "in");
        for (std::size_t i = 0; i < 40; ++i)
            fs::copy_file(files[i], dir / "in" / files[i].filename());
        fs::path d = dir / "data";
        auto r = run_qiss("index --data " + d.string() + " --model " + std::string(QISS_TEST_DATA) +
                          "/tiny.qiss " + (dir / "in").string());
        EXPECT_EQ(r.exit_code, 0) << r.output;
        return d;
    }();
    return data;
}

/// A collection of 12 emoji (the first ones, in DIR/in) indexed with the tiny model from a
/// manifest that gives image i the caption `caption(i)`; returns its DATADIR (DIR/data).
inline fs::path captioned_collection(const TempDir& dir,
                                     const std::function<std::string(std::size_t)>& caption) {
    const auto files = copy_emoji(dir / "in", 12);
    std::ofstream manifest(dir / "in" / "manifest.jsonl");
    for (std::size_t i = 0; i < files.size(); ++i)
        manifest << nlohmann::json{{"path", files[i].filename().string()}, {"caption", caption(i)}}
                        .dump()
                 << "\n";
    manifest.close();
    const fs::path data = dir / "data";
    const auto r =
        run_qiss("index --data " + data.string() + " --model " + std::string(QISS_TEST_DATA) +
                 "/tiny.qiss " + (dir / "in" / "manifest.jsonl").string());
    EXPECT_EQ(r.exit_code, 0) << r.output;
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
    pid_t pid() const { return pid_; }

  private:
    pid_t pid_ = -1;
    int port_ = 0, exit_code_ = -1;
    fs::path out_, err_;
};

inline json parse(const httplib::Result& r) {
    EXPECT_TRUE(r) << "no answer";
    if (!r) return {};
    json j = json::parse(r->body, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r->status << " " << r->body;
    return j;
}

/// Polls /api/health until its `key` equals `want` (true) or 30 s have passed (false).
inline bool wait_for_health(httplib::Client& cli, const std::string& key, const json& want) {
    for (int i = 0; i < 300; ++i) {
        if (auto r = cli.Get("/api/health"); r && r->status == 200) {
            const json j = json::parse(r->body, nullptr, false);
            if (!j.is_discarded() && j.contains(key) && j[key] == want) return true;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
}

/// The answer is the JSON error body with this status and a message containing `fragment`.
inline void expect_error(const httplib::Result& r, int status, const std::string& fragment) {
    ASSERT_TRUE(r) << "no answer for the case of " << fragment;
    EXPECT_EQ(r->status, status) << r->body;
    EXPECT_EQ(r->get_header_value("Content-Type"), "application/json") << r->body;
    json j = parse(r);
    EXPECT_EQ(j.value("status", 0), status) << r->body;
    EXPECT_NE(j.value("error", "").find(fragment), std::string::npos) << r->body;
}

inline httplib::MultipartFormDataItems image_form(const std::string& bytes,
                                                  const std::string& name) {
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
    TempDir dir;
    fs::path data;
    std::unique_ptr<ServeProcess> serve;
    int port = 0;
};

/// A TCP connection to the server that sends only what it is told to.
inline int connect_to(int port) {
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
inline std::string raw_request(int port, const std::string& request) {
    const int fd = connect_to(port);
    EXPECT_EQ(::send(fd, request.data(), request.size(), 0), static_cast<ssize_t>(request.size()));
    std::string answer;
    char buf[4096];
    for (ssize_t n; (n = ::recv(fd, buf, sizeof(buf), 0)) > 0;) answer.append(buf, n);
    ::close(fd);
    return answer;
}

inline const httplib::Headers kAuth = {{"Authorization", "Bearer s3cret-token"}};

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

}  // namespace qiss::test
