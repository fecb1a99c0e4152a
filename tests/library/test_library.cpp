// The public C++ API (include/qiss/qiss.h, libqiss.so) on a real collection indexed by the real
// binary with the tiny model: its answers are run_query's, its errors qiss::Exception.
#include <fstream>
#include <iterator>

#include <gtest/gtest.h>
#include <qiss/qiss.h>

#include "engine/query.h"
#include "image/image_io.h"
#include "model/model.h"
#include "test_support.h"

namespace fs = std::filesystem;

namespace {

/// Eight twitter emoji indexed once for the whole suite.
class Library : public ::testing::Test {
  protected:
    static void SetUpTestSuite() {
        dir_ = std::make_unique<qiss::test::TempDir>("library");
        images_ = qiss::test::copy_emoji(*dir_ / "images", 8, 40);
        auto r = qiss::test::run_qiss("index --data " + data().string() + " --model " +
                                      QISS_TEST_DATA + "/tiny.qiss " + (*dir_ / "images").string());
        ASSERT_EQ(r.exit_code, 0) << r.output;
    }
    static void TearDownTestSuite() { dir_.reset(); }
    static fs::path data() { return *dir_ / "data"; }

    /// What the engine answers to `query` (k = 5), through a collection of its own.
    static qiss::QueryResult engine_answer(qiss::Query query) {
        qiss::CollectionOptions options;
        options.read_only = true;
        auto collection = qiss::Collection::open(data(), options);
        query.k = 5;
        return qiss::run_query(*collection, query);
    }

    /// The library's results are the engine's hits, with the engine's calibrated relevance (the
    /// tiny model is calibrated, so every result has one).
    static void expect_same(const std::vector<qiss::Result>& results,
                            const qiss::QueryResult& answer) {
        const auto& hits = answer.hits;
        ASSERT_EQ(results.size(), hits.size());
        ASSERT_EQ(answer.relevance.size(), hits.size()) << "the tiny model is calibrated";
        for (std::size_t i = 0; i < hits.size(); ++i) {
            ASSERT_TRUE(results[i].relevance.has_value()) << i;
            EXPECT_FLOAT_EQ(*results[i].relevance, answer.relevance[i]) << i;
            EXPECT_GE(*results[i].relevance, 0.0f) << i;
            EXPECT_LE(*results[i].relevance, 1.0f) << i;
            EXPECT_EQ(results[i].id, hits[i].id) << i;
            EXPECT_FLOAT_EQ(results[i].score, hits[i].score) << i;
            EXPECT_EQ(results[i].source, hits[i].record.source) << i;
            EXPECT_EQ(results[i].width, hits[i].record.width) << i;
            EXPECT_EQ(results[i].height, hits[i].record.height) << i;
            EXPECT_EQ(results[i].caption, hits[i].record.caption) << i;
        }
    }

    /// The message of the qiss::Exception that `f` throws ("" if it throws none).
    template <typename F>
    static std::string exception_of(F&& f) {
        try {
            f();
        } catch (const qiss::Exception& e) {
            return e.what();
        }
        return "";
    }

    static std::unique_ptr<qiss::test::TempDir> dir_;
    static std::vector<fs::path> images_;
};

std::unique_ptr<qiss::test::TempDir> Library::dir_;
std::vector<fs::path> Library::images_;

// libqiss.so holds its own copy of the engine, whose registry of open stores the test's copy does
// not see: the tests never hold a Searcher and an engine Collection of the DATADIR at once (LMDB
// forbids opening an environment twice in one process).

TEST_F(Library, TextSearchAnswersWhatTheEngineAnswers) {
    qiss::Query q;
    q.text = "a red heart";
    const auto answer = engine_answer(q);

    auto searcher = qiss::Searcher::open(data());
    EXPECT_EQ(searcher->size(), 8u);
    auto results = searcher->search_text("a red heart", 5);
    ASSERT_EQ(results.size(), 5u);
    for (std::size_t i = 1; i < results.size(); ++i)
        EXPECT_GE(results[i - 1].score, results[i].score);
    expect_same(results, answer);
    EXPECT_EQ(searcher->search_text("a red heart").size(), 8u) << "default k is 20";
}

TEST_F(Library, ImageAndIdSearchesAnswerWhatTheEngineAnswers) {
    qiss::Query q;
    q.kind = qiss::Query::Kind::Image;
    q.image = qiss::read_image(images_[3]).rgb;
    const auto image_hits = engine_answer(q);
    ASSERT_FALSE(image_hits.hits.empty());
    const std::uint64_t id = image_hits.hits.front().id;
    q = {};
    q.kind = qiss::Query::Kind::Id;
    q.id = id;
    const auto id_hits = engine_answer(q);

    auto searcher = qiss::Searcher::open(data());
    expect_same(searcher->search_image_file(images_[3], 5), image_hits);
    std::ifstream in(images_[3], std::ios::binary);
    const std::string bytes(std::istreambuf_iterator<char>(in), {});
    expect_same(searcher->search_image_data(bytes.data(), bytes.size(), 5), image_hits);
    auto similar = searcher->similar(id, 5);
    for (const auto& r : similar) EXPECT_NE(r.id, id) << "an image is not similar to itself";
    expect_same(similar, id_hits);
}

TEST_F(Library, ResultsOfAModelWithoutCalibrationHaveNoRelevance) {
    qiss::Model plain = qiss::Model::load(fs::path(QISS_TEST_DATA) / "tiny.qiss");
    plain.set_calibration(std::nullopt);
    plain.save(*dir_ / "plain.qiss");
    const fs::path data = *dir_ / "plain-data";
    auto r =
        qiss::test::run_qiss("index --data " + data.string() + " --model " +
                             (*dir_ / "plain.qiss").string() + " " + (*dir_ / "images").string());
    ASSERT_EQ(r.exit_code, 0) << r.output;

    auto searcher = qiss::Searcher::open(data);
    const auto results = searcher->search_text("a red heart", 5);
    ASSERT_EQ(results.size(), 5u);
    for (const auto& result : results) EXPECT_FALSE(result.relevance.has_value()) << result.id;
    for (const auto& result : searcher->similar(results.front().id, 3))
        EXPECT_FALSE(result.relevance.has_value()) << result.id;
}

TEST_F(Library, ErrorsAreExceptionsWithTheEnginesMessage) {
    std::string engine_message;
    {
        qiss::CollectionOptions options;
        options.read_only = true;
        auto collection = qiss::Collection::open(data(), options);
        engine_message = qiss::test::error_of([&] { qiss::run_query(*collection, {}); });
    }
    ASSERT_NE(engine_message, "");

    EXPECT_NE(exception_of([] { qiss::Searcher::open(*dir_ / "missing"); }), "");
    qiss::Options writable;
    writable.read_only = false;
    EXPECT_NE(exception_of([&] { qiss::Searcher::open(data(), writable); }).find("read-only"),
              std::string::npos);

    auto searcher = qiss::Searcher::open(data());
    EXPECT_EQ(exception_of([&] { searcher->search_text(""); }), engine_message);
    EXPECT_NE(exception_of([&] { searcher->similar(999999); }).find("no image with id 999999"),
              std::string::npos);
    EXPECT_NE(exception_of([&] { searcher->search_text("cat", 0); }), "");
    EXPECT_NE(exception_of([&] { searcher->search_image_file(*dir_ / "missing.png"); }), "");
    const std::string not_an_image = "this is not an image";
    EXPECT_NE(exception_of(
                  [&] { searcher->search_image_data(not_an_image.data(), not_an_image.size()); }),
              "");
    EXPECT_NE(exception_of([&] { qiss::Searcher::open(data()); }).find("already open"),
              std::string::npos)
        << "a DATADIR is opened once per process";
}

TEST_F(Library, OptionsLimitTheQueries) {
    qiss::Options options;
    options.max_k = 3;
    options.max_text_bytes = 4;
    auto searcher = qiss::Searcher::open(data(), options);
    EXPECT_EQ(searcher->search_text("cat", 3).size(), 3u);
    EXPECT_NE(exception_of([&] { searcher->search_text("cat", 4); }), "");
    EXPECT_NE(exception_of([&] { searcher->search_text("a cat", 3); }), "");
}

}  // namespace
