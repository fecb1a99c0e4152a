#pragma once
/// @file calibration_fit.h
/// Fits a model's relevance calibration (model/calibration.h) on held-out images of a corpus,
/// with the evaluation protocol's queries: per locale, each identity's caption against the
/// held-out images; each image against the other held-out images, or, on a drawing style held
/// out of training, each image of another style against that style's. Relevant = same identity.

#include <cstdint>
#include <string>
#include <vector>

#include "corpus/manifest.h"
#include "model/calibration.h"
#include "model/model.h"

namespace qiss {

struct CalibrationFitOptions {
    Split split = Split::Val;  ///< the images and identities to fit on (never the test gallery)...
    /// ...or, when set, every image of this vendor whatever its split: a drawing style the model
    /// was trained without (`qiss train --exclude-vendors`), as a collection unlike the training
    /// data is. Its image queries are then `query_vendor`'s images of the same identities.
    std::string gallery_vendor;
    std::string query_vendor = "apple";
    std::vector<std::string> locales;  ///< text queries in these locales; empty = all
    /// Irrelevant pairs sampled per query (uniformly; the relevant ones are all taken).
    int negatives = 100;
    std::uint64_t seed = 1;
    int batch_size = 512;
};

/// Fits the text and image calibrations. Throws qiss::Error when the split (or vendor) has no
/// images, no captions, or too few identities (fewer than 2) to tell right from wrong, and, with
/// a gallery vendor, when the query vendor is the same or has no image of its identities.
Calibration fit_calibration(Model& model, const std::vector<ManifestEntry>& entries,
                            const CalibrationFitOptions& options = {});

}  // namespace qiss
