// `qiss serve` as a system service (docs/operations.md): every flag also from QISS_* environment
// variables and a config file, in the order command line > environment > file > default; errors
// that name the key, variable or file; the shipped config file; readiness sent to systemd through
// NOTIFY_SOCKET. The real binary, real servers, a real datagram socket.
#include <sys/socket.h>
#include <sys/un.h>

#include <cstdlib>
#include <cstring>
#include <optional>

#include "server_fixture.h"

namespace qiss::test {
namespace {

/// Sets or unsets environment variables for its lifetime; children started meanwhile inherit
/// them. The previous values come back on destruction.
class ScopedEnv {
  public:
    explicit ScopedEnv(std::vector<std::pair<std::string, std::optional<std::string>>> vars) {
        for (auto& [name, value] : vars) {
            const char* old = std::getenv(name.c_str());
            saved_.emplace_back(name, old ? std::optional<std::string>(old) : std::nullopt);
            set(name, value);
        }
    }
    ~ScopedEnv() {
        for (auto& [name, value] : saved_) set(name, value);
    }
    ScopedEnv(const ScopedEnv&) = delete;
    ScopedEnv& operator=(const ScopedEnv&) = delete;

  private:
    static void set(const std::string& name, const std::optional<std::string>& value) {
        if (value)
            ::setenv(name.c_str(), value->c_str(), 1);
        else
            ::unsetenv(name.c_str());
    }
    std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

/// What `--print-config` says of one key: its value and where it came from.
struct Effective {
    std::string value, source;
};

Effective effective(const std::string& printed, const std::string& key) {
    const std::regex line("(^|\n)" + key + R"( = (\S*)\s+# ([^\n]*))");
    std::smatch m;
    if (!std::regex_search(printed, m, line)) return {"<missing>", printed};
    return {m[2], m[3]};
}

void write_file(const fs::path& p, const std::string& text) {
    std::ofstream(p) << text;
}

/// No QISS_* setting of the test's own environment may leak into these runs.
ScopedEnv clean_env() {
    return ScopedEnv({{"QISS_CONFIG", std::nullopt},
                      {"QISS_PORT", std::nullopt},
                      {"QISS_DATA", std::nullopt},
                      {"QISS_MAX_K", std::nullopt}});
}

TEST(ServeSettings, PrecedenceIsCommandLineThenEnvironmentThenFileThenDefault) {
    auto env = clean_env();
    TempDir dir("settings-precedence");
    const fs::path file = dir / "qiss.toml";
    write_file(file, "# a comment\nport = 1003\n");
    for (int given = 0; given < 8; ++given) {
        const bool flag = given & 1, in_env = given & 2, in_file = given & 4;
        ScopedEnv port_env(
            {{"QISS_PORT", in_env ? std::optional<std::string>("1002") : std::nullopt}});
        std::string args = "serve --print-config";
        if (flag) args += " --port 1001";
        if (in_file) args += " --config " + file.string();
        const auto r = run_qiss(args, false);
        ASSERT_EQ(r.exit_code, 0) << args << "\n" << r.output;
        const Effective e = effective(r.output, "port");
        SCOPED_TRACE(args + (in_env ? " with QISS_PORT=1002" : "") + "\n" + r.output);
        if (flag) {
            EXPECT_EQ(e.value, "1001");
            EXPECT_EQ(e.source, "command line");
        } else if (in_env) {
            EXPECT_EQ(e.value, "1002");
            EXPECT_EQ(e.source, "environment QISS_PORT");
        } else if (in_file) {
            EXPECT_EQ(e.value, "1003");
            EXPECT_EQ(e.source, "config file " + file.string());
        } else {
            EXPECT_EQ(e.value, "8080");
            EXPECT_EQ(e.source, "default");
        }
    }
}

TEST(ServeSettings, EnvironmentAndFileReachTheServer) {
    auto env = clean_env();
    base_collection();
    TempDir dir("settings-served");
    const fs::path file = dir / "qiss.toml";
    write_file(file, "max-k = 25\nmax-offset = 3\n");
    // The fixture's own --port 0 must beat QISS_PORT; QISS_MAX_K must beat the file's max-k;
    // the file's max-offset applies.
    ScopedEnv vars({{"QISS_PORT", "1"}, {"QISS_MAX_K", "30"}, {"QISS_CONFIG", file.string()}});
    Served s("settings-served-data");
    ASSERT_GT(s.port, 0) << s.serve->output();
    EXPECT_NE(s.port, 1);
    auto cli = s.serve->client();
    expect_error(cli.Get("/api/search?q=cat&k=31"), 400, "k must be between 1 and 30");
    auto ok = cli.Get("/api/search?q=cat&k=30");
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->status, 200) << ok->body;
    expect_error(cli.Get("/api/search?q=cat&k=2&offset=4"), 400, "offset");
}

TEST(ServeSettings, UnknownKeyInTheFileIsAnError) {
    auto env = clean_env();
    TempDir dir("settings-unknown");
    const fs::path file = dir / "qiss.toml";
    write_file(file, "port = 8081\nprot = 8082\n");
    const auto r = run_qiss("serve --data " + dir.path().string() + " --config " + file.string());
    EXPECT_NE(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find("unknown key `prot`"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find(file.string()), std::string::npos) << r.output;

    write_file(file, "[serve]\nport = 8081\n");
    const auto section = run_qiss("serve --print-config --config " + file.string());
    EXPECT_NE(section.exit_code, 0) << section.output;
    EXPECT_NE(section.output.find("[serve]"), std::string::npos) << section.output;
}

TEST(ServeSettings, BadValuesNameTheirVariableOrKey) {
    auto env = clean_env();
    TempDir dir("settings-bad");
    for (const auto& [name, value] : std::vector<std::pair<std::string, std::string>>{
             {"QISS_PORT", "http"},
             {"QISS_PORT", "70000"},
             {"QISS_MAX_UPLOAD_MB", "-3"},
             {"QISS_ALLOW_IMAGE_URL", "maybe"},
             {"QISS_TOKEN_FILE", (dir / "absent").string()}}) {
        ScopedEnv bad({{name, value}});
        const auto r = run_qiss("serve --print-config");
        EXPECT_EQ(r.exit_code, 1) << name << "=" << value << "\n" << r.output;
        EXPECT_NE(r.output.find(name + "=" + value), std::string::npos) << r.output;
    }
    const fs::path file = dir / "qiss.toml";
    write_file(file, "max-upload-mb = -3\n");
    const auto r = run_qiss("serve --print-config --config " + file.string());
    EXPECT_EQ(r.exit_code, 1) << r.output;
    EXPECT_NE(r.output.find(file.string() + ": max-upload-mb = -3"), std::string::npos) << r.output;
    // Also where the command line overrides it: a wrong file is never silently ignored.
    const auto over = run_qiss("serve --print-config --max-upload-mb 4 --config " + file.string());
    EXPECT_EQ(over.exit_code, 1) << over.output;
    EXPECT_NE(over.output.find("max-upload-mb = -3"), std::string::npos) << over.output;
    ScopedEnv bad_env({{"QISS_PORT", std::string("http")}});
    const auto over_env = run_qiss("serve --print-config --port 8081");
    EXPECT_EQ(over_env.exit_code, 1) << over_env.output;
    EXPECT_NE(over_env.output.find("QISS_PORT=http"), std::string::npos) << over_env.output;
}

TEST(ServeSettings, UnreadableConfigFileIsAnError) {
    auto env = clean_env();
    TempDir dir("settings-unreadable");
    for (const fs::path& file : {dir / "absent.toml", dir.path()}) {
        const auto r =
            run_qiss("serve --data " + dir.path().string() + " --config " + file.string());
        EXPECT_EQ(r.exit_code, 1) << r.output;
        EXPECT_NE(r.output.find("config file " + file.string()), std::string::npos) << r.output;
    }
    ScopedEnv from_env({{"QISS_CONFIG", (dir / "absent.toml").string()}});
    const auto r = run_qiss("serve --print-config");
    EXPECT_EQ(r.exit_code, 1) << r.output;
    EXPECT_NE(r.output.find("absent.toml"), std::string::npos) << r.output;
}

TEST(ServeSettings, DataIsRequiredFromAnyLayer) {
    auto env = clean_env();
    const auto none = run_qiss("serve");
    EXPECT_EQ(none.exit_code, 1) << none.output;
    EXPECT_NE(none.output.find("QISS_DATA"), std::string::npos) << none.output;
    // From the environment only: serve gets as far as opening that folder.
    TempDir dir("settings-data");
    ScopedEnv data({{"QISS_DATA", (dir / "nothing").string()}});
    const auto r = run_qiss("serve");
    EXPECT_EQ(r.exit_code, 1) << r.output;
    EXPECT_NE(r.output.find("is not a qiss collection"), std::string::npos) << r.output;
}

TEST(ServeSettings, ShippedConfigFileIsValidAndListsEveryKey) {
    auto env = clean_env();
    const fs::path file = source_dir() / "packaging/qiss.toml";
    const auto r = run_qiss("serve --print-config --config " + file.string(), false);
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_EQ(effective(r.output, "data").value, "\"/var/lib/qiss\"") << r.output;
    const std::string text = read_all(file);
    std::istringstream lines(r.output);
    int keys = 0;
    for (std::string line; std::getline(lines, line);) {
        std::smatch m;
        if (!std::regex_search(line, m, std::regex(R"(^(?:# )?([a-z][a-z-]*) =)"))) continue;
        ++keys;
        const std::regex in_file("(^|\n)(# )?" + std::string(m[1]) + " =");
        EXPECT_TRUE(std::regex_search(text, in_file)) << m[1] << " is not in " << file;
    }
    EXPECT_GE(keys, 25) << r.output;
}

/// A datagram socket bound to `path`, as systemd's notification socket.
class NotifySocket {
  public:
    explicit NotifySocket(const fs::path& path) {
        fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
        EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0)
            << std::strerror(errno);
        timeval tv{120, 0};
        ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    }
    ~NotifySocket() { ::close(fd_); }
    NotifySocket(const NotifySocket&) = delete;
    NotifySocket& operator=(const NotifySocket&) = delete;
    /// The next message ("" after 120 s without one).
    std::string receive() {
        char buf[4096];
        const ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
        return n > 0 ? std::string(buf, n) : "";
    }

  private:
    int fd_ = -1;
};

TEST(ServeReadiness, ReadyOnceItAnswersStoppingOnSigterm) {
    base_collection();
    TempDir dir("notify");
    fs::copy(base_collection(), dir / "data", fs::copy_options::recursive);
    NotifySocket notify(dir / "notify.sock");
    ScopedEnv env({{"NOTIFY_SOCKET", (dir / "notify.sock").string()}});
    ServeProcess serve(dir / "data", dir.path());
    const std::string ready = serve.pid() > 0 ? notify.receive() : "";
    ASSERT_NE(ready.find("READY=1"), std::string::npos) << ready << "\n" << serve.output();
    EXPECT_NE(ready.find("STATUS=serving 40 images at http://127.0.0.1:"), std::string::npos)
        << ready;
    // Ready means answering: one request, no retry.
    const int port = serve.wait_port();
    ASSERT_GT(port, 0) << serve.output();
    auto cli = serve.client();
    const auto health = cli.Get("/api/health");
    ASSERT_TRUE(health) << serve.output();
    EXPECT_EQ(health->status, 200) << health->body;

    ASSERT_EQ(::kill(serve.pid(), SIGTERM), 0);
    const std::string stopping = notify.receive();
    EXPECT_NE(stopping.find("STOPPING=1"), std::string::npos) << stopping;
    EXPECT_EQ(serve.stop(), 0) << serve.output();
}

}  // namespace
}  // namespace qiss::test
