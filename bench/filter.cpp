// Filtered search (docs/benchmarks.md, "Filters"): latency and recall of "similar to a stored
// image" searches restricted to 1 %, 10 % and 50 % of a collection, next to the same searches
// without a filter, through the engine's own query path (run_query on a read-only collection,
// as the server runs it).
//   build/bench/filter --data out/bench/c100k [-k 20] [--queries 100] [--scan-max N]
// The collection comes from bench/synth_collection, whose records carry a field `bucket` (the
// image's number modulo 100): `field.bucket` = 0 … s−1 keeps s % of it. --scan-max sets
// CollectionOptions::filter_scan_max (a filter keeping at most that many images is answered by
// an exact scan, a broader one by the index restricted to it): 0 forces the index, a huge value
// the scan. Recall@k is against the exact k best of the images that pass (a scan of their stored
// vectors). Times are the calling thread's CPU time, as in bench/paging.cpp; `select_ms` is the
// part spent finding the ids that pass (Collection::select). Prints one JSON object per
// selectivity.
#include <algorithm>
#include <iostream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "ann/ann_measure.h"
#include "common/error.h"
#include "engine/collection.h"
#include "engine/query.h"
#include "index/simd_flat.h"

namespace {

struct Options {
    std::string data;
    int k = 20;
    int queries = 100;
    std::size_t scan_max = qiss::CollectionOptions{}.filter_scan_max;
};

using qiss::bench::summarize;
using qiss::bench::thread_cpu_ms;

/// The exact k best ids of `allowed` for `query`, leaving out `self`.
std::vector<std::uint64_t> exact_top(const qiss::Collection& c, const std::vector<float>& query,
                                     const qiss::IdSet& allowed, std::uint64_t self, int k) {
    std::vector<std::pair<float, std::uint64_t>> scored;
    c.store().for_vectors(allowed.ids(), [&](std::uint64_t id, const float* v) {
        if (id != self)
            scored.emplace_back(qiss::simd_inner_product(query.data(), v, query.size()), id);
    });
    const auto keep = std::min<std::size_t>(static_cast<std::size_t>(k), scored.size());
    std::partial_sort(scored.begin(), scored.begin() + static_cast<long>(keep), scored.end(),
                      [](const auto& a, const auto& b) {
                          return a.first != b.first ? a.first > b.first : a.second < b.second;
                      });
    std::vector<std::uint64_t> ids;
    for (std::size_t i = 0; i < keep; ++i) ids.push_back(scored[i].second);
    return ids;
}

int run(const Options& o) {
    qiss::CollectionOptions read_only;
    read_only.read_only = true;
    read_only.filter_scan_max = o.scan_max;
    auto c = qiss::Collection::open(o.data, read_only);
    std::vector<std::uint64_t> all;
    c->store().for_each_vector([&](std::uint64_t id, const float*) { all.push_back(id); });
    QISS_CHECK(!all.empty(), "{} holds no images", o.data);
    const auto info = c->info();
    for (int percent : {0, 1, 10, 50}) {
        qiss::Filter filter;
        for (int b = 0; b < percent; ++b) filter.fields["bucket"].push_back(std::to_string(b));
        std::vector<double> total, select;
        double recall = 0;
        std::size_t kept = info.images;
        for (int qn = 0; qn < o.queries; ++qn) {
            qiss::Query q;
            q.kind = qiss::Query::Kind::Id;
            q.id = all[all.size() * static_cast<std::size_t>(qn) /
                       static_cast<std::size_t>(o.queries)];
            q.k = o.k;
            q.filter = filter;
            double t0 = thread_cpu_ms();
            const qiss::QueryResult r = run_query(*c, q);
            total.push_back(thread_cpu_ms() - t0);
            if (filter.empty()) continue;
            t0 = thread_cpu_ms();
            const qiss::IdSet allowed = c->select(filter);
            select.push_back(thread_cpu_ms() - t0);
            kept = allowed.size();
            const auto want = exact_top(*c, *c->vector_of(q.id), allowed, q.id, o.k);
            std::size_t found = 0;
            for (const qiss::Hit& h : r.hits) found += std::count(want.begin(), want.end(), h.id);
            recall += static_cast<double>(found) /
                      static_cast<double>(std::max<std::size_t>(1, want.size()));
        }
        const auto t = summarize(total);
        nlohmann::json row = {{"images", info.images},
                              {"index", info.index_factory},
                              {"k", o.k},
                              {"queries", o.queries},
                              {"scan_max", o.scan_max},
                              {"selectivity_percent", percent},
                              {"kept", kept},
                              {"p50_ms", t.p50_ms},
                              {"p99_ms", t.p99_ms}};
        if (!filter.empty()) {
            row["select_p50_ms"] = summarize(select).p50_ms;
            row["recall_at_k"] = recall / o.queries;
            row["path"] = kept <= o.scan_max ? "scan" : "index";
        }
        std::cout << row.dump() << std::endl;
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    Options o;
    CLI::App app("Filtered search: latency and recall at 1, 10 and 50 % selectivity");
    app.add_option("--data", o.data, "A collection (bench/synth_collection)")->required();
    app.add_option("-k", o.k, "Results per query")->capture_default_str();
    app.add_option("--queries", o.queries, "Queries (stored ids, evenly spaced)")
        ->capture_default_str();
    app.add_option("--scan-max", o.scan_max,
                   "Filters keeping at most this many images are scanned exactly (0: never)")
        ->capture_default_str();
    CLI11_PARSE(app, argc, argv);
    try {
        return run(o);
    } catch (const std::exception& e) {
        std::cerr << "filter: " << e.what() << "\n";
        return 1;
    }
}
