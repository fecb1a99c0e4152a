// The corpus manifest: real files, good and bad lines.
#include <fstream>

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>

#include "common/error.h"
#include "corpus/manifest.h"
#include "ingest/source.h"
#include "test_support.h"

using namespace qiss;

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
    EXPECT_EQ(m.entries[0].captions.at("fr").front(), "un carré rouge");
    EXPECT_EQ(m.entries[0].keywords.at("en").front(), "red");
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
    EXPECT_EQ(back.entries[0].captions, m.entries[0].captions);
    EXPECT_EQ(back.entries[1].split, Split::Test);
    EXPECT_THROW(read_manifest(dir / "nope.jsonl"), Error);
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
