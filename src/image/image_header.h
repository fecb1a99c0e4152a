#pragma once
/// @file image_header.h
/// Cheap inspection of encoded images before decoding: the format from the magic bytes, the
/// declared size from the header, and whether the file reaches its end marker. Nothing here
/// allocates in proportion to the image, so hostile files are refused before a decoder runs.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace qiss {

/// Width and height declared by an image header.
struct ImageSize {
    std::uint32_t width = 0;
    std::uint32_t height = 0;
};

/// Returns "png", "jpeg", "webp", "gif" or "bmp" from the magic bytes, or "" if none matches.
std::string sniff_image_format(std::span<const std::uint8_t> bytes);

/// Reads the declared size from the header of `bytes` in `format` (as sniff_image_format names
/// it): PNG IHDR, JPEG SOFn, GIF logical screen, BMP info header, WebP VP8/VP8L/VP8X chunk.
/// Returns nullopt when the header is missing, truncated, malformed or declares a zero side.
std::optional<ImageSize> peek_image_size(std::span<const std::uint8_t> bytes,
                                         std::string_view format);

/// Number of scans (SOS markers) of a JPEG up to its EOI. A progressive JPEG can hold thousands
/// of tiny scans, each of which makes libjpeg pass over the whole image (a "scan bomb").
std::size_t count_jpeg_scans(std::span<const std::uint8_t> bytes);

/// Whether `bytes` reach the format's end: the PNG chunk chain up to IEND, the JPEG marker
/// chain (entropy-coded data included) up to EOI, the whole RIFF payload of a WebP, the pixel
/// array of an uncompressed BMP. Bytes after the end are allowed. GIF (and RLE BMP) always
/// pass: their decoders fail on missing data by themselves.
bool reaches_end_marker(std::span<const std::uint8_t> bytes, std::string_view format);

}  // namespace qiss
