#pragma once
// Helpers shared by the tests: temporary folders and running the real qiss binary.
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

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

/// Runs a shell command line and captures its output (what it writes to stdout and to stderr,
/// unless the command line redirects them) and exit status (128 + the signal if one killed it).
inline RunResult run_command(const std::string& command_line) {
    RunResult r;
    FILE* p = ::popen(command_line.c_str(), "r");
    if (!p) return r;
    std::array<char, 4096> buf{};
    while (std::fgets(buf.data(), buf.size(), p)) r.output += buf.data();
    int status = ::pclose(p);
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return r;
}

/// Runs `qiss ARGS` through the shell and captures its output (stdout only when
/// `with_stderr` is false); `wrapper` is a command line that runs qiss (e.g. under limits).
inline RunResult run_qiss(const std::string& args, bool with_stderr = true,
                          const std::string& wrapper = "") {
    return run_command((wrapper.empty() ? "" : wrapper + " ") + std::string(QISS_BINARY) + " " +
                       args + (with_stderr ? " 2>&1" : " 2>/dev/null"));
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

/// The twitter emoji PNGs, sorted by name.
inline std::vector<std::filesystem::path> emoji_files() {
    namespace fs = std::filesystem;
    const fs::path src = source_dir() / "node_modules/emoji-datasource-twitter/img/twitter/64";
    std::vector<fs::path> all;
    for (const auto& e : fs::directory_iterator(src)) all.push_back(e.path());
    std::sort(all.begin(), all.end());
    return all;
}

/// emoji_files() without the skin-tone variants (names with a -1f3fX modifier), so that any two
/// are different emoji rather than one drawing in two skin colours.
inline std::vector<std::filesystem::path> emoji_files_without_skin_tones() {
    std::vector<std::filesystem::path> out;
    for (auto& f : emoji_files())
        if (f.filename().string().find("-1f3f") == std::string::npos) out.push_back(std::move(f));
    return out;
}

/// Copies `n` twitter emoji PNGs (in file-name order, from the `first`-th) into `dir`; returns
/// the copies' paths.
inline std::vector<std::filesystem::path> copy_emoji(const std::filesystem::path& dir,
                                                     std::size_t n, std::size_t first = 0) {
    namespace fs = std::filesystem;
    const std::vector<fs::path> all = emoji_files();
    fs::create_directories(dir);
    std::vector<fs::path> out;
    for (std::size_t i = first; i < first + n && i < all.size(); ++i) {
        fs::copy_file(all[i], dir / all[i].filename());
        out.push_back(dir / all[i].filename());
    }
    return out;
}

}  // namespace qiss::test
