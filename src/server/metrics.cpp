#include "server/metrics.h"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

namespace qiss::server {

struct Metrics::Impl {
    prometheus::Registry registry;
    prometheus::Gauge& images = prometheus::BuildGauge()
                                    .Name("qiss_images")
                                    .Help("Images in the collection.")
                                    .Register(registry)
                                    .Add({});
    prometheus::Gauge& index_vectors = prometheus::BuildGauge()
                                           .Name("qiss_index_vectors")
                                           .Help("Vectors in the search index.")
                                           .Register(registry)
                                           .Add({});
    prometheus::Family<prometheus::Counter>& requests =
        prometheus::BuildCounter()
            .Name("qiss_http_requests_total")
            .Help("HTTP requests answered, by endpoint and status.")
            .Register(registry);
    prometheus::Family<prometheus::Histogram>& latency =
        prometheus::BuildHistogram()
            .Name("qiss_http_request_duration_seconds")
            .Help("Time from the request line to the answer.")
            .Register(registry);
    prometheus::Family<prometheus::Counter>& languages =
        prometheus::BuildCounter()
            .Name("qiss_queries_total")
            .Help("Text queries, by detected language (ISO 639 code).")
            .Register(registry);
    const prometheus::Histogram::BucketBoundaries buckets{kBuckets.begin(), kBuckets.end()};
};

Metrics::Metrics() : impl_(std::make_unique<Impl>()) {}

Metrics::~Metrics() = default;

void Metrics::observe_request(const std::string& endpoint, int status, double seconds) {
    impl_->requests.Add({{"endpoint", endpoint}, {"status", std::to_string(status)}}).Increment();
    if (seconds >= 0) impl_->latency.Add({{"endpoint", endpoint}}, impl_->buckets).Observe(seconds);
}

void Metrics::count_query_language(const std::string& code) {
    impl_->languages.Add({{"language", code.empty() ? "unknown" : code}}).Increment();
}

std::string Metrics::render(const CollectionGauges& gauges) const {
    impl_->images.Set(static_cast<double>(gauges.images));
    impl_->index_vectors.Set(static_cast<double>(gauges.index_vectors));
    return prometheus::TextSerializer().Serialize(impl_->registry.Collect());
}

}  // namespace qiss::server
