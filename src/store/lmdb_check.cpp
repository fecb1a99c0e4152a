#include "store/lmdb_check.h"

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <optional>
#include <vector>

#include "common/error.h"

namespace qiss::lmdb {
namespace {

static_assert(std::endian::native == std::endian::little && sizeof(void*) == 8,
              "the meta page layout below is LMDB's on 64-bit little-endian machines");

// LMDB 0.9 (mdb.c): each of the first two pages is a 16-byte page header (MDB_page) followed by
// an MDB_meta: magic u32, version u32, address u64, map size u64, two MDB_db of 48 bytes (the
// first one's leading u32 is the page size), last used page number u64, transaction id u64.
constexpr std::size_t kPageHeader = 16;
constexpr std::size_t kMagicAt = 0, kVersionAt = 4, kPageSizeAt = 24, kLastPageAt = 120,
                      kTxnIdAt = 128, kMetaSize = 136;
constexpr std::uint32_t kMagic = 0xBEEFC0DE;
constexpr std::uint32_t kDataVersion = 1;
constexpr std::uint32_t kMinPageSize = 512, kMaxPageSize = 0x10000;

struct Meta {
    std::uint32_t page_size = 0;
    std::uint64_t last_page = 0;
    std::uint64_t txn_id = 0;
};

template <typename T>
T read_at(const std::vector<char>& bytes, std::size_t at) {
    T v;
    std::memcpy(&v, bytes.data() + at, sizeof(T));
    return v;
}

/// The meta page at byte `offset`, if the file holds a valid one there.
std::optional<Meta> read_meta(std::ifstream& in, std::uint64_t offset) {
    std::vector<char> bytes(kMetaSize);
    in.clear();
    in.seekg(static_cast<std::streamoff>(offset + kPageHeader));
    in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!in) return std::nullopt;
    if (read_at<std::uint32_t>(bytes, kMagicAt) != kMagic ||
        read_at<std::uint32_t>(bytes, kVersionAt) != kDataVersion)
        return std::nullopt;
    Meta m;
    m.page_size = read_at<std::uint32_t>(bytes, kPageSizeAt);
    m.last_page = read_at<std::uint64_t>(bytes, kLastPageAt);
    m.txn_id = read_at<std::uint64_t>(bytes, kTxnIdAt);
    return m;
}

}  // namespace

void check_data_file(const std::filesystem::path& data_file) {
    std::ifstream in(data_file, std::ios::binary);
    if (!in) return;  // missing (LMDB creates it) or unreadable (LMDB says why)
    // The meta pages first, then the size: a writer in another process grows the file before it
    // writes the meta page that uses the new pages, so this order never sees a false truncation.
    const auto first = read_meta(in, 0);
    if (!first || first->page_size < kMinPageSize || first->page_size > kMaxPageSize ||
        !std::has_single_bit(first->page_size))
        return;  // empty, or not an LMDB file: LMDB creates or refuses it
    const std::uint64_t page = first->page_size;
    const auto second = read_meta(in, page);
    std::error_code ec;
    const std::uint64_t size = std::filesystem::file_size(data_file, ec);
    if (ec) return;
    const std::string advice =
        "the image store is damaged (a full disk or an incomplete copy?): restore the store "
        "folder from a backup, or move the collection folder aside and index the images again";
    QISS_CHECK(size >= 2 * page,
               "{} is truncated: {} bytes, shorter than its two meta pages ({} bytes); {}",
               data_file.string(), size, 2 * page, advice);
    if (!second) return;  // LMDB refuses a file whose second meta page is invalid
    const Meta& newest = second->txn_id > first->txn_id ? *second : *first;
    const std::uint64_t pages_used = std::max(newest.last_page, std::uint64_t{1}) + 1;
    QISS_CHECK(pages_used <= size / page,
               "{} is truncated: {} bytes, but its pages in use end at {} bytes ({} pages of {} "
               "bytes); {}",
               data_file.string(), size, pages_used * page, pages_used, page, advice);
}

}  // namespace qiss::lmdb
