// The corpus manifest: real files, good and bad lines.
#include <fstream>
#include <set>

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>

#include "common/error.h"
#include "corpus/manifest.h"
#include "ingest/source.h"
#include "test_support.h"

using namespace qiss;
namespace fs = std::filesystem;

TEST(Manifest, SkipsBadLinesWithWarningsAndKeepsGoodOnes) {
    test::TempDir dir("manifest");
    cv::imwrite((dir / "a.png").string(), cv::Mat(8, 8, CV_8UC3, cv::Scalar(0, 0, 255)));
    cv::imwrite((dir / "b.png").string(), cv::Mat(8, 8, CV_8UC3, cv::Scalar(0, 255, 0)));
    {
        std::ofstream m(dir / "manifest.jsonl");
        m << R"({"path": "a.png", "id": "red", "split": "train", "captions": {"en": ["a red square"], "fr": ["un carré rouge"]}, "keywords": {"en": ["red"]}})"
          << "\n";
        m << "{not json\n";
        m << R"({"path": "missing.png", "captions": {"en": ["gone"]}})"
          << "\n";
        m << R"({"path": "b.png", "captions": {"en": ["  "]}})"
          << "\n";
        m << R"({"path": "b.png", "split": "holdout"})"
          << "\n";
        m << "\n";
        m << R"({"path": "b.png", "split": "test", "captions": {"en": ["a green square"]}})"
          << "\n";
    }
    Manifest m = read_manifest(dir / "manifest.jsonl");
    ASSERT_EQ(m.entries.size(), 2u);
    EXPECT_EQ(m.entries[0].id, "red");
    EXPECT_EQ(m.entries[0].path, dir / "a.png");
    EXPECT_EQ(m.entries[0].captions().at("fr").front(), "un carré rouge");
    EXPECT_EQ(m.entries[0].keywords().at("en").front(), "red");
    EXPECT_EQ(m.entries[1].split, Split::Test);
    EXPECT_EQ(m.entries[1].id, "b.png");  // id defaults to the path
    ASSERT_EQ(m.warnings.size(), 4u);
    EXPECT_EQ(m.warnings[0].line, 2u);
    EXPECT_NE(m.warnings[0].message.find("JSON"), std::string::npos);
    EXPECT_NE(m.warnings[1].message.find("missing.png"), std::string::npos);
    EXPECT_NE(m.warnings[2].message.find("empty"), std::string::npos);
    EXPECT_NE(m.warnings[3].message.find("holdout"), std::string::npos);

    // Round trip: relative paths inside the folder, everything else preserved.
    write_manifest(dir / "copy.jsonl", m.entries);
    Manifest back = read_manifest(dir / "copy.jsonl");
    ASSERT_EQ(back.entries.size(), 2u);
    EXPECT_TRUE(back.warnings.empty());
    EXPECT_EQ(back.entries[0].path, m.entries[0].path);
    EXPECT_EQ(back.entries[0].captions(), m.entries[0].captions());
    EXPECT_EQ(back.entries[1].split, Split::Test);
    EXPECT_THROW(read_manifest(dir / "nope.jsonl"), Error);
}

namespace {

/// Writes `lines` to dir/name and returns its path.
fs::path write_lines(const test::TempDir& dir, const std::string& name,
                     const std::vector<std::string>& lines) {
    std::ofstream m(dir / name);
    for (const auto& l : lines) m << l << "\n";
    return dir / name;
}

void write_pngs(const test::TempDir& dir, std::initializer_list<const char*> names) {
    for (const char* n : names)
        cv::imwrite((dir / n).string(), cv::Mat(8, 8, CV_8UC3, cv::Scalar(0, 0, 255)));
}

const ManifestEntry& by_path(const Manifest& m, const fs::path& p) {
    auto it = std::find_if(m.entries.begin(), m.entries.end(),
                           [&](const ManifestEntry& e) { return e.path == p; });
    EXPECT_NE(it, m.entries.end()) << p;
    return *it;
}

}  // namespace

// Identity lines (before or after their images) give their texts to the image lines of their id
// that have none of their own, as one shared text set; bad identity lines are skipped.
TEST(Manifest, IdentityLinesGiveTheirTextsToImagesOfTheirId) {
    test::TempDir dir("manifest-identity");
    write_pngs(dir, {"a1.png", "a2.png", "b1.png", "b2.png", "own.png", "none.png", "c1.png"});
    auto file = write_lines(
        dir, "manifest.jsonl",
        {
            R"({"identity": "a", "captions": {"en": ["apple"], "fr": ["pomme"]}, "keywords": {"en": ["fruit"]}})",
            R"({"path": "a1.png", "id": "a", "vendor": "x"})",
            R"({"path": "a2.png", "id": "a", "vendor": "y", "split": "test"})",
            R"({"path": "own.png", "id": "a", "captions": {"en": ["my own apple"]}})",
            R"({"path": "none.png", "id": "a", "captions": {}})",
            R"({"path": "b1.png", "id": "b"})",
            R"({"path": "b2.png", "id": "b", "split": "val"})",
            R"({"path": "c1.png", "id": "c"})",
            R"({"identity": "b", "captions": {"en": ["banana"]}})",
            R"({"identity": "a", "captions": {"en": ["second apple"]}})",
            R"({"identity": "c", "captions": {"en": ["  "]}})",
            R"({"identity": "", "captions": {"en": ["nobody"]}})",
            R"({"identity": 7, "captions": {"en": ["seven"]}})",
            R"({"identity": "c", "captions": ["not", "an", "object"]})",
            R"({"identity": "c"})",
            R"({"identity": "nobody-here", "captions": {"en": ["unused"]}})",
        });
    Manifest m = read_manifest(file);
    ASSERT_EQ(m.entries.size(), 7u);
    const auto& a1 = by_path(m, dir / "a1.png");
    const auto& a2 = by_path(m, dir / "a2.png");
    EXPECT_EQ(a1.captions().at("en"), std::vector<std::string>{"apple"});
    EXPECT_EQ(a1.captions().at("fr"), std::vector<std::string>{"pomme"});
    EXPECT_EQ(a1.keywords().at("en"), std::vector<std::string>{"fruit"});
    EXPECT_EQ(a2.split, Split::Test);
    EXPECT_EQ(a2.vendor, "y");
    EXPECT_EQ(a2.texts.get(), a1.texts.get());  // shared, not copied
    // Own texts win; an explicit empty `captions` keeps the image without texts.
    EXPECT_EQ(by_path(m, dir / "own.png").captions().at("en").front(), "my own apple");
    EXPECT_TRUE(by_path(m, dir / "own.png").keywords().empty());
    EXPECT_EQ(by_path(m, dir / "none.png").texts, nullptr);
    EXPECT_TRUE(by_path(m, dir / "none.png").captions().empty());
    // An identity line after its images works as well as one before them.
    EXPECT_EQ(by_path(m, dir / "b1.png").captions().at("en").front(), "banana");
    EXPECT_EQ(by_path(m, dir / "b2.png").texts.get(), by_path(m, dir / "b1.png").texts.get());
    // c's identity lines are all bad: its image loads without texts.
    EXPECT_TRUE(by_path(m, dir / "c1.png").captions().empty());

    std::vector<std::size_t> lines;
    for (const auto& w : m.warnings) lines.push_back(w.line);
    EXPECT_EQ(lines, (std::vector<std::size_t>{10, 11, 12, 13, 14, 15}));
    ASSERT_EQ(m.warnings.size(), 6u);
    EXPECT_NE(m.warnings[0].message.find(file.string() + ":10"), std::string::npos);
    EXPECT_NE(m.warnings[0].message.find("second identity line"), std::string::npos);
    EXPECT_NE(m.warnings[1].message.find("empty"), std::string::npos);
    EXPECT_NE(m.warnings[2].message.find("identity"), std::string::npos);
    EXPECT_NE(m.warnings[3].message.find("identity"), std::string::npos);
    EXPECT_NE(m.warnings[4].message.find("object"), std::string::npos);
    EXPECT_NE(m.warnings[5].message.find("captions"), std::string::npos);
}

// write_manifest stores texts shared by several images of one id once, on an identity line, and
// reads back the same texts for every entry; texts of one image stay inline.
TEST(Manifest, WriteStoresSharedTextsOnceAndReadsThemBack) {
    test::TempDir dir("manifest-write");
    write_pngs(dir, {"r1.png", "r2.png", "r3.png", "r4.png", "r5.png", "g.png", "n.png"});
    auto red = std::make_shared<EntryTexts>();
    red->captions = {{"en", {"red"}}, {"de", {"rot"}}};
    red->keywords = {{"en", {"colour", "warm"}}};
    auto other_red = std::make_shared<EntryTexts>();
    other_red->captions = {{"en", {"crimson"}}};
    auto green = std::make_shared<EntryTexts>();
    green->keywords = {{"en", {"green"}}};
    auto entry = [&](const std::string& file, const std::string& id,
                     std::shared_ptr<const EntryTexts> t) {
        return ManifestEntry{dir / file, id, std::string("v"), Split::Train, std::move(t)};
    };
    std::vector<ManifestEntry> entries = {
        entry("r1.png", "red", red),
        entry("g.png", "green", green),
        entry("r2.png", "red", red),
        entry("r3.png", "red", std::make_shared<EntryTexts>(*red)),  // equal, not the same
        entry("r4.png", "red", other_red),
        entry("r5.png", "red", nullptr),
        entry("n.png", "none", nullptr),
    };
    write_manifest(dir / "out.jsonl", entries);

    std::ifstream in(dir / "out.jsonl");
    std::vector<nlohmann::json> lines;
    for (std::string l; std::getline(in, l);) lines.push_back(nlohmann::json::parse(l));
    ASSERT_EQ(lines.size(), entries.size() + 1);
    EXPECT_EQ(lines[0], nlohmann::json::parse(
                            R"({"identity": "red", "captions": {"de": ["rot"], "en": ["red"]},
                                "keywords": {"en": ["colour", "warm"]}})"));
    std::set<std::string> identity_lines;
    std::size_t inline_texts = 0;
    for (const auto& j : lines) {
        if (j.contains("identity")) {
            EXPECT_TRUE(identity_lines.insert(j["identity"]).second);
        }
        if (j.contains("path") && j.contains("captions") && !j["captions"].empty()) ++inline_texts;
        if (j.contains("path") && j.contains("keywords")) ++inline_texts;
    }
    EXPECT_EQ(identity_lines, std::set<std::string>{"red"});
    EXPECT_EQ(inline_texts, 2u);  // crimson, green

    Manifest back = read_manifest(dir / "out.jsonl");
    EXPECT_TRUE(back.warnings.empty());
    ASSERT_EQ(back.entries.size(), entries.size());
    for (std::size_t i = 0; i < entries.size(); ++i) {
        EXPECT_EQ(back.entries[i].path, entries[i].path);
        EXPECT_EQ(back.entries[i].id, entries[i].id);
        EXPECT_EQ(back.entries[i].captions(), entries[i].captions()) << i;
        EXPECT_EQ(back.entries[i].keywords(), entries[i].keywords()) << i;
    }
    EXPECT_EQ(back.entries[2].texts.get(), back.entries[0].texts.get());
    EXPECT_EQ(back.entries[3].texts.get(), back.entries[0].texts.get());
}

// An old manifest (texts repeated on every image line) reads as before; the equal texts of one id
// are shared in memory.
TEST(Manifest, OldFormatRepeatedTextsReadAsBeforeAndAreShared) {
    test::TempDir dir("manifest-old");
    write_pngs(dir, {"a.png", "b.png", "c.png"});
    const std::string texts =
        R"("captions": {"en": ["grinning face"], "ja": ["にっこり笑う"]}, "keywords": {"en": ["face", "grin"]})";
    auto file = write_lines(dir, "manifest.jsonl",
                            {R"({"path": "a.png", "id": "1f600", )" + texts + "}",
                             R"({"path": "b.png", "id": "1f600", "split": "test", )" + texts + "}",
                             R"({"path": "c.png", "id": "1f600", "captions": {"en": ["other"]}})"});
    Manifest m = read_manifest(file);
    EXPECT_TRUE(m.warnings.empty());
    ASSERT_EQ(m.entries.size(), 3u);
    const TextsByLocale captions = {{"en", {"grinning face"}}, {"ja", {"にっこり笑う"}}};
    EXPECT_EQ(m.entries[0].captions(), captions);
    EXPECT_EQ(m.entries[1].captions(), captions);
    EXPECT_EQ(m.entries[1].keywords(), (TextsByLocale{{"en", {"face", "grin"}}}));
    EXPECT_EQ(m.entries[1].texts.get(), m.entries[0].texts.get());
    EXPECT_EQ(m.entries[2].captions(), (TextsByLocale{{"en", {"other"}}}));
    EXPECT_TRUE(m.entries[2].keywords().empty());
}

// `qiss index` sources: an image line without texts takes the caption of its identity line (its
// English one, else its first); an image line with texts of its own keeps its own.
TEST(IngestSources, ImageLinesTakeTheCaptionOfTheirIdentityLine) {
    test::TempDir dir("sources-identity");
    auto file = write_lines(
        dir, "manifest.jsonl",
        {
            R"({"identity": "1f600", "captions": {"de": ["grinsendes Gesicht"], "en": ["grinning face"]}, "keywords": {"en": ["grin"]}})",
            R"({"path": "apple.png", "id": "1f600", "vendor": "apple"})",
            R"({"path": "own.png", "id": "1f600", "caption": "my own"})",
            R"({"path": "kw.png", "id": "1f600", "keywords": {"en": ["k"]}})",
            R"({"path": "heart.png", "id": "2764"})",
            R"({"path": "stray.png", "id": "ffff"})",
            R"({"identity": "2764", "captions": {"fr": ["cœur rouge"], "de": ["rotes Herz"]}})",
            R"({"identity": "2764", "captions": {"en": ["second"]}})",
            R"({"identity": 5, "captions": {"en": ["five"]}})",
        });
    std::vector<SourceProblem> problems;
    const auto items = expand_sources({file.string()}, problems);
    ASSERT_EQ(items.size(), 5u);
    EXPECT_EQ(items[0].source, (dir.path() / "apple.png").string());
    EXPECT_EQ(items[0].caption, "grinning face");
    EXPECT_EQ(items[0].metadata, nlohmann::json({{"id", "1f600"}, {"vendor", "apple"}}));
    EXPECT_EQ(items[1].caption, "my own");
    EXPECT_EQ(items[2].caption, "");
    EXPECT_EQ(items[3].caption, "rotes Herz");  // no English: the first locale's
    EXPECT_EQ(items[4].caption, "");
    ASSERT_EQ(problems.size(), 2u);
    std::set<std::string> where = {problems[0].source, problems[1].source};
    EXPECT_EQ(where, (std::set<std::string>{file.string() + ":8", file.string() + ":9"}));
}

// `qiss index` sources: a manifest long enough to be parsed in several parts keeps the file's
// order, the free fields (not the keywords) and the line numbers of its problems.
TEST(IngestSources, LongManifestKeepsOrderFieldsAndProblemLines) {
    test::TempDir dir("sources");
    constexpr int kLines = 2000;
    {
        std::ofstream m(dir / "manifest.jsonl");
        for (int i = 1; i <= kLines; ++i) {
            if (i == 700) {
                m << "{not json\n";
            } else if (i == 1500) {
                m << R"({"caption": "no path"})"
                  << "\n";
            } else if (i == 1800) {
                m << "   \n";
            } else {
                m << R"({"path": "img/)" << i << R"(.png", "id": )" << i
                  << R"(, "captions": {"de": ["Bild )" << i << R"("], "en": ["image )" << i
                  << R"("]}, "keywords": {"en": ["k"]}})"
                  << "\n";
            }
        }
    }
    std::vector<SourceProblem> problems;
    const auto items = expand_sources({(dir / "manifest.jsonl").string()}, problems);
    ASSERT_EQ(items.size(), static_cast<std::size_t>(kLines - 3));
    ASSERT_EQ(problems.size(), 2u);
    EXPECT_EQ(problems[0].source, (dir / "manifest.jsonl").string() + ":700");
    EXPECT_EQ(problems[1].source, (dir / "manifest.jsonl").string() + ":1500");
    int expected = 1;
    for (const auto& item : items) {
        while (expected == 700 || expected == 1500 || expected == 1800) ++expected;
        EXPECT_EQ(
            item.source,
            (dir.path() / "img" / (std::to_string(expected) + ".png")).lexically_normal().string());
        EXPECT_EQ(item.caption, "image " + std::to_string(expected));
        EXPECT_EQ(item.metadata, nlohmann::json({{"id", expected}}));
        ++expected;
    }
}
