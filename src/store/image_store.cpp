#include "store/image_store.h"

#include <bit>
#include <chrono>
#include <cstring>
#include <mutex>
#include <random>
#include <set>
#include <string_view>

#include "common/error.h"
#include "common/error_kind.h"
#include "store/lmdb_env.h"
#include "store/record_codec.h"

namespace qiss {
namespace {

static_assert(std::endian::native == std::endian::little, "qiss files are little-endian");

namespace fs = std::filesystem;
using lmdb::be64;
using lmdb::from_be64;

constexpr std::string_view kMagic = "QISSSTOR";
constexpr std::uint32_t kFormatVersion = 1;
constexpr const char* kTables[] = {"meta", "images", "hashes", "thumbs", "vectors", "oplog"};

// Keys of the meta table that belong to the store.
constexpr std::string_view kFormatKey = "format";
constexpr std::string_view kNextIdKey = "next_id";
constexpr std::string_view kLastSeqKey = "last_seq";
constexpr std::string_view kDimKey = "dim";
constexpr std::string_view kStoreIdKey = "store_id";

/// Folders open in this process: LMDB forbids opening one environment twice in a process.
std::mutex open_dirs_mutex;
std::set<std::string> open_dirs;

template <typename T>
std::string le(T v) {
    return std::string(reinterpret_cast<const char*>(&v), sizeof(T));
}

template <typename T>
T from_le(std::optional<std::string_view> bytes, T fallback, std::string_view what) {
    if (!bytes) return fallback;
    QISS_CHECK_KIND(bytes->size() == sizeof(T), storage,
                    "image store is corrupted (meta {} of {} bytes)", what, bytes->size());
    T v;
    std::memcpy(&v, bytes->data(), sizeof(T));
    return v;
}

StoreId random_store_id() {
    std::random_device random;  // the kernel's random source
    StoreId id;
    for (std::size_t i = 0; i < id.size(); i += 4) {
        const std::uint32_t r = random();
        std::memcpy(id.data() + i, &r, 4);
    }
    return id;
}

std::int64_t now_unix_ms() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace

struct ImageStore::Impl {
    fs::path dir;
    std::string registered;  ///< key in open_dirs
    bool read_only = false;
    lmdb::EnvPtr env;
    MDB_dbi meta = 0, images = 0, hashes = 0, thumbs = 0, vectors = 0, oplog = 0;

    ~Impl() {
        env.reset();
        std::lock_guard lock(open_dirs_mutex);
        open_dirs.erase(registered);
    }

    lmdb::Txn read() const { return lmdb::Txn(env.get(), false); }
    lmdb::Txn write() const {
        QISS_CHECK(!read_only, "the image store {} is open read-only", dir.string());
        return lmdb::Txn(env.get(), true);
    }
    std::uint64_t meta_u64(const lmdb::Txn& txn, std::string_view key,
                           std::uint64_t fallback) const {
        return from_le<std::uint64_t>(txn.get(meta, key), fallback, key);
    }
    std::size_t dim(const lmdb::Txn& txn) const {
        return from_le<std::uint32_t>(txn.get(meta, kDimKey), 0, kDimKey);
    }
    /// Copies a stored vector into `out`; false if there is none.
    bool vector(const lmdb::Txn& txn, std::uint64_t id, std::vector<float>& out) const {
        auto bytes = txn.get(vectors, be64(id));
        if (!bytes) return false;
        QISS_CHECK_KIND(bytes->size() % sizeof(float) == 0, storage,
                        "image store is corrupted (vector {})", id);
        out.resize(bytes->size() / sizeof(float));
        std::memcpy(out.data(), bytes->data(), bytes->size());
        return true;
    }
    /// Opens the tables and checks (or, for a new store, writes) the format.
    void open_tables();
    /// Whether the environment holds no table at all (created, never committed to).
    bool uninitialised() const {
        lmdb::Txn txn(env.get(), false);
        lmdb::Cursor cursor(txn, *txn.open_db(nullptr, false));
        return !cursor.first();
    }
};

void ImageStore::Impl::open_tables() {
    const std::string name = dir.string();
    lmdb::Txn txn(env.get(), !read_only);
    if (!read_only) {
        // A new environment may only hold our tables: anything else is another program's.
        const MDB_dbi main = *txn.open_db(nullptr, false);
        lmdb::Cursor cursor(txn, main);
        for (auto e = cursor.first(); e; e = cursor.next()) {
            const bool ours = std::any_of(std::begin(kTables), std::end(kTables),
                                          [&](const char* t) { return e->first == t; });
            QISS_CHECK(ours, "{} is not a qiss image store (unknown table '{}')", name, e->first);
        }
    }
    MDB_dbi* handles[] = {&meta, &images, &hashes, &thumbs, &vectors, &oplog};
    for (std::size_t i = 0; i < std::size(kTables); ++i) {
        auto dbi = txn.open_db(kTables[i], !read_only);
        QISS_CHECK(dbi.has_value(), "{} is not a qiss image store (no '{}' table)", name,
                   kTables[i]);
        *handles[i] = *dbi;
    }
    auto format = txn.get(meta, kFormatKey);
    if (!format) {
        QISS_CHECK(!read_only && txn.entries(images) == 0 && txn.entries(oplog) == 0,
                   "{} is not a qiss image store (no format in meta)", name);
        std::string value(kMagic);
        value.append(le(kFormatVersion));
        txn.put(meta, kFormatKey, value);
    } else {
        QISS_CHECK(format->size() == kMagic.size() + 4 && format->starts_with(kMagic),
                   "{} is not a qiss image store", name);
        std::uint32_t version = 0;
        std::memcpy(&version, format->data() + kMagic.size(), 4);
        QISS_CHECK(version <= kFormatVersion,
                   "image store {} has format version {}, newer than this qiss supports ({})", name,
                   version, kFormatVersion);
    }
    if (!read_only && !txn.get(meta, kStoreIdKey)) {
        const StoreId id = random_store_id();
        txn.put(meta, kStoreIdKey,
                std::string_view(reinterpret_cast<const char*>(id.data()), id.size()));
    }
    txn.commit();  // also keeps the table handles for the environment's lifetime
}

ImageStore::ImageStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ImageStore::ImageStore(ImageStore&&) noexcept = default;
ImageStore& ImageStore::operator=(ImageStore&&) noexcept = default;

std::string relative_source(const ImageRecord& r) {
    const fs::path source(r.source);
    if (!source.is_absolute()) return r.source;
    if (!r.root.empty()) {
        const fs::path relative = source.lexically_relative(r.root);
        if (!relative.empty() && *relative.begin() != "..") return relative.string();
    }
    return source.filename().string();
}
ImageStore::~ImageStore() = default;

ImageStore ImageStore::open(const fs::path& dir, const StoreOptions& options) {
    if (options.read_only) {
        QISS_CHECK(fs::is_directory(dir), "no image store at {}", dir.string());
    } else {
        std::error_code ec;
        fs::create_directories(dir, ec);
        QISS_CHECK(!ec, "cannot create the image store folder {}: {}", dir.string(), ec.message());
    }
    auto impl = std::make_unique<Impl>();
    impl->dir = dir;
    impl->read_only = options.read_only;
    {
        const std::string key = fs::weakly_canonical(fs::absolute(dir)).string();
        std::lock_guard lock(open_dirs_mutex);
        QISS_CHECK(open_dirs.insert(key).second,
                   "the image store {} is already open in this process", dir.string());
        impl->registered = key;
    }
    impl->env = lmdb::open_env(dir, options.map_size, std::size(kTables), options.read_only);
    if (options.read_only && impl->uninitialised()) {
        // A writer killed between creating the environment and its first commit leaves one
        // without tables: initialise it as that writer would have, then read it (0 images).
        impl->env.reset();
        impl->env = lmdb::open_env(dir, options.map_size, std::size(kTables), false);
        impl->read_only = false;
        impl->open_tables();
        impl->env.reset();
        impl->env = lmdb::open_env(dir, options.map_size, std::size(kTables), true);
        impl->read_only = true;
    }
    impl->open_tables();
    return ImageStore(std::move(impl));
}

std::vector<AddResult> ImageStore::add(std::vector<NewImage>&& batch) {
    std::vector<AddResult> results;
    results.reserve(batch.size());
    if (batch.empty()) return results;
    Impl& s = *impl_;
    lmdb::Txn txn = s.write();
    std::uint64_t next_id = s.meta_u64(txn, kNextIdKey, 1);
    std::uint64_t seq = s.meta_u64(txn, kLastSeqKey, 0);
    const std::size_t old_dim = s.dim(txn);
    std::size_t dim = old_dim;
    const std::size_t max_key = mdb_env_get_maxkeysize(s.env.get());

    for (NewImage& image : batch) {
        ImageRecord& r = image.record;
        QISS_CHECK(!r.content_hash.empty() && r.content_hash.size() <= max_key,
                   "content hash of {} must have 1 to {} bytes, got {}", r.source, max_key,
                   r.content_hash.size());
        QISS_CHECK(!image.vector.empty(), "no vector for {}", r.source);
        if (dim == 0) dim = image.vector.size();
        QISS_CHECK(image.vector.size() == dim,
                   "vector of dimension {} for {}, but the store holds vectors of dimension {}",
                   image.vector.size(), r.source, dim);
        if (auto existing = txn.get(s.hashes, r.content_hash)) {
            results.push_back({from_be64(*existing), true});
            continue;
        }
        r.id = next_id++;
        if (r.added_unix_ms == 0) r.added_unix_ms = now_unix_ms();
        const std::string key = be64(r.id);
        txn.put(s.images, key, encode_record(r));
        txn.put(s.hashes, r.content_hash, key);
        txn.put(s.thumbs, key, image.thumbnail);
        txn.put(s.vectors, key,
                std::string_view(reinterpret_cast<const char*>(image.vector.data()),
                                 image.vector.size() * sizeof(float)));
        txn.put(s.oplog, be64(++seq), encode_log_entry({StoreOp::Add, r.id}));
        results.push_back({r.id, false});
    }
    txn.put(s.meta, kNextIdKey, le(next_id));
    txn.put(s.meta, kLastSeqKey, le(seq));
    if (dim != old_dim) txn.put(s.meta, kDimKey, le(static_cast<std::uint32_t>(dim)));
    txn.commit();
    return results;
}

bool ImageStore::remove(std::uint64_t id) {
    Impl& s = *impl_;
    lmdb::Txn txn = s.write();
    const std::string key = be64(id);
    auto bytes = txn.get(s.images, key);
    if (!bytes) return false;
    const ImageRecord r = decode_record(id, *bytes);
    if (auto owner = txn.get(s.hashes, r.content_hash); owner && *owner == key)
        txn.del(s.hashes, r.content_hash);
    txn.del(s.images, key);
    txn.del(s.thumbs, key);
    txn.del(s.vectors, key);
    const std::uint64_t seq = s.meta_u64(txn, kLastSeqKey, 0) + 1;
    txn.put(s.oplog, be64(seq), encode_log_entry({StoreOp::Remove, id}));
    txn.put(s.meta, kLastSeqKey, le(seq));
    txn.commit();
    return true;
}

std::optional<ImageRecord> ImageStore::get(std::uint64_t id) const {
    lmdb::Txn txn = impl_->read();
    auto bytes = txn.get(impl_->images, be64(id));
    if (!bytes) return std::nullopt;
    return decode_record(id, *bytes);
}

std::optional<std::string> ImageStore::thumbnail(std::uint64_t id) const {
    lmdb::Txn txn = impl_->read();
    auto bytes = txn.get(impl_->thumbs, be64(id));
    if (!bytes) return std::nullopt;
    return std::string(*bytes);
}

std::optional<std::vector<float>> ImageStore::vector(std::uint64_t id) const {
    lmdb::Txn txn = impl_->read();
    std::vector<float> v;
    if (!impl_->vector(txn, id, v)) return std::nullopt;
    return v;
}

std::size_t ImageStore::for_vectors(const std::vector<std::uint64_t>& ids,
                                    const VectorCallback& callback) const {
    lmdb::Txn txn = impl_->read();
    std::vector<float> v;
    std::size_t found = 0;
    for (std::uint64_t id : ids) {
        if (!impl_->vector(txn, id, v)) continue;
        callback(id, v.data());
        ++found;
    }
    return found;
}

std::optional<std::uint64_t> ImageStore::find_hash(const std::string& content_hash) const {
    if (content_hash.empty() ||
        content_hash.size() > static_cast<std::size_t>(mdb_env_get_maxkeysize(impl_->env.get())))
        return std::nullopt;
    lmdb::Txn txn = impl_->read();
    auto bytes = txn.get(impl_->hashes, content_hash);
    if (!bytes) return std::nullopt;
    return from_be64(*bytes);
}

std::size_t ImageStore::count() const {
    lmdb::Txn txn = impl_->read();
    return txn.entries(impl_->images);
}

StoreCounts ImageStore::counts() const {
    lmdb::Txn txn = impl_->read();
    return {txn.entries(impl_->images), impl_->meta_u64(txn, kLastSeqKey, 0)};
}

StoreId ImageStore::id() const {
    lmdb::Txn txn = impl_->read();
    StoreId id{};
    auto bytes = txn.get(impl_->meta, kStoreIdKey);
    if (!bytes) return id;
    QISS_CHECK(bytes->size() == id.size(), "image store is corrupted (store_id of {} bytes)",
               bytes->size());
    std::memcpy(id.data(), bytes->data(), id.size());
    return id;
}

std::uint64_t ImageStore::last_seq() const {
    lmdb::Txn txn = impl_->read();
    return impl_->meta_u64(txn, kLastSeqKey, 0);
}

std::size_t ImageStore::dim() const {
    lmdb::Txn txn = impl_->read();
    return impl_->dim(txn);
}

std::optional<std::string> ImageStore::get_meta(const std::string& key) const {
    if (key.empty()) return std::nullopt;
    lmdb::Txn txn = impl_->read();
    auto bytes = txn.get(impl_->meta, key);
    if (!bytes) return std::nullopt;
    return std::string(*bytes);
}

void ImageStore::set_meta(const std::string& key, const std::string& value) {
    QISS_CHECK(!key.empty() && key != kFormatKey && key != kNextIdKey && key != kLastSeqKey &&
                   key != kDimKey && key != kStoreIdKey,
               "'{}' is not a free key of the image store's meta table", key);
    lmdb::Txn txn = impl_->write();
    txn.put(impl_->meta, key, value);
    txn.commit();
}

std::uint64_t ImageStore::for_each_op_after(std::uint64_t seq, const OpCallback& callback) const {
    const Impl& s = *impl_;
    lmdb::Txn txn = s.read();
    const std::uint64_t last = s.meta_u64(txn, kLastSeqKey, 0);
    if (seq >= last) return last;
    lmdb::Cursor cursor(txn, s.oplog);
    std::vector<float> v;
    for (auto e = cursor.seek(be64(seq + 1)); e; e = cursor.next()) {
        const std::uint64_t at = from_be64(e->first);
        const auto [op, id] = decode_log_entry(at, e->second);
        const bool has_vector = op == StoreOp::Add && s.vector(txn, id, v);
        callback(at, op, id, has_vector ? v.data() : nullptr);
    }
    return last;
}

std::uint64_t ImageStore::for_each_record(const RecordCallback& callback) const {
    const Impl& s = *impl_;
    lmdb::Txn txn = s.read();
    const std::uint64_t last = s.meta_u64(txn, kLastSeqKey, 0);
    lmdb::Cursor cursor(txn, s.images);
    for (auto e = cursor.first(); e; e = cursor.next())
        callback(decode_record(from_be64(e->first), e->second));
    return last;
}

std::uint64_t ImageStore::for_each_vector(const VectorCallback& callback) const {
    const Impl& s = *impl_;
    lmdb::Txn txn = s.read();
    const std::uint64_t last = s.meta_u64(txn, kLastSeqKey, 0);
    const std::size_t dim = s.dim(txn);
    lmdb::Cursor cursor(txn, s.vectors);
    std::vector<float> v(dim);
    for (auto e = cursor.first(); e; e = cursor.next()) {
        const std::uint64_t id = from_be64(e->first);
        QISS_CHECK(e->second.size() == dim * sizeof(float),
                   "image store is corrupted (vector {} of {} bytes)", id, e->second.size());
        std::memcpy(v.data(), e->second.data(), e->second.size());
        callback(id, v.data());
    }
    return last;
}

const fs::path& ImageStore::dir() const {
    return impl_->dir;
}

bool ImageStore::read_only() const {
    return impl_->read_only;
}

}  // namespace qiss
