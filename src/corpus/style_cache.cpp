#include "corpus/style_cache.h"

#include <algorithm>
#include <atomic>
#include <fstream>
#include <thread>

#include <unistd.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "common/error.h"
#include "common/file_util.h"
#include "image/image_io.h"
#include "image/resize.h"
#include "image/svg.h"

namespace qiss {
namespace fs = std::filesystem;

namespace {

/// The image as size x size pixels, BGRA (SVG, transparent) or BGR (raster, on white).
cv::Mat rasterize(const StyleImage& image, int size) {
    if (!image.svg.empty()) return rasterize_svg(image.svg, size, image.key);
    QISS_CHECK(!image.file.empty(), "{}: no image", image.key);
    if (image.file.extension() == ".svg")
        return rasterize_svg(read_file_bytes(image.file, SvgLimits{}.max_bytes), size,
                             image.file.string());
    cv::Mat rgb = fit_square(read_image(image.file).rgb, size);
    cv::Mat bgr;
    cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
    return bgr;
}

/// Writes without fsync (a cache: a lost file is rendered again), atomically by rename.
void write_png(const fs::path& path, const cv::Mat& pixels) {
    std::vector<unsigned char> png;
    QISS_CHECK(cv::imencode(".png", pixels, png), "{}: PNG encoding failed", path.string());
    fs::path tmp = path;
    tmp += fmt::format(".tmp-{}-{}", ::getpid(),
                       std::hash<std::thread::id>{}(std::this_thread::get_id()));
    {
        std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
        f.write(reinterpret_cast<const char*>(png.data()),
                static_cast<std::streamsize>(png.size()));
        QISS_CHECK(f.good(), "{}: write failed", tmp.string());
    }
    fs::rename(tmp, path);
}

}  // namespace

std::vector<fs::path> cache_style_images(const std::vector<StyleImage>& images, const fs::path& dir,
                                         int size, int threads, StyleCacheStats& stats) {
    QISS_CHECK(size > 0, "image size must be positive");
    fs::create_directories(dir);
    std::vector<fs::path> out(images.size());
    std::vector<char> state(images.size(), 0);  // 0 failed, 1 reused, 2 rendered
    std::atomic<std::size_t> next{0};
    auto work = [&] {
        for (std::size_t i; (i = next.fetch_add(1)) < images.size();) {
            fs::path png = dir / (images[i].key + ".png");
            std::error_code ec;
            auto bytes = fs::file_size(png, ec);
            if (!ec && bytes > 0) {
                out[i] = png;
                state[i] = 1;
                continue;
            }
            try {
                write_png(png, rasterize(images[i], size));
                out[i] = png;
                state[i] = 2;
            } catch (const std::exception& e) {
                spdlog::warn("skipping {}: {}", png.string(), e.what());
            }
        }
    };
    unsigned n = threads > 0 ? static_cast<unsigned>(threads)
                             : std::max(1u, std::thread::hardware_concurrency());
    n = static_cast<unsigned>(std::min<std::size_t>(n, std::max<std::size_t>(1, images.size())));
    {
        std::vector<std::jthread> pool;
        for (unsigned t = 1; t < n; ++t) pool.emplace_back(work);
        work();
    }
    for (char s : state) {
        if (s == 0) stats.failed++;
        if (s == 1) stats.reused++;
        if (s == 2) stats.rendered++;
    }
    return out;
}

}  // namespace qiss
