#include "image/thumbnail.h"

#include <vector>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "common/error.h"
#include "image/resize.h"

namespace qiss {

std::string make_thumbnail(const cv::Mat& rgb, int max_side, int quality) {
    QISS_ASSERT(!rgb.empty() && rgb.type() == CV_8UC3);
    QISS_CHECK(max_side > 0, "thumbnail size must be positive, got {}", max_side);
    QISS_CHECK(quality >= 1 && quality <= 100, "JPEG quality must be in 1..100, got {}", quality);
    cv::Mat bgr;
    cv::cvtColor(fit_within(rgb, max_side), bgr, cv::COLOR_RGB2BGR);
    std::vector<std::uint8_t> jpeg;
    const bool ok = cv::imencode(".jpg", bgr, jpeg, {cv::IMWRITE_JPEG_QUALITY, quality});
    QISS_ASSERT(ok && !jpeg.empty());
    return {jpeg.begin(), jpeg.end()};
}

}  // namespace qiss
