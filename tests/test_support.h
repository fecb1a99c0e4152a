#pragma once
// Helpers shared by the tests: temporary folders and running the real qiss binary.
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <string>

#include "common/error.h"

namespace qiss::test {

/// A fresh folder under the system temp dir, removed at scope exit.
class TempDir {
  public:
    explicit TempDir(const std::string& name)
        : path_(std::filesystem::temp_directory_path() /
                ("qiss-" + name + "-" + std::to_string(::getpid()))) {
        std::filesystem::remove_all(path_);
        std::filesystem::create_directories(path_);
    }
    ~TempDir() { std::filesystem::remove_all(path_); }
    const std::filesystem::path& path() const { return path_; }
    std::filesystem::path operator/(const std::string& p) const { return path_ / p; }

  private:
    std::filesystem::path path_;
};

struct RunResult {
    int exit_code = -1;
    std::string output;  ///< stdout and stderr together
};

/// Runs `qiss ARGS` through the shell and captures its output (stdout only when
/// `with_stderr` is false).
inline RunResult run_qiss(const std::string& args, bool with_stderr = true) {
    std::string cmd =
        std::string(QISS_BINARY) + " " + args + (with_stderr ? " 2>&1" : " 2>/dev/null");
    RunResult r;
    FILE* p = ::popen(cmd.c_str(), "r");
    if (!p) return r;
    std::array<char, 4096> buf{};
    while (std::fgets(buf.data(), buf.size(), p)) r.output += buf.data();
    int status = ::pclose(p);
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return r;
}

/// The message of the qiss::Error that `f` throws ("" if it throws none).
template <typename F>
std::string error_of(F&& f) {
    try {
        f();
    } catch (const qiss::Error& e) {
        return e.what();
    }
    return "";
}

inline std::filesystem::path source_dir() {
    return QISS_SOURCE_DIR;
}

}  // namespace qiss::test
