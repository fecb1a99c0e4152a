#include "image/resize.h"

#include <algorithm>
#include <cmath>

#include <opencv2/imgproc.hpp>

#include "common/error.h"

namespace qiss {

cv::Mat fit_within(const cv::Mat& rgb, int max_side) {
    QISS_ASSERT(max_side > 0 && !rgb.empty());
    int longest = std::max(rgb.cols, rgb.rows);
    if (longest <= max_side) return rgb;
    double s = static_cast<double>(max_side) / longest;
    int w = std::max(1, static_cast<int>(rgb.cols * s + 0.5));
    int h = std::max(1, static_cast<int>(rgb.rows * s + 0.5));
    cv::Mat out;
    cv::resize(rgb, out, cv::Size(w, h), 0, 0, cv::INTER_AREA);
    return out;
}

cv::Mat fit_square(const cv::Mat& rgb, int size) {
    QISS_ASSERT(size > 0 && !rgb.empty() && rgb.type() == CV_8UC3);
    if (rgb.cols == size && rgb.rows == size) return rgb;
    double s = static_cast<double>(size) / std::max(rgb.cols, rgb.rows);
    int w = std::clamp(static_cast<int>(rgb.cols * s + 0.5), 1, size);
    int h = std::clamp(static_cast<int>(rgb.rows * s + 0.5), 1, size);
    cv::Mat scaled;
    cv::resize(rgb, scaled, cv::Size(w, h), 0, 0, s < 1 ? cv::INTER_AREA : cv::INTER_LINEAR);
    cv::Mat out(size, size, CV_8UC3, cv::Scalar(255, 255, 255));
    scaled.copyTo(out(cv::Rect((size - w) / 2, (size - h) / 2, w, h)));
    return out;
}

cv::Mat stretch_square(const cv::Mat& rgb, int size) {
    QISS_ASSERT(size > 0 && !rgb.empty() && rgb.type() == CV_8UC3);
    if (rgb.cols == size && rgb.rows == size) return rgb;
    const bool shrink = rgb.cols > size || rgb.rows > size;
    cv::Mat out;
    cv::resize(rgb, out, cv::Size(size, size), 0, 0, shrink ? cv::INTER_AREA : cv::INTER_LINEAR);
    return out;
}

cv::Mat center_crop_square(const cv::Mat& rgb, int size) {
    QISS_ASSERT(size > 0 && !rgb.empty() && rgb.type() == CV_8UC3);
    const double scale = static_cast<double>(size) / std::min(rgb.cols, rgb.rows);
    const int w = std::max(size, static_cast<int>(std::lround(rgb.cols * scale)));
    const int h = std::max(size, static_cast<int>(std::lround(rgb.rows * scale)));
    cv::Mat scaled = rgb;
    if (w != rgb.cols || h != rgb.rows)
        cv::resize(rgb, scaled, cv::Size(w, h), 0, 0, scale < 1 ? cv::INTER_AREA : cv::INTER_CUBIC);
    return scaled(cv::Rect((w - size) / 2, (h - size) / 2, size, size)).clone();
}

}  // namespace qiss
