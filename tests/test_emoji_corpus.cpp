// The emoji corpus from the real npm packages (installed by scripts/install-deps.sh).
#include <algorithm>
#include <fstream>
#include <map>
#include <memory>
#include <set>

#include <gtest/gtest.h>

#include "corpus/emoji_corpus.h"
#include "corpus/emoji_styles.h"
#include "corpus/fillers.h"
#include "image/image_io.h"
#include "test_support.h"

using namespace qiss;
namespace fs = std::filesystem;

namespace {

const ManifestEntry* find(const std::vector<ManifestEntry>& v, const std::string& id,
                          const std::string& vendor) {
    for (const auto& e : v)
        if (e.id == id && e.vendor == vendor) return &e;
    return nullptr;
}

/// path -> last write time of every file under `dir`.
std::map<fs::path, fs::file_time_type> snapshot(const fs::path& dir) {
    std::map<fs::path, fs::file_time_type> out;
    for (const auto& f : fs::recursive_directory_iterator(dir))
        if (f.is_regular_file()) out[f.path()] = f.last_write_time();
    return out;
}

}  // namespace

/// One full corpus build, shared by the suite (the manifest entries are large: only what the
/// tests look at is kept). Its style cache is reused by the later builds.
class EmojiCorpus : public ::testing::Test {
  protected:
    struct Slim {
        std::string id, vendor;
        Split split;
        fs::path path;
    };
    static void SetUpTestSuite() {
        dir_ = std::make_unique<test::TempDir>("emoji-corpus");
        if (!fs::exists(node_modules() / "emoji-datasource")) return;
        auto entries = build_emoji_corpus(options(), stats_);
        for (auto& e : entries) {
            if ((e.id == "1f600" && (e.vendor == "apple" || e.vendor == "openmoji")) ||
                (e.id == "1f44b-1f3fb" && e.vendor == "google") ||
                (e.id == "2764-fe0f" && e.vendor == "twitter"))
                picked_.push_back(e);
            slim_.push_back({e.id, e.vendor, e.split, e.path});
        }
    }
    static void TearDownTestSuite() {
        slim_.clear();
        picked_.clear();
        dir_.reset();
    }
    void SetUp() override { ASSERT_FALSE(slim_.empty()) << "run scripts/install-deps.sh"; }
    static fs::path node_modules() { return test::source_dir() / "node_modules"; }
    static fs::path cache() { return *dir_ / "cache"; }
    static EmojiCorpusOptions options() {
        EmojiCorpusOptions o;
        o.node_modules = node_modules();
        o.cache = cache();
        return o;
    }
    static const Slim* find_slim(const std::string& id, const std::string& vendor) {
        for (const auto& e : slim_)
            if (e.id == id && e.vendor == vendor) return &e;
        return nullptr;
    }

    static std::unique_ptr<test::TempDir> dir_;
    static EmojiCorpusStats stats_;
    static std::vector<Slim> slim_;
    static std::vector<ManifestEntry> picked_;
};
std::unique_ptr<test::TempDir> EmojiCorpus::dir_;
EmojiCorpusStats EmojiCorpus::stats_;
std::vector<EmojiCorpus::Slim> EmojiCorpus::slim_;
std::vector<ManifestEntry> EmojiCorpus::picked_;

TEST_F(EmojiCorpus, BuildsSplitsAndMultilingualCaptions) {
    EXPECT_GT(stats_.identities, 3000u);
    EXPECT_GT(stats_.locales, 150u);
    std::set<std::string> val_vendors;
    for (const auto& e : slim_) {
        // Twitter is the test gallery, and only twitter.
        EXPECT_EQ(e.vendor == "twitter", e.split == Split::Test) << e.path;
        if (e.split == Split::Val) val_vendors.insert(e.vendor);
    }
    // Every training vendor, old and new, has validation images.
    std::set<std::string> training(kEmojiVendors.begin(), kEmojiVendors.end());
    training.erase(kEmojiTestVendor);
    for (const auto& s : default_emoji_styles()) training.insert(s);
    EXPECT_EQ(val_vendors, training);
    // A held-out identity holds out two of its drawings and is trained on the others: every
    // identity with training drawings is learned.
    std::map<std::string, std::map<Split, int>> per_id;
    for (const auto& e : slim_) per_id[e.id][e.split]++;
    std::size_t held_out = 0;
    for (const auto& [id, n] : per_id) {
        EXPECT_EQ(n.count(Split::Test) ? n.at(Split::Test) : 0, 1) << id;
        const int val = n.count(Split::Val) ? n.at(Split::Val) : 0;
        const int train = n.count(Split::Train) ? n.at(Split::Train) : 0;
        EXPECT_TRUE(val == 0 || val == static_cast<int>(kValDrawings)) << id;
        EXPECT_GE(train, val > 0 ? static_cast<int>(kMinTrainDrawings) : 1) << id;
        if (val > 0) held_out++;
    }
    // About val_fraction (0.2) of the identities.
    EXPECT_GT(held_out, per_id.size() / 7);
    EXPECT_LT(held_out, per_id.size() / 3);

    const auto* grin = find(picked_, "1f600", "apple");
    ASSERT_NE(grin, nullptr);
    EXPECT_EQ(grin->captions().at("en").front(), "grinning face");
    EXPECT_FALSE(grin->captions().at("fr").empty());
    EXPECT_FALSE(grin->keywords().at("de").empty());
    // The new styles carry the identity's captions too.
    const auto* open_grin = find(picked_, "1f600", "openmoji");
    ASSERT_NE(open_grin, nullptr);
    EXPECT_EQ(open_grin->captions(), grin->captions());
    EXPECT_EQ(open_grin->keywords(), grin->keywords());
    // ... as one text set in memory, not a copy per image.
    EXPECT_EQ(open_grin->texts.get(), grin->texts.get());
    // Skin tones come from the derived annotations.
    const auto* wave = find(picked_, "1f44b-1f3fb", "google");
    ASSERT_NE(wave, nullptr);
    EXPECT_NE(wave->captions().at("en").front().find("skin tone"), std::string::npos);
    EXPECT_NE(find_slim("1f44b-1f3fb", "fluent-flat"), nullptr);
    EXPECT_NE(find_slim("1f44b-1f3fb", "openmoji"), nullptr);
    // Emoji written with U+FE0F in emoji-datasource match CLDR keys without it.
    const auto* heart = find(picked_, "2764-fe0f", "twitter");
    ASSERT_NE(heart, nullptr);
    EXPECT_EQ(heart->captions().at("en").front(), "red heart");
    // ... and the styles' file names with or without it ("2764.svg", "2764-fe0f.webp").
    for (const char* v : {"openmoji", "fluent-3d", "fluent-flat", "noto-v1", "emojione"})
        EXPECT_NE(find_slim("2764-fe0f", v), nullptr) << v;
}

TEST_F(EmojiCorpus, NewStylesHavePlausibleCountsAndSquareImages) {
    // Lower bounds well under what the pinned packages hold (see docs/model-card.md).
    const std::map<std::string, std::size_t> at_least = {
        {"emojione", 2400},  {"openmoji", 3500},    {"openmoji-black", 3500},
        {"fluent-3d", 3000}, {"fluent-flat", 2800}, {"fluent-high-contrast", 1400},
        {"noto-v1", 1800},
    };
    ASSERT_EQ(at_least.size(), default_emoji_styles().size());
    for (const auto& [vendor, n] : at_least) {
        EXPECT_GE(stats_.images_per_vendor[vendor], n) << vendor;
        // Never more images than identities.
        EXPECT_LE(stats_.images_per_vendor[vendor], stats_.identities) << vendor;
    }
    EXPECT_EQ(stats_.failed, 0u);

    // Every image exists; a sample of each style decodes to 64x64 and is not blank.
    std::map<std::string, int> decoded;
    for (const auto& e : slim_) {
        ASSERT_TRUE(fs::is_regular_file(e.path)) << e.path;
        if (!at_least.count(e.vendor) || decoded[e.vendor] >= 25) continue;
        if (std::hash<std::string>{}(e.id) % 50 != 0) continue;
        DecodedImage img = read_image(e.path);
        EXPECT_EQ(img.width, kEmojiImageSize) << e.path;
        EXPECT_EQ(img.height, kEmojiImageSize) << e.path;
        cv::Scalar mean, stddev;
        cv::meanStdDev(img.rgb, mean, stddev);
        EXPECT_GT(stddev[0] + stddev[1] + stddev[2], 10.0) << "blank image " << e.path;
        decoded[e.vendor]++;
    }
    for (const auto& [vendor, n] : at_least) EXPECT_GE(decoded[vendor], 10) << vendor;
}

TEST_F(EmojiCorpus, SkinTonesOfEveryStyleAreInTheirOrder) {
    // @lobehub/fluent-emoji-3d draws medium-light as medium and the other way round in most of
    // its families: the corpus puts them back (src/corpus/tone_audit.h).
    EXPECT_GT(stats_.tone_families_exchanged["fluent-3d"], 200u);
    for (const auto& [vendor, n] : stats_.tone_families_exchanged)
        EXPECT_TRUE(vendor == "fluent-3d" || n == 0) << vendor << ": " << n;
    // A family out of order otherwise is rare, and left out.
    for (const auto& [vendor, n] : stats_.tone_families_dropped) EXPECT_LE(n, 3u) << vendor;
    const auto* medium_light = find_slim("1f44b-1f3fc", "fluent-3d");
    const auto* medium = find_slim("1f44b-1f3fd", "fluent-3d");
    ASSERT_NE(medium_light, nullptr);
    ASSERT_NE(medium, nullptr);
    EXPECT_EQ(medium_light->path.filename(), "1f44b-1f3fd.png");
    EXPECT_EQ(medium->path.filename(), "1f44b-1f3fc.png");
    // Twitter, the test gallery, is never audited or changed.
    EXPECT_EQ(stats_.tone_families_exchanged.count(kEmojiTestVendor), 0u);
    const auto* twitter = find_slim("1f44b-1f3fc", kEmojiTestVendor);
    ASSERT_NE(twitter, nullptr);
    EXPECT_EQ(twitter->path.filename(), "1f44b-1f3fc.png");
}

TEST_F(EmojiCorpus, NothingDerivedFromTwemojiTrainsOrValidates) {
    for (const auto& s : emoji_styles()) {
        EXPECT_NE(s.vendor, kEmojiTestVendor);
        EXPECT_EQ(s.package.find("twemoji"), std::string::npos) << s.package;
        EXPECT_EQ(s.package.find("twitter"), std::string::npos) << s.package;
    }
    std::set<std::string> known(kEmojiVendors.begin(), kEmojiVendors.end());
    for (const auto& s : default_emoji_styles()) known.insert(s);
    for (const auto& e : slim_) {
        EXPECT_TRUE(known.count(e.vendor)) << e.vendor;
        if (e.vendor == kEmojiTestVendor) continue;
        std::string p = e.path.string();
        EXPECT_EQ(p.find("twemoji"), std::string::npos) << p;
        EXPECT_EQ(p.find("twitter"), std::string::npos) << p;
    }
}

TEST_F(EmojiCorpus, ReusesTheRasterizedCache) {
    auto before = snapshot(cache());
    EXPECT_EQ(before.size(), stats_.rendered + stats_.reused);
    EXPECT_GT(before.size(), 15000u);

    EmojiCorpusStats second;
    build_emoji_corpus(options(), second);
    EXPECT_EQ(second.rendered, 0u);
    EXPECT_EQ(second.reused, before.size());
    EXPECT_EQ(snapshot(cache()), before) << "a warm run must write no PNG";

    // A lost file is rasterized again, and only that one.
    const auto* grin = find_slim("1f600", "fluent-flat");
    ASSERT_NE(grin, nullptr);
    fs::remove(grin->path);
    auto o = options();
    o.styles = {"fluent-flat"};
    EmojiCorpusStats third;
    build_emoji_corpus(o, third);
    EXPECT_EQ(third.rendered, 1u);
    EXPECT_TRUE(fs::is_regular_file(grin->path));
}

TEST_F(EmojiCorpus, CliWritesManifestAndFailsClearlyWithoutPackages) {
    test::TempDir dir("corpus-cli");
    const std::string nm = " --node-modules " + node_modules().string();
    auto bad = test::run_qiss("corpus emoji --out " + (dir / "c").string() + " --node-modules " +
                              (dir / "nowhere").string());
    EXPECT_NE(bad.exit_code, 0);
    EXPECT_NE(bad.output.find("install-deps"), std::string::npos) << bad.output;
    auto typo = test::run_qiss("corpus emoji --out " + (dir / "c").string() +
                               " --styles openmoji,twemoji" + nm);
    EXPECT_NE(typo.exit_code, 0);
    EXPECT_NE(typo.output.find("unknown drawing style 'twemoji'"), std::string::npos)
        << typo.output;

    // One extra style (the full set is checked above; its manifest is ~700 MB).
    auto ok = test::run_qiss("corpus emoji --styles fluent-high-contrast --out " +
                             (dir / "c").string() + " --cache " + cache().string() + nm);
    ASSERT_EQ(ok.exit_code, 0) << ok.output;
    EXPECT_NE(ok.output.find("0 rasterized"), std::string::npos) << ok.output;
    Manifest m = read_manifest(dir / "c" / "manifest.jsonl");
    EXPECT_TRUE(m.warnings.empty());
    std::map<std::string, std::size_t> per_vendor;
    for (const auto& e : m.entries) per_vendor[e.vendor]++;
    EXPECT_EQ(per_vendor.size(), 5u);
    EXPECT_EQ(per_vendor["fluent-high-contrast"], stats_.images_per_vendor["fluent-high-contrast"]);
    EXPECT_EQ(per_vendor["apple"], stats_.images_per_vendor["apple"]);
    // Filler words from stopwords-iso, cleaned: function words in, punctuation out.
    const FillerWords fillers = read_fillers(dir / "c" / kFillersFile);
    EXPECT_GT(fillers.size(), 50u);
    auto has = [&](const std::string& lang, const std::string& w) {
        auto it = fillers.find(lang);
        return it != fillers.end() && std::binary_search(it->second.begin(), it->second.end(), w);
    };
    EXPECT_TRUE(has("en", "my") && has("fr", "qui") && has("de", "der") && has("ja", "が"));
    EXPECT_FALSE(has("zh", "、") || has("ja", "。") || has("en", "10"));
    fs::remove_all(dir / "c");

    // Without the extra styles: the four emoji-datasource vendors only, no cache.
    auto plain = test::run_qiss("corpus emoji --styles none --out " + (dir / "p").string() + nm);
    ASSERT_EQ(plain.exit_code, 0) << plain.output;
    EXPECT_FALSE(fs::exists(dir / "p" / "cache"));
    std::ifstream in(dir / "p" / "manifest.jsonl");
    std::size_t lines = 0;
    for (std::string line; std::getline(in, line);) lines++;
    EXPECT_GT(lines, 14000u);
    EXPECT_LT(lines, 20000u);
}
