#include "image/image_io.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "common/error.h"
#include "common/file_util.h"

namespace qiss {
namespace {

std::string sniff_format(std::span<const std::uint8_t> b) {
    auto starts = [&](std::initializer_list<std::uint8_t> sig, std::size_t at = 0) {
        if (b.size() < at + sig.size()) return false;
        std::size_t i = at;
        for (auto c : sig)
            if (b[i++] != c) return false;
        return true;
    };
    if (starts({0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A})) return "png";
    if (starts({0xFF, 0xD8, 0xFF})) return "jpeg";
    if (starts({'R', 'I', 'F', 'F'}) && starts({'W', 'E', 'B', 'P'}, 8)) return "webp";
    if (starts({'G', 'I', 'F', '8'})) return "gif";
    if (starts({'B', 'M'})) return "bmp";
    return "";
}

/// Composites a 4-channel BGRA image onto white and returns RGB.
cv::Mat to_rgb_on_white(const cv::Mat& img) {
    cv::Mat out;
    if (img.channels() == 4) {
        cv::Mat bgra;
        img.convertTo(bgra, CV_32FC4, img.depth() == CV_16U ? 1.0 / 65535 : 1.0 / 255);
        out.create(img.rows, img.cols, CV_8UC3);
        for (int y = 0; y < img.rows; ++y) {
            const auto* src = bgra.ptr<cv::Vec4f>(y);
            auto* dst = out.ptr<cv::Vec3b>(y);
            for (int x = 0; x < img.cols; ++x) {
                float a = src[x][3];
                for (int c = 0; c < 3; ++c)
                    dst[x][2 - c] =
                        cv::saturate_cast<std::uint8_t>(255.f * (src[x][c] * a + (1.f - a)));
            }
        }
        return out;
    }
    cv::Mat eight = img;
    if (img.depth() != CV_8U) img.convertTo(eight, CV_8U, img.depth() == CV_16U ? 1.0 / 257 : 1.0);
    if (eight.channels() == 1)
        cv::cvtColor(eight, out, cv::COLOR_GRAY2RGB);
    else
        cv::cvtColor(eight, out, cv::COLOR_BGR2RGB);
    return out;
}

}  // namespace

DecodedImage decode_image(std::span<const std::uint8_t> bytes, const DecodeLimits& limits,
                          const std::string& what) {
    QISS_CHECK(!bytes.empty(), "{}: empty file", what);
    QISS_CHECK(bytes.size() <= limits.max_file_bytes,
               "{}: file of {} bytes exceeds the limit of {}", what, bytes.size(),
               limits.max_file_bytes);
    std::string format = sniff_format(bytes);
    QISS_CHECK(!format.empty(), "{}: not an image (unknown format)", what);
    cv::Mat buf(1, static_cast<int>(bytes.size()), CV_8U, const_cast<std::uint8_t*>(bytes.data()));
    cv::Mat img;
    try {
        img = cv::imdecode(buf, cv::IMREAD_UNCHANGED);
    } catch (const cv::Exception& e) {
        QISS_THROW("{}: cannot decode {}: {}", what, format, e.what());
    }
    QISS_CHECK(!img.empty(), "{}: corrupt or truncated {}", what, format);
    QISS_CHECK(static_cast<std::uint64_t>(img.cols) * img.rows <= limits.max_pixels,
               "{}: {}x{} pixels exceed the limit of {}", what, img.cols, img.rows,
               limits.max_pixels);
    return {to_rgb_on_white(img), format};
}

DecodedImage read_image(const std::filesystem::path& path, const DecodeLimits& limits) {
    std::string data = read_file_bytes(path, limits.max_file_bytes);
    return decode_image({reinterpret_cast<const std::uint8_t*>(data.data()), data.size()}, limits,
                        path.string());
}

}  // namespace qiss
