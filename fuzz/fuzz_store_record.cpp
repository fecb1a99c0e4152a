// The image store's value decoding: a record (JSON), an operation-log entry, and the check of a
// data.mdb against its LMDB meta pages that runs before LMDB maps the file. A record that
// decodes must encode and decode again to the same fields.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "common/error.h"
#include "fuzz_util.h"
#include "store/lmdb_check.h"
#include "store/record_codec.h"

namespace {

bool same(const qiss::ImageRecord& a, const qiss::ImageRecord& b) {
    return a.id == b.id && a.source == b.source && a.root == b.root &&
           a.content_hash == b.content_hash && a.width == b.width && a.height == b.height &&
           a.format == b.format && a.caption == b.caption && a.metadata == b.metadata &&
           a.added_unix_ms == b.added_unix_ms;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    qiss::fuzz::quiet_logs();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string bytes = qiss::fuzz::bytes_of(data, size);
    try {
        const qiss::ImageRecord r = qiss::decode_record(7, bytes);
        const qiss::ImageRecord again = qiss::decode_record(7, qiss::encode_record(r));
        if (!same(r, again)) {
            std::fprintf(stderr, "store record round trip: the fields differ\n");
            std::abort();
        }
    } catch (const qiss::Error&) {
    }
    try {
        const qiss::LogEntry e = qiss::decode_log_entry(1, bytes);
        if (qiss::encode_log_entry(e) != bytes) std::abort();
    } catch (const qiss::Error&) {
    }
    try {
        qiss::lmdb::check_data_file(qiss::fuzz::scratch_file("data.mdb", bytes));
    } catch (const qiss::Error&) {
    }
    return 0;
}
