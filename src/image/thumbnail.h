#pragma once
/// @file thumbnail.h
/// Small JPEG previews of indexed images, for the result pages.

#include <string>

#include <opencv2/core.hpp>

namespace qiss {

/// Scales an RGB image (CV_8UC3) to fit within max_side x max_side (aspect kept, never
/// enlarged) and encodes it as a baseline JPEG of the given quality (1..100). Returns the JPEG
/// bytes.
std::string make_thumbnail(const cv::Mat& rgb, int max_side = 256, int quality = 85);

}  // namespace qiss
