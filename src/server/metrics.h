#pragma once
/// @file metrics.h
/// Counters of the HTTP server, rendered in the Prometheus text format (version 0.0.4) at
/// GET /metrics. Endpoint labels are fixed route names, never raw paths, so the number of
/// series stays bounded.

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>

namespace qiss::server {

/// Figures of the collection shown as gauges.
struct CollectionGauges {
    std::size_t images = 0;
    std::size_t index_vectors = 0;
};

/// Thread-safe request, latency and language counters.
class Metrics {
  public:
    /// Upper bounds (seconds) of the latency histogram buckets; +Inf is implied.
    static constexpr std::array<double, 12> kBuckets = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                        0.1,   0.25,   0.5,   1,    2.5,   10};

    /// Counts one answered request of `endpoint` with its status; `seconds` < 0 means the
    /// duration is unknown (the request failed before routing) and is not observed.
    void observe_request(const std::string& endpoint, int status, double seconds);
    /// Counts a text query by its detected language code.
    void count_query_language(const std::string& code);
    /// The exposition text.
    std::string render(const CollectionGauges& gauges) const;

  private:
    struct Histogram {
        std::array<std::uint64_t, kBuckets.size()> buckets{};
        double sum = 0;
        std::uint64_t count = 0;
    };
    mutable std::mutex mu_;
    std::map<std::pair<std::string, int>, std::uint64_t> requests_;
    std::map<std::string, Histogram> latency_;
    std::map<std::string, std::uint64_t> languages_;
};

}  // namespace qiss::server
