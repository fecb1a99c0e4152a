// The model file reader: decode_model_file (magic, version, the three sections, the CRC), then
// the configuration in its JSON header read as Model::from_bytes reads it. Each input runs
// twice: as it is, and with its last 4 bytes replaced by the CRC-32 of the rest, so that
// mutations get past the checksum to the sections and the header. (The tokenizer and the
// weights are SentencePiece's and libtorch's formats, parsed by those libraries: not here.)
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
    qiss::fuzz::with_and_without_crc(data, size, read_model);
    return 0;
}
