#pragma once
/// @file retrieval_eval.h
/// Retrieval metrics on a held-out gallery: text->image per locale and image->image.

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include "corpus/manifest.h"
#include "eval/relevance_eval.h"
#include "model/model.h"

namespace qiss {

struct RecallStats {
    double r1 = 0, r5 = 0, r10 = 0;  ///< fractions in [0,1]
    double median_rank = 0;          ///< 1 = always first
    std::size_t queries = 0;
};

/// For each query row, the 1-based rank of its best-scoring relevant gallery row (relevant =
/// same label), by inner product. A query with no relevant row gets rank G+1.
std::vector<int64_t> relevant_ranks(const torch::Tensor& queries,
                                    const std::vector<int64_t>& query_labels,
                                    const torch::Tensor& gallery,
                                    const std::vector<int64_t>& gallery_labels);

RecallStats recall_stats(std::vector<int64_t> ranks);

/// How the tokenizer treats a locale's queries.
struct TokenStats {
    double unk_rate = 0;        ///< share of pieces that are <unk>
    double byte_rate = 0;       ///< share of pieces that are byte-fallback pieces
    double truncated_rate = 0;  ///< share of queries longer than the model's max_tokens
    double mean_pieces = 0;     ///< pieces per query (before truncation)
};

/// Piece statistics of the texts under the model's tokenizer and max_tokens.
TokenStats token_stats(const Model& model, const std::vector<std::string>& texts);

struct EvalOptions {
    Split gallery_split = Split::Test;  ///< the gallery: every image of this split...
    /// ...or, when set, every image of this vendor whatever its split (a held-out training
    /// style, e.g. "google" for a model trained with --exclude-vendors google)
    std::string gallery_vendor;
    std::vector<std::string> locales;    ///< text queries in these locales; empty = all
    std::string query_vendor = "apple";  ///< image->image queries; empty = skip
    int batch_size = 512;
    /// When set, the embeddings behind the report are written here (eval/embedding_dump.h).
    std::filesystem::path dump_dir;
};

struct EvalReport {
    std::map<std::string, RecallStats> text_to_image;  ///< per locale
    std::map<std::string, TokenStats> tokens;          ///< per locale, of the same queries
    RecallStats text_to_image_mean;                    ///< mean of the per-locale figures
    RecallStats text_to_image_mean_large;              ///< mean over locales with >= 1000 queries
    std::size_t large_locales = 0;                     ///< how many such locales
    std::string gallery;                               ///< "split test" or "vendor google"
    RecallStats image_to_image;
    /// Image->image where an identity's skin-tone variants count as hits too (emoji ids: the
    /// code points 1f3fb..1f3ff removed); equal to image_to_image for other corpora.
    RecallStats image_to_image_merged;
    std::size_t gallery_size = 0;
    /// With a calibrated model: how its relevance cuts hold on this gallery.
    std::optional<RelevanceReport> relevance;
    /// The documented `qiss eval --json` object.
    nlohmann::json to_json() const;
};

/// Embeds images in batches, decoding them in parallel; unreadable files are skipped with a
/// warning and their row left out (the kept indices are returned in `kept`).
torch::Tensor embed_image_files(Model& model, const std::vector<const ManifestEntry*>& entries,
                                int batch_size, std::vector<std::size_t>& kept);

/// Gallery images embedded, with an identity label per row (labels number the distinct ids in
/// order of first appearance); unreadable files are left out.
struct EmbeddedGallery {
    torch::Tensor vectors;                              ///< [N,D]
    std::vector<const ManifestEntry*> entries;          ///< per row
    std::vector<int64_t> labels;                        ///< per row
    std::unordered_map<std::string, int64_t> label_of;  ///< id -> label
};
EmbeddedGallery embed_gallery(Model& model, const std::vector<const ManifestEntry*>& entries,
                              int batch_size);

/// Evaluates the model on the manifest's gallery split.
EvalReport evaluate(Model& model, const std::vector<ManifestEntry>& entries,
                    const EvalOptions& options);

}  // namespace qiss
