// A short crash loop (bench/crash/crash_loop.sh runs the long one): `qiss index` killed with
// SIGKILL at random moments of one ingest, restarted each time (from scratch once it has
// finished); after each kill the store, the vector index and the keyword index agree without
// repair, committed images are still there and stored ids can be searched, by vector and by
// the words of their file name; at the end every input file is stored once.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "test_support.h"

namespace fs = std::filesystem;
using namespace qiss;

namespace {

constexpr int kTrials = 10;
constexpr std::size_t kImages = 1200;

/// The JSON line of a command's output (stderr may precede or follow it).
nlohmann::json json_of(const std::string& output) {
    const auto at = output.find("{\"");
    if (at == std::string::npos) return {};
    return nlohmann::json::parse(output.substr(at, output.find('\n', at) - at));
}

TEST(CrashLoop, KilledIngestsLeaveStoreAndIndexAgreeing) {
    test::TempDir dir("crash-loop");
    const fs::path src =
        test::source_dir() / "node_modules/emoji-datasource-twitter/img/twitter/64";
    std::vector<fs::path> all;
    for (const auto& e : fs::directory_iterator(src)) all.push_back(e.path());
    std::sort(all.begin(), all.end());
    fs::create_directories(dir / "in");
    std::set<std::string> distinct;
    for (std::size_t i = 0; i < kImages && i < all.size(); ++i) {
        fs::copy_file(all[i], dir / "in" / all[i].filename());
        std::ifstream in(all[i], std::ios::binary);
        distinct.insert(std::string(std::istreambuf_iterator<char>(in), {}));
    }
    const fs::path data = dir / "data";
    const std::string index_args = "index --batch 16 --data " + data.string() + " --model " +
                                   std::string(QISS_TEST_DATA) + "/tiny.qiss " +
                                   (dir / "in").string();
    // The kill window starts when qiss has started (opened a collection with its model, timed
    // on an empty folder) and spans 2.2 s of ingest, longer when startup shows a slower build
    // (sanitizers) or machine than the ~0.4 s of a Release build.
    fs::create_directories(dir / "empty");
    const auto t0 = std::chrono::steady_clock::now();
    test::run_qiss("index --data " + (dir / "startup").string() + " --model " +
                   std::string(QISS_TEST_DATA) + "/tiny.qiss " + (dir / "empty").string());
    const int startup_ms = static_cast<int>(
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
            .count());
    const int span_ms = 2200 * std::max(1, startup_ms / 400);
    std::mt19937 rng(12);
    std::uniform_int_distribution<int> delay_ms(startup_ms * 3 / 4, startup_ms * 3 / 4 + span_ms);
    std::size_t last = 0;
    int grew = 0;
    for (int trial = 0; trial < kTrials; ++trial) {
        const pid_t pid = ::fork();
        ASSERT_GE(pid, 0);
        if (pid == 0) {
            const std::string sh =
                "exec " + std::string(QISS_BINARY) + " " + index_args + " >/dev/null 2>&1";
            ::execl("/bin/sh", "sh", "-c", sh.c_str(), static_cast<char*>(nullptr));
            ::_exit(127);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms(rng)));
        ::kill(pid, SIGKILL);
        int status = 0;
        ::waitpid(pid, &status, 0);
        if (!fs::exists(data / "store" / "data.mdb")) continue;  // killed while starting

        auto info = test::run_qiss("info --json --data " + data.string());
        ASSERT_EQ(info.exit_code, 0) << "trial " << trial << "\n" << info.output;
        EXPECT_EQ(info.output.find("warning"), std::string::npos)
            << "trial " << trial << ": the index needed repair\n"
            << info.output;
        const auto j = json_of(info.output);
        const std::size_t images = j["images"];
        EXPECT_EQ(j["index_vectors"], images) << "trial " << trial;
        EXPECT_EQ(j["keyword_images"], images) << "trial " << trial;
        EXPECT_GE(images, last) << "trial " << trial << ": committed images were lost";
        grew += images > last;
        last = images;
        if (images == distinct.size()) {  // finished before the kill: start again
            fs::remove_all(data);
            last = 0;
            continue;
        }
        if (images == 0) continue;
        auto found = test::run_qiss("search --json -k 20 --text cat --data " + data.string(),
                                    /*with_stderr=*/false);
        ASSERT_EQ(found.exit_code, 0) << found.output;
        const auto results = json_of(found.output)["results"];
        ASSERT_FALSE(results.empty());
        const std::uint64_t id = results[trial % results.size()]["id"];
        auto similar = test::run_qiss("search --json -k 3 --data " + data.string() + " --id " +
                                      std::to_string(id));
        EXPECT_EQ(similar.exit_code, 0) << "trial " << trial << ", id " << id << "\n"
                                        << similar.output;
        // The keyword side finds the same image by its file name ("1f600-1f3fb.png").
        const std::string name =
            fs::path(results[trial % results.size()]["source"].get<std::string>()).stem().string();
        auto words = test::run_qiss(
            "search --json -k 1 --mode keyword --data " + data.string() + " --text " + name,
            /*with_stderr=*/false);
        ASSERT_EQ(words.exit_code, 0) << words.output;
        const auto by_name = json_of(words.output)["results"];
        ASSERT_EQ(by_name.size(), 1u) << "trial " << trial << ": " << name;
        EXPECT_EQ(by_name[0]["id"], id) << "trial " << trial << ": " << name;
    }
    EXPECT_GE(grew, 2) << "the kills never came while images were being added";

    auto r = test::run_qiss(index_args);
    ASSERT_EQ(r.exit_code, 0) << r.output;
    auto j = json_of(test::run_qiss("info --json --data " + data.string()).output);
    EXPECT_EQ(j["images"], distinct.size());
    EXPECT_EQ(j["index_vectors"], distinct.size());
    EXPECT_EQ(j["keyword_images"], distinct.size());
    // Every file is stored: a second run finds each one's content hash.
    r = test::run_qiss(index_args);
    EXPECT_NE(r.output.find("added 0, duplicates " + std::to_string(kImages) + ","),
              std::string::npos)
        << r.output;
}

}  // namespace
