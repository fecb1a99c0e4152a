// The index file reader: VectorIndex::load (src/index/index_file's container: magic, version,
// header, lengths, CRC; then FAISS's reader on the FAISS part and qiss's checks of what it
// read). Each input runs twice: as it is, and with its last 4 bytes replaced by the CRC-32 of
// the rest, so that mutations get past the checksum into the FAISS part.
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
    qiss::fuzz::with_and_without_crc(data, size, load);
    return 0;
}
