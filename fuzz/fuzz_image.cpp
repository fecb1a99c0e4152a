// Image headers and decoders through decode_image, the entry `qiss index` and the server use,
// with its pixel, file-size and JPEG scan limits; then the ingester's next steps on the pixels
// (the model input square and the thumbnail).
#include <cstddef>
#include <cstdint>
#include <span>

#include "common/error.h"
#include "fuzz_util.h"
#include "image/image_header.h"
#include "image/image_io.h"
#include "image/resize.h"
#include "image/thumbnail.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    qiss::fuzz::quiet_logs();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::span<const std::uint8_t> bytes(data, size);
    // The header readers on their own, for every format (decode_image only asks the sniffed one).
    for (const char* format : {"png", "jpeg", "webp", "gif", "bmp"}) {
        qiss::peek_image_size(bytes, format);
        qiss::reaches_end_marker(bytes, format);
    }
    qiss::count_jpeg_scans(bytes);

    qiss::DecodeLimits limits;
    // The default limits but a smaller pixel limit, so that one input decodes in milliseconds;
    // the check is the same. An odd size asks for a reduced JPEG decode, as the ingester does.
    limits.max_pixels = std::uint64_t{1} << 22;
    limits.reduce_jpeg_to = size % 2 == 1 ? 64 : 0;
    try {
        const qiss::DecodedImage img = qiss::decode_image(bytes, limits, "input");
        qiss::fit_square(img.rgb, 32);
        qiss::make_thumbnail(img.rgb, 48, 80);
    } catch (const qiss::Error&) {
        // Refused with a message: the expected outcome for most inputs.
    }
    return 0;
}
