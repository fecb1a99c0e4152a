#pragma once
/// @file image_io.h
/// Decoding image files into 8-bit RGB pixels, with limits against hostile input.

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>

#include <opencv2/core.hpp>

namespace qiss {

/// Limits applied before and while decoding. Every limit has a safe default.
struct DecodeLimits {
    std::uint64_t max_file_bytes = 64ull << 20;  ///< larger files are refused unread
    std::uint64_t max_pixels = 64ull
                               << 20;  ///< width*height above this is refused (decompression bombs)
    /// JPEG only: decode at 1/2, 1/4 or 1/8 of the size (libjpeg's DCT scaling, several times
    /// faster) as long as the shorter side stays at least this many pixels; 0 = full size.
    int reduce_jpeg_to = 0;
    /// JPEG only: more scans (SOS markers) than this are refused before decoding. Each scan of
    /// a progressive JPEG makes libjpeg pass over the whole image, so thousands of empty scans
    /// in a small file cost seconds (a "scan bomb"); ordinary files have 1 to about 20.
    std::size_t max_jpeg_scans = 100;
};

/// A decoded image: RGB, 8 bits per channel, alpha already composited onto white, JPEG EXIF
/// orientation applied. For an animated GIF, the first frame. `rgb` may be smaller than
/// width x height when DecodeLimits::reduce_jpeg_to allowed a reduced decode.
struct DecodedImage {
    cv::Mat rgb;         ///< CV_8UC3, RGB order
    std::string format;  ///< "png", "jpeg", "webp", "gif", "bmp"
    int width = 0;       ///< original width as displayed (after EXIF rotation), before any resize
    int height = 0;      ///< original height as displayed (after EXIF rotation), before any resize
};

/// Decodes an encoded image held in memory. The declared size is read from the header and
/// checked against `limits.max_pixels` before any decoder allocates, a JPEG's scans against
/// `limits.max_jpeg_scans` before it is decoded; a file that stops before
/// its end marker (JPEG EOI, PNG IEND) is refused rather than decoded partially. Throws
/// qiss::Error (with `what` naming the input) for an empty file, an unknown format, a corrupt
/// or truncated file, or one over the limits.
DecodedImage decode_image(std::span<const std::uint8_t> bytes, const DecodeLimits& limits = {},
                          const std::string& what = "image");

/// Reads and decodes an image file. Throws qiss::Error naming the path on any failure.
DecodedImage read_image(const std::filesystem::path& path, const DecodeLimits& limits = {});

}  // namespace qiss
