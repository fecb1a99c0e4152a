#pragma once
/// @file resize.h
/// Geometry helpers shared by the model's preprocessing and the thumbnails.

#include <opencv2/core.hpp>

namespace qiss {

/// Scales an RGB image to fit a size x size square (aspect kept, area interpolation when
/// shrinking) and pads the rest with white, centred. Returns CV_8UC3 of size x size.
cv::Mat fit_square(const cv::Mat& rgb, int size);

/// Resizes an RGB image to size x size, aspect not kept (area interpolation when shrinking).
cv::Mat stretch_square(const cv::Mat& rgb, int size);

/// Scales an RGB image so its shorter side is `size` (area interpolation when shrinking, bicubic
/// when enlarging) and crops the centred size x size square, as CLIP's preprocessing does.
cv::Mat center_crop_square(const cv::Mat& rgb, int size);

/// Scales an image so its longer side is at most max_side (never enlarges).
cv::Mat fit_within(const cv::Mat& rgb, int max_side);

}  // namespace qiss
