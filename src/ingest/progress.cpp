#include "ingest/progress.h"

#include <cstdio>
#include <string>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace qiss {
namespace {

std::string eta_text(double seconds) {
    auto s = static_cast<long>(seconds);
    if (s >= 3600) return fmt::format("{}h{:02}m", s / 3600, (s % 3600) / 60);
    return fmt::format("{}m{:02}s", s / 60, s % 60);
}

}  // namespace

Progress::Progress(std::size_t total, bool bar)
    : total_(total), bar_(bar), start_(std::chrono::steady_clock::now()), last_(start_) {}

void Progress::update(std::size_t done, std::size_t added, std::size_t duplicates,
                      std::size_t skipped) {
    auto now = std::chrono::steady_clock::now();
    double since = std::chrono::duration<double>(now - last_).count();
    if (since < (bar_ ? 0.2 : 10.0)) return;
    last_ = now;
    draw(done, added, duplicates, skipped, false);
}

void Progress::finish(std::size_t done, std::size_t added, std::size_t duplicates,
                      std::size_t skipped) {
    draw(done, added, duplicates, skipped, true);
}

void Progress::draw(std::size_t done, std::size_t added, std::size_t duplicates,
                    std::size_t skipped, bool final) {
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    double rate = secs > 0 ? static_cast<double>(done) / secs : 0;
    double eta = rate > 0 && total_ > done ? static_cast<double>(total_ - done) / rate : 0;
    std::string counts = fmt::format(
        "{}/{} images, {:.0f} images/s, ETA {}, {} added, {} "
        "duplicates, {} skipped",
        done, total_, rate, eta_text(eta), added, duplicates, skipped);
    if (!bar_) {
        spdlog::info("{}", counts);
        return;
    }
    const int width = 30;
    int filled = total_ ? static_cast<int>(width * static_cast<double>(done) / total_) : width;
    std::string bar(static_cast<std::size_t>(filled), '#');
    bar.resize(width, '.');
    std::fprintf(stderr, "\r[%s] %s\033[K%s", bar.c_str(), counts.c_str(), final ? "\n" : "");
    std::fflush(stderr);
}

}  // namespace qiss
