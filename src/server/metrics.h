#pragma once
/// @file metrics.h
/// Counters of the HTTP server, rendered in the Prometheus text format (version 0.0.4) at
/// GET /metrics. The registry and the exposition are prometheus-cpp's (core library only: the
/// route is the server's own). Endpoint labels are fixed route names, never raw paths, so the
/// number of series stays bounded.

#include <array>
#include <cstddef>
#include <memory>
#include <string>

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

    Metrics();
    ~Metrics();
    Metrics(const Metrics&) = delete;
    Metrics& operator=(const Metrics&) = delete;

    /// Counts one answered request of `endpoint` with its status; `seconds` < 0 means the
    /// duration is unknown (the request failed before routing) and is not observed.
    void observe_request(const std::string& endpoint, int status, double seconds);
    /// Counts a text query by its detected language code ("unknown" when empty).
    void count_query_language(const std::string& code);
    /// The exposition text, with `gauges` as the collection's figures.
    std::string render(const CollectionGauges& gauges) const;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace qiss::server
