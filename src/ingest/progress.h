#pragma once
/// @file progress.h
/// Progress of a long run: a bar redrawn in place on a terminal, a log line every few seconds
/// otherwise.

#include <chrono>
#include <cstddef>

namespace qiss {

class Progress {
  public:
    Progress(std::size_t total, bool bar);
    /// done = items finished (added, duplicate or skipped).
    void update(std::size_t done, std::size_t added, std::size_t duplicates, std::size_t skipped);
    void finish(std::size_t done, std::size_t added, std::size_t duplicates, std::size_t skipped);

  private:
    void draw(std::size_t done, std::size_t added, std::size_t duplicates, std::size_t skipped,
              bool final);
    std::size_t total_;
    bool bar_;
    std::chrono::steady_clock::time_point start_, last_;
};

}  // namespace qiss
