#include "eval/calibration_fit.h"

#include <random>
#include <set>
#include <string>
#include <unordered_map>

#include <spdlog/spdlog.h>

#include "common/error.h"
#include "eval/retrieval_eval.h"

namespace qiss {
namespace {

/// The relevant pairs of each query and a uniform sample of its other pairs (`negatives` per
/// query, a row equal to the query's own index in `self` excluded), weighted so that the two
/// classes weigh the same: the fitted a·s + b is then the log-likelihood ratio of relevance.
struct Pairs {
    std::vector<float> scores, labels;
    std::vector<double> raw_weights;  ///< before balancing: 1 per relevant pair, G'/m per sample
    std::size_t queries = 0, relevant = 0;

    void add(const torch::Tensor& queries_emb, const std::vector<int64_t>& query_labels,
             const torch::Tensor& gallery, const std::vector<int64_t>& gallery_labels,
             int negatives, std::mt19937_64& rng, const std::vector<int64_t>* self = nullptr) {
        torch::NoGradGuard no_grad;
        auto all = queries_emb.matmul(gallery.t()).contiguous();  // [Q,G]
        auto sc = all.accessor<float, 2>();
        const auto g = static_cast<std::size_t>(gallery.size(0));
        std::uniform_int_distribution<std::size_t> pick(0, g - 1);
        for (int64_t q = 0; q < sc.size(0); ++q) {
            ++queries;
            const int64_t label = query_labels[static_cast<std::size_t>(q)];
            const auto own =
                self ? static_cast<std::size_t>((*self)[static_cast<std::size_t>(q)]) : g;
            std::size_t others = 0;
            for (std::size_t j = 0; j < g; ++j) {
                if (j == own) continue;
                if (gallery_labels[j] == label) {
                    scores.push_back(sc[q][static_cast<int64_t>(j)]);
                    labels.push_back(1.0f);
                    raw_weights.push_back(1.0);
                    ++relevant;
                } else {
                    ++others;
                }
            }
            if (others == 0) continue;
            // Rejection sampling of irrelevant rows: each stands for others / negatives pairs.
            for (int n = 0; n < negatives;) {
                const std::size_t j = pick(rng);
                if (j == own || gallery_labels[j] == label) continue;
                scores.push_back(sc[q][static_cast<int64_t>(j)]);
                labels.push_back(0.0f);
                raw_weights.push_back(static_cast<double>(others) / negatives);
                ++n;
            }
        }
    }

    PlattScaling fit(const char* kind) const {
        double pos = 0, neg = 0;
        for (std::size_t i = 0; i < labels.size(); ++i)
            (labels[i] > 0.5f ? pos : neg) += raw_weights[i];
        QISS_CHECK(pos > 0 && neg > 0, "calibration ({}): no relevant or no irrelevant pair", kind);
        // Both classes weigh as many pairs as the relevant ones.
        std::vector<double> w(raw_weights);
        for (std::size_t i = 0; i < w.size(); ++i)
            if (labels[i] < 0.5f) w[i] *= pos / neg;
        spdlog::info("calibration ({}): {} queries, {} relevant pairs, {} sampled others", kind,
                     queries, relevant, scores.size() - relevant);
        return fit_platt(scores, labels, w);
    }

    nlohmann::json summary() const {
        return {{"queries", queries},
                {"relevant_pairs", relevant},
                {"sampled_other_pairs", scores.size() - relevant}};
    }
};

}  // namespace

Calibration fit_calibration(Model& model, const std::vector<ManifestEntry>& entries,
                            const CalibrationFitOptions& o) {
    QISS_CHECK(o.negatives >= 1, "calibration: negatives must be >= 1");
    std::mt19937_64 rng(o.seed);
    const bool by_vendor = !o.gallery_vendor.empty();
    const std::string held_out =
        by_vendor ? "vendor " + o.gallery_vendor : std::string(split_name(o.split)) + " split";
    QISS_CHECK(!by_vendor || o.query_vendor != o.gallery_vendor,
               "calibration: the query vendor must differ from the gallery vendor ({})",
               o.gallery_vendor);
    std::vector<const ManifestEntry*> images;
    for (const auto& e : entries)
        if (by_vendor ? e.vendor == o.gallery_vendor : e.split == o.split) images.push_back(&e);
    QISS_CHECK(!images.empty(), "the corpus has no images of the {} to fit the calibration on",
               held_out);
    EmbeddedGallery g = embed_gallery(model, images, o.batch_size);
    const torch::Tensor& gallery = g.vectors;
    const auto& label_of = g.label_of;
    const std::vector<int64_t>& labels = g.labels;
    const std::vector<const ManifestEntry*>& gallery_entries = g.entries;
    QISS_CHECK(label_of.size() >= 2, "the {} has {} identities; calibration needs at least 2",
               held_out, label_of.size());

    // Text queries: each identity's first caption in every locale (as `qiss eval`).
    std::vector<std::string> texts;
    std::vector<int64_t> text_labels;
    std::set<std::string> seen;
    const std::set<std::string> only(o.locales.begin(), o.locales.end());
    for (const auto* e : gallery_entries)
        for (const auto& [loc, caps] : e->captions())
            if (!caps.empty() && (only.empty() || only.count(loc)) &&
                seen.insert(loc + '\n' + e->id).second) {
                texts.push_back(caps.front());
                text_labels.push_back(label_of.at(e->id));
            }
    QISS_CHECK(!texts.empty(), "the images of the {} have no captions to fit the calibration on",
               held_out);
    Pairs text_pairs, image_pairs;
    for (std::size_t s = 0; s < texts.size(); s += static_cast<std::size_t>(o.batch_size)) {
        const std::size_t e = std::min(texts.size(), s + static_cast<std::size_t>(o.batch_size));
        std::vector<std::string> batch(texts.begin() + static_cast<long>(s),
                                       texts.begin() + static_cast<long>(e));
        std::vector<int64_t> batch_labels(text_labels.begin() + static_cast<long>(s),
                                          text_labels.begin() + static_cast<long>(e));
        text_pairs.add(model.embed_texts(batch), batch_labels, gallery, labels, o.negatives, rng);
    }
    if (by_vendor) {
        // Image queries: the query vendor's image of each identity against the held-out style.
        std::vector<const ManifestEntry*> query_entries;
        for (const auto& e : entries)
            if (e.vendor == o.query_vendor && label_of.count(e.id)) query_entries.push_back(&e);
        QISS_CHECK(!query_entries.empty(),
                   "calibration: vendor {} has no image of the {}'s identities to query with",
                   o.query_vendor, held_out);
        std::vector<std::size_t> kept;
        const torch::Tensor queries = embed_image_files(model, query_entries, o.batch_size, kept);
        std::vector<int64_t> query_labels;
        for (auto i : kept) query_labels.push_back(label_of.at(query_entries[i]->id));
        for (int64_t s = 0; s < queries.size(0); s += o.batch_size) {
            const int64_t e = std::min(queries.size(0), s + o.batch_size);
            std::vector<int64_t> batch_labels(query_labels.begin() + s, query_labels.begin() + e);
            image_pairs.add(queries.slice(0, s, e), batch_labels, gallery, labels, o.negatives,
                            rng);
        }
    } else {
        // Image queries: every image against the others.
        for (int64_t s = 0; s < gallery.size(0); s += o.batch_size) {
            const int64_t e = std::min(gallery.size(0), s + o.batch_size);
            std::vector<int64_t> batch_labels(labels.begin() + s, labels.begin() + e);
            std::vector<int64_t> self;
            for (int64_t i = s; i < e; ++i) self.push_back(i);
            image_pairs.add(gallery.slice(0, s, e), batch_labels, gallery, labels, o.negatives, rng,
                            &self);
        }
    }
    Calibration c;
    c.text = text_pairs.fit("text");
    c.image = image_pairs.fit("image");
    c.fitted_on = {
        {"images", gallery.size(0)},
        {"identities", label_of.size()},
        {"negatives_per_query", o.negatives},
        {"locales", o.locales.empty() ? nlohmann::json("all") : nlohmann::json(o.locales)},
        {"prior", "one relevant image per query: -ln(collection size - 1)"},
        {"text", text_pairs.summary()},
        {"image", image_pairs.summary()}};
    if (by_vendor) {
        c.fitted_on["vendor"] = o.gallery_vendor;
        c.fitted_on["query_vendor"] = o.query_vendor;
    } else {
        c.fitted_on["split"] = split_name(o.split);
    }
    return c;
}

}  // namespace qiss
