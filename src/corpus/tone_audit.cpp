#include "corpus/tone_audit.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <optional>
#include <vector>

#include <opencv2/core.hpp>

#include "common/error.h"
#include "corpus/skin_tone.h"
#include "image/image_io.h"

namespace qiss {
namespace fs = std::filesystem;

namespace {

/// A pixel is skin when its channels vary this much (standard deviations summed, 0-255 scale)
/// across the family's five drawings; a family with fewer such pixels is not checked.
constexpr double kSkinSpread = 20;
constexpr int kMinSkinPixels = 10;
/// Two tones are out of order when the darker one's skin is lighter by more than this (0-255).
constexpr double kMargin = 8;

/// The tone (0 = light) of a key whose skin-tone modifiers are all one tone, and its family
/// (the key without them); nullopt for a key without, or with mixed, tones.
std::optional<std::pair<int, std::string>> tone_of(const std::string& key) {
    const std::vector<int> tones = skin_tones(key);
    if (tones.empty() || std::count(tones.begin(), tones.end(), tones.front()) !=
                             static_cast<std::ptrdiff_t>(tones.size()))
        return std::nullopt;
    return std::make_pair(tones.front(), without_skin_tones(key));
}

/// The mean luminance of each drawing's skin, or nullopt when the family has too little of it.
std::optional<std::array<double, 5>> skin_luminance(const std::array<fs::path, 5>& files) {
    std::array<cv::Mat, 5> images;
    for (std::size_t t = 0; t < files.size(); ++t) {
        cv::Mat rgb;
        read_image(files[t]).rgb.convertTo(rgb, CV_64FC3);
        if (t > 0 && rgb.size() != images[0].size()) return std::nullopt;
        images[t] = rgb;
    }
    std::array<double, 5> sum{};
    int skin = 0;
    for (int y = 0; y < images[0].rows; ++y)
        for (int x = 0; x < images[0].cols; ++x) {
            double spread = 0;
            for (int c = 0; c < 3; ++c) {
                double mean = 0, sq = 0;
                for (const auto& im : images) mean += im.at<cv::Vec3d>(y, x)[c];
                mean /= images.size();
                for (const auto& im : images) {
                    const double d = im.at<cv::Vec3d>(y, x)[c] - mean;
                    sq += d * d;
                }
                spread += std::sqrt(sq / images.size());
            }
            if (spread <= kSkinSpread) continue;
            ++skin;
            for (std::size_t t = 0; t < images.size(); ++t) {
                const cv::Vec3d p = images[t].at<cv::Vec3d>(y, x);
                sum[t] += 0.2126 * p[0] + 0.7152 * p[1] + 0.0722 * p[2];
            }
        }
    if (skin < kMinSkinPixels) return std::nullopt;
    for (auto& s : sum) s /= skin;
    return sum;
}

/// Whether medium-light..dark (tones 1..4) get darker, within the margin.
bool in_order(const std::array<double, 5>& l) {
    for (std::size_t t = 1; t + 1 < l.size(); ++t)
        if (l[t] + kMargin < l[t + 1]) return false;
    return true;
}

std::array<double, 5> exchanged(std::array<double, 5> l, int pair) {
    std::swap(l[static_cast<std::size_t>(pair)], l[static_cast<std::size_t>(pair) + 1]);
    return l;
}

}  // namespace

ToneAudit audit_skin_tones(std::unordered_map<std::string, fs::path>& by_key) {
    struct Family {
        std::array<std::string, 5> keys;
        int present = 0;
    };
    std::map<std::string, Family> families;
    for (const auto& [key, _] : by_key) {
        auto tone = tone_of(key);
        if (!tone) continue;
        auto& f = families[tone->second];
        f.keys[static_cast<std::size_t>(tone->first)] = key;
        f.present++;
    }
    struct Checked {
        const Family* family;
        std::array<double, 5> luminance;
    };
    std::vector<Checked> checked;
    for (const auto& [_, f] : families) {
        if (f.present != 5) continue;
        std::array<fs::path, 5> files;
        for (std::size_t t = 0; t < files.size(); ++t) files[t] = by_key.at(f.keys[t]);
        if (auto l = skin_luminance(files)) checked.push_back({&f, *l});
    }
    ToneAudit audit;
    audit.families = checked.size();
    // The exchange of neighbouring tones (among 1..4) that puts most families in order.
    std::array<std::size_t, 3> fixes{};
    for (const auto& c : checked)
        if (!in_order(c.luminance))
            for (int pair = 1; pair <= 3; ++pair)
                if (in_order(exchanged(c.luminance, pair)))
                    fixes[static_cast<std::size_t>(pair - 1)]++;
    for (int pair = 1; pair <= 3; ++pair)
        if (2 * fixes[static_cast<std::size_t>(pair - 1)] > checked.size()) audit.pair = pair;
    for (const auto& c : checked) {
        if (in_order(c.luminance)) continue;
        const auto& keys = c.family->keys;
        if (audit.pair >= 0 && in_order(exchanged(c.luminance, audit.pair))) {
            std::swap(by_key.at(keys[static_cast<std::size_t>(audit.pair)]),
                      by_key.at(keys[static_cast<std::size_t>(audit.pair) + 1]));
            audit.exchanged++;
        } else {
            for (const auto& k : keys) by_key.erase(k);
            audit.dropped++;
        }
    }
    return audit;
}

}  // namespace qiss
