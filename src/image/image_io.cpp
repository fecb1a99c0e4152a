#include "image/image_io.h"

#include <gif_lib.h>
#include <webp/decode.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <memory>
#include <vector>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "common/error.h"
#include "common/file_util.h"
#include "image/image_header.h"

namespace qiss {
namespace {

// Composites a BGR(A) or gray image of 8 or 16 bits onto white and returns 8-bit RGB. Works in
// place on 8-bit rows: no float copy of a possibly large image.
cv::Mat to_rgb_on_white(const cv::Mat& img, const std::string& what) {
    QISS_CHECK(img.depth() == CV_8U || img.depth() == CV_16U, "{}: unsupported pixel depth", what);
    cv::Mat eight = img;
    if (img.depth() == CV_16U) img.convertTo(eight, CV_8U, 1.0 / 257);
    cv::Mat out;
    switch (eight.channels()) {
        case 1:
            cv::cvtColor(eight, out, cv::COLOR_GRAY2RGB);
            return out;
        case 3:
            cv::cvtColor(eight, out, cv::COLOR_BGR2RGB);
            return out;
        case 4:
            break;
        default:
            QISS_THROW("{}: unsupported number of channels ({})", what, eight.channels());
    }
    out.create(eight.rows, eight.cols, CV_8UC3);
    for (int y = 0; y < eight.rows; ++y) {
        const auto* src = eight.ptr<cv::Vec4b>(y);
        auto* dst = out.ptr<cv::Vec3b>(y);
        for (int x = 0; x < eight.cols; ++x) {
            const int a = src[x][3];
            for (int c = 0; c < 3; ++c)
                dst[x][2 - c] =
                    static_cast<std::uint8_t>((src[x][c] * a + 255 * (255 - a) + 127) / 255);
        }
    }
    return out;
}

/// The IMREAD flags: JPEG has no alpha, so IMREAD_COLOR (which also applies the EXIF
/// orientation), reduced by `jpeg_scale` (1, 2, 4 or 8). The others keep their alpha channel (and
/// 16 bits) with IMREAD_UNCHANGED.
int imread_flags(const std::string& format, int jpeg_scale) {
    if (format != "jpeg") return cv::IMREAD_UNCHANGED;
    switch (jpeg_scale) {
        case 2:
            return cv::IMREAD_REDUCED_COLOR_2;
        case 4:
            return cv::IMREAD_REDUCED_COLOR_4;
        case 8:
            return cv::IMREAD_REDUCED_COLOR_8;
        default:
            return cv::IMREAD_COLOR;
    }
}

/// The largest JPEG scale divisor (1, 2, 4, 8) that keeps the shorter side at least `min_side`.
int jpeg_scale_for(const ImageSize& size, int min_side) {
    if (min_side <= 0) return 1;
    const std::uint32_t shorter = std::min(size.width, size.height);
    int scale = 1;
    while (scale < 8 &&
           shorter / static_cast<std::uint32_t>(scale * 2) >= static_cast<std::uint32_t>(min_side))
        scale *= 2;
    return scale;
}

cv::Mat decode_with_opencv(std::span<const std::uint8_t> bytes, const std::string& format,
                           int jpeg_scale, const std::string& what) {
    QISS_CHECK(bytes.size() <= INT_MAX, "{}: file too large to decode", what);
    cv::Mat buf(1, static_cast<int>(bytes.size()), CV_8U, const_cast<std::uint8_t*>(bytes.data()));
    const int flags = imread_flags(format, jpeg_scale);
    cv::Mat img;
    try {
        img = cv::imdecode(buf, flags);
    } catch (const cv::Exception& e) {
        QISS_THROW("{}: corrupt or truncated {}: {}", what, format, e.what());
    }
    QISS_CHECK(!img.empty(), "{}: corrupt or truncated {}", what, format);
    return to_rgb_on_white(img, what);
}

// ---- WebP through libwebp. OpenCV's imdecode picks its decoder from the bytes, and its WebP
// decoder only accepts a file whose first 32 bytes libwebp's header check accepts: any other
// "RIFF....WEBP" file fell through to OpenCV's other decoders, GDAL's among them (found by the
// fuzzer: "DTED" at byte 140), which read a copy written to a temporary file in /tmp.

cv::Mat decode_webp(std::span<const std::uint8_t> bytes, const DecodeLimits& limits,
                    const std::string& what) {
    WebPBitstreamFeatures features;
    QISS_CHECK(WebPGetFeatures(bytes.data(), bytes.size(), &features) == VP8_STATUS_OK,
               "{}: corrupt or truncated webp", what);
    QISS_CHECK(!features.has_animation, "{}: animated WebP is not supported", what);
    QISS_CHECK(features.width > 0 && features.height > 0, "{}: corrupt or truncated webp", what);
    QISS_CHECK(static_cast<std::uint64_t>(features.width) * features.height <= limits.max_pixels,
               "{}: {}x{} pixels exceed the limit of {}", what, features.width, features.height,
               limits.max_pixels);
    cv::Mat bgra(features.height, features.width, CV_8UC4);
    QISS_CHECK(WebPDecodeBGRAInto(bytes.data(), bytes.size(), bgra.data, bgra.total() * 4,
                                  static_cast<int>(bgra.step)) != nullptr,
               "{}: corrupt or truncated webp", what);
    return to_rgb_on_white(bgra, what);
}

// ---- GIF through giflib: OpenCV 4.6 has no GIF decoder. Only the first frame is decoded,
// record by record, so an animation with many frames costs no more than its first one.

struct GifSource {
    std::span<const std::uint8_t> data;
    std::size_t pos = 0;
};

int read_gif_bytes(GifFileType* gif, GifByteType* out, int n) {
    auto* src = static_cast<GifSource*>(gif->UserData);
    const std::size_t k =
        std::min(static_cast<std::size_t>(std::max(n, 0)), src->data.size() - src->pos);
    std::memcpy(out, src->data.data() + src->pos, k);
    src->pos += k;
    return static_cast<int>(k);
}

struct GifCloser {
    void operator()(GifFileType* gif) const {
        int error = 0;
        DGifCloseFile(gif, &error);
    }
};
using GifHandle = std::unique_ptr<GifFileType, GifCloser>;

std::string gif_error(int code) {
    const char* s = GifErrorString(code);
    return s ? s : "unknown giflib error";
}

// Reads records up to the first image descriptor; returns the graphics control block (the
// transparency) that precedes it.
GraphicsControlBlock read_to_first_frame(GifFileType* gif, const std::string& what) {
    GraphicsControlBlock gcb{};
    gcb.TransparentColor = NO_TRANSPARENT_COLOR;
    for (;;) {
        GifRecordType type = UNDEFINED_RECORD_TYPE;
        QISS_CHECK(DGifGetRecordType(gif, &type) == GIF_OK, "{}: corrupt or truncated gif: {}",
                   what, gif_error(gif->Error));
        if (type == IMAGE_DESC_RECORD_TYPE) {
            QISS_CHECK(DGifGetImageDesc(gif) == GIF_OK, "{}: corrupt or truncated gif: {}", what,
                       gif_error(gif->Error));
            return gcb;
        }
        QISS_CHECK(type == EXTENSION_RECORD_TYPE, "{}: corrupt or truncated gif: no image", what);
        int code = 0;
        GifByteType* ext = nullptr;
        QISS_CHECK(DGifGetExtension(gif, &code, &ext) == GIF_OK, "{}: corrupt or truncated gif: {}",
                   what, gif_error(gif->Error));
        if (code == GRAPHICS_EXT_FUNC_CODE && ext && ext[0] == 4)
            DGifExtensionToGCB(ext[0], ext + 1, &gcb);
        while (ext)
            QISS_CHECK(DGifGetExtensionNext(gif, &ext) == GIF_OK,
                       "{}: corrupt or truncated gif: {}", what, gif_error(gif->Error));
    }
}

cv::Mat decode_gif(std::span<const std::uint8_t> bytes, const DecodeLimits& limits,
                   const std::string& what) {
    GifSource source{bytes};
    int error = 0;
    GifHandle gif(DGifOpen(&source, read_gif_bytes, &error));
    QISS_CHECK(gif, "{}: corrupt or truncated gif: {}", what, gif_error(error));
    const GraphicsControlBlock gcb = read_to_first_frame(gif.get(), what);

    const GifImageDesc& desc = gif->Image;
    QISS_CHECK(desc.Width > 0 && desc.Height > 0, "{}: corrupt or truncated gif: empty frame",
               what);
    QISS_CHECK(static_cast<std::uint64_t>(desc.Width) * desc.Height <= limits.max_pixels,
               "{}: {}x{} pixels exceed the limit of {}", what, desc.Width, desc.Height,
               limits.max_pixels);
    const ColorMapObject* palette = desc.ColorMap ? desc.ColorMap : gif->SColorMap;
    QISS_CHECK(palette && palette->Colors, "{}: corrupt gif: no color map", what);

    // The frame is composited at its offset onto a white canvas of the logical screen size;
    // transparent pixels, and whatever the frame does not cover, stay white.
    cv::Mat canvas(gif->SHeight, gif->SWidth, CV_8UC3, cv::Scalar(255, 255, 255));
    std::vector<GifPixelType> line(static_cast<std::size_t>(desc.Width));
    auto paint_row = [&](int row) {
        const int y = desc.Top + row;
        if (y < 0 || y >= canvas.rows) return;
        auto* dst = canvas.ptr<cv::Vec3b>(y);
        for (int i = 0; i < desc.Width; ++i) {
            const int x = desc.Left + i;
            const int index = line[static_cast<std::size_t>(i)];
            if (x < 0 || x >= canvas.cols || index == gcb.TransparentColor ||
                index >= palette->ColorCount)
                continue;
            const GifColorType& c = palette->Colors[index];
            dst[x] = cv::Vec3b(c.Red, c.Green, c.Blue);
        }
    };
    auto read_row = [&](int row) {
        QISS_CHECK(DGifGetLine(gif.get(), line.data(), desc.Width) == GIF_OK,
                   "{}: corrupt or truncated gif: {}", what, gif_error(gif->Error));
        paint_row(row);
    };
    if (desc.Interlace) {
        constexpr int kStart[] = {0, 4, 2, 1};
        constexpr int kStep[] = {8, 8, 4, 2};
        for (int pass = 0; pass < 4; ++pass)
            for (int row = kStart[pass]; row < desc.Height; row += kStep[pass]) read_row(row);
    } else {
        for (int row = 0; row < desc.Height; ++row) read_row(row);
    }
    return canvas;
}

}  // namespace

DecodedImage decode_image(std::span<const std::uint8_t> bytes, const DecodeLimits& limits,
                          const std::string& what) {
    QISS_CHECK(!bytes.empty(), "{}: empty file", what);
    QISS_CHECK(bytes.size() <= limits.max_file_bytes,
               "{}: file of {} bytes exceeds the limit of {}", what, bytes.size(),
               limits.max_file_bytes);
    const std::string format = sniff_image_format(bytes);
    QISS_CHECK(!format.empty(),
               "{}: not an image (unknown format; PNG, JPEG, WebP, GIF and BMP are supported)",
               what);
    const auto declared = peek_image_size(bytes, format);
    QISS_CHECK(declared, "{}: corrupt or truncated {} (unreadable header)", what, format);
    QISS_CHECK(std::uint64_t{declared->width} * declared->height <= limits.max_pixels,
               "{}: {}x{} pixels exceed the limit of {}", what, declared->width, declared->height,
               limits.max_pixels);
    // libjpeg fills a truncated JPEG with gray and only warns; refuse instead of indexing a
    // half-gray picture.
    QISS_CHECK(reaches_end_marker(bytes, format), "{}: corrupt or truncated {} (data ends early)",
               what, format);

    if (format == "jpeg") {
        const std::size_t scans = count_jpeg_scans(bytes);
        QISS_CHECK(scans <= limits.max_jpeg_scans,
                   "{}: JPEG of {} scans exceeds the limit of {} scans (a scan bomb?)", what, scans,
                   limits.max_jpeg_scans);
    }
    const int jpeg_scale = format == "jpeg" ? jpeg_scale_for(*declared, limits.reduce_jpeg_to) : 1;
    cv::Mat rgb = format == "gif"    ? decode_gif(bytes, limits, what)
                  : format == "webp" ? decode_webp(bytes, limits, what)
                                     : decode_with_opencv(bytes, format, jpeg_scale, what);
    QISS_ASSERT(rgb.type() == CV_8UC3 && !rgb.empty());
    QISS_CHECK(static_cast<std::uint64_t>(rgb.cols) * rgb.rows <= limits.max_pixels,
               "{}: {}x{} pixels exceed the limit of {}", what, rgb.cols, rgb.rows,
               limits.max_pixels);
    int width = rgb.cols;
    int height = rgb.rows;
    if (jpeg_scale > 1) {
        // The full size as displayed: the header's, turned if the EXIF orientation did.
        const bool turned = (rgb.cols > rgb.rows) != (declared->width > declared->height);
        width = static_cast<int>(turned ? declared->height : declared->width);
        height = static_cast<int>(turned ? declared->width : declared->height);
    }
    return {std::move(rgb), format, width, height};
}

DecodedImage read_image(const std::filesystem::path& path, const DecodeLimits& limits) {
    std::string data = read_file_bytes(path, limits.max_file_bytes);
    return decode_image({reinterpret_cast<const std::uint8_t*>(data.data()), data.size()}, limits,
                        path.string());
}

}  // namespace qiss
