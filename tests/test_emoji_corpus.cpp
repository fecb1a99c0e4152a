// The emoji corpus from the real npm packages (installed by scripts/install-deps.sh).
#include <set>

#include <gtest/gtest.h>

#include "corpus/emoji_corpus.h"
#include "test_support.h"

using namespace qiss;

namespace {
const ManifestEntry* find(const std::vector<ManifestEntry>& v, const std::string& id,
                          const std::string& vendor) {
    for (const auto& e : v)
        if (e.id == id && e.vendor == vendor) return &e;
    return nullptr;
}
}  // namespace

TEST(EmojiCorpus, BuildsSplitsAndMultilingualCaptions) {
    auto nm = test::source_dir() / "node_modules";
    ASSERT_TRUE(std::filesystem::exists(nm / "emoji-datasource")) << "run scripts/install-deps.sh";
    EmojiCorpusOptions o;
    o.node_modules = nm;
    EmojiCorpusStats st;
    auto entries = build_emoji_corpus(o, st);
    EXPECT_GT(st.identities, 3000u);
    EXPECT_GT(st.locales, 150u);
    std::set<std::string> val_vendors;
    for (const auto& e : entries) {
        // Twitter is the test gallery, and only twitter.
        EXPECT_EQ(e.vendor == "twitter", e.split == Split::Test) << e.path;
        if (e.split == Split::Val) val_vendors.insert(e.vendor);
    }
    EXPECT_EQ(val_vendors, (std::set<std::string>{"apple", "facebook", "google"}));
    // A held-out identity is held out for every training vendor.
    for (const auto& e : entries) {
        if (e.split != Split::Val) continue;
        for (const char* v : {"apple", "google"}) {
            if (const auto* other = find(entries, e.id, v)) {
                EXPECT_EQ(other->split, Split::Val);
            }
        }
    }

    const auto* grin = find(entries, "1f600", "apple");
    ASSERT_NE(grin, nullptr);
    EXPECT_EQ(grin->captions.at("en").front(), "grinning face");
    EXPECT_FALSE(grin->captions.at("fr").empty());
    EXPECT_FALSE(grin->keywords.at("de").empty());
    // Skin tones come from the derived annotations.
    const auto* wave = find(entries, "1f44b-1f3fb", "google");
    ASSERT_NE(wave, nullptr);
    EXPECT_NE(wave->captions.at("en").front().find("skin tone"), std::string::npos);
    // Emoji written with U+FE0F in emoji-datasource match CLDR keys without it.
    const auto* heart = find(entries, "2764-fe0f", "twitter");
    ASSERT_NE(heart, nullptr);
    EXPECT_EQ(heart->captions.at("en").front(), "red heart");
}

TEST(EmojiCorpus, CliWritesManifestAndFailsClearlyWithoutPackages) {
    test::TempDir dir("corpus-cli");
    auto bad = test::run_qiss("corpus emoji --out " + (dir / "c").string() + " --node-modules " +
                              (dir / "nowhere").string());
    EXPECT_NE(bad.exit_code, 0);
    EXPECT_NE(bad.output.find("install-deps"), std::string::npos) << bad.output;
    auto ok = test::run_qiss("corpus emoji --out " + (dir / "c").string() + " --node-modules " +
                             (test::source_dir() / "node_modules").string());
    ASSERT_EQ(ok.exit_code, 0) << ok.output;
    Manifest m = read_manifest(dir / "c" / "manifest.jsonl");
    EXPECT_GT(m.entries.size(), 14000u);
    EXPECT_TRUE(m.warnings.empty());
}
