#pragma once
/// @file import_torchscript.h
/// `qiss model import --torchscript DIR`: a CLIP-family model exported as TorchScript
/// (scripts/export_torchscript.py) becomes one self-describing qiss model file of kind
/// "torchscript" (model/torchscript/torchscript_network.h). DIR holds:
///   - `image_encoder.pt`: pixels [N,3,S,S] float32 -> [N,D];
///   - `text_encoder.pt`: ids [N,T], mask [N,T] (int64) -> [N,D];
///   - the tokenizer: a SentencePiece model or CLIP's BPE merges file (gzip allowed);
///   - `qiss.json`: dimension, image size, mean/std, resize mode, tokenizer kind and file,
///     context length, special ids (docs/models.md lists every key and its default).

#include <filesystem>

#include "model/model.h"

namespace qiss {

/// The model of an export folder. Throws qiss::Error for a missing or oversized file, an
/// unknown or invalid key in qiss.json, a tokenizer that does not load, or an encoder libtorch
/// cannot load or that does not answer [N, embed_dim] on a trial image and text.
Model import_torchscript(const std::filesystem::path& dir);

}  // namespace qiss
