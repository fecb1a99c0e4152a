// Damaged collection files through the real binary: a truncated LMDB data file, an unreadable
// index file of each kind, an index file of another collection, a lost store, a JPEG scan bomb.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

#include "common/file_util.h"
#include "test_support.h"

namespace fs = std::filesystem;
using namespace qiss;

namespace {

std::string tiny_model() {
    return std::string(QISS_TEST_DATA) + "/tiny.qiss";
}

test::RunResult run(const std::string& args) {
    return test::run_qiss(args);
}

/// `qiss index` of `sources` into `data` with the tiny model; expects success.
void index(const fs::path& data, const fs::path& sources) {
    auto r =
        run("index --data " + data.string() + " --model " + tiny_model() + " " + sources.string());
    ASSERT_EQ(r.exit_code, 0) << r.output;
}

/// The JSON line of `qiss info --json` (stdout) and its whole output (with stderr).
struct Info {
    nlohmann::json json;
    std::string output;
    int exit_code = -1;
};

Info info(const fs::path& data) {
    Info i;
    auto r = run("info --json --data " + data.string());
    i.output = r.output;
    i.exit_code = r.exit_code;
    const auto at = r.output.find("{\"");
    if (r.exit_code == 0 && at != std::string::npos)
        i.json = nlohmann::json::parse(r.output.substr(at, r.output.find('\n', at) - at));
    return i;
}

std::vector<fs::path> set_aside_files(const fs::path& data) {
    std::vector<fs::path> out;
    for (const auto& e : fs::directory_iterator(data))
        if (e.path().filename().string().starts_with("index.qiss-index.bad-"))
            out.push_back(e.path());
    return out;
}

class DamagedFiles : public ::testing::Test {
  protected:
    void SetUp() override {
        good_ = test::copy_emoji(dir_ / "in", 12);
        data_ = dir_ / "data";
        index(data_, dir_ / "in");
    }
    /// A fresh copy of the collection built in SetUp.
    fs::path copy(const std::string& name) {
        fs::path to = dir_ / name;
        fs::copy(data_, to, fs::copy_options::recursive);
        return to;
    }
    test::TempDir dir_{"damaged"};
    std::vector<fs::path> good_;
    fs::path data_;
};

TEST_F(DamagedFiles, TruncatedStoreIsAClearErrorNotACrash) {
    for (const std::string how : {"half", "one-page"}) {
        fs::path data = copy("trunc-" + how);
        const fs::path mdb = data / "store" / "data.mdb";
        const auto size = fs::file_size(mdb);
        fs::resize_file(mdb, how == "half" ? size / 2 : 4096);
        for (const std::string& args :
             {"info --data " + data.string(), "search --text cat --data " + data.string(),
              "index --data " + data.string() + " " + (dir_ / "in").string(),
              "rm --data " + data.string() + " 1"}) {
            auto r = run(args);
            EXPECT_EQ(r.exit_code, 1) << how << ": " << args << "\n" << r.output;
            EXPECT_NE(r.output.find(mdb.string() + " is truncated"), std::string::npos)
                << how << ": " << args << "\n"
                << r.output;
            EXPECT_NE(r.output.find("restore the store folder from a backup"), std::string::npos)
                << r.output;
        }
    }
}

TEST_F(DamagedFiles, UnreadableIndexIsRebuiltFromTheStore) {
    const std::string good = read_file_bytes(data_ / "index.qiss-index");
    struct Damage {
        std::string name, bytes, reason;
    };
    std::string flipped = good, newer = good;
    flipped[good.size() / 2] ^= 0x40;
    newer[8] = 99;
    const std::vector<Damage> damages = {
        {"truncated", good.substr(0, good.size() / 3), "truncated index file"},
        {"crc", flipped, "CRC mismatch"},
        {"version", newer, "format version 99"},
        {"garbage", std::string(5000, 'Z'), "not a qiss index file"},
        {"empty", "", "not a qiss index file"}};
    for (const auto& d : damages) {
        fs::path data = copy("index-" + d.name);
        const fs::path file = data / "index.qiss-index";
        write_file_atomic(file, d.bytes);
        // Read-only commands rebuild in memory and leave the file alone.
        Info i = info(data);
        ASSERT_EQ(i.exit_code, 0) << d.name << "\n" << i.output;
        EXPECT_EQ(i.json["images"], 12) << d.name;
        EXPECT_EQ(i.json["index_vectors"], 12) << d.name;
        EXPECT_NE(i.output.find(d.reason), std::string::npos) << d.name << "\n" << i.output;
        EXPECT_NE(i.output.find("rebuilding the index in memory"), std::string::npos)
            << d.name << "\n"
            << i.output;
        EXPECT_EQ(read_file_bytes(file), d.bytes) << d.name;
        auto s =
            run("search --json -k 1 --data " + data.string() + " --image " + good_[5].string());
        ASSERT_EQ(s.exit_code, 0) << d.name << "\n" << s.output;
        EXPECT_NE(s.output.find(fs::absolute(good_[5]).string()), std::string::npos) << s.output;
        // A command with write access moves the file aside and writes a good one.
        auto r = run("index --data " + data.string() + " " + (dir_ / "in").string());
        ASSERT_EQ(r.exit_code, 0) << d.name << "\n" << r.output;
        EXPECT_NE(r.output.find("added 0, duplicates 12"), std::string::npos) << r.output;
        EXPECT_NE(r.output.find("moved it to " + file.string() + ".bad-"), std::string::npos)
            << d.name << "\n"
            << r.output;
        auto aside = set_aside_files(data);
        ASSERT_EQ(aside.size(), 1u) << d.name;
        EXPECT_EQ(read_file_bytes(aside[0]), d.bytes) << d.name;
        Info after = info(data);
        EXPECT_EQ(after.json["index_vectors"], 12) << d.name;
        EXPECT_EQ(after.output.find("warning"), std::string::npos) << d.name << after.output;
    }
    // `qiss rm` too: it opens the collection with write access.
    fs::path data = copy("index-rm");
    write_file_atomic(data / "index.qiss-index", good.substr(0, 100));
    auto r = run("rm --data " + data.string() + " 3");
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find("removed 1; the collection has 11 images"), std::string::npos)
        << r.output;
    EXPECT_EQ(info(data).json["index_vectors"], 11);
}

TEST_F(DamagedFiles, IndexOfAnotherCollectionIsRebuilt) {
    // Collection B: other emoji, more of them.
    auto other = test::copy_emoji(dir_ / "in-b", 20, 100);
    fs::path b = dir_ / "data-b";
    index(b, dir_ / "in-b");
    fs::copy_file(data_ / "index.qiss-index", b / "index.qiss-index",
                  fs::copy_options::overwrite_existing);
    Info i = info(b);
    ASSERT_EQ(i.exit_code, 0) << i.output;
    EXPECT_EQ(i.json["images"], 20);
    EXPECT_EQ(i.json["index_vectors"], 20) << i.output;
    EXPECT_NE(i.output.find("was built from another image store"), std::string::npos) << i.output;
    // Neighbours come from B's own vectors: an image of B finds itself first.
    for (std::size_t k : {0u, 7u, 19u}) {
        auto s = run("search --json -k 1 --data " + b.string() + " --image " + other[k].string());
        ASSERT_EQ(s.exit_code, 0) << s.output;
        EXPECT_NE(s.output.find(fs::absolute(other[k]).string()), std::string::npos) << s.output;
    }
    auto r = run("index --data " + b.string() + " " + (dir_ / "in-b").string());
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_EQ(set_aside_files(b).size(), 1u) << r.output;
    Info after = info(b);
    EXPECT_EQ(after.json["index_vectors"], 20);
    EXPECT_EQ(after.output.find("warning"), std::string::npos) << after.output;
}

TEST_F(DamagedFiles, LostStoreIsReindexedFromScratch) {
    fs::path data = copy("lost");
    fs::remove(data / "store" / "data.mdb");
    fs::remove(data / "store" / "lock.mdb");
    // Fewer images than before: the old index reflects more log entries than the new store.
    fs::path some = dir_ / "some";
    fs::create_directories(some);
    for (std::size_t k = 0; k < 4; ++k) fs::copy_file(good_[k], some / good_[k].filename());
    auto r = run("index --data " + data.string() + " " + some.string());
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_EQ(r.output.find("already in the index"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("added 4, duplicates 0"), std::string::npos) << r.output;
    Info i = info(data);
    EXPECT_EQ(i.json["images"], 4);
    EXPECT_EQ(i.json["index_vectors"], 4);
    // Then all of them: ids continue in the new store, the index agrees.
    r = run("index --data " + data.string() + " " + (dir_ / "in").string());
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find("added 8, duplicates 4"), std::string::npos) << r.output;
    i = info(data);
    EXPECT_EQ(i.json["images"], 12);
    EXPECT_EQ(i.json["index_vectors"], 12);
}

TEST_F(DamagedFiles, JpegScanBombIsSkippedByIndex) {
    std::vector<std::uint8_t> jpeg;
    cv::Mat img(48, 64, CV_8UC3, cv::Scalar(30, 120, 200));
    ASSERT_TRUE(cv::imencode(".jpg", img, jpeg, {cv::IMWRITE_JPEG_PROGRESSIVE, 1}));
    const std::vector<std::uint8_t> scan = {0xFF, 0xDA, 0x00, 0x08, 0x01,
                                            0x01, 0x00, 0x01, 0x01, 0x00};
    std::vector<std::uint8_t> bomb(jpeg.begin(), jpeg.end() - 2);
    for (int i = 0; i < 5000; ++i) bomb.insert(bomb.end(), scan.begin(), scan.end());
    bomb.push_back(0xFF);
    bomb.push_back(0xD9);
    fs::create_directories(dir_ / "bombs");
    std::ofstream(dir_ / "bombs" / "bomb.jpg", std::ios::binary)
        .write(reinterpret_cast<const char*>(bomb.data()),
               static_cast<std::streamsize>(bomb.size()));
    std::ofstream(dir_ / "bombs" / "fine.jpg", std::ios::binary)
        .write(reinterpret_cast<const char*>(jpeg.data()),
               static_cast<std::streamsize>(jpeg.size()));
    auto r = run("index --data " + data_.string() + " " + (dir_ / "bombs").string());
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find("added 1, duplicates 0, skipped 1"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("exceeds the limit of 100 scans"), std::string::npos) << r.output;
    // The fine one is a duplicate now (found by its hash before decoding); the bomb is refused.
    r = run("index --max-jpeg-scans 2 --data " + data_.string() + " " + (dir_ / "bombs").string());
    EXPECT_NE(r.output.find("added 0, duplicates 1, skipped 1"), std::string::npos) << r.output;
    // A limit below an ordinary progressive JPEG's scans refuses it too.
    fs::remove(dir_ / "bombs" / "bomb.jpg");
    r = run("index --max-jpeg-scans 2 --data " + (dir_ / "strict").string() + " --model " +
            tiny_model() + " " + (dir_ / "bombs").string());
    EXPECT_NE(r.output.find("added 0, duplicates 0, skipped 1"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("exceeds the limit of 2 scans"), std::string::npos) << r.output;
}

}  // namespace
