#include "ingest/prepare.h"

#include <algorithm>

#include "image/resize.h"
#include "image/thumbnail.h"

namespace qiss {

PreparedImage prepare_image(std::span<const std::uint8_t> bytes, std::string hash,
                            const PrepareOptions& o, const std::string& what) {
    DecodeLimits limits = o.decode;
    if (limits.reduce_jpeg_to == 0)
        limits.reduce_jpeg_to = std::max(o.thumbnail_side, o.input_size);
    DecodedImage img = decode_image(bytes, limits, what);
    PreparedImage p;
    ImageRecord& r = p.image.record;
    r.content_hash = std::move(hash);
    r.width = img.width;
    r.height = img.height;
    r.format = img.format;
    p.image.thumbnail = make_thumbnail(img.rgb, o.thumbnail_side, o.thumbnail_quality);
    p.input = fit_square(img.rgb, o.input_size);
    return p;
}

}  // namespace qiss
