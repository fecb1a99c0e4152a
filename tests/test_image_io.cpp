// Decoding of real files written by the test: every supported format, EXIF orientation, alpha,
// GIF frames, and the hostile cases (truncation, bombs, non-images) with their messages.
#include <gif_lib.h>
#include <gtest/gtest.h>
#include <zlib.h>

#include <fstream>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "common/content_hash.h"
#include "common/error.h"
#include "image/image_header.h"
#include "image/image_io.h"
#include "image/thumbnail.h"
#include "test_support.h"

namespace qiss {
namespace {

using Bytes = std::vector<std::uint8_t>;

std::span<const std::uint8_t> span_of(const std::string& s) {
    return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

void write_bytes(const std::filesystem::path& p, std::span<const std::uint8_t> b) {
    std::ofstream out(p, std::ios::binary);
    out.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}

// A colourful BGR test picture: a gradient with noise, so that JPEGs have long scans.
cv::Mat test_picture(int w, int h) {
    cv::Mat img(h, w, CV_8UC3);
    std::mt19937 rng(7);
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x)
            img.at<cv::Vec3b>(y, x) = cv::Vec3b(static_cast<std::uint8_t>(x * 255 / w),
                                                static_cast<std::uint8_t>(y * 255 / h),
                                                static_cast<std::uint8_t>(rng() & 0xFF));
    return img;
}

Bytes encode(const cv::Mat& img, const std::string& ext) {
    Bytes out;
    EXPECT_TRUE(cv::imencode(ext, img, out)) << ext;
    return out;
}

using qiss::test::error_of;

// ---- GIF writing with giflib, into memory.

int append_gif_bytes(GifFileType* gif, const GifByteType* data, int n) {
    static_cast<Bytes*>(gif->UserData)
        ->insert(static_cast<Bytes*>(gif->UserData)->end(), data, data + n);
    return n;
}

struct GifFrame {
    int left = 0, top = 0, width = 0, height = 0;
    std::vector<GifPixelType> pixels;  // row-major palette indices
    int transparent = NO_TRANSPARENT_COLOR;
    bool interlace = false;
};

Bytes write_gif(int width, int height, const std::vector<GifColorType>& colors,
                const std::vector<GifFrame>& frames) {
    Bytes out;
    int error = 0;
    GifFileType* gif = EGifOpen(&out, append_gif_bytes, &error);
    EXPECT_NE(gif, nullptr);
    std::unique_ptr<ColorMapObject, decltype(&GifFreeMapObject)> map(
        GifMakeMapObject(static_cast<int>(colors.size()), colors.data()), GifFreeMapObject);
    EGifSetGifVersion(gif, true);
    EXPECT_EQ(EGifPutScreenDesc(gif, width, height, 8, 0, map.get()), GIF_OK);
    for (const GifFrame& f : frames) {
        GraphicsControlBlock gcb{};
        gcb.TransparentColor = f.transparent;
        GifByteType ext[4];
        EGifGCBToExtension(&gcb, ext);
        EXPECT_EQ(EGifPutExtension(gif, GRAPHICS_EXT_FUNC_CODE, 4, ext), GIF_OK);
        EXPECT_EQ(EGifPutImageDesc(gif, f.left, f.top, f.width, f.height, f.interlace, nullptr),
                  GIF_OK);
        std::vector<int> order;  // interlaced rows are written in the order of the 4 passes
        if (f.interlace) {
            constexpr int kStart[] = {0, 4, 2, 1}, kStep[] = {8, 8, 4, 2};
            for (int pass = 0; pass < 4; ++pass)
                for (int y = kStart[pass]; y < f.height; y += kStep[pass]) order.push_back(y);
        } else {
            for (int y = 0; y < f.height; ++y) order.push_back(y);
        }
        for (int y : order) {
            std::vector<GifPixelType> row(f.pixels.begin() + y * f.width,
                                          f.pixels.begin() + (y + 1) * f.width);
            EXPECT_EQ(EGifPutLine(gif, row.data(), f.width), GIF_OK);
        }
    }
    EXPECT_EQ(EGifCloseFile(gif, &error), GIF_OK);
    return out;
}

const std::vector<GifColorType> kPalette = {{255, 0, 0}, {0, 255, 0}, {0, 0, 255}, {0, 0, 0}};

// 8x6 screen; frame 1 is 4x3 at (2,1) with black (index 3) transparent; frame 2 is all red.
Bytes two_frame_gif() {
    GifFrame first{2, 1, 4, 3, {0, 1, 2, 3, 3, 3, 3, 3, 2, 2, 2, 2}, 3, false};
    GifFrame second{0, 0, 8, 6, std::vector<GifPixelType>(48, 0), NO_TRANSPARENT_COLOR, false};
    return write_gif(8, 6, kPalette, {first, second});
}

// A PNG made of the signature and an IHDR chunk (with its CRC) declaring w x h, nothing else.
Bytes png_header_only(std::uint32_t w, std::uint32_t h) {
    Bytes b = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, 'I', 'H', 'D', 'R'};
    for (std::uint32_t v : {w, h})
        for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<std::uint8_t>(v >> s));
    b.insert(b.end(), {8, 6, 0, 0, 0});  // 8 bits, RGBA, deflate, no filter, no interlace
    const uLong crc = crc32(0, b.data() + 12, 17);
    for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<std::uint8_t>(crc >> s));
    return b;
}

// Inserts an APP1 Exif segment with only an Orientation tag right after the SOI marker.
Bytes with_exif_orientation(const Bytes& jpeg, std::uint8_t orientation) {
    const Bytes app1 = {0xFF, 0xE1, 0, 34, 'E', 'x', 'i', 'f', 0, 0,  // marker, length, id
                        'M',  'M',  0, 42, 0,   0,   0,   8,          // TIFF header, IFD at 8
                        0,    1,                                      // one entry
                        0x01, 0x12, 0, 3,  0,   0,   0,   1,   0, orientation,
                        0,    0,            // SHORT, count 1
                        0,    0,    0, 0};  // no next IFD
    Bytes out(jpeg.begin(), jpeg.begin() + 2);
    out.insert(out.end(), app1.begin(), app1.end());
    out.insert(out.end(), jpeg.begin() + 2, jpeg.end());
    return out;
}

// Every supported format, encoded from the same 37x23 picture.
std::vector<std::pair<std::string, Bytes>> all_formats() {
    cv::Mat pic = test_picture(37, 23);
    std::vector<std::pair<std::string, Bytes>> out = {
        {"jpeg", encode(pic, ".jpg")},
        {"png", encode(pic, ".png")},
        {"webp", encode(pic, ".webp")},
        {"bmp", encode(pic, ".bmp")},
    };
    GifFrame frame{0, 0, 37, 23, {}, NO_TRANSPARENT_COLOR, false};
    for (int i = 0; i < 37 * 23; ++i) frame.pixels.push_back(static_cast<GifPixelType>(i % 4));
    out.emplace_back("gif", write_gif(37, 23, kPalette, {frame}));
    return out;
}

}  // namespace

TEST(ImageIo, DecodesEveryFormatWithHeaderSize) {
    test::TempDir dir("image-io-formats");
    for (const auto& [format, bytes] : all_formats()) {
        SCOPED_TRACE(format);
        auto declared = peek_image_size(bytes, format);
        ASSERT_TRUE(declared.has_value());
        EXPECT_EQ(declared->width, 37u);
        EXPECT_EQ(declared->height, 23u);
        EXPECT_TRUE(reaches_end_marker(bytes, format));
        auto path = dir / ("picture." + format);
        write_bytes(path, bytes);
        DecodedImage img = read_image(path);
        EXPECT_EQ(img.format, format);
        EXPECT_EQ(img.rgb.type(), CV_8UC3);
        EXPECT_EQ(img.rgb.cols, 37);
        EXPECT_EQ(img.rgb.rows, 23);
        EXPECT_EQ(img.width, 37);
        EXPECT_EQ(img.height, 23);
    }
}

TEST(ImageIo, LosslessFormatsKeepRgbOrder) {
    cv::Mat pic = test_picture(37, 23);
    for (const char* ext : {".png", ".bmp", ".webp"}) {
        SCOPED_TRACE(ext);
        std::vector<int> params;
        if (std::string(ext) == ".webp") params = {cv::IMWRITE_WEBP_QUALITY, 101};  // lossless
        Bytes bytes;
        ASSERT_TRUE(cv::imencode(ext, pic, bytes, params));
        DecodedImage img = decode_image(bytes);
        const cv::Vec3b bgr = pic.at<cv::Vec3b>(11, 30);
        const cv::Vec3b rgb = img.rgb.at<cv::Vec3b>(11, 30);
        EXPECT_EQ(rgb, cv::Vec3b(bgr[2], bgr[1], bgr[0]));
    }
}

TEST(ImageIo, PngAlphaIsCompositedOntoWhite) {
    cv::Mat bgra(10, 20, CV_8UC4, cv::Scalar(0, 0, 255, 0));          // transparent red
    bgra(cv::Rect(10, 0, 10, 10)).setTo(cv::Scalar(255, 0, 0, 255));  // opaque blue
    bgra(cv::Rect(0, 5, 10, 5)).setTo(cv::Scalar(0, 0, 0, 128));      // half-transparent black
    DecodedImage img = decode_image(encode(bgra, ".png"));
    EXPECT_EQ(img.rgb.at<cv::Vec3b>(2, 2), cv::Vec3b(255, 255, 255));
    EXPECT_EQ(img.rgb.at<cv::Vec3b>(2, 15), cv::Vec3b(0, 0, 255));
    EXPECT_EQ(img.rgb.at<cv::Vec3b>(7, 2), cv::Vec3b(127, 127, 127));

    cv::Mat deep(4, 4, CV_16UC4, cv::Scalar(0, 65535, 0, 65535));  // 16 bits: opaque green...
    deep.at<cv::Vec4w>(0, 0) = cv::Vec4w(0, 0, 0, 0);              // ...one transparent pixel
    DecodedImage img16 = decode_image(encode(deep, ".png"));
    EXPECT_EQ(img16.rgb.type(), CV_8UC3);
    EXPECT_EQ(img16.rgb.at<cv::Vec3b>(0, 0), cv::Vec3b(255, 255, 255));
    EXPECT_EQ(img16.rgb.at<cv::Vec3b>(2, 2), cv::Vec3b(0, 255, 0));
}

TEST(ImageIo, GifFirstFrameWithTransparencyOnWhite) {
    DecodedImage img = decode_image(two_frame_gif());
    EXPECT_EQ(img.format, "gif");
    ASSERT_EQ(img.rgb.cols, 8);
    ASSERT_EQ(img.rgb.rows, 6);
    const cv::Vec3b white(255, 255, 255);
    EXPECT_EQ(img.rgb.at<cv::Vec3b>(0, 0), white);  // outside the first frame
    EXPECT_EQ(img.rgb.at<cv::Vec3b>(1, 2), cv::Vec3b(255, 0, 0));
    EXPECT_EQ(img.rgb.at<cv::Vec3b>(1, 3), cv::Vec3b(0, 255, 0));
    EXPECT_EQ(img.rgb.at<cv::Vec3b>(1, 4), cv::Vec3b(0, 0, 255));
    EXPECT_EQ(img.rgb.at<cv::Vec3b>(1, 5), white);  // transparent index
    EXPECT_EQ(img.rgb.at<cv::Vec3b>(2, 3), white);
    EXPECT_EQ(img.rgb.at<cv::Vec3b>(3, 5), cv::Vec3b(0, 0, 255));
    EXPECT_EQ(img.rgb.at<cv::Vec3b>(5, 7), white);  // the all-red second frame is not drawn
}

TEST(ImageIo, GifInterlacedRowsInPlace) {
    GifFrame frame{0, 0, 5, 19, {}, NO_TRANSPARENT_COLOR, true};
    for (int y = 0; y < 19; ++y)
        for (int x = 0; x < 5; ++x) frame.pixels.push_back(static_cast<GifPixelType>(y % 4));
    DecodedImage img = decode_image(write_gif(5, 19, kPalette, {frame}));
    for (int y = 0; y < 19; ++y) {
        const GifColorType& c = kPalette[y % 4];
        EXPECT_EQ(img.rgb.at<cv::Vec3b>(y, 4), cv::Vec3b(c.Red, c.Green, c.Blue)) << "row " << y;
    }
}

TEST(ImageIo, JpegExifOrientationIsApplied) {
    cv::Mat bgr(20, 40, CV_8UC3, cv::Scalar(255, 0, 0));         // blue...
    bgr(cv::Rect(0, 0, 20, 20)).setTo(cv::Scalar(0, 0, 255));    // ...with a red left half
    Bytes jpeg = with_exif_orientation(encode(bgr, ".jpg"), 6);  // 6: rotate 90 degrees clockwise
    test::TempDir dir("image-io-exif");
    write_bytes(dir / "rotated.jpg", jpeg);
    DecodedImage img = read_image(dir / "rotated.jpg");
    EXPECT_EQ(img.width, 20);
    EXPECT_EQ(img.height, 40);
    ASSERT_EQ(img.rgb.cols, 20);
    // The left half comes to the top.
    const cv::Vec3b top = img.rgb.at<cv::Vec3b>(5, 10), bottom = img.rgb.at<cv::Vec3b>(35, 10);
    EXPECT_GT(top[0], 200);
    EXPECT_LT(top[2], 60);
    EXPECT_GT(bottom[2], 200);
    EXPECT_LT(bottom[0], 60);
}

TEST(ImageIo, LargeJpegsDecodeReducedWithTheirFullSize) {
    const Bytes jpeg = encode(test_picture(2000, 1200), ".jpg");
    DecodeLimits reduce;
    reduce.reduce_jpeg_to = 256;  // 1200 / 4 = 300 >= 256, 1200 / 8 = 150 < 256: a quarter
    DecodedImage img = decode_image(jpeg, reduce);
    EXPECT_EQ(img.rgb.cols, 500);
    EXPECT_EQ(img.rgb.rows, 300);
    EXPECT_EQ(img.width, 2000);
    EXPECT_EQ(img.height, 1200);
    // The same picture as a full decode scaled down.
    DecodedImage full = decode_image(jpeg);
    ASSERT_EQ(full.rgb.cols, 2000);
    cv::Mat scaled;
    cv::resize(full.rgb, scaled, img.rgb.size(), 0, 0, cv::INTER_AREA);
    EXPECT_LT(cv::norm(scaled, img.rgb, cv::NORM_L1) / scaled.total() / 3, 8.0);
    // The EXIF orientation is still applied, and the size reported as displayed.
    DecodedImage turned = decode_image(with_exif_orientation(jpeg, 6), reduce);
    EXPECT_EQ(turned.rgb.cols, 300);
    EXPECT_EQ(turned.width, 1200);
    EXPECT_EQ(turned.height, 2000);
    // A small JPEG and other formats are decoded at full size.
    EXPECT_EQ(decode_image(encode(test_picture(400, 300), ".jpg"), reduce).rgb.cols, 400);
    EXPECT_EQ(decode_image(encode(test_picture(2000, 1200), ".png"), reduce).rgb.cols, 2000);
}

TEST(ImageIo, TruncatedFilesAreRefused) {
    test::TempDir dir("image-io-truncated");
    cv::Mat big = test_picture(300, 200);
    std::vector<std::pair<std::string, Bytes>> files = all_formats();
    files.emplace_back("jpeg", encode(big, ".jpg"));
    files.emplace_back("png", encode(big, ".png"));
    for (const auto& [format, bytes] : files) {
        SCOPED_TRACE(format + " of " + std::to_string(bytes.size()) + " bytes");
        Bytes half(bytes.begin(), bytes.begin() + bytes.size() / 2);
        auto path = dir / ("half." + format);
        write_bytes(path, half);
        const std::string msg = error_of([&] { read_image(path); });
        EXPECT_NE(msg.find("corrupt or truncated " + format), std::string::npos) << msg;
        EXPECT_NE(msg.find(path.string()), std::string::npos) << msg;
    }
}

TEST(ImageIo, EveryPrefixFailsCleanly) {
    // Cutting a file anywhere must give a qiss::Error (or, for a cut after the end marker, an
    // image), never a crash or another exception type.
    for (const auto& [format, bytes] : all_formats()) {
        SCOPED_TRACE(format);
        for (std::size_t n = 1; n < bytes.size(); n += 1 + bytes.size() / 300) {
            std::span<const std::uint8_t> prefix(bytes.data(), n);
            const std::string msg = error_of([&] { decode_image(prefix); });
            // Only the GIF trailer byte may be missing: the first frame is complete without it.
            if (format != "gif" || n + 1 < bytes.size()) {
                EXPECT_NE(msg, "") << "prefix of " << n;
            }
        }
    }
}

TEST(ImageIo, MutatedFilesNeverCrash) {
    DecodeLimits limits;
    limits.max_pixels = 1 << 20;  // a mutated header may declare a large image
    std::mt19937 rng(42);
    for (const auto& [format, bytes] : all_formats()) {
        SCOPED_TRACE(format);
        for (int round = 0; round < 100; ++round) {
            Bytes mutated = bytes;
            for (int k = 0; k < 4; ++k)
                mutated[rng() % mutated.size()] = static_cast<std::uint8_t>(rng());
            try {
                DecodedImage img = decode_image(mutated, limits);
                EXPECT_EQ(img.rgb.type(), CV_8UC3);
            } catch (const Error&) {
            }
        }
    }
}

TEST(ImageIo, NonImagesAreRefusedWithClearMessages) {
    test::TempDir dir("image-io-bad");
    write_bytes(dir / "empty.png", {});
    EXPECT_NE(error_of([&] { read_image(dir / "empty.png"); }).find("empty file"),
              std::string::npos);
    const std::string text = "This is not a picture, only text renamed to .jpg\n";
    write_bytes(dir / "text.jpg", span_of(text));
    const std::string msg = error_of([&] { read_image(dir / "text.jpg"); });
    EXPECT_NE(msg.find("text.jpg: not an image"), std::string::npos) << msg;
    EXPECT_NE(error_of([&] { read_image(dir / "missing.jpg"); }), "");
    // Right magic, broken header.
    const Bytes jpeg_magic_only = {0xFF, 0xD8, 0xFF, 0xE0};
    EXPECT_NE(error_of([&] { decode_image(jpeg_magic_only); }).find("corrupt or truncated jpeg"),
              std::string::npos);
}

TEST(ImageIo, DecompressionBombsAreRefusedBeforeDecoding) {
    test::TempDir dir("image-io-bomb");
    // Only the header exists: had a decoder run, the message would say "corrupt or truncated".
    write_bytes(dir / "bomb.png", png_header_only(100000, 100000));
    std::string msg = error_of([&] { read_image(dir / "bomb.png"); });
    EXPECT_NE(msg.find("bomb.png: 100000x100000 pixels exceed the limit of 67108864"),
              std::string::npos)
        << msg;

    Bytes gif = two_frame_gif();  // logical screen 65535x65535
    gif[6] = gif[7] = gif[8] = gif[9] = 0xFF;
    msg = error_of([&] { decode_image(gif); });
    EXPECT_NE(msg.find("65535x65535 pixels exceed the limit"), std::string::npos) << msg;

    Bytes frame_bomb = two_frame_gif();  // small screen, first frame 60000x60000
    const std::size_t desc = frame_bomb.size() - 1;
    for (std::size_t i = 13 + 12 + 8; i < desc; ++i)  // first image separator after the GCB
        if (frame_bomb[i] == 0x2C) {
            frame_bomb[i + 5] = frame_bomb[i + 7] = 0x60;
            frame_bomb[i + 6] = frame_bomb[i + 8] = 0xEA;
            break;
        }
    msg = error_of([&] { decode_image(frame_bomb); });
    EXPECT_NE(msg.find("60000x60000 pixels exceed the limit"), std::string::npos) << msg;

    DecodeLimits small;
    small.max_pixels = 100;
    msg = error_of([&] { decode_image(encode(test_picture(37, 23), ".jpg"), small); });
    EXPECT_NE(msg.find("37x23 pixels exceed the limit of 100"), std::string::npos) << msg;

    DecodeLimits tiny_file;
    tiny_file.max_file_bytes = 10;
    EXPECT_NE(error_of([&] { decode_image(two_frame_gif(), tiny_file); }).find("exceeds the limit"),
              std::string::npos);
}

// A "RIFF....WEBP" file whose VP8L header libwebp refuses (version 4), with "DTED" at byte 140.
// cv::imdecode chose GDAL's decoder for it, which read a copy written to /tmp (found by
// fuzz/fuzz_image.cpp; GDAL's complaint about the copy went to stderr). Now libwebp decodes every
// WebP and refuses this one itself.
TEST(ImageIo, WebpThatLibwebpRefusesNeverReachesAnotherDecoder) {
    Bytes b(160, 0);
    auto put = [&](std::size_t at, std::string_view s) {
        std::copy(s.begin(), s.end(), b.begin() + static_cast<std::ptrdiff_t>(at));
    };
    put(0, "RIFF");
    b[4] = 152;  // RIFF payload: the rest of the file
    put(8, "WEBPVP8L");
    b[16] = 140;                                        // chunk length
    const Bytes vp8l = {0x2F, 0x06, 0x00, 0x8A, 0x92};  // signature, 7x35, version 4
    std::copy(vp8l.begin(), vp8l.end(), b.begin() + 20);
    put(140, "DTED");
    testing::internal::CaptureStderr();
    const std::string msg = error_of([&] { decode_image(b); });
    const std::string stderr_text = testing::internal::GetCapturedStderr();
    EXPECT_NE(msg.find("corrupt or truncated webp"), std::string::npos) << msg;
    EXPECT_EQ(stderr_text.find("__opencv_temp"), std::string::npos) << stderr_text;

    // Ordinary WebP files, lossy and lossless with alpha, still decode, alpha onto white.
    cv::Mat bgra(5, 7, CV_8UC4, cv::Scalar(0, 0, 255, 255));
    bgra.at<cv::Vec4b>(0, 0) = cv::Vec4b(0, 0, 0, 0);
    Bytes webp;
    ASSERT_TRUE(cv::imencode(".webp", bgra, webp, {cv::IMWRITE_WEBP_QUALITY, 101}));  // lossless
    const DecodedImage lossless = decode_image(webp);
    EXPECT_EQ(lossless.format, "webp");
    ASSERT_EQ(lossless.rgb.cols, 7);
    EXPECT_EQ(lossless.rgb.at<cv::Vec3b>(0, 0), cv::Vec3b(255, 255, 255));
    EXPECT_EQ(lossless.rgb.at<cv::Vec3b>(1, 1), cv::Vec3b(255, 0, 0));
    EXPECT_EQ(decode_image(encode(test_picture(37, 23), ".webp")).rgb.rows, 23);
}

// A real progressive JPEG with `extra` empty AC scans of its first component inserted before
// EOI: a few bytes each, but each makes libjpeg pass over the whole image.
Bytes progressive_scan_bomb(int extra) {
    Bytes jpeg;
    EXPECT_TRUE(
        cv::imencode(".jpg", test_picture(64, 48), jpeg, {cv::IMWRITE_JPEG_PROGRESSIVE, 1}));
    EXPECT_GE(jpeg.size(), 4u);
    EXPECT_EQ(jpeg[jpeg.size() - 2], 0xFF);
    EXPECT_EQ(jpeg[jpeg.size() - 1], 0xD9);
    // SOS, length 8, one component (id 1, tables 0/0), spectral band 1..1, Ah 0, Al 0.
    const Bytes scan = {0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, 0x01, 0x01, 0x00};
    Bytes out(jpeg.begin(), jpeg.end() - 2);
    for (int i = 0; i < extra; ++i) out.insert(out.end(), scan.begin(), scan.end());
    out.push_back(0xFF);
    out.push_back(0xD9);
    return out;
}

TEST(ImageIo, ProgressiveJpegScanBombIsRefusedBeforeDecoding) {
    const Bytes plain = progressive_scan_bomb(0);
    const std::size_t scans = count_jpeg_scans(plain);
    EXPECT_GT(scans, 1u);  // progressive: several scans
    EXPECT_LE(scans, 20u);
    EXPECT_EQ(decode_image(plain).rgb.cols, 64);  // an ordinary progressive JPEG decodes

    const Bytes bomb = progressive_scan_bomb(3000);
    EXPECT_EQ(count_jpeg_scans(bomb), scans + 3000);
    std::string msg = error_of([&] { decode_image(bomb, {}, "bomb.jpg"); });
    EXPECT_NE(msg.find(fmt::format("bomb.jpg: JPEG of {} scans exceeds the limit of 100 scans",
                                   scans + 3000)),
              std::string::npos)
        << msg;

    DecodeLimits strict;
    strict.max_jpeg_scans = scans - 1;
    msg = error_of([&] { decode_image(plain, strict); });
    EXPECT_NE(msg.find("scans exceeds the limit"), std::string::npos) << msg;
    strict.max_jpeg_scans = scans;
    EXPECT_NO_THROW(decode_image(plain, strict));
}

TEST(Thumbnail, FitsAndDecodes) {
    cv::Mat rgb = test_picture(1000, 500);
    const std::string jpeg = make_thumbnail(rgb);
    DecodedImage thumb = decode_image(span_of(jpeg));
    EXPECT_EQ(thumb.format, "jpeg");
    EXPECT_EQ(thumb.width, 256);
    EXPECT_EQ(thumb.height, 128);
    const std::string small = make_thumbnail(test_picture(40, 90), 64, 70);
    DecodedImage t2 = decode_image(span_of(small));
    EXPECT_LE(std::max(t2.width, t2.height), 64);
    const std::string tiny = make_thumbnail(test_picture(30, 20));  // never enlarged
    EXPECT_EQ(decode_image(span_of(tiny)).width, 30);
    EXPECT_NE(error_of([&] { make_thumbnail(rgb, 256, 0); }), "");
}

TEST(ContentHash, KnownSha256) {
    EXPECT_EQ(content_hash(span_of("abc")),
              "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EXPECT_EQ(content_hash({}), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

}  // namespace qiss
