#pragma once
/// @file ingester.h
/// `qiss index`: reads, decodes and embeds images into a collection. Reading and decoding run
/// on decoder threads; embedding threads each take a batch, run the model on it (one core each
/// by default: a small CNN goes faster as several single-threaded runs than as one run over all
/// cores) and commit it. Commits happen one at a time, in the order the batches were taken. Each
/// committed batch is durable (one store transaction); a killed run resumes by re-running it:
/// files already stored are recognised by their content hash and skipped.
///
/// The pipeline is our own (a bounded queue, commit turns) rather than TBB's parallel_pipeline,
/// whose ordered serial stage would replace the turns: each embedding thread sizes its own
/// OpenMP/ATen team for libtorch's kernels, which TBB's workers cannot be asked to do, and TBB's
/// pool next to OpenMP's would oversubscribe the cores.

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include "image/image_io.h"
#include "ingest/fetch.h"
#include "ingest/source.h"

namespace qiss {

class Collection;

/// Settings of an ingestion run; each has a safe default.
struct IngestOptions {
    int batch_size = 32;     ///< images embedded and committed together (32 is the fastest for
                             ///< 64 px inputs here: bench/bench_model, images/s by batch size)
    int decode_threads = 0;  ///< reader/decoder threads; 0 = one per core
    int embed_threads = 0;   ///< threads embedding batches side by side; 0 = default_embed_threads
    int threads_per_embed = 1;  ///< cores one embedding uses (ATen/OpenMP, OpenBLAS), for the run
    DecodeLimits decode;
    FetchLimits fetch;
    int thumbnail_side = 256;
    int thumbnail_quality = 85;
    double index_save_every_s = 60;  ///< the index file is also saved at the end
    bool progress_bar = false;       ///< a redrawn bar (terminals) instead of log lines
};

/// One item that could not be ingested.
struct IngestError {
    std::string source;
    std::string message;
};

struct IngestSummary {
    std::size_t items = 0, added = 0, duplicates = 0, skipped = 0;
    double seconds = 0;
    std::vector<IngestError> errors;  ///< the skipped items with their reasons
};

/// Embedding threads by default: one per `threads_per_embed` cores, at least one.
int default_embed_threads(int threads_per_embed);

/// Ingests the items. Skipped items are also appended, one JSON object per line, to
/// `errors_file` ({"time":…,"source":…,"error":…}). Throws qiss::Error only for problems of the
/// collection itself (e.g. a full disk), never for a bad image.
IngestSummary ingest(Collection& collection, const std::vector<IngestItem>& items,
                     const IngestOptions& options, const std::filesystem::path& errors_file);

}  // namespace qiss
