#include "image/image_header.h"

#include <cstdlib>
#include <initializer_list>

namespace qiss {
namespace {

using Bytes = std::span<const std::uint8_t>;

std::uint32_t be16(Bytes b, std::size_t at) {
    return (b[at] << 8) | b[at + 1];
}
std::uint32_t be32(Bytes b, std::size_t at) {
    return (std::uint32_t{b[at]} << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3];
}
std::uint32_t le16(Bytes b, std::size_t at) {
    return b[at] | (b[at + 1] << 8);
}
std::uint32_t le24(Bytes b, std::size_t at) {
    return le16(b, at) | (b[at + 2] << 16);
}
std::uint32_t le32(Bytes b, std::size_t at) {
    return le24(b, at) | (std::uint32_t{b[at + 3]} << 24);
}

bool has(Bytes b, std::size_t at, std::string_view tag) {
    if (b.size() < at + tag.size()) return false;
    for (std::size_t i = 0; i < tag.size(); ++i)
        if (b[at + i] != static_cast<std::uint8_t>(tag[i])) return false;
    return true;
}

std::optional<ImageSize> nonzero(std::uint32_t w, std::uint32_t h) {
    if (w == 0 || h == 0) return std::nullopt;
    return ImageSize{w, h};
}

// PNG: signature, then the first chunk must be IHDR (length 13): width, height big-endian.
std::optional<ImageSize> png_size(Bytes b) {
    if (b.size() < 24 || be32(b, 8) != 13 || !has(b, 12, "IHDR")) return std::nullopt;
    return nonzero(be32(b, 16), be32(b, 20));
}

bool is_jpeg_sof(std::uint8_t m) {
    // SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC).
    return m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC;
}
bool is_jpeg_standalone(std::uint8_t m) {
    return m == 0x01 || (m >= 0xD0 && m <= 0xD7);
}

// Walks the JPEG marker chain. Calls `on_segment(marker, payload_offset, payload_length)` for
// each segment with a length; stops early when it returns true. Returns true on EOI or an
// early stop, false when the data ends first. Entropy-coded data after SOS is skipped up to
// the next marker that is neither a stuffed 0xFF00 nor a restart marker. Stray bytes between
// segments are skipped as libjpeg does.
template <typename OnSegment>
bool walk_jpeg(Bytes b, OnSegment&& on_segment) {
    std::size_t i = 2;  // after SOI
    const std::size_t n = b.size();
    while (i + 1 < n) {
        if (b[i] != 0xFF || b[i + 1] == 0xFF || b[i + 1] == 0x00) {
            ++i;
            continue;
        }
        const std::uint8_t m = b[i + 1];
        i += 2;
        if (m == 0xD9) return true;
        if (is_jpeg_standalone(m)) continue;
        if (i + 2 > n) return false;
        const std::size_t len = be16(b, i);
        if (len < 2 || i + len > n) return false;
        if (on_segment(m, i + 2, len - 2)) return true;
        i += len;
        if (m == 0xDA) {
            while (i + 1 < n && !(b[i] == 0xFF && b[i + 1] != 0x00 && b[i + 1] != 0xFF &&
                                  !is_jpeg_standalone(b[i + 1])))
                ++i;
        }
    }
    return false;
}

std::optional<ImageSize> jpeg_size(Bytes b) {
    std::optional<ImageSize> size;
    bool before_scan = true;
    walk_jpeg(b, [&](std::uint8_t m, std::size_t at, std::size_t len) {
        if (m == 0xDA) before_scan = false;  // a scan before any frame header: malformed
        if (!before_scan) return true;
        if (is_jpeg_sof(m)) {
            if (len >= 5) size = nonzero(be16(b, at + 3), be16(b, at + 1));
            return true;
        }
        return false;
    });
    return size;
}

std::optional<ImageSize> gif_size(Bytes b) {
    if (b.size() < 13 || !(has(b, 0, "GIF87a") || has(b, 0, "GIF89a"))) return std::nullopt;
    return nonzero(le16(b, 6), le16(b, 8));
}

struct BmpInfo {
    ImageSize size;
    std::uint32_t bits = 0;
    std::uint32_t compression = 0;
};

std::optional<BmpInfo> bmp_info(Bytes b) {
    if (b.size() < 26) return std::nullopt;
    const std::uint32_t header = le32(b, 14);
    if (header == 12) {  // BITMAPCOREHEADER (OS/2): 16-bit sides, never compressed
        auto s = nonzero(le16(b, 18), le16(b, 20));
        if (!s) return std::nullopt;
        return BmpInfo{*s, le16(b, 24), 0};
    }
    if (header < 40 || b.size() < 34) return std::nullopt;
    // BITMAPINFOHEADER and later: signed 32-bit sides, a negative height means top-down.
    const auto w = static_cast<std::int32_t>(le32(b, 18));
    const auto h = static_cast<std::int32_t>(le32(b, 22));
    if (w <= 0 || h == 0 || h == INT32_MIN) return std::nullopt;
    return BmpInfo{{static_cast<std::uint32_t>(w), static_cast<std::uint32_t>(std::abs(h))},
                   le16(b, 28),
                   le32(b, 30)};
}

// WebP: RIFF header (12 bytes), then the first chunk: VP8 (lossy), VP8L (lossless) or VP8X
// (extended, carries the canvas size).
std::optional<ImageSize> webp_size(Bytes b) {
    if (b.size() < 30) return std::nullopt;
    constexpr std::size_t p = 20;  // first chunk's payload
    if (has(b, 12, "VP8 ")) {
        if (b[p + 3] != 0x9D || b[p + 4] != 0x01 || b[p + 5] != 0x2A) return std::nullopt;
        return nonzero(le16(b, p + 6) & 0x3FFF, le16(b, p + 8) & 0x3FFF);
    }
    if (has(b, 12, "VP8L")) {
        if (b[p] != 0x2F) return std::nullopt;
        const std::uint32_t bits = le32(b, p + 1);
        return ImageSize{(bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1};
    }
    if (has(b, 12, "VP8X")) return ImageSize{le24(b, p + 4) + 1, le24(b, p + 7) + 1};
    return std::nullopt;
}

bool png_complete(Bytes b) {
    std::size_t i = 8;
    while (i + 12 <= b.size()) {
        const std::uint64_t len = be32(b, i);
        if (len > 0x7FFFFFFF) return false;
        if (has(b, i + 4, "IEND")) return true;
        i += 12 + len;  // length, type, data, CRC
    }
    return false;
}

bool webp_complete(Bytes b) {
    return b.size() >= 12 && b.size() - 8 >= le32(b, 4);
}

// Uncompressed BMP (BI_RGB, BI_BITFIELDS): the pixel array must fit in the file. Compressed
// ones (RLE) have no fixed size and are left to the decoder.
bool bmp_complete(Bytes b) {
    auto info = bmp_info(b);
    if (!info) return false;
    if (info->compression != 0 && info->compression != 3) return true;
    const std::uint64_t stride = (std::uint64_t{info->size.width} * info->bits + 31) / 32 * 4;
    const std::uint64_t offset = le32(b, 10);
    if (offset > b.size()) return false;
    return stride == 0 || info->size.height <= (b.size() - offset) / stride;
}

}  // namespace

std::string sniff_image_format(std::span<const std::uint8_t> b) {
    if (has(b, 0, "\x89PNG\r\n\x1A\n")) return "png";
    if (b.size() >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF) return "jpeg";
    if (has(b, 0, "RIFF") && has(b, 8, "WEBP")) return "webp";
    if (has(b, 0, "GIF8")) return "gif";
    if (has(b, 0, "BM")) return "bmp";
    return "";
}

std::optional<ImageSize> peek_image_size(std::span<const std::uint8_t> bytes,
                                         std::string_view format) {
    if (format == "png") return png_size(bytes);
    if (format == "jpeg") return jpeg_size(bytes);
    if (format == "gif") return gif_size(bytes);
    if (format == "webp") return webp_size(bytes);
    if (format == "bmp") {
        auto info = bmp_info(bytes);
        if (!info) return std::nullopt;
        return info->size;
    }
    return std::nullopt;
}

std::size_t count_jpeg_scans(std::span<const std::uint8_t> bytes) {
    std::size_t scans = 0;
    walk_jpeg(bytes, [&](std::uint8_t m, std::size_t, std::size_t) {
        if (m == 0xDA) ++scans;
        return false;
    });
    return scans;
}

bool reaches_end_marker(std::span<const std::uint8_t> bytes, std::string_view format) {
    if (format == "png") return png_complete(bytes);
    if (format == "jpeg") return walk_jpeg(bytes, [](auto...) { return false; });
    if (format == "webp") return webp_complete(bytes);
    if (format == "bmp") return bmp_complete(bytes);
    return true;
}

}  // namespace qiss
