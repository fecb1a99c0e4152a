#include "ingest/ingester.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <exception>
#include <fstream>
#include <functional>
#include <mutex>
#include <system_error>
#include <thread>

#include <ATen/Parallel.h>
#include <spdlog/spdlog.h>

#include "common/content_hash.h"
#include "common/error.h"
#include "engine/collection.h"
#include "ingest/prepare.h"
#include "ingest/progress.h"
#include "model/compute_threads.h"

namespace qiss {
namespace {

using Clock = std::chrono::steady_clock;

/// A batch taken from the queue; batches are committed in the order of their tickets.
struct Batch {
    std::vector<PreparedImage> items;
    std::uint64_t ticket = 0;
};

/// Bounded queue between the decoder threads and the embedding threads.
class PreparedQueue {
  public:
    explicit PreparedQueue(std::size_t capacity) : capacity_(capacity) {}
    /// Waits for room; drops the item once the queue is closed.
    void push(PreparedImage&& p) {
        std::unique_lock lock(mu_);
        not_full_.wait(lock, [&] { return q_.size() < capacity_ || closed_; });
        if (closed_) return;
        q_.push_back(std::move(p));
        not_empty_.notify_one();
    }
    /// Up to n items; waits until n are there or every producer is done. Empty = finished.
    Batch pop(std::size_t n) {
        std::unique_lock lock(mu_);
        not_empty_.wait(lock, [&] { return q_.size() >= n || producers_done_ || closed_; });
        Batch out;
        if (closed_) return out;
        while (!q_.empty() && out.items.size() < n) {
            out.items.push_back(std::move(q_.front()));
            q_.pop_front();
        }
        if (!out.items.empty()) out.ticket = next_ticket_++;
        not_full_.notify_all();
        return out;
    }
    void producers_done() {
        std::lock_guard lock(mu_);
        producers_done_ = true;
        not_empty_.notify_all();
    }
    /// Stops both sides at once: pushes are dropped, pops return nothing.
    void close() {
        std::lock_guard lock(mu_);
        closed_ = true;
        q_.clear();
        not_empty_.notify_all();
        not_full_.notify_all();
    }

  private:
    std::size_t capacity_;
    std::mutex mu_;
    std::condition_variable not_full_, not_empty_;
    std::deque<PreparedImage> q_;
    std::uint64_t next_ticket_ = 0;
    bool producers_done_ = false, closed_ = false;
};

/// Lets batches commit one at a time, in ticket order: the store sees the same sequence of
/// batches as with a single embedding thread.
class CommitTurns {
  public:
    /// Waits for `ticket`'s turn; false if the run was stopped meanwhile.
    bool wait(std::uint64_t ticket) {
        std::unique_lock lock(mu_);
        turn_.wait(lock, [&] { return stopped_ || next_ == ticket; });
        return !stopped_;
    }
    void done() {
        {
            std::lock_guard lock(mu_);
            ++next_;
        }
        turn_.notify_all();
    }
    void stop() {
        {
            std::lock_guard lock(mu_);
            stopped_ = true;
        }
        turn_.notify_all();
    }

  private:
    std::mutex mu_;
    std::condition_variable turn_;
    std::uint64_t next_ = 0;
    bool stopped_ = false;
};

/// The threads of one run. On every way out, an exception between spawning and joining
/// included, `stop` runs first (so that each thread can finish) and then all are joined: a
/// thread is never left joinable (std::terminate) nor waiting on a queue no one serves.
class ThreadGroup {
  public:
    explicit ThreadGroup(std::function<void()> stop) : stop_(std::move(stop)) {}
    ThreadGroup(const ThreadGroup&) = delete;
    ThreadGroup& operator=(const ThreadGroup&) = delete;
    ~ThreadGroup() {
        if (!threads_.empty()) stop_();
    }
    /// Starts a thread; throws qiss::Error when the system refuses one (a process limit).
    void spawn(const std::function<void()>& body, const char* kind, int count) {
        try {
            threads_.emplace_back(body);
        } catch (const std::system_error& e) {
            QISS_THROW(
                "cannot start {} thread {} of {}: {} (lower --{}-threads, or raise the "
                "process's thread limit)",
                kind, threads_.size() + 1, count, e.what(), kind);
        }
    }
    /// Waits for every thread (the normal end of a run).
    void join() { threads_.clear(); }

  private:
    std::function<void()> stop_;
    std::vector<std::jthread> threads_;
};

std::int64_t now_unix_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

int cores() {
    return std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
}

}  // namespace

int default_embed_threads(int threads_per_embed) {
    return std::max(1, cores() / std::max(1, threads_per_embed));
}

IngestSummary ingest(Collection& collection, const std::vector<IngestItem>& items,
                     const IngestOptions& opt, const std::filesystem::path& errors_file) {
    const auto t0 = Clock::now();
    IngestSummary summary;
    summary.items = items.size();
    const int input_size = collection.input_size();
    const std::size_t batch = static_cast<std::size_t>(std::max(1, opt.batch_size));
    const int per_embed = std::max(1, opt.threads_per_embed);
    const int n_embedders =
        opt.embed_threads > 0 ? opt.embed_threads : default_embed_threads(per_embed);
    const int n_decoders = opt.decode_threads > 0 ? opt.decode_threads : cores();

    std::mutex errors_mu;
    std::ofstream errors_out;
    auto record_error = [&](const std::string& source, const std::string& message) {
        std::lock_guard lock(errors_mu);
        if (!errors_out.is_open()) errors_out.open(errors_file, std::ios::app);
        errors_out << nlohmann::json{{"time_unix_ms", now_unix_ms()},
                                     {"source", source},
                                     {"error", message}}
                          .dump()
                   << '\n';
        errors_out.flush();
        summary.errors.push_back({source, message});
        ++summary.skipped;
    };

    std::atomic<std::size_t> next{0}, duplicates_seen{0};
    // Two batches waiting for each embedding thread, and two more.
    PreparedQueue queue(2 * batch * static_cast<std::size_t>(n_embedders + 1));
    const PrepareOptions prepare{opt.decode, opt.thumbnail_side, opt.thumbnail_quality, input_size};
    std::atomic<int> running{n_decoders};
    CommitTurns turns;
    // Stops the decoders and the embedding threads: the way out of a failed run.
    auto stop_run = [&] {
        next = items.size();
        turns.stop();
        queue.close();
    };
    ThreadGroup decoders(stop_run);
    for (int w = 0; w < n_decoders; ++w) {
        decoders.spawn(
            [&] {
                for (std::size_t i; (i = next.fetch_add(1)) < items.size();) {
                    const IngestItem& item = items[i];
                    try {
                        std::string bytes = fetch_source(item.source, item.is_url, opt.fetch);
                        std::span<const std::uint8_t> view(
                            reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
                        std::string hash = content_hash(view);
                        if (collection.store().find_hash(hash)) {
                            ++duplicates_seen;
                            continue;
                        }
                        PreparedImage p =
                            prepare_image(view, std::move(hash), prepare, item.source);
                        ImageRecord& r = p.image.record;
                        r.source = item.source;
                        r.root = item.root;
                        r.caption = item.caption;
                        r.metadata = item.metadata;
                        queue.push(std::move(p));
                    } catch (const std::exception& e) {
                        record_error(item.source, e.what());
                    }
                }
                if (--running == 0) queue.producers_done();
            },
            "decode", n_decoders);
    }

    // Embedding threads run the model side by side; the commits (store transaction, index
    // addition, periodic index save, progress) happen one at a time in ticket order.
    Progress progress(items.size(), opt.progress_bar);
    auto last_save = Clock::now();
    std::mutex failure_mu;
    std::exception_ptr failure;
    auto commit = [&](Batch& b, const torch::Tensor& v) {
        auto acc = v.accessor<float, 2>();
        std::vector<NewImage> images;
        for (std::size_t i = 0; i < b.items.size(); ++i) {
            b.items[i].image.vector.assign(&acc[i][0], &acc[i][0] + acc.size(1));
            images.push_back(std::move(b.items[i].image));
        }
        for (const auto& r : collection.add(std::move(images))) {
            if (r.duplicate)
                ++summary.duplicates;
            else
                ++summary.added;
        }
        if (std::chrono::duration<double>(Clock::now() - last_save).count() >=
            opt.index_save_every_s) {
            collection.save_index();
            last_save = Clock::now();
        }
        std::size_t skipped;
        {
            std::lock_guard lock(errors_mu);
            skipped = summary.skipped;
        }
        progress.update(summary.added + summary.duplicates + duplicates_seen + skipped,
                        summary.added, summary.duplicates + duplicates_seen, skipped);
    };
    auto embed_loop = [&] {
        at::init_num_threads();  // this thread's OpenMP team: the size ComputeThreads set
        try {
            for (;;) {
                Batch b = queue.pop(batch);
                if (b.items.empty()) break;
                std::vector<cv::Mat> inputs;
                for (auto& p : b.items) inputs.push_back(p.input);
                torch::Tensor v = collection.embed_images(inputs);
                if (!turns.wait(b.ticket)) break;
                commit(b, v);
                turns.done();
            }
        } catch (...) {
            {
                std::lock_guard lock(failure_mu);
                if (!failure) failure = std::current_exception();
            }
            stop_run();  // the decoders and the other embedding threads
        }
    };
    {
        // Only while the threads embed: the index rebuild below takes every core again.
        ComputeThreads compute_threads(per_embed);
        ThreadGroup embedders(stop_run);
        for (int w = 1; w < n_embedders; ++w) embedders.spawn(embed_loop, "embed", n_embedders);
        embed_loop();  // the calling thread is one of them
        embedders.join();
    }
    decoders.join();
    if (failure) std::rethrow_exception(failure);
    summary.duplicates += duplicates_seen;
    progress.finish(summary.added + summary.duplicates + summary.skipped, summary.added,
                    summary.duplicates, summary.skipped);
    collection.maintain_index();
    collection.save_index();
    summary.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    return summary;
}

}  // namespace qiss
