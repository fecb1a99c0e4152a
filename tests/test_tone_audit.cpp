// The skin-tone audit of a drawing style (src/corpus/tone_audit.h), on PNG files written here.
#include <array>
#include <fstream>
#include <string>
#include <unordered_map>

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "corpus/skin_tone.h"
#include "corpus/tone_audit.h"
#include "test_support.h"

using namespace qiss;
namespace fs = std::filesystem;

namespace {

/// Skin colours from light to dark (RGB), as vendors draw them: light pinker, not lighter, than
/// medium-light.
constexpr std::array<std::array<int, 3>, 5> kSkin = {{{0xf0, 0xc8, 0xb8},
                                                      {0xe0, 0xc0, 0x90},
                                                      {0xb8, 0x88, 0x68},
                                                      {0x90, 0x60, 0x40},
                                                      {0x58, 0x44, 0x3c}}};

/// A 64x64 drawing: a blue frame the tones share, a disc in the skin colour `tone`.
fs::path draw(const fs::path& dir, const std::string& key, int tone) {
    cv::Mat bgr(64, 64, CV_8UC3, cv::Scalar(255, 255, 255));
    cv::rectangle(bgr, {2, 2}, {61, 61}, cv::Scalar(200, 80, 20), 3);
    const auto& c = kSkin[static_cast<std::size_t>(tone)];
    cv::circle(bgr, {32, 32}, 18, cv::Scalar(c[2], c[1], c[0]), cv::FILLED);
    fs::path file = dir / (key + ".png");
    EXPECT_TRUE(cv::imwrite(file.string(), bgr));
    return file;
}

constexpr std::array<const char*, 5> kTones = {"1f3fb", "1f3fc", "1f3fd", "1f3fe", "1f3ff"};

/// Adds family `base` (its five single-tone keys) drawn with `drawn[t]` as tone t's colour.
void add_family(std::unordered_map<std::string, fs::path>& by_key, const fs::path& dir,
                const std::string& base, const std::array<int, 5>& drawn) {
    for (std::size_t t = 0; t < kTones.size(); ++t) {
        const std::string key = base + "-" + kTones[t];
        by_key[key] = draw(dir, key, drawn[t]);
    }
}

}  // namespace

TEST(ToneAudit, PutsBackAStylesSystematicExchangeAndLeavesOutOtherDisorder) {
    test::TempDir dir("tone-audit");
    std::unordered_map<std::string, fs::path> by_key;
    // Three families with medium-light and medium exchanged, one in order, one reversed, and
    // a two-person family of one tone ("T" twice).
    for (const char* base : {"1f44b", "1f44d", "1f64b"})
        add_family(by_key, dir.path(), base, {0, 2, 1, 3, 4});
    add_family(by_key, dir.path(), "1f46b", {0, 1, 2, 3, 4});
    add_family(by_key, dir.path(), "1f6b5", {4, 3, 2, 1, 0});
    for (std::size_t t = 0; t < kTones.size(); ++t) {
        const std::string key =
            std::string("1f9d1-") + kTones[t] + "-200d-1f91d-200d-1f9d1-" + kTones[t];
        by_key[key] = draw(dir.path(), key, std::array<int, 5>{0, 2, 1, 3, 4}[t]);
    }
    // Not a family of five: left alone, however drawn.
    by_key["1f600"] = draw(dir.path(), "1f600", 1);
    by_key["1f44f-1f3fc"] = draw(dir.path(), "1f44f-1f3fc", 4);
    // Mixed tones are not a single-tone family either.
    by_key["1f9d1-1f3fb-200d-1f91d-200d-1f9d1-1f3ff"] = draw(dir.path(), "mixed", 3);

    const ToneAudit audit = audit_skin_tones(by_key);
    EXPECT_EQ(audit.families, 6u);
    EXPECT_EQ(audit.pair, 1);  // medium-light (1) and medium (2)
    EXPECT_EQ(audit.exchanged, 4u);
    EXPECT_EQ(audit.dropped, 1u);
    EXPECT_EQ(by_key.at("1f44b-1f3fc").filename(), "1f44b-1f3fd.png");
    EXPECT_EQ(by_key.at("1f44b-1f3fd").filename(), "1f44b-1f3fc.png");
    EXPECT_EQ(by_key.at("1f44b-1f3fb").filename(), "1f44b-1f3fb.png");
    EXPECT_EQ(by_key.at("1f9d1-1f3fc-200d-1f91d-200d-1f9d1-1f3fc").filename(),
              "1f9d1-1f3fd-200d-1f91d-200d-1f9d1-1f3fd.png");
    EXPECT_EQ(by_key.at("1f46b-1f3fc").filename(), "1f46b-1f3fc.png");  // in order: kept
    for (const char* t : kTones) EXPECT_EQ(by_key.count(std::string("1f6b5-") + t), 0u) << t;
    EXPECT_EQ(by_key.count("1f600"), 1u);
    EXPECT_EQ(by_key.count("1f44f-1f3fc"), 1u);
    EXPECT_EQ(by_key.size(), 4u * 5 + 5 + 3);
}

TEST(ToneAudit, AStyleInOrderIsUnchangedAndAnIsolatedExchangeIsLeftOut) {
    test::TempDir dir("tone-audit-order");
    std::unordered_map<std::string, fs::path> by_key;
    for (const char* base : {"1f44b", "1f44d", "1f64b"})
        add_family(by_key, dir.path(), base, {0, 1, 2, 3, 4});
    // One family exchanged is a drawing error, not the style's mapping: left out, not "fixed".
    add_family(by_key, dir.path(), "1f44f", {0, 2, 1, 3, 4});
    const auto before = by_key;
    const ToneAudit audit = audit_skin_tones(by_key);
    EXPECT_EQ(audit.families, 4u);
    EXPECT_EQ(audit.pair, -1);
    EXPECT_EQ(audit.exchanged, 0u);
    EXPECT_EQ(audit.dropped, 1u);
    for (const auto& [key, file] : by_key) EXPECT_EQ(file, before.at(key)) << key;
    EXPECT_EQ(by_key.size(), 15u);
}

TEST(ToneAudit, AnUnreadableDrawingIsAClearError) {
    test::TempDir dir("tone-audit-bad");
    std::unordered_map<std::string, fs::path> by_key;
    add_family(by_key, dir.path(), "1f44b", {0, 1, 2, 3, 4});
    std::ofstream(by_key.at("1f44b-1f3fd"), std::ios::trunc) << "not a png";
    try {
        audit_skin_tones(by_key);
        FAIL() << "no error";
    } catch (const std::exception& e) {
        EXPECT_NE(std::string(e.what()).find("1f44b-1f3fd.png"), std::string::npos) << e.what();
    }
}

TEST(SkinTone, ModifiersFollowACodePoint) {
    EXPECT_EQ(without_skin_tones("1f44b-1f3fd"), "1f44b");
    EXPECT_EQ(skin_tones("1f44b-1f3fd"), std::vector<int>{2});
    EXPECT_EQ(without_skin_tones("1f9d1-1f3fb-200d-1f91d-200d-1f9d1-1f3ff"),
              "1f9d1-200d-1f91d-200d-1f9d1");
    EXPECT_EQ(skin_tones("1f9d1-1f3fb-200d-1f91d-200d-1f9d1-1f3ff"), (std::vector<int>{0, 4}));
    EXPECT_EQ(without_skin_tones("1f600"), "1f600");
    EXPECT_TRUE(skin_tones("1f600").empty());
    // The swatch emoji U+1F3FB alone is an emoji, not a modifier of nothing.
    EXPECT_EQ(without_skin_tones("1f3fb"), "1f3fb");
    EXPECT_TRUE(skin_tones("1f3fb").empty());
    // Only the five modifiers: U+1F3FA (amphora) is not one.
    EXPECT_EQ(without_skin_tones("1f44b-1f3fa"), "1f44b-1f3fa");
    // A photo corpus's ids are paths: left as they are.
    EXPECT_EQ(without_skin_tones("photos/000123.jpg"), "photos/000123.jpg");
}
