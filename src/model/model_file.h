#pragma once
/// @file model_file.h
/// The self-describing model file (format in docs/format.md, "Model file"): magic, version,
/// a JSON header (hyper-parameters, preprocessing, training record), the SentencePiece model
/// and the weights, closed by a CRC-32.

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace qiss {

inline constexpr char kModelMagic[8] = {'Q', 'I', 'S', 'S', 'M', 'O', 'D', 'L'};
/// 2 (2026-12-05): the weights may hold float16 tensors (ModelConfig::weight_dtype).
inline constexpr std::uint32_t kModelFormatVersion = 2;

/// The raw sections of a model file.
struct ModelFileContents {
    nlohmann::json header;  ///< {"config": ModelConfig, "training": {...}, ...}
    std::string tokenizer;  ///< serialized SentencePiece model
    std::string weights;    ///< libtorch archive (zip) of the DualEncoder's parameters and buffers
};

/// Serialises the contents (used for files and in-memory checkpoints).
std::string encode_model_file(const ModelFileContents& contents);
/// Parses a model file's bytes. Throws qiss::Error naming `what` for another format, a newer
/// version, a truncated or corrupted file.
ModelFileContents decode_model_file(const std::string& bytes, const std::string& what);

}  // namespace qiss
