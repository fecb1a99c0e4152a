#pragma once
/// @file lmdb_env.h
/// A thin RAII layer over the LMDB C API: the environment, transactions and cursors, with
/// errors turned into qiss::Error. Values returned as string_view point into the memory map
/// and stay valid until their transaction ends.

#include <lmdb.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace qiss::lmdb {

/// Throws qiss::Error("WHAT: LMDB's message") when rc is not MDB_SUCCESS.
void check(int rc, std::string_view what);

struct EnvCloser {
    void operator()(MDB_env* env) const { mdb_env_close(env); }
};
using EnvPtr = std::unique_ptr<MDB_env, EnvCloser>;

/// Opens (creating it when `read_only` is false) the environment in folder `dir`, with
/// MDB_NOTLS so read transactions are not tied to threads.
EnvPtr open_env(const std::filesystem::path& dir, std::size_t map_size, unsigned max_dbs,
                bool read_only);

/// A transaction, aborted at scope exit unless committed.
class Txn {
  public:
    /// Begins a read (write = false) or write transaction.
    Txn(MDB_env* env, bool write);
    Txn(Txn&& other) noexcept : txn_(std::exchange(other.txn_, nullptr)) {}
    Txn& operator=(Txn&&) = delete;
    ~Txn();

    /// Commits; the transaction is finished afterwards.
    void commit();
    MDB_txn* get() const { return txn_; }

    /// Opens a named database (creating it when `create`); nullopt if it does not exist.
    std::optional<MDB_dbi> open_db(const char* name, bool create);
    std::optional<std::string_view> get(MDB_dbi dbi, std::string_view key) const;
    void put(MDB_dbi dbi, std::string_view key, std::string_view value);
    /// Deletes a key; false if it did not exist.
    bool del(MDB_dbi dbi, std::string_view key);
    std::size_t entries(MDB_dbi dbi) const;

  private:
    MDB_txn* txn_ = nullptr;
};

/// A cursor over one database of a transaction, closed at scope exit.
class Cursor {
  public:
    using Entry = std::pair<std::string_view, std::string_view>;
    Cursor(const Txn& txn, MDB_dbi dbi);
    ~Cursor() { mdb_cursor_close(cursor_); }
    Cursor(const Cursor&) = delete;
    Cursor& operator=(const Cursor&) = delete;

    /// The first entry whose key is >= `key`.
    std::optional<Entry> seek(std::string_view key) { return move(MDB_SET_RANGE, key); }
    std::optional<Entry> first() { return move(MDB_FIRST, {}); }
    std::optional<Entry> next() { return move(MDB_NEXT, {}); }

  private:
    std::optional<Entry> move(MDB_cursor_op op, std::string_view key);
    MDB_cursor* cursor_ = nullptr;
};

/// 8-byte big-endian key for `v`, so that keys sort numerically.
std::string be64(std::uint64_t v);
/// Reads an 8-byte big-endian number; throws qiss::Error if `bytes` has another size.
std::uint64_t from_be64(std::string_view bytes);

}  // namespace qiss::lmdb
