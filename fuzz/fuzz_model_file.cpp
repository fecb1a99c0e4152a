// The model file reader: decode_model_file (magic, version, the three sections, the CRC), then
// the configuration in its JSON header read as Model::from_bytes reads it. Each input runs
// twice: as it is, and with its last 4 bytes replaced by the CRC-32 of the rest, so that
// mutations get past the checksum to the sections and the header. (The tokenizer and the
// weights are SentencePiece's and libtorch's formats, parsed by those libraries: not here.)
#include <zlib.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "common/error.h"
#include "fuzz_util.h"
#include "model/model_config.h"
#include "model/model_file.h"

namespace {

void read_model(const std::string& bytes) {
    try {
        const qiss::ModelFileContents c = qiss::decode_model_file(bytes, "input");
        qiss::ModelConfig config;
        try {
            c.header.at("config").get_to(config);
        } catch (const nlohmann::json::exception&) {
            return;  // Model::from_bytes: "invalid model configuration"
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
    read_model(bytes);
    if (size < 4) return 0;
    const auto crc = static_cast<std::uint32_t>(
        ::crc32(::crc32(0L, Z_NULL, 0), data, static_cast<uInt>(size - 4)));
    for (int i = 0; i < 4; ++i) bytes[size - 4 + i] = static_cast<char>((crc >> (8 * i)) & 0xFF);
    read_model(bytes);
    return 0;
}
