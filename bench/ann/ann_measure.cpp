#include "ann/ann_measure.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <numeric>
#include <string>
#include <unordered_set>

#include <faiss/IndexHNSW.h>
#include <faiss/IndexIDMap.h>
#include <faiss/IndexIVF.h>
#include <faiss/IndexRefine.h>
#include <faiss/impl/io.h>
#include <faiss/index_io.h>
#include <malloc.h>
#include <sys/resource.h>
#include <time.h>

#include "common/error.h"

namespace qiss::bench {
namespace {

/// The value at quantile `q` (nearest rank) of sorted `v`.
double quantile(const std::vector<double>& v, double q) {
    const auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(v.size())));
    return v[std::clamp<std::size_t>(rank, 1, v.size()) - 1];
}

template <typename T>
T get(const std::string& data, std::size_t& pos, const std::filesystem::path& path) {
    QISS_CHECK(pos + sizeof(T) <= data.size(), "truncated index file {}", path.string());
    T value;
    std::memcpy(&value, data.data() + pos, sizeof(T));
    pos += sizeof(T);
    return value;
}

}  // namespace

Latency summarize(std::vector<double> ms) {
    if (ms.empty()) return {};
    std::sort(ms.begin(), ms.end());
    const double sum = std::accumulate(ms.begin(), ms.end(), 0.0);
    return {sum / static_cast<double>(ms.size()), quantile(ms, 0.50), quantile(ms, 0.99)};
}

double recall_at_k(const std::vector<int64_t>& found, const GroundTruth& gt) {
    const std::size_t nq = gt.ids.size() / gt.k;
    std::size_t hits = 0;
    for (std::size_t q = 0; q < nq; ++q) {
        const auto* truth = gt.ids.data() + q * gt.k;
        const std::unordered_set<int64_t> want(truth, truth + gt.k);
        for (int j = 0; j < gt.k; ++j) hits += want.count(found[q * gt.k + j]);
    }
    return static_cast<double>(hits) / static_cast<double>(nq * gt.k);
}

std::size_t heap_bytes() {
    const struct mallinfo2 info = mallinfo2();
    return info.uordblks + info.hblkhd;
}

double process_cpu_s() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    auto seconds = [](const timeval& t) {
        return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) * 1e-6;
    };
    return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

double thread_cpu_ms() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) * 1e-6;
}

BareIndex read_bare_index(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    QISS_CHECK(in.is_open(), "cannot open {}", path.string());
    const std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    // magic, version, flags, applied_seq, dim, factory, tombstones, FAISS length + bytes, CRC.
    std::size_t pos = 8 + 4 + 4 + 8 + 4;
    pos += get<uint32_t>(data, pos, path);
    pos += sizeof(int64_t) * get<uint64_t>(data, pos, path);
    const auto length = get<uint64_t>(data, pos, path);
    QISS_CHECK(pos + length <= data.size(), "truncated index file {}", path.string());
    faiss::VectorIOReader reader;
    reader.data.assign(data.begin() + static_cast<std::ptrdiff_t>(pos),
                       data.begin() + static_cast<std::ptrdiff_t>(pos + length));
    BareIndex bare;
    bare.id_map.reset(faiss::read_index(&reader));
    // An IndexIDMap2 around the factory's index, or an IVF index holding the ids itself.
    auto* map = dynamic_cast<faiss::IndexIDMap2*>(bare.id_map.get());
    bare.inner = map ? map->index : bare.id_map.get();
    return bare;
}

void set_faiss_knobs(faiss::Index* index, const SearchOptions& options) {
    if (auto* refine = dynamic_cast<faiss::IndexRefine*>(index)) {
        refine->k_factor = options.k_factor;
        return set_faiss_knobs(refine->base_index, options);
    }
    if (auto* hnsw = dynamic_cast<faiss::IndexHNSW*>(index))
        hnsw->hnsw.efSearch = options.ef_search;
    if (auto* ivf = dynamic_cast<faiss::IndexIVF*>(index))
        ivf->nprobe = static_cast<std::size_t>(options.nprobe);
}

}  // namespace qiss::bench
