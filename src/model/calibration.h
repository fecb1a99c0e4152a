#pragma once
/// @file calibration.h
/// Relevance calibration: maps a cosine score to the probability that the image is relevant to
/// the query, so that one threshold means the same for every query (docs/api.md, "Relevance").
/// The model file stores, per query kind, the log-likelihood ratio of relevance as a linear
/// function of the score, a·score + b, fitted by logistic regression on the positive and
/// (class-balanced) negative pairs of a held-out split. A collection of n images, one of them
/// relevant, adds its prior: relevance = 1 / (1 + exp(-(a·score + b - ln(n - 1)))).

#include <cstddef>
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

namespace qiss {

/// One fitted logistic map from score to log-likelihood ratio of relevance.
struct PlattScaling {
    double a = 0, b = 0;
    /// The logistic of a·score + b + prior_log_odds, in [0, 1].
    double relevance(double score, double prior_log_odds = 0) const;
    /// The lowest score whose relevance is at least p (p in (0, 1); a > 0).
    double score_for(double p, double prior_log_odds = 0) const;
};

/// The prior log-odds that an image of a collection of `n` is the one relevant to a query:
/// -ln(n - 1) (0 for n <= 2).
double collection_prior(std::size_t n);

/// The calibrations of a model: text queries and image queries score on different scales.
struct Calibration {
    std::optional<PlattScaling> text, image;
    /// How it was fitted (split, pairs, date); free-form, kept for the model card.
    nlohmann::json fitted_on = nlohmann::json::object();
};

void to_json(nlohmann::json& j, const Calibration& c);
/// Throws qiss::Error for a malformed calibration (non-finite or non-increasing map).
void from_json(const nlohmann::json& j, Calibration& c);

/// Fits p = σ(a·s + b) to scores with labels (1 = relevant), each pair weighted (with as much
/// weight on the relevant pairs as on the others, a·s + b is the log-likelihood ratio). Newton's
/// method on the weighted log-likelihood with Platt's smoothed targets. Throws qiss::Error without
/// both a relevant and an irrelevant pair, or if the fit does not put relevance up with the score.
PlattScaling fit_platt(const std::vector<float>& scores, const std::vector<float>& labels,
                       const std::vector<double>& weights);

}  // namespace qiss
