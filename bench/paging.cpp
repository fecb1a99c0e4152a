// Deep paging (docs/benchmarks.md, "Deep paging"): the latency of page 1 and of deeper pages
// reached by following each answer's `next` cursor, next to the same pages asked by offset,
// through the engine's own query path (run_query on a read-only collection, as the server).
//   build/bench/paging --data out/bench/c100k [--k 20] [--pages 500] [--queries 20]
// Queries are "similar to a stored image" searches of evenly spaced stored ids (no model
// embedding, so the numbers are the look-up's). Each time is the calling thread's CPU time (the
// look-up runs on it; the machine may be shared). Prints one JSON object per page measured.
#include <algorithm>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "ann/ann_measure.h"
#include "common/error.h"
#include "engine/collection.h"
#include "engine/query.h"

namespace {

struct Options {
    std::string data;
    int k = 20;
    int pages = 500;
    int queries = 20;
};

using qiss::bench::summarize;
using qiss::bench::thread_cpu_ms;

int run(const Options& o) {
    qiss::CollectionOptions read_only;
    read_only.read_only = true;
    auto c = qiss::Collection::open(o.data, read_only);
    std::vector<std::uint64_t> all;
    c->store().for_each_vector([&](std::uint64_t id, const float*) { all.push_back(id); });
    QISS_CHECK(static_cast<long>(all.size()) > static_cast<long>(o.k) * o.pages,
               "{} holds {} images: fewer than k × pages", o.data, all.size());
    qiss::QueryLimits limits;
    limits.max_offset = o.k * o.pages;
    const std::vector<int> measured = {1, 2, 10, 49, 50, 100, 250, o.pages};
    std::map<int, std::vector<double>> by_cursor, by_offset;
    for (int qn = 0; qn < o.queries; ++qn) {
        qiss::Query q;
        q.kind = qiss::Query::Kind::Id;
        q.id = all[all.size() * static_cast<std::size_t>(qn) / static_cast<std::size_t>(o.queries)];
        q.k = o.k;
        for (int page = 1; page <= o.pages; ++page) {
            const double t0 = thread_cpu_ms();
            const qiss::QueryResult r = run_query(*c, q, limits);
            const double ms = thread_cpu_ms() - t0;
            QISS_CHECK(static_cast<int>(r.hits.size()) == o.k && !r.next.empty(),
                       "page {} of query {} is not full", page, qn);
            if (std::count(measured.begin(), measured.end(), page)) by_cursor[page].push_back(ms);
            q.after = r.next;
        }
        q.after.clear();
        for (int page : measured) {
            q.offset = (page - 1) * o.k;
            const double t0 = thread_cpu_ms();
            run_query(*c, q, limits);
            by_offset[page].push_back(thread_cpu_ms() - t0);
        }
        q.offset = 0;
    }
    const auto info = c->info();
    for (int page : measured) {
        const auto cursor = summarize(by_cursor[page]);
        const auto offset = summarize(by_offset[page]);
        std::cout << nlohmann::json{{"images", info.images},
                                    {"index", info.index_factory},
                                    {"k", o.k},
                                    {"page", page},
                                    {"queries", o.queries},
                                    {"after_p50_ms", cursor.p50_ms},
                                    {"after_p99_ms", cursor.p99_ms},
                                    {"offset_p50_ms", offset.p50_ms},
                                    {"offset_p99_ms", offset.p99_ms}}
                         .dump()
                  << std::endl;
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    Options o;
    CLI::App app("Deep paging: page 1 vs page N, by cursor and by offset");
    app.add_option("--data", o.data, "A collection (bench/synth_collection)")->required();
    app.add_option("-k", o.k, "Results per page")->capture_default_str();
    app.add_option("--pages", o.pages, "Pages walked per query")->capture_default_str();
    app.add_option("--queries", o.queries, "Queries (stored ids, evenly spaced)")
        ->capture_default_str();
    CLI11_PARSE(app, argc, argv);
    try {
        return run(o);
    } catch (const std::exception& e) {
        std::cerr << "paging: " << e.what() << "\n";
        return 1;
    }
}
