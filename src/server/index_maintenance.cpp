#include "server/index_maintenance.h"

#include <spdlog/spdlog.h>

namespace qiss::server {

IndexMaintenance::IndexMaintenance(Collection& collection, bool writable,
                                   std::chrono::milliseconds interval)
    : collection_(collection),
      writable_(writable),
      interval_(interval),
      thread_([this](std::stop_token stop) { run(std::move(stop)); }) {}

IndexMaintenance::~IndexMaintenance() {
    thread_.request_stop();  // wakes wait_for below through the stop token
    thread_.join();
}

void IndexMaintenance::run(std::stop_token stop) {
    std::unique_lock lock(mutex_);
    while (!wake_.wait_for(lock, stop, interval_, [&] { return stop.stop_requested(); })) {
        lock.unlock();
        round();
        lock.lock();
    }
}

void IndexMaintenance::round() {
    try {
        if (writable_) {
            collection_.maintain_index();
            collection_.save_index();
        } else {
            collection_.refresh();
        }
    } catch (const std::exception& e) {
        if (writable_)
            spdlog::warn(
                "could not re-type or save the index (it is rebuilt from the store on the next "
                "open): {}",
                e.what());
        else
            spdlog::warn("could not apply the collection's latest changes: {}", e.what());
    }
}

}  // namespace qiss::server
