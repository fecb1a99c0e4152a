#pragma once
/// @file anchors.h
/// Identity anchors: an image embedding pulled towards the training identities it resembles
/// (docs/model-experiments.md, "Identity anchors for image embeddings"). The anchors are the
/// identity proxies of training, stored in the model file as int8 rows with a scale each.

#include <torch/torch.h>

namespace qiss {

/// e: [N,D] unit vectors; anchors: [K,D] unit vectors. Returns
/// normalize(e + weight * normalize(softmax(e anchors^T / temperature) anchors)), [N,D].
torch::Tensor anchor_project(const torch::Tensor& e, const torch::Tensor& anchors,
                             float temperature, float weight);

/// Rows stored as int8 codes with one float32 scale per row: row i = codes[i] * scales[i].
struct QuantizedRows {
    torch::Tensor codes;   ///< [K,D] int8
    torch::Tensor scales;  ///< [K] float32
};

/// Quantizes each row of `x` ([K,D] float32) to int8 with its own scale (max |x| / 127).
QuantizedRows quantize_rows(const torch::Tensor& x);

/// The float32 rows that quantize_rows stored, [K,D].
torch::Tensor dequantize_rows(const torch::Tensor& codes, const torch::Tensor& scales);

}  // namespace qiss
