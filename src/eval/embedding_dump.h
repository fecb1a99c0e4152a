#pragma once
/// @file embedding_dump.h
/// The embeddings behind a `qiss eval` report, written for analysis outside qiss
/// (`qiss eval --dump DIR`; docs/format.md, "Evaluation dump"): one NumPy `.npy` file of
/// float32 rows per query set and for the gallery, and beside each a `.tsv` naming its rows.

#include <filesystem>
#include <string>
#include <vector>

#include <torch/torch.h>

namespace qiss {

/// Writes a 2-D float tensor as a NumPy format 1.0 file ('<f4', C order).
void write_npy(const std::filesystem::path& path, const torch::Tensor& rows);

/// Reads a file written by write_npy. Throws qiss::Error for another or a damaged file.
torch::Tensor read_npy(const std::filesystem::path& path);

/// One named set of embedded rows, written as NAME.npy and NAME.tsv (per row: identity id, a
/// tab, and the query text or the image path; tabs and line breaks in them become spaces). In
/// the file names, a character of NAME other than a letter, a digit, '-' or '_' becomes '_' (a
/// locale code comes from the manifest: user data).
struct DumpedRows {
    std::string name;
    torch::Tensor vectors;
    std::vector<std::string> ids;
    std::vector<std::string> sources;
};

/// Writes `rows` into `dir` (created if missing). Throws qiss::Error when it cannot write.
void write_dumped_rows(const std::filesystem::path& dir, const DumpedRows& rows);

}  // namespace qiss
