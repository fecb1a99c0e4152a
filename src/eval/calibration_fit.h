#pragma once
/// @file calibration_fit.h
/// Fits a model's relevance calibration (model/calibration.h) on a held-out split of a corpus,
/// with the evaluation protocol's queries: per locale, each identity's caption against the
/// split's images; each image against the split's other images. Relevant = same identity.

#include <cstdint>
#include <vector>

#include "corpus/manifest.h"
#include "model/calibration.h"
#include "model/model.h"

namespace qiss {

struct CalibrationFitOptions {
    Split split = Split::Val;  ///< the images and identities to fit on (never the test gallery)
    /// Irrelevant pairs sampled per query (uniformly; the relevant ones are all taken).
    int negatives = 100;
    std::uint64_t seed = 1;
    int batch_size = 512;
};

/// Fits the text and image calibrations. Throws qiss::Error when the split has no images, no
/// captions, or too few identities (fewer than 2) to tell right from wrong.
Calibration fit_calibration(Model& model, const std::vector<ManifestEntry>& entries,
                            const CalibrationFitOptions& options = {});

}  // namespace qiss
