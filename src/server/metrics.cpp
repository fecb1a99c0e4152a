#include "server/metrics.h"

#include <fmt/format.h>

namespace qiss::server {
namespace {

/// Escapes a label value: backslash, double quote and line feed.
std::string label(const std::string& value) {
    std::string out;
    for (char c : value) {
        if (c == '\\' || c == '"')
            out += {'\\', c};
        else if (c == '\n')
            out += "\\n";
        else
            out += c;
    }
    return out;
}

}  // namespace

void Metrics::observe_request(const std::string& endpoint, int status, double seconds) {
    std::lock_guard lock(mu_);
    ++requests_[{endpoint, status}];
    if (seconds < 0) return;
    Histogram& h = latency_[endpoint];
    for (std::size_t i = 0; i < kBuckets.size(); ++i)
        if (seconds <= kBuckets[i]) ++h.buckets[i];
    h.sum += seconds;
    ++h.count;
}

void Metrics::count_query_language(const std::string& code) {
    std::lock_guard lock(mu_);
    ++languages_[code.empty() ? "unknown" : code];
}

std::string Metrics::render(const CollectionGauges& gauges) const {
    std::string out;
    auto add = [&out](const std::string& line) {
        out += line;
        out += '\n';
    };
    add("# HELP qiss_images Images in the collection.");
    add("# TYPE qiss_images gauge");
    add(fmt::format("qiss_images {}", gauges.images));
    add("# HELP qiss_index_vectors Vectors in the search index.");
    add("# TYPE qiss_index_vectors gauge");
    add(fmt::format("qiss_index_vectors {}", gauges.index_vectors));

    std::lock_guard lock(mu_);
    add("# HELP qiss_http_requests_total HTTP requests answered, by endpoint and status.");
    add("# TYPE qiss_http_requests_total counter");
    for (const auto& [key, n] : requests_)
        add(fmt::format("qiss_http_requests_total{{endpoint=\"{}\",status=\"{}\"}} {}",
                        label(key.first), key.second, n));
    add("# HELP qiss_http_request_duration_seconds Time from the request line to the answer.");
    add("# TYPE qiss_http_request_duration_seconds histogram");
    for (const auto& [endpoint, h] : latency_) {
        const std::string e = label(endpoint);
        // Each observation was counted in every bucket whose bound it does not exceed, so the
        // counts are already cumulative as the format wants.
        for (std::size_t i = 0; i < kBuckets.size(); ++i)
            add(fmt::format(
                "qiss_http_request_duration_seconds_bucket{{endpoint=\"{}\",le=\"{}\"}} {}", e,
                kBuckets[i], h.buckets[i]));
        add(fmt::format(
            "qiss_http_request_duration_seconds_bucket{{endpoint=\"{}\",le=\"+Inf\"}} {}", e,
            h.count));
        add(fmt::format("qiss_http_request_duration_seconds_sum{{endpoint=\"{}\"}} {}", e, h.sum));
        add(fmt::format("qiss_http_request_duration_seconds_count{{endpoint=\"{}\"}} {}", e,
                        h.count));
    }
    add("# HELP qiss_queries_total Text queries, by detected language (ISO 639 code).");
    add("# TYPE qiss_queries_total counter");
    for (const auto& [code, n] : languages_)
        add(fmt::format("qiss_queries_total{{language=\"{}\"}} {}", label(code), n));
    return out;
}

}  // namespace qiss::server
