#include "ingest/ingester.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <fstream>
#include <mutex>
#include <thread>

#include <spdlog/spdlog.h>

#include "common/content_hash.h"
#include "common/error.h"
#include "engine/collection.h"
#include "image/resize.h"
#include "image/thumbnail.h"
#include "ingest/progress.h"

namespace qiss {
namespace {

using Clock = std::chrono::steady_clock;

/// A read, hashed and decoded image waiting to be embedded.
struct Prepared {
    NewImage image;
    cv::Mat input;  ///< RGB at the model's input size
};

/// Bounded queue between the decoder threads and the embedding thread.
class PreparedQueue {
  public:
    explicit PreparedQueue(std::size_t capacity) : capacity_(capacity) {}
    void push(Prepared&& p) {
        std::unique_lock lock(mu_);
        not_full_.wait(lock, [&] { return q_.size() < capacity_; });
        q_.push_back(std::move(p));
        not_empty_.notify_one();
    }
    /// Up to n items; waits until n are there or every producer is done. Empty = finished.
    std::vector<Prepared> pop(std::size_t n) {
        std::unique_lock lock(mu_);
        not_empty_.wait(lock, [&] { return q_.size() >= n || producers_done_; });
        std::vector<Prepared> out;
        while (!q_.empty() && out.size() < n) {
            out.push_back(std::move(q_.front()));
            q_.pop_front();
        }
        not_full_.notify_all();
        return out;
    }
    void producers_done() {
        std::lock_guard lock(mu_);
        producers_done_ = true;
        not_empty_.notify_all();
    }

  private:
    std::size_t capacity_;
    std::mutex mu_;
    std::condition_variable not_full_, not_empty_;
    std::deque<Prepared> q_;
    bool producers_done_ = false;
};

std::int64_t now_unix_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

}  // namespace

IngestSummary ingest(Collection& collection, const std::vector<IngestItem>& items,
                     const IngestOptions& opt, const std::filesystem::path& errors_file) {
    const auto t0 = Clock::now();
    IngestSummary summary;
    summary.items = items.size();
    const int input_size = collection.model().config().preprocess.size;
    const std::size_t batch = static_cast<std::size_t>(std::max(1, opt.batch_size));

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
    PreparedQueue queue(4 * batch);
    int n_threads = opt.decode_threads > 0
                        ? opt.decode_threads
                        : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
    // Large JPEGs are decoded directly at a reduced size that still covers the thumbnail and
    // the model input: several times faster than decoding every pixel.
    DecodeLimits decode_limits = opt.decode;
    if (decode_limits.reduce_jpeg_to == 0)
        decode_limits.reduce_jpeg_to = std::max(opt.thumbnail_side, input_size);
    std::vector<std::thread> workers;
    std::atomic<int> running{n_threads};
    for (int w = 0; w < n_threads; ++w) {
        workers.emplace_back([&] {
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
                    DecodedImage img = decode_image(view, decode_limits, item.source);
                    Prepared p;
                    ImageRecord& r = p.image.record;
                    r.source = item.source;
                    r.content_hash = hash;
                    r.width = img.width;
                    r.height = img.height;
                    r.format = img.format;
                    r.caption = item.caption;
                    r.metadata = item.metadata;
                    r.added_unix_ms = now_unix_ms();
                    p.image.thumbnail =
                        make_thumbnail(img.rgb, opt.thumbnail_side, opt.thumbnail_quality);
                    p.input = fit_square(img.rgb, input_size);
                    queue.push(std::move(p));
                } catch (const std::exception& e) {
                    record_error(item.source, e.what());
                }
            }
            if (--running == 0) queue.producers_done();
        });
    }

    Progress progress(items.size(), opt.progress_bar);
    auto last_save = Clock::now();
    try {
        for (;;) {
            std::vector<Prepared> got = queue.pop(batch);
            if (got.empty()) break;
            std::vector<cv::Mat> inputs;
            for (auto& p : got) inputs.push_back(p.input);
            torch::Tensor v = collection.embed_images(inputs);
            auto acc = v.accessor<float, 2>();
            std::vector<NewImage> images;
            for (std::size_t i = 0; i < got.size(); ++i) {
                got[i].image.vector.assign(&acc[i][0], &acc[i][0] + acc.size(1));
                images.push_back(std::move(got[i].image));
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
        }
    } catch (...) {
        next = items.size();  // stop the workers, then report
        for (;;) {
            auto rest = queue.pop(batch);
            if (rest.empty()) break;
        }
        for (auto& w : workers) w.join();
        throw;
    }
    for (auto& w : workers) w.join();
    summary.duplicates += duplicates_seen;
    progress.finish(summary.added + summary.duplicates + summary.skipped, summary.added,
                    summary.duplicates, summary.skipped);
    collection.adapt_index_to_size();
    collection.save_index();
    summary.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    return summary;
}

}  // namespace qiss
