#include "store/lmdb_env.h"

#include "common/error.h"
#include "common/error_kind.h"
#include "store/lmdb_check.h"

namespace qiss::lmdb {
namespace {

MDB_val to_val(std::string_view s) {
    return MDB_val{s.size(), const_cast<char*>(s.data())};
}

std::string_view to_view(const MDB_val& v) {
    return {static_cast<const char*>(v.mv_data), v.mv_size};
}

}  // namespace

void check(int rc, std::string_view what) {
    if (rc == MDB_SUCCESS) return;
    if (rc == MDB_MAP_FULL)
        QISS_THROW_KIND(storage_full, "{}: the image store is full; open it with a larger map size",
                        what);
    QISS_THROW_KIND(storage, "{}: {}", what, mdb_strerror(rc));
}

EnvPtr open_env(const std::filesystem::path& dir, std::size_t map_size, unsigned max_dbs,
                bool read_only) {
    MDB_env* raw = nullptr;
    check(mdb_env_create(&raw), "cannot create an LMDB environment");
    EnvPtr env(raw);
    check(mdb_env_set_maxdbs(raw, max_dbs), "cannot configure LMDB");
    check(mdb_env_set_mapsize(raw, map_size), "cannot set the LMDB map size");
    check_data_file(dir / "data.mdb");  // a truncated file would be mapped: SIGBUS
    const unsigned flags = MDB_NOTLS | (read_only ? MDB_RDONLY : 0u);
    const int rc = mdb_env_open(raw, dir.c_str(), flags, 0644);
    if (rc == MDB_INVALID || rc == MDB_VERSION_MISMATCH)
        QISS_THROW("{} is not a qiss image store ({})", dir.string(), mdb_strerror(rc));
    check(rc, "cannot open the image store " + dir.string());
    return env;
}

Txn::Txn(MDB_env* env, bool write) {
    int rc = mdb_txn_begin(env, nullptr, write ? 0 : MDB_RDONLY, &txn_);
    if (rc == MDB_MAP_RESIZED) {
        // Another process grew the map: adopt its size and try again.
        check(mdb_env_set_mapsize(env, 0), "cannot adopt the image store's new map size");
        rc = mdb_txn_begin(env, nullptr, write ? 0 : MDB_RDONLY, &txn_);
    }
    check(rc, "cannot begin an image store transaction");
}

Txn::~Txn() {
    if (txn_) mdb_txn_abort(txn_);
}

void Txn::commit() {
    MDB_txn* txn = std::exchange(txn_, nullptr);
    check(mdb_txn_commit(txn), "cannot commit to the image store");
}

std::optional<MDB_dbi> Txn::open_db(const char* name, bool create) {
    MDB_dbi dbi = 0;
    const int rc = mdb_dbi_open(txn_, name, create ? MDB_CREATE : 0, &dbi);
    if (rc == MDB_NOTFOUND) return std::nullopt;
    if (rc != MDB_SUCCESS)
        check(rc,
              fmt::format("cannot open the '{}' table of the image store", name ? name : "main"));
    return dbi;
}

std::optional<std::string_view> Txn::get(MDB_dbi dbi, std::string_view key) const {
    MDB_val k = to_val(key), v{};
    const int rc = mdb_get(txn_, dbi, &k, &v);
    if (rc == MDB_NOTFOUND) return std::nullopt;
    check(rc, "image store read failed");
    return to_view(v);
}

void Txn::put(MDB_dbi dbi, std::string_view key, std::string_view value) {
    MDB_val k = to_val(key), v = to_val(value);
    check(mdb_put(txn_, dbi, &k, &v, 0), "image store write failed");
}

bool Txn::del(MDB_dbi dbi, std::string_view key) {
    MDB_val k = to_val(key);
    const int rc = mdb_del(txn_, dbi, &k, nullptr);
    if (rc == MDB_NOTFOUND) return false;
    check(rc, "image store delete failed");
    return true;
}

std::size_t Txn::entries(MDB_dbi dbi) const {
    MDB_stat st{};
    check(mdb_stat(txn_, dbi, &st), "image store stat failed");
    return st.ms_entries;
}

Cursor::Cursor(const Txn& txn, MDB_dbi dbi) {
    check(mdb_cursor_open(txn.get(), dbi, &cursor_), "cannot open an image store cursor");
}

std::optional<Cursor::Entry> Cursor::move(MDB_cursor_op op, std::string_view key) {
    MDB_val k = to_val(key), v{};
    const int rc = mdb_cursor_get(cursor_, &k, &v, op);
    if (rc == MDB_NOTFOUND) return std::nullopt;
    check(rc, "image store cursor failed");
    return Entry{to_view(k), to_view(v)};
}

std::string be64(std::uint64_t v) {
    std::string out(8, '\0');
    for (int i = 7; i >= 0; --i, v >>= 8) out[i] = static_cast<char>(v & 0xff);
    return out;
}

std::uint64_t from_be64(std::string_view bytes) {
    QISS_CHECK_KIND(bytes.size() == 8, storage,
                    "image store is corrupted (a key of {} bytes, expected 8)", bytes.size());
    std::uint64_t v = 0;
    for (unsigned char c : bytes) v = (v << 8) | c;
    return v;
}

}  // namespace qiss::lmdb
