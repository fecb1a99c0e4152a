// The index file reader: VectorIndex::load (src/index/index_file's container: magic, version,
// header, lengths, CRC; then FAISS's reader on the FAISS part and qiss's checks of what it
// read). Each input runs twice: as it is, and with its last 4 bytes replaced by the CRC-32 of
// the rest, so that mutations get past the checksum into the FAISS part.
#include <zlib.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "common/error.h"
#include "fuzz_util.h"
#include "index/vector_index.h"

namespace {

void load(const std::string& bytes) {
    try {
        const qiss::VectorIndex index =
            qiss::VectorIndex::load(qiss::fuzz::scratch_file("input.qiss-index", bytes));
        // What every command does next with a loaded index.
        index.size();
        index.tombstone_count();
        if (index.is_trained() && index.size() > 0) {
            const std::vector<float> query(static_cast<std::size_t>(index.dim()), 0.5f);
            index.search(query.data(), 1, 3);
        }
    } catch (const qiss::Error&) {
    }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    qiss::fuzz::quiet_logs();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string bytes = qiss::fuzz::bytes_of(data, size);
    load(bytes);
    if (size < 4) return 0;
    const auto crc = static_cast<std::uint32_t>(
        ::crc32(::crc32(0L, Z_NULL, 0), data, static_cast<uInt>(size - 4)));
    for (int i = 0; i < 4; ++i) bytes[size - 4 + i] = static_cast<char>((crc >> (8 * i)) & 0xFF);
    load(bytes);
    return 0;
}
