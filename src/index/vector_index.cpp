#include "index/vector_index.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <mutex>
#include <new>
#include <shared_mutex>
#include <stdexcept>
#include <string_view>
#include <unordered_set>
#include <utility>

#include <faiss/IndexHNSW.h>
#include <faiss/IndexIDMap.h>
#include <faiss/IndexIVF.h>
#include <faiss/impl/FaissException.h>
#include <faiss/impl/IDSelector.h>
#include <faiss/impl/io.h>
#include <faiss/index_factory.h>
#include <faiss/index_io.h>

#include "common/error.h"
#include "common/error_kind.h"
#include "index/faiss_check.h"
#include "index/faiss_layout.h"
#include "index/faiss_ops.h"
#include "index/index_file.h"
#include "index/simd_flat.h"

namespace qiss {
namespace {

/// Hands FAISS an IndexIDMap2 part as a plain IndexIDMap ("IxM2" read as "IxMp": the same
/// layout). FAISS's reader builds IndexIDMap2's reverse map from the ids before anything can
/// check that there are as many ids as vectors, and so read past the ids of a damaged file
/// (fuzz finding 6); load() checks the plain map, then makes it an IndexIDMap2 (as_map2).
class Map2AsPlainMap : public faiss::IOReader {
  public:
    explicit Map2AsPlainMap(faiss::IOReader& in) : in_(in) {}
    size_t operator()(void* ptr, size_t size, size_t nitems) override {
        const size_t got = in_(ptr, size, nitems);
        if (first_read_ && size * got >= 4 && std::memcmp(ptr, "IxM2", 4) == 0) {
            std::memcpy(ptr, "IxMp", 4);
            was_map2 = true;
        }
        first_read_ = false;
        return got;
    }
    bool was_map2 = false;

  private:
    faiss::IOReader& in_;
    bool first_read_ = true;
};

/// Refuses a factory string whose index load() would not read back: load() checks the layout of
/// each FAISS part before FAISS reads it, and knows only the types listed in faiss_layout.h.
void check_readable(const faiss::Index& index, const std::string& factory) {
    faiss::VectorIOWriter out;
    faiss::write_index(&index, &out);
    faiss::VectorIOReader in;
    in.data = std::move(out.data);
    const std::string problem = faiss_ops::find_layout_problem(in, in.data.size());
    QISS_CHECK(problem.empty(),
               "index factory string '{}' is not supported: {} (qiss reads Flat, SQ, PQ, HNSW "
               "and IVF indexes, with PCA, OPQ, rotation and refine stages: docs/index.md)",
               factory, problem);
}

/// The IndexIDMap2 of a checked plain id map, which it takes over.
std::unique_ptr<faiss::Index> as_map2(std::unique_ptr<faiss::Index> plain_index) {
    auto* plain = dynamic_cast<faiss::IndexIDMap*>(plain_index.get());
    QISS_ASSERT(plain && plain->id_map.size() == static_cast<std::size_t>(plain->ntotal));
    auto map2 = std::make_unique<faiss::IndexIDMap2>();
    map2->d = plain->d;
    map2->ntotal = plain->ntotal;
    map2->is_trained = plain->is_trained;
    map2->metric_type = plain->metric_type;
    map2->metric_arg = plain->metric_arg;
    map2->index = plain->index;
    map2->own_fields = plain->own_fields;
    plain->own_fields = false;
    map2->id_map = std::move(plain->id_map);
    map2->construct_rev_map();
    return map2;
}

static_assert(std::endian::native == std::endian::little, "qiss files are little-endian");
static_assert(std::is_same_v<faiss::Index::idx_t, int64_t>);

using idx_t = faiss::Index::idx_t;

using faiss_ops::message;

/// Accepts internal (FAISS) ids that are not tombstoned and, given a set of allowed caller ids,
/// whose caller id is in it (through the id map's `id_map`, or the id itself for native ids).
class LiveSelector : public faiss::IDSelector {
  public:
    LiveSelector(const std::vector<bool>& dead, const std::vector<int64_t>* id_map,
                 const IdSet* allowed)
        : dead_(dead), id_map_(id_map), allowed_(allowed) {}
    bool is_member(idx_t id) const override {
        if (id < 0 || (static_cast<std::size_t>(id) < dead_.size() && dead_[id])) return false;
        if (!allowed_) return true;
        return id_map_ ? static_cast<std::size_t>(id) < id_map_->size() &&
                             allowed_->contains((*id_map_)[id])
                       : allowed_->contains(id);
    }

  private:
    const std::vector<bool>& dead_;
    const std::vector<int64_t>* id_map_;
    const IdSet* allowed_;
};

/// Sets the stored efSearch of an HNSW graph (if any) for the scope's duration. Callers hold the
/// exclusive lock: searches read the stored value.
class EfSearchOverride {
  public:
    EfSearchOverride(faiss::IndexHNSW* hnsw, int ef)
        : hnsw_(hnsw), saved_(hnsw ? hnsw->hnsw.efSearch : 0) {
        if (hnsw_) hnsw_->hnsw.efSearch = ef;
    }
    ~EfSearchOverride() {
        if (hnsw_) hnsw_->hnsw.efSearch = saved_;
    }
    EfSearchOverride(const EfSearchOverride&) = delete;
    EfSearchOverride& operator=(const EfSearchOverride&) = delete;

  private:
    faiss::IndexHNSW* hnsw_;
    int saved_;
};

}  // namespace

struct VectorIndex::Impl {
    std::string factory;
    int dim = 0;
    uint64_t applied_seq = 0;
    StoreId store_id{};
    /// What is saved: an IndexIDMap2 around the factory's index or, for IVF types, the IndexIVF
    /// itself, whose inverted lists hold the caller ids (8 bytes per vector, no map).
    std::unique_ptr<faiss::Index> index;
    faiss::IndexIDMap2* map = nullptr;       ///< `index` as an id map; null with native ids
    std::unordered_set<int64_t> tombstones;  ///< id map: caller ids removed
    std::vector<bool> dead;                  ///< id map: per FAISS position, removed
    std::vector<int64_t> native_ids;         ///< native ids: the ids held, sorted
    mutable std::shared_mutex mutex;

    /// Takes `top` as the saved index; an id map unless `top` is an IVF index. Its flat parts
    /// compute inner products with SIMD (simd_flat.h).
    void attach(std::unique_ptr<faiss::Index> top) {
        map = dynamic_cast<faiss::IndexIDMap2*>(top.get());
        index = std::move(top);
        use_simd_flat(index.get());
    }
    const faiss::Index* inner() const { return map ? map->index : index.get(); }
    faiss::Index* inner() { return map ? map->index : index.get(); }

    /// The FAISS position of a caller id (id map only), or -1.
    idx_t position(int64_t id) const {
        auto it = map->rev_map.find(id);
        return it == map->rev_map.end() ? -1 : it->second;
    }
    /// Whether `id` was added (removed or not).
    bool added(int64_t id) const {
        return map ? position(id) >= 0
                   : std::binary_search(native_ids.begin(), native_ids.end(), id);
    }
    bool live(int64_t id) const { return added(id) && !tombstones.count(id); }
    std::size_t live_count() const {
        return static_cast<std::size_t>(index->ntotal) - tombstones.size();
    }

    void add_native_ids(std::vector<int64_t> sorted) {
        const auto mid = native_ids.size();
        native_ids.insert(native_ids.end(), sorted.begin(), sorted.end());
        if (mid > 0 && !sorted.empty() && sorted.front() < native_ids[mid - 1])
            std::inplace_merge(native_ids.begin(), native_ids.begin() + mid, native_ids.end());
    }
    /// Collects the ids held by the IVF lists (after loading a file with native ids).
    void read_native_ids(const std::string& name) {
        const auto* ivf = dynamic_cast<const faiss::IndexIVF*>(index.get());
        QISS_ASSERT(ivf && ivf->invlists);
        native_ids.clear();
        native_ids.reserve(ivf->ntotal);
        for (std::size_t l = 0; l < ivf->nlist; ++l) {
            faiss::InvertedLists::ScopedIds ids(ivf->invlists, l);
            native_ids.insert(native_ids.end(), ids.get(), ids.get() + ivf->invlists->list_size(l));
        }
        std::sort(native_ids.begin(), native_ids.end());
        QISS_CHECK(
            native_ids.size() == static_cast<std::size_t>(ivf->ntotal) &&
                std::adjacent_find(native_ids.begin(), native_ids.end()) == native_ids.end() &&
                (native_ids.empty() || native_ids.front() >= 0),
            "index file {} is corrupted (bad ids in the inverted lists)", name);
    }

    std::vector<SearchResult> search(const float* queries, std::size_t nq, int k,
                                     const SearchOptions& options, const IdSet* allowed) const;
};

std::vector<SearchResult> VectorIndex::Impl::search(const float* queries, std::size_t nq, int k,
                                                    const SearchOptions& options,
                                                    const IdSet* allowed) const {
    std::vector<SearchResult> results(nq);
    const std::size_t n_dead = tombstones.size();
    if (nq == 0 || index->ntotal == static_cast<idx_t>(n_dead)) return results;

    // Tombstones (id map only) and ids outside `allowed` are skipped by the selector when the
    // index type accepts one; else tombstones by asking for n_dead more results, and both are
    // dropped below (a filtered search then may return fewer than k: callers scan instead).
    const LiveSelector alive(dead, map ? &map->id_map : nullptr, allowed);
    const bool restrict = n_dead > 0 || allowed;
    std::vector<float> distances;
    std::vector<idx_t> labels;
    idx_t kf = 0;
    auto run = [&](bool use_selector) {
        const idx_t extra = n_dead > 0 && !use_selector ? static_cast<idx_t>(n_dead) : 0;
        kf = std::min<idx_t>(k + extra, index->ntotal);
        distances.resize(nq * kf);
        labels.resize(nq * kf);
        faiss_ops::search(inner(), static_cast<idx_t>(nq), queries, kf, distances.data(),
                          labels.data(), options, restrict && use_selector ? &alive : nullptr);
    };
    const bool selects = restrict && faiss_ops::supports_selector(inner());
    try {
        try {
            run(selects);
        } catch (const faiss::FaissException&) {
            if (!selects) throw;
            run(false);  // a variant of these types that rejects selectors: over-fetch instead
        }
    } catch (const faiss::FaissException& e) {
        QISS_THROW("searching the '{}' index failed: {}", factory, message(e));
    }

    std::vector<std::pair<float, idx_t>> hits;
    for (std::size_t q = 0; q < nq; ++q) {
        hits.clear();
        for (idx_t j = 0; j < kf; ++j) {
            const idx_t label = labels[q * kf + j];
            if (label < 0 || !alive.is_member(label)) continue;
            if (!map) {
                hits.emplace_back(distances[q * kf + j], label);
                continue;
            }
            QISS_ASSERT(static_cast<std::size_t>(label) < map->id_map.size());
            hits.emplace_back(distances[q * kf + j], map->id_map[label]);
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
                   message(e));
    }
    QISS_CHECK(inner->metric_type == faiss::METRIC_INNER_PRODUCT,
               "index factory string '{}' does not support inner-product search", factory);
    faiss_ops::set_defaults(inner.get());
    auto impl = std::make_unique<Impl>();
    impl->factory = factory;
    impl->dim = dim;
    if (dynamic_cast<faiss::IndexIVF*>(inner.get())) {
        impl->attach(std::move(inner));  // IVF lists store the caller ids themselves
    } else {
        auto map = std::make_unique<faiss::IndexIDMap2>(inner.get());
        map->own_fields = true;
        inner.release();
        impl->attach(std::move(map));
    }
    check_readable(*impl->index, factory);
    return VectorIndex(std::move(impl));
}

bool VectorIndex::is_trained() const {
    std::shared_lock lock(impl_->mutex);
    return impl_->index->is_trained;
}

std::size_t VectorIndex::min_training_vectors() const {
    std::shared_lock lock(impl_->mutex);
    return faiss_ops::min_training(impl_->inner());
}

bool VectorIndex::has_native_ids() const {
    return impl_->map == nullptr;
}

bool VectorIndex::has_exact_scores() const {
    std::shared_lock lock(impl_->mutex);
    return faiss_ops::has_exact_scores(impl_->inner());
}

bool VectorIndex::can_restrict() const {
    std::shared_lock lock(impl_->mutex);
    return faiss_ops::supports_selector(impl_->inner());
}

void VectorIndex::train(const float* x, std::size_t n) {
    std::unique_lock lock(impl_->mutex);
    const std::size_t needed = faiss_ops::min_training(impl_->inner());
    QISS_CHECK(impl_->index->ntotal == 0,
               "cannot train the '{}' index: it already holds {} vectors", impl_->factory,
               impl_->index->ntotal);
    QISS_CHECK(n >= needed && n > 0, "the '{}' index needs at least {} training vectors, got {}",
               impl_->factory, std::max<std::size_t>(needed, 1), n);
    try {
        impl_->index->train(static_cast<idx_t>(n), x);
    } catch (const faiss::FaissException& e) {
        QISS_THROW("training the '{}' index on {} vectors failed: {}", impl_->factory, n,
                   message(e));
    }
}

void VectorIndex::add(const float* x, const int64_t* ids, std::size_t n) {
    std::unique_lock lock(impl_->mutex);
    QISS_CHECK(impl_->index->is_trained, "the '{}' index must be trained before adding vectors",
               impl_->factory);
    std::vector<int64_t> sorted(ids, ids + n);
    std::sort(sorted.begin(), sorted.end());
    for (std::size_t i = 0; i < n; ++i) {
        const int64_t id = sorted[i];
        QISS_CHECK(id >= 0, "index ids must not be negative, got {}", id);
        QISS_CHECK(i == 0 || sorted[i - 1] != id, "id {} appears twice in the vectors to add", id);
        QISS_CHECK(!impl_->tombstones.count(id),
                   "id {} was removed from this index and cannot be added again; rebuild the "
                   "index",
                   id);
        QISS_CHECK_KIND(!impl_->added(id), storage, "id {} is already in the index", id);
    }
    if (n == 0) return;
    // Assigning a vector to its list needs a short walk of an HNSW quantizer's graph only.
    EfSearchOverride assign(faiss_ops::hnsw_quantizer_of(impl_->inner()),
                            faiss_ops::kAssignEfSearch);
    try {
        impl_->index->add_with_ids(static_cast<idx_t>(n), x, ids);
    } catch (const faiss::FaissException& e) {
        QISS_THROW("adding {} vectors to the '{}' index failed: {}", n, impl_->factory, message(e));
    }
    if (impl_->map)
        impl_->dead.resize(impl_->index->ntotal, false);
    else
        impl_->add_native_ids(std::move(sorted));
}

std::size_t VectorIndex::remove(const int64_t* ids, std::size_t n) {
    std::unique_lock lock(impl_->mutex);
    Impl& im = *impl_;
    if (!im.map) {
        // IVF lists hold the ids: remove the vectors for real.
        std::vector<int64_t> gone;
        for (std::size_t i = 0; i < n; ++i)
            if (im.added(ids[i])) gone.push_back(ids[i]);
        std::sort(gone.begin(), gone.end());
        gone.erase(std::unique(gone.begin(), gone.end()), gone.end());
        if (gone.empty()) return 0;
        const faiss::IDSelectorBatch selector(gone.size(), gone.data());
        try {
            const std::size_t removed = im.index->remove_ids(selector);
            QISS_ASSERT(removed == gone.size());
        } catch (const faiss::FaissException& e) {
            QISS_THROW("removing {} vectors from the '{}' index failed: {}", gone.size(),
                       im.factory, message(e));
        }
        std::erase_if(im.native_ids,
                      [&](int64_t id) { return std::binary_search(gone.begin(), gone.end(), id); });
        return gone.size();
    }
    std::size_t removed = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const idx_t position = im.position(ids[i]);
        if (position < 0 || !im.tombstones.insert(ids[i]).second) continue;
        QISS_ASSERT(static_cast<std::size_t>(position) < im.dead.size());
        im.dead[position] = true;
        ++removed;
    }
    return removed;
}

bool VectorIndex::contains(int64_t id) const {
    std::shared_lock lock(impl_->mutex);
    return impl_->live(id);
}

std::size_t VectorIndex::size() const {
    std::shared_lock lock(impl_->mutex);
    return impl_->live_count();
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

VectorIndex::StoreId VectorIndex::store_id() const {
    std::shared_lock lock(impl_->mutex);
    return impl_->store_id;
}

void VectorIndex::set_store_id(const StoreId& id) {
    std::unique_lock lock(impl_->mutex);
    impl_->store_id = id;
}

std::vector<SearchResult> VectorIndex::search(const float* queries, std::size_t nq, int k,
                                              const SearchOptions& options,
                                              const IdSet* allowed) const {
    QISS_CHECK(k > 0, "the number of results k must be positive, got {}", k);
    const int ef = std::max(1, options.ef_search);
    {
        std::shared_lock lock(impl_->mutex);
        const faiss::IndexHNSW* hnsw = faiss_ops::hnsw_of(impl_->inner());
        if (!hnsw || hnsw->hnsw.efSearch == ef)
            return impl_->search(queries, nq, k, options, allowed);
    }
    // FAISS 1.7.3's HNSW sizes its candidate list from the stored efSearch (the per-call value
    // only stops the walk earlier): a search with another ef_search than the stored one sets it
    // for its duration, alone.
    std::unique_lock lock(impl_->mutex);
    faiss::IndexHNSW* hnsw = faiss_ops::hnsw_of(impl_->inner());
    QISS_ASSERT(hnsw);
    EfSearchOverride set(hnsw, ef);
    return impl_->search(queries, nq, k, options, allowed);
}

void VectorIndex::set_search_defaults(const SearchOptions& options) {
    std::unique_lock lock(impl_->mutex);
    faiss_ops::store_search_options(impl_->inner(), options);
}

void VectorIndex::save(const std::filesystem::path& path) const {
    std::shared_lock lock(impl_->mutex);
    index_file::Header h;
    h.applied_seq = impl_->applied_seq;
    h.store_id = impl_->store_id;
    h.dim = static_cast<uint32_t>(impl_->dim);
    h.factory = impl_->factory;
    h.tombstones.assign(impl_->tombstones.begin(), impl_->tombstones.end());
    std::sort(h.tombstones.begin(), h.tombstones.end());
    index_file::write(path, h, [&](faiss::IOWriter& out) {
        try {
            faiss::write_index(impl_->index.get(), &out);
        } catch (const faiss::FaissException& e) {
            QISS_THROW_KIND(internal, "cannot serialise the '{}' index: {}", impl_->factory,
                            message(e));
        }
    });
}

VectorIndex VectorIndex::load(const std::filesystem::path& path) {
    const std::string name = path.string();
    std::unique_ptr<faiss::Index> read;
    bool was_map2 = false;
    const index_file::Header h = index_file::read(path, faiss_ops::find_layout_problem,
                                                  [&](faiss::IOReader& file) {
        try {
            Map2AsPlainMap in(file);
            read.reset(faiss::read_index(&in));
            was_map2 = in.was_map2;
        } catch (const faiss::FaissException& e) {
            QISS_THROW("index file {} is corrupted: {}", name, message(e));
        } catch (const std::bad_alloc&) {
            // FAISS allocates what a length field says before reading it: a damaged length asks
            // for an impossible amount of memory.
            QISS_THROW(
                "index file {} is corrupted (its FAISS part asks for more memory than "
                "there is)",
                name);
        } catch (const std::length_error&) {
            QISS_THROW("index file {} is corrupted (a length in its FAISS part is impossible)",
                       name);
        }
    });
    const std::string inconsistency = faiss_ops::find_inconsistency(read.get());
    QISS_CHECK(inconsistency.empty(), "index file {} is corrupted ({})", name, inconsistency);
    if (was_map2) read = as_map2(std::move(read));
    auto impl = std::make_unique<Impl>();
    impl->applied_seq = h.applied_seq;
    impl->store_id = h.store_id;
    impl->factory = h.factory;
    // Version 2: the FAISS part is an IndexIDMap2 or, for IVF types, the IndexIVF itself holding
    // the caller ids in its lists. Version 1 files always hold an IndexIDMap2.
    const bool mapped = dynamic_cast<faiss::IndexIDMap2*>(read.get()) != nullptr;
    const bool native = h.version >= 2 && dynamic_cast<faiss::IndexIVF*>(read.get()) != nullptr;
    QISS_CHECK((mapped || native) && read->d == static_cast<int>(h.dim) && h.dim > 0,
               "index file {} is corrupted (unexpected FAISS index)", name);
    impl->attach(std::move(read));
    impl->dim = static_cast<int>(h.dim);
    if (native) {
        QISS_CHECK(h.tombstones.empty(), "index file {} is corrupted (tombstones in an IVF index)",
                   name);
        impl->read_native_ids(name);
        return VectorIndex(std::move(impl));
    }
    QISS_CHECK(impl->map->index, "index file {} is corrupted (unexpected FAISS index)", name);
    impl->dead.assign(impl->index->ntotal, false);
    for (int64_t id : h.tombstones) {
        const idx_t position = impl->position(id);
        QISS_CHECK(position >= 0 && impl->tombstones.insert(id).second,
                   "index file {} is corrupted (bad tombstone {})", name, id);
        impl->dead[position] = true;
    }
    return VectorIndex(std::move(impl));
}

}  // namespace qiss
