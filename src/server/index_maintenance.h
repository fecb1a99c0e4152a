#pragma once
// Internal to src/server: keeps a served collection's index current off the request path.
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stop_token>
#include <thread>

#include "engine/collection.h"

namespace qiss::server {

/// A background thread that, every `interval`: on a read-only server applies what another
/// process wrote to the collection (Collection::refresh, which also reloads an index file that
/// process re-typed); on a writable one re-types the index for the collection's size and saves
/// it. Requests never wait for either. Failures are logged; the next round tries again.
class IndexMaintenance {
  public:
    IndexMaintenance(Collection& collection, bool writable, std::chrono::milliseconds interval);
    /// Stops the thread and waits for a round in progress to finish.
    ~IndexMaintenance();
    IndexMaintenance(const IndexMaintenance&) = delete;
    IndexMaintenance& operator=(const IndexMaintenance&) = delete;

  private:
    void run(std::stop_token stop);
    void round();

    Collection& collection_;
    const bool writable_;
    const std::chrono::milliseconds interval_;
    std::mutex mutex_;
    std::condition_variable_any wake_;
    std::jthread thread_;  ///< last: started once everything above exists
};

}  // namespace qiss::server
