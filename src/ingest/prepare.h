#pragma once
/// @file prepare.h
/// Turning an image's bytes into what a collection stores and embeds: the record's measured
/// fields, the thumbnail and the model input. `qiss index` and the server's uploads both use it,
/// so an image gets the same record, thumbnail and vector whichever way it was added.

#include <cstdint>
#include <span>
#include <string>

#include <opencv2/core.hpp>

#include "image/image_io.h"
#include "store/image_store.h"

namespace qiss {

struct PrepareOptions {
    /// Decoding limits. A `reduce_jpeg_to` of 0 becomes the larger of the thumbnail side and
    /// the input size: a large JPEG is decoded directly at a reduced size that still covers
    /// both, several times faster than decoding every pixel.
    DecodeLimits decode;
    int thumbnail_side = 256;
    int thumbnail_quality = 85;
    int input_size = 64;  ///< the model's input side (ModelConfig::preprocess.size)
};

/// An image ready to be embedded and added.
struct PreparedImage {
    /// record: content_hash, width and height (original, as displayed) and format filled;
    /// the caller sets source, root, caption and metadata; added_unix_ms stays 0 (the store's
    /// add() sets it). The vector is left empty.
    NewImage image;
    cv::Mat input;  ///< RGB, input_size × input_size, for the model
};

/// Decodes `bytes` (whose content hash is `hash`) and prepares them. Throws qiss::Error naming
/// `what` for anything decode_image refuses.
PreparedImage prepare_image(std::span<const std::uint8_t> bytes, std::string hash,
                            const PrepareOptions& options, const std::string& what);

}  // namespace qiss
