#include "model/calibration.h"

#include <cmath>

#include "common/error.h"

namespace qiss {

double PlattScaling::relevance(double score, double prior_log_odds) const {
    const double z = a * score + b + prior_log_odds;
    return z >= 0 ? 1.0 / (1.0 + std::exp(-z)) : std::exp(z) / (1.0 + std::exp(z));
}

double PlattScaling::score_for(double p, double prior_log_odds) const {
    QISS_ASSERT(a > 0 && p > 0 && p < 1);
    return (std::log(p / (1 - p)) - b - prior_log_odds) / a;
}

double collection_prior(std::size_t n) {
    return n <= 2 ? 0.0 : -std::log(static_cast<double>(n - 1));
}

void to_json(nlohmann::json& j, const Calibration& c) {
    j = nlohmann::json::object();
    if (c.text) j["text"] = {{"a", c.text->a}, {"b", c.text->b}};
    if (c.image) j["image"] = {{"a", c.image->a}, {"b", c.image->b}};
    j["fitted_on"] = c.fitted_on;
}

void from_json(const nlohmann::json& j, Calibration& c) {
    QISS_CHECK(j.is_object(), "the model's calibration is not a JSON object");
    auto read = [&](const char* kind) -> std::optional<PlattScaling> {
        if (!j.contains(kind)) return std::nullopt;
        const auto& m = j.at(kind);
        QISS_CHECK(m.is_object() && m.contains("a") && m.contains("b") && m.at("a").is_number() &&
                       m.at("b").is_number(),
                   "the model's {} calibration needs numbers a and b", kind);
        PlattScaling p{m.at("a").get<double>(), m.at("b").get<double>()};
        QISS_CHECK(std::isfinite(p.a) && std::isfinite(p.b) && p.a > 0,
                   "the model's {} calibration is invalid (a = {}, b = {}; a must be > 0)", kind,
                   p.a, p.b);
        return p;
    };
    c.text = read("text");
    c.image = read("image");
    c.fitted_on = j.value("fitted_on", nlohmann::json::object());
}

PlattScaling fit_platt(const std::vector<float>& scores, const std::vector<float>& labels,
                       const std::vector<double>& weights) {
    QISS_ASSERT(scores.size() == labels.size() && scores.size() == weights.size());
    double pos = 0, neg = 0;
    for (std::size_t i = 0; i < scores.size(); ++i) (labels[i] > 0.5f ? pos : neg) += weights[i];
    QISS_CHECK(pos > 0 && neg > 0,
               "calibration needs relevant and irrelevant pairs ({} and {} by weight)", pos, neg);
    // Platt (1999): targets (N+ + 1)/(N+ + 2) and 1/(N- + 2) instead of 1 and 0.
    const double t_pos = (pos + 1) / (pos + 2), t_neg = 1 / (neg + 2);
    double a = 0, b = std::log((pos + 1) / (neg + 1));
    for (int iter = 0; iter < 100; ++iter) {
        // Gradient and Hessian of the weighted cross-entropy in (a, b).
        double ga = 0, gb = 0, haa = 1e-12, hab = 0, hbb = 1e-12;
        for (std::size_t i = 0; i < scores.size(); ++i) {
            const double s = scores[i], w = weights[i];
            const double p = PlattScaling{a, b}.relevance(s);
            const double t = labels[i] > 0.5f ? t_pos : t_neg;
            const double d = w * (p - t), h = w * p * (1 - p);
            ga += d * s;
            gb += d;
            haa += h * s * s;
            hab += h * s;
            hbb += h;
        }
        const double det = haa * hbb - hab * hab;
        if (!(det > 0)) break;
        const double da = (hbb * ga - hab * gb) / det, db = (haa * gb - hab * ga) / det;
        a -= da;
        b -= db;
        if (std::abs(da) < 1e-9 * (1 + std::abs(a)) && std::abs(db) < 1e-9 * (1 + std::abs(b)))
            break;
    }
    QISS_CHECK(std::isfinite(a) && std::isfinite(b) && a > 0,
               "calibration failed: relevance does not rise with the score (a = {}, b = {}); "
               "is the model trained?",
               a, b);
    return {a, b};
}

}  // namespace qiss
