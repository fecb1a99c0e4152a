#include "index/vector_index.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <mutex>
#include <shared_mutex>
#include <string_view>
#include <unordered_set>
#include <utility>

#include <faiss/IndexFlat.h>
#include <faiss/IndexHNSW.h>
#include <faiss/IndexIDMap.h>
#include <faiss/IndexIVF.h>
#include <faiss/IndexIVFPQ.h>
#include <faiss/IndexPQ.h>
#include <faiss/IndexPreTransform.h>
#include <faiss/IndexRefine.h>
#include <faiss/impl/DistanceComputer.h>
#include <faiss/impl/FaissException.h>
#include <faiss/impl/IDSelector.h>
#include <faiss/impl/io.h>
#include <faiss/index_factory.h>
#include <faiss/index_io.h>
#include <zlib.h>

#include "common/error.h"
#include "common/file_util.h"

namespace qiss {
namespace {

static_assert(std::endian::native == std::endian::little, "qiss files are little-endian");
static_assert(std::is_same_v<faiss::Index::idx_t, int64_t>);

using idx_t = faiss::Index::idx_t;

constexpr std::string_view kMagic = "QISSINDX";
constexpr uint32_t kFormatVersion = 1;
constexpr int kDefaultEfConstruction = 80;

/// Accepts internal (FAISS) ids that are not tombstoned.
class LiveSelector : public faiss::IDSelector {
  public:
    explicit LiveSelector(const std::vector<bool>& dead) : dead_(dead) {}
    bool is_member(idx_t id) const override {
        return id >= 0 && (static_cast<std::size_t>(id) >= dead_.size() || !dead_[id]);
    }

  private:
    const std::vector<bool>& dead_;
};

/// Appends what FAISS serialises to a string.
struct StringWriter : faiss::IOWriter {
    explicit StringWriter(std::string& out) : out(out) {}
    size_t operator()(const void* ptr, size_t size, size_t nitems) override {
        out.append(static_cast<const char*>(ptr), size * nitems);
        return nitems;
    }
    std::string& out;
};

/// Lets FAISS read from a slice of memory without copying it.
struct SpanReader : faiss::IOReader {
    explicit SpanReader(std::string_view data) : data(data) {}
    size_t operator()(void* ptr, size_t size, size_t nitems) override {
        if (size == 0) return 0;
        const size_t items = std::min(nitems, (data.size() - pos) / size);
        std::memcpy(ptr, data.data() + pos, items * size);
        pos += items * size;
        return items;
    }
    std::string_view data;
    size_t pos = 0;
};

/// FAISS's message without its "Error in FUNCTION at FILE:LINE: " prefix.
std::string faiss_message(const faiss::FaissException& e) {
    const std::string& msg = e.msg;
    const auto at = msg.find(" at ");
    const auto colon = at == std::string::npos ? at : msg.find(": ", at);
    return colon == std::string::npos ? msg : msg.substr(colon + 2);
}

uint32_t crc32_of(std::string_view data) {
    uLong crc = crc32(0L, Z_NULL, 0);
    return static_cast<uint32_t>(
        crc32_z(crc, reinterpret_cast<const Bytef*>(data.data()), data.size()));
}

template <typename T>
void put(std::string& out, T value) {
    out.append(reinterpret_cast<const char*>(&value), sizeof(T));
}

/// Reads the fields of an index file, refusing to run past its end.
class FileReader {
  public:
    FileReader(std::string_view data, const std::filesystem::path& path)
        : data_(data), path_(path) {}

    std::string_view bytes(std::size_t n) {
        QISS_CHECK(n <= data_.size() - pos_, "truncated index file {}", path_.string());
        std::string_view out = data_.substr(pos_, n);
        pos_ += n;
        return out;
    }
    template <typename T>
    T get() {
        T value;
        std::memcpy(&value, bytes(sizeof(T)).data(), sizeof(T));
        return value;
    }
    std::size_t pos() const { return pos_; }
    std::size_t left() const { return data_.size() - pos_; }

  private:
    std::string_view data_;
    const std::filesystem::path& path_;
    std::size_t pos_ = 0;
};

/// The index below wrappers that only pre-process queries or re-rank results.
const faiss::Index* unwrap(const faiss::Index* index) {
    if (auto* pt = dynamic_cast<const faiss::IndexPreTransform*>(index)) return unwrap(pt->index);
    if (auto* rf = dynamic_cast<const faiss::IndexRefine*>(index)) return unwrap(rf->base_index);
    return index;
}

/// Whether search_raw() applies an IDSelector for this index type in FAISS 1.7.3.
bool supports_selector(const faiss::Index* index) {
    const faiss::Index* base = unwrap(index);
    return dynamic_cast<const faiss::IndexFlat*>(base) ||
           dynamic_cast<const faiss::IndexHNSW*>(base) ||
           dynamic_cast<const faiss::IndexIVF*>(base);
}

std::size_t min_training(const faiss::Index* index) {
    if (index->is_trained) return 0;
    if (auto* pt = dynamic_cast<const faiss::IndexPreTransform*>(index))
        return std::max<std::size_t>(1, min_training(pt->index));
    if (auto* rf = dynamic_cast<const faiss::IndexRefine*>(index))
        return std::max(min_training(rf->base_index), min_training(rf->refine_index));
    if (auto* hnsw = dynamic_cast<const faiss::IndexHNSW*>(index))
        return hnsw->storage ? min_training(hnsw->storage) : 1;
    if (auto* ivfpq = dynamic_cast<const faiss::IndexIVFPQ*>(index))
        return std::max<std::size_t>(ivfpq->nlist, ivfpq->pq.ksub);
    if (auto* ivf = dynamic_cast<const faiss::IndexIVF*>(index))
        return std::max<std::size_t>(1, ivf->nlist);
    if (auto* pq = dynamic_cast<const faiss::IndexPQ*>(index)) return pq->pq.ksub;
    return 1;
}

/// Sets the stored defaults of a new index to those of SearchOptions (they only matter for
/// index types whose parameters search_raw() cannot pass per call).
void set_defaults(faiss::Index* index) {
    const SearchOptions defaults;
    if (auto* pt = dynamic_cast<faiss::IndexPreTransform*>(index)) return set_defaults(pt->index);
    if (auto* rf = dynamic_cast<faiss::IndexRefine*>(index)) {
        rf->k_factor = defaults.k_factor;
        return set_defaults(rf->base_index);
    }
    if (auto* hnsw = dynamic_cast<faiss::IndexHNSW*>(index)) {
        hnsw->hnsw.efConstruction = kDefaultEfConstruction;
        hnsw->hnsw.efSearch = defaults.ef_search;
    }
    if (auto* ivf = dynamic_cast<faiss::IndexIVF*>(index))
        ivf->nprobe = std::clamp<std::size_t>(defaults.nprobe, 1, ivf->nlist);
}

/// Searches `index` (without the id map) for the k best internal ids per query, passing the
/// per-call options and the selector (when not null) to the index types that accept them.
void search_raw(const faiss::Index* index, idx_t n, const float* x, idx_t k, float* distances,
                idx_t* labels, const SearchOptions& opt, const faiss::IDSelector* sel) {
    if (auto* rf = dynamic_cast<const faiss::IndexRefine*>(index)) {
        const float factor = std::max(1.0f, opt.k_factor);
        const idx_t kb = std::min<idx_t>(
            std::max<idx_t>(k, static_cast<idx_t>(std::ceil(k * factor))), rf->base_index->ntotal);
        std::vector<float> base_d(n * kb);
        std::vector<idx_t> base_l(n * kb);
        search_raw(rf->base_index, n, x, kb, base_d.data(), base_l.data(), opt, sel);
        std::unique_ptr<faiss::DistanceComputer> dc(rf->refine_index->get_distance_computer());
        std::vector<std::pair<float, idx_t>> cand;
        for (idx_t q = 0; q < n; ++q) {
            dc->set_query(x + q * index->d);
            cand.clear();
            for (idx_t j = 0; j < kb; ++j) {
                const idx_t label = base_l[q * kb + j];
                if (label >= 0) cand.emplace_back((*dc)(label), label);
            }
            const auto keep = std::min<std::size_t>(k, cand.size());
            std::partial_sort(cand.begin(), cand.begin() + keep, cand.end(),
                              [](const auto& a, const auto& b) { return a.first > b.first; });
            for (idx_t j = 0; j < k; ++j) {
                const bool has = static_cast<std::size_t>(j) < keep;
                distances[q * k + j] = has ? cand[j].first : 0.0f;
                labels[q * k + j] = has ? cand[j].second : -1;
            }
        }
        return;
    }
    if (auto* pt = dynamic_cast<const faiss::IndexPreTransform*>(index)) {
        const float* xt = pt->apply_chain(n, x);
        std::unique_ptr<const float[]> owned(xt != x ? xt : nullptr);
        return search_raw(pt->index, n, xt, k, distances, labels, opt, sel);
    }
    if (dynamic_cast<const faiss::IndexHNSW*>(index)) {
        faiss::SearchParametersHNSW params;
        params.efSearch = std::max<int>(opt.ef_search, static_cast<int>(k));
        params.sel = const_cast<faiss::IDSelector*>(sel);
        return index->search(n, x, k, distances, labels, &params);
    }
    if (auto* ivf = dynamic_cast<const faiss::IndexIVF*>(index)) {
        faiss::SearchParametersIVF params;
        params.nprobe = std::clamp<std::size_t>(std::max(opt.nprobe, 1), 1, ivf->nlist);
        params.sel = const_cast<faiss::IDSelector*>(sel);
        return index->search(n, x, k, distances, labels, &params);
    }
    if (dynamic_cast<const faiss::IndexFlat*>(index)) {
        faiss::SearchParameters params;
        params.sel = const_cast<faiss::IDSelector*>(sel);
        return index->search(n, x, k, distances, labels, &params);
    }
    index->search(n, x, k, distances, labels);
}

}  // namespace

struct VectorIndex::Impl {
    std::string factory;
    int dim = 0;
    uint64_t applied_seq = 0;
    std::unique_ptr<faiss::IndexIDMap2> index;
    std::unordered_set<int64_t> tombstones;  ///< caller ids removed
    std::vector<bool> dead;                  ///< per FAISS internal id: removed
    mutable std::shared_mutex mutex;

    /// The internal id of a caller id, or -1.
    idx_t internal_id(int64_t id) const {
        auto it = index->rev_map.find(id);
        return it == index->rev_map.end() ? -1 : it->second;
    }
};

VectorIndex::VectorIndex(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
VectorIndex::VectorIndex(VectorIndex&&) noexcept = default;
VectorIndex& VectorIndex::operator=(VectorIndex&&) noexcept = default;
VectorIndex::~VectorIndex() = default;

VectorIndex VectorIndex::create(const std::string& factory, int dim) {
    QISS_CHECK(dim > 0, "index dimension must be positive, got {}", dim);
    QISS_CHECK(factory.find("IDMap") == std::string::npos,
               "invalid index factory string '{}': qiss maps ids itself, leave out IDMap", factory);
    std::unique_ptr<faiss::Index> inner;
    try {
        inner.reset(faiss::index_factory(dim, factory.c_str(), faiss::METRIC_INNER_PRODUCT));
    } catch (const faiss::FaissException& e) {
        QISS_THROW("invalid index factory string '{}' for dimension {}: {}", factory, dim,
                   faiss_message(e));
    }
    QISS_CHECK(inner->metric_type == faiss::METRIC_INNER_PRODUCT,
               "index factory string '{}' does not support inner-product search", factory);
    set_defaults(inner.get());
    auto impl = std::make_unique<Impl>();
    impl->factory = factory;
    impl->dim = dim;
    impl->index = std::make_unique<faiss::IndexIDMap2>(inner.get());
    impl->index->own_fields = true;
    inner.release();
    return VectorIndex(std::move(impl));
}

bool VectorIndex::is_trained() const {
    std::shared_lock lock(impl_->mutex);
    return impl_->index->is_trained;
}

std::size_t VectorIndex::min_training_vectors() const {
    std::shared_lock lock(impl_->mutex);
    return min_training(impl_->index->index);
}

void VectorIndex::train(const float* x, std::size_t n) {
    std::unique_lock lock(impl_->mutex);
    const std::size_t needed = min_training(impl_->index->index);
    QISS_CHECK(impl_->index->ntotal == 0,
               "cannot train the '{}' index: it already holds {} vectors", impl_->factory,
               impl_->index->ntotal);
    QISS_CHECK(n >= needed && n > 0, "the '{}' index needs at least {} training vectors, got {}",
               impl_->factory, std::max<std::size_t>(needed, 1), n);
    try {
        impl_->index->train(static_cast<idx_t>(n), x);
    } catch (const faiss::FaissException& e) {
        QISS_THROW("training the '{}' index on {} vectors failed: {}", impl_->factory, n,
                   faiss_message(e));
    }
}

void VectorIndex::add(const float* x, const int64_t* ids, std::size_t n) {
    std::unique_lock lock(impl_->mutex);
    QISS_CHECK(impl_->index->is_trained, "the '{}' index must be trained before adding vectors",
               impl_->factory);
    std::unordered_set<int64_t> batch;
    batch.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
        const int64_t id = ids[i];
        QISS_CHECK(id >= 0, "index ids must not be negative, got {}", id);
        QISS_CHECK(batch.insert(id).second, "id {} appears twice in the vectors to add", id);
        QISS_CHECK(!impl_->tombstones.count(id),
                   "id {} was removed from this index and cannot be added again; rebuild the "
                   "index",
                   id);
        QISS_CHECK(impl_->internal_id(id) < 0, "id {} is already in the index", id);
    }
    if (n == 0) return;
    try {
        impl_->index->add_with_ids(static_cast<idx_t>(n), x, ids);
    } catch (const faiss::FaissException& e) {
        QISS_THROW("adding {} vectors to the '{}' index failed: {}", n, impl_->factory,
                   faiss_message(e));
    }
    impl_->dead.resize(impl_->index->ntotal, false);
}

std::size_t VectorIndex::remove(const int64_t* ids, std::size_t n) {
    std::unique_lock lock(impl_->mutex);
    std::size_t removed = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const idx_t internal = impl_->internal_id(ids[i]);
        if (internal < 0 || !impl_->tombstones.insert(ids[i]).second) continue;
        QISS_ASSERT(static_cast<std::size_t>(internal) < impl_->dead.size());
        impl_->dead[internal] = true;
        ++removed;
    }
    return removed;
}

bool VectorIndex::contains(int64_t id) const {
    std::shared_lock lock(impl_->mutex);
    return impl_->internal_id(id) >= 0 && !impl_->tombstones.count(id);
}

std::size_t VectorIndex::size() const {
    std::shared_lock lock(impl_->mutex);
    return impl_->index->ntotal - impl_->tombstones.size();
}

std::size_t VectorIndex::tombstone_count() const {
    std::shared_lock lock(impl_->mutex);
    return impl_->tombstones.size();
}

int VectorIndex::dim() const {
    return impl_->dim;
}

std::string VectorIndex::factory() const {
    return impl_->factory;
}

uint64_t VectorIndex::applied_seq() const {
    std::shared_lock lock(impl_->mutex);
    return impl_->applied_seq;
}

void VectorIndex::set_applied_seq(uint64_t seq) {
    std::unique_lock lock(impl_->mutex);
    impl_->applied_seq = seq;
}

std::vector<SearchResult> VectorIndex::search(const float* queries, std::size_t nq, int k,
                                              const SearchOptions& options) const {
    QISS_CHECK(k > 0, "the number of results k must be positive, got {}", k);
    std::shared_lock lock(impl_->mutex);
    std::vector<SearchResult> results(nq);
    const faiss::IndexIDMap2& map = *impl_->index;
    const std::size_t n_dead = impl_->tombstones.size();
    if (nq == 0 || map.ntotal == static_cast<idx_t>(n_dead)) return results;

    // Tombstones are skipped by the selector when the index type accepts one, else by asking
    // for n_dead more results and dropping the removed ones below.
    const LiveSelector live(impl_->dead);
    std::vector<float> distances;
    std::vector<idx_t> labels;
    idx_t kf = 0;
    auto run = [&](bool use_selector) {
        const idx_t extra = n_dead > 0 && !use_selector ? static_cast<idx_t>(n_dead) : 0;
        kf = std::min<idx_t>(k + extra, map.ntotal);
        distances.resize(nq * kf);
        labels.resize(nq * kf);
        search_raw(map.index, static_cast<idx_t>(nq), queries, kf, distances.data(), labels.data(),
                   options, n_dead > 0 && use_selector ? &live : nullptr);
    };
    const bool selects = n_dead > 0 && supports_selector(map.index);
    try {
        try {
            run(selects);
        } catch (const faiss::FaissException&) {
            if (!selects) throw;
            run(false);  // a variant of these types that rejects selectors: over-fetch instead
        }
    } catch (const faiss::FaissException& e) {
        QISS_THROW("searching the '{}' index failed: {}", impl_->factory, faiss_message(e));
    }

    std::vector<std::pair<float, idx_t>> hits;
    for (std::size_t q = 0; q < nq; ++q) {
        hits.clear();
        for (idx_t j = 0; j < kf; ++j) {
            const idx_t label = labels[q * kf + j];
            if (label < 0 || !live.is_member(label)) continue;
            QISS_ASSERT(static_cast<std::size_t>(label) < map.id_map.size());
            hits.emplace_back(distances[q * kf + j], map.id_map[label]);
        }
        std::sort(hits.begin(), hits.end(), [](const auto& a, const auto& b) {
            return a.first != b.first ? a.first > b.first : a.second < b.second;
        });
        if (hits.size() > static_cast<std::size_t>(k)) hits.resize(k);
        SearchResult& r = results[q];
        r.ids.reserve(hits.size());
        r.scores.reserve(hits.size());
        for (const auto& [score, id] : hits) {
            r.ids.push_back(id);
            r.scores.push_back(score);
        }
    }
    return results;
}

void VectorIndex::save(const std::filesystem::path& path) const {
    std::shared_lock lock(impl_->mutex);
    std::string out;
    out.append(kMagic);
    put<uint32_t>(out, kFormatVersion);
    put<uint32_t>(out, 0);  // flags
    put<uint64_t>(out, impl_->applied_seq);
    put<uint32_t>(out, static_cast<uint32_t>(impl_->dim));
    put<uint32_t>(out, static_cast<uint32_t>(impl_->factory.size()));
    out.append(impl_->factory);
    std::vector<int64_t> tombstones(impl_->tombstones.begin(), impl_->tombstones.end());
    std::sort(tombstones.begin(), tombstones.end());
    put<uint64_t>(out, tombstones.size());
    for (int64_t id : tombstones) put<int64_t>(out, id);

    const std::size_t length_at = out.size();
    put<uint64_t>(out, 0);
    StringWriter writer(out);
    try {
        faiss::write_index(impl_->index.get(), &writer);
    } catch (const faiss::FaissException& e) {
        QISS_THROW("cannot serialise the '{}' index: {}", impl_->factory, faiss_message(e));
    }
    const uint64_t faiss_bytes = out.size() - length_at - sizeof(uint64_t);
    std::memcpy(out.data() + length_at, &faiss_bytes, sizeof(faiss_bytes));
    put<uint32_t>(out, crc32_of(out));
    write_file_atomic(path, out);
}

VectorIndex VectorIndex::load(const std::filesystem::path& path) {
    const std::string data = read_file_bytes(path);
    const std::string name = path.string();
    FileReader in(data, path);

    const std::string_view head = std::string_view(data).substr(0, kMagic.size());
    QISS_CHECK(kMagic.starts_with(head) && !head.empty(), "{} is not a qiss index file", name);
    in.bytes(kMagic.size());
    const auto version = in.get<uint32_t>();
    QISS_CHECK(version <= kFormatVersion,
               "index file {} has format version {}, newer than this qiss supports ({})", name,
               version, kFormatVersion);
    QISS_CHECK(version >= 1, "index file {} is corrupted (format version 0)", name);
    in.get<uint32_t>();  // flags, reserved

    auto impl = std::make_unique<Impl>();
    impl->applied_seq = in.get<uint64_t>();
    const auto dim = in.get<uint32_t>();
    const auto factory_len = in.get<uint32_t>();
    impl->factory = std::string(in.bytes(factory_len));
    const auto n_tombstones = in.get<uint64_t>();
    QISS_CHECK(n_tombstones <= in.left() / sizeof(int64_t), "truncated index file {}", name);
    std::vector<int64_t> tombstones(n_tombstones);
    for (auto& id : tombstones) id = in.get<int64_t>();
    const auto faiss_len = in.get<uint64_t>();
    QISS_CHECK(faiss_len <= in.left(), "truncated index file {}", name);
    const std::string_view faiss_data = in.bytes(faiss_len);
    const auto stored_crc = in.get<uint32_t>();
    QISS_CHECK(in.left() == 0, "index file {} is corrupted ({} unexpected trailing bytes)", name,
               in.left());
    const std::string_view covered = std::string_view(data).substr(0, data.size() - 4);
    QISS_CHECK(crc32_of(covered) == stored_crc, "index file {} is corrupted (CRC mismatch)", name);

    std::unique_ptr<faiss::Index> read;
    try {
        SpanReader reader(faiss_data);
        read.reset(faiss::read_index(&reader));
    } catch (const faiss::FaissException& e) {
        QISS_THROW("index file {} is corrupted: {}", name, faiss_message(e));
    }
    auto* map = dynamic_cast<faiss::IndexIDMap2*>(read.get());
    QISS_CHECK(map && map->index && map->d == static_cast<int>(dim) && dim > 0,
               "index file {} is corrupted (unexpected FAISS index)", name);
    read.release();
    impl->index.reset(map);
    impl->dim = static_cast<int>(dim);
    impl->dead.assign(map->ntotal, false);
    for (int64_t id : tombstones) {
        const idx_t internal = impl->internal_id(id);
        QISS_CHECK(internal >= 0 && impl->tombstones.insert(id).second,
                   "index file {} is corrupted (bad tombstone {})", name, id);
        impl->dead[internal] = true;
    }
    return VectorIndex(std::move(impl));
}

}  // namespace qiss
