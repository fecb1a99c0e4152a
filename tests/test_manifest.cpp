// The corpus manifest: real files, good and bad lines.
#include <fstream>

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>

#include "common/error.h"
#include "corpus/manifest.h"
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
