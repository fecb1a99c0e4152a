// `qiss index`, `qiss search`, `qiss rm`, `qiss info` end to end: the real binary, a real LMDB
// store and FAISS index, the tiny model of the fixture, emoji PNGs and bad files made here.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <regex>
#include <set>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "test_support.h"

namespace fs = std::filesystem;
using namespace qiss;

namespace {

std::string tiny_model() {
    return std::string(QISS_TEST_DATA) + "/tiny.qiss";
}

/// Bad files of every kind the issue names.
void write_bad_files(const fs::path& dir, const fs::path& a_good_png) {
    fs::create_directories(dir);
    std::ofstream(dir / "empty.jpg", std::ios::binary);
    std::ofstream(dir / "notes.jpg") << "this is a text file, not a JPEG\n";
    // A JPEG cut in half: encode one by hand is not needed, cut the PNG and a real JPEG header.
    std::string png;
    {
        std::ifstream in(a_good_png, std::ios::binary);
        png.assign(std::istreambuf_iterator<char>(in), {});
    }
    std::ofstream(dir / "truncated.png", std::ios::binary) << png.substr(0, png.size() / 2);
    std::string jpeg = "\xFF\xD8\xFF\xE0";
    jpeg += std::string("\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00", 16);
    std::ofstream(dir / "truncated.jpg", std::ios::binary) << jpeg;
    // A PNG whose header declares 100000 x 100000 pixels (correct IHDR CRC, no data).
    const unsigned char bomb[] = {0x89, 'P',  'N',  'G',  0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00,
                                  0x0D, 'I',  'H',  'D',  'R',  0x00, 0x01, 0x86, 0xA0, 0x00, 0x01,
                                  0x86, 0xA0, 0x08, 0x02, 0x00, 0x00, 0x00, 0x63, 0x8C, 0x1B, 0x9F};
    std::ofstream(dir / "bomb.png", std::ios::binary)
        .write(reinterpret_cast<const char*>(bomb), sizeof(bomb));
}

nlohmann::json info(const fs::path& data) {
    auto r = test::run_qiss("info --json --data " + data.string(), /*with_stderr=*/false);
    EXPECT_EQ(r.exit_code, 0) << r.output;
    return nlohmann::json::parse(r.output);
}

nlohmann::json search(const fs::path& data, const std::string& query_args) {
    auto r = test::run_qiss("search --json --data " + data.string() + " " + query_args,
                            /*with_stderr=*/false);
    EXPECT_EQ(r.exit_code, 0) << r.output;
    return nlohmann::json::parse(r.output);
}

}  // namespace

TEST(IndexCli, IngestsGoodFilesSkipsBadOnesAndFindsAnImageFirst) {
    test::TempDir dir("index");
    auto good = test::copy_emoji(dir / "in" / "good", 60);
    fs::copy_file(good[3], dir / "in" / "copy-of-3.png");  // an exact duplicate
    write_bad_files(dir / "in" / "bad", good[0]);
    fs::path data = dir / "data";

    auto r = test::run_qiss("index --data " + data.string() + " --model " + tiny_model() + " " +
                            (dir / "in").string());
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find("added 60, duplicates 1, skipped 5"), std::string::npos) << r.output;
    for (const char* bad : {"empty.jpg", "notes.jpg", "truncated.png", "truncated.jpg", "bomb.png"})
        EXPECT_NE(r.output.find(bad), std::string::npos) << bad << "\n" << r.output;
    EXPECT_NE(r.output.find("100000x100000"), std::string::npos) << r.output;
    std::ifstream errors(data / "ingest-errors.jsonl");
    std::size_t lines = 0;
    for (std::string l; std::getline(errors, l); ++lines)
        EXPECT_TRUE(nlohmann::json::parse(l).contains("error"));
    EXPECT_EQ(lines, 5u);

    auto i = info(data);
    EXPECT_EQ(i["images"], 60);
    EXPECT_EQ(i["index_vectors"], 60);
    EXPECT_EQ(i["index_factory"], "Flat");

    // Each image queried by its own file comes back first, with a score of about 1.
    for (std::size_t k : {0u, 17u, 42u}) {
        auto j = search(data, "--image " + good[k].string() + " -k 5");
        ASSERT_FALSE(j["results"].empty());
        EXPECT_EQ(j["results"][0]["source"], fs::absolute(good[k]).string());
        EXPECT_NEAR(j["results"][0]["score"].get<double>(), 1.0, 1e-3);
        EXPECT_EQ(j["results"][0]["width"], 64);
    }
    // Text: the detected language is reported; paging continues where the first page ended.
    auto t = search(data, "--text 'un chat qui dort sur le canapé' -k 4");
    EXPECT_EQ(t["query"]["language"]["code"], "fr");
    ASSERT_EQ(t["results"].size(), 4u);
    auto page2 = search(data, "--text 'un chat qui dort sur le canapé' -k 2 --offset 2");
    EXPECT_EQ(page2["results"][0]["id"], t["results"][2]["id"]);
    // --id: similar images, the image itself excluded.
    std::uint64_t first = t["results"][0]["id"];
    auto sim = search(data, "--id " + std::to_string(first) + " -k 3");
    for (const auto& h : sim["results"]) EXPECT_NE(h["id"], first);

    // Re-running adds nothing new.
    auto again =
        test::run_qiss("index --data " + data.string() + " " + (dir / "in" / "good").string());
    ASSERT_EQ(again.exit_code, 0) << again.output;
    EXPECT_NE(again.output.find("added 0, duplicates 60"), std::string::npos) << again.output;

    // rm: gone from search and counts; an unknown id is an error.
    auto rm = test::run_qiss("rm --data " + data.string() + " " + std::to_string(first));
    ASSERT_EQ(rm.exit_code, 0) << rm.output;
    EXPECT_EQ(info(data)["index_vectors"], 59);
    auto after = search(data, "--text 'un chat qui dort sur le canapé' -k 10");
    for (const auto& h : after["results"]) EXPECT_NE(h["id"], first);
    auto bad_rm = test::run_qiss("rm --data " + data.string() + " 999999");
    EXPECT_NE(bad_rm.exit_code, 0);
    EXPECT_NE(bad_rm.output.find("no image with id 999999"), std::string::npos) << bad_rm.output;
}

TEST(IndexCli, BadQueriesAndModelMismatchGiveClearErrors) {
    test::TempDir dir("index-bad");
    auto good = test::copy_emoji(dir / "in", 5);
    fs::path data = dir / "data";
    ASSERT_EQ(test::run_qiss("index --data " + data.string() + " --model " + tiny_model() + " " +
                             (dir / "in").string())
                  .exit_code,
              0);
    struct Case {
        std::string args, message;
    };
    for (const auto& c :
         std::vector<Case>{{"--text ''", "empty"},
                           {"--text '   '", "empty"},
                           {"--image " + (dir / "nothing.png").string(), "nothing.png"},
                           {"--id 424242", "no image with id 424242"},
                           {"--text cat -k 0", "k must be"},
                           {"--text cat", ""}}) {
        auto r = test::run_qiss("search --data " + data.string() + " " + c.args);
        if (c.message.empty()) {
            EXPECT_EQ(r.exit_code, 0) << r.output;
            continue;
        }
        EXPECT_EQ(r.exit_code, 1) << c.args << ": " << r.output;
        EXPECT_NE(r.output.find(c.message), std::string::npos) << c.args << ": " << r.output;
    }
    auto missing = test::run_qiss("search --data " + (dir / "nope").string() + " --text cat");
    EXPECT_NE(missing.exit_code, 0);
    EXPECT_NE(missing.output.find("not a qiss collection"), std::string::npos) << missing.output;

    // Another model for the same collection is refused.
    fs::path other = dir / "other.qiss";
    {
        std::ifstream in(tiny_model(), std::ios::binary);
        std::string bytes(std::istreambuf_iterator<char>(in), {});
        std::ofstream(other, std::ios::binary) << bytes;
    }
    auto same = test::run_qiss("index --data " + data.string() + " --model " + other.string() +
                               " " + (dir / "in").string());
    EXPECT_EQ(same.exit_code, 0) << same.output;  // same bytes: same model
    auto foreign = test::run_qiss("index --data " + data.string() + " --model " +
                                  std::string(QISS_SOURCE_DIR) + "/models/qiss-default.qiss " +
                                  (dir / "in").string());
    EXPECT_EQ(foreign.exit_code, 1);
    EXPECT_NE(foreign.output.find("another model"), std::string::npos) << foreign.output;
    auto nothing = test::run_qiss("index --data " + data.string() + " " + (dir / "void").string());
    EXPECT_EQ(nothing.exit_code, 1);
    EXPECT_NE(nothing.output.find("void"), std::string::npos) << nothing.output;
}

TEST(IndexCli, KilledIngestResumesAndStoreAndIndexAgree) {
    test::TempDir dir("index-kill");
    auto good = test::copy_emoji(dir / "in", 900);
    fs::path data = dir / "data";
    const std::string cmd = std::string(QISS_BINARY) + " index --batch 16 --data " + data.string() +
                            " --model " + tiny_model() + " " + (dir / "in").string();
    for (int round = 0; round < 2; ++round) {
        pid_t pid = ::fork();
        ASSERT_GE(pid, 0);
        if (pid == 0) {
            std::string sh = "exec " + cmd + " >/dev/null 2>&1";
            ::execl("/bin/sh", "sh", "-c", sh.c_str(), static_cast<char*>(nullptr));
            ::_exit(127);
        }
        // Let it commit some batches, then kill it without warning.
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
        while (!fs::exists(data / "store" / "data.mdb") &&
               std::chrono::steady_clock::now() < deadline)
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        std::this_thread::sleep_for(std::chrono::milliseconds(1500 + 700 * round));
        ::kill(pid, SIGKILL);
        int status = 0;
        ::waitpid(pid, &status, 0);
        auto i = info(data);
        EXPECT_EQ(i["images"], i["index_vectors"]) << "after kill " << round;
        EXPECT_LT(i["images"].get<int>(), 900) << "the run finished before it was killed";
    }
    auto r = test::run_qiss(cmd.substr(std::string(QISS_BINARY).size() + 1));
    ASSERT_EQ(r.exit_code, 0) << r.output;
    // Some vendors' PNGs are byte-identical for different emoji: those are stored once.
    std::set<std::string> distinct;
    for (const auto& f : good) {
        std::ifstream in(f, std::ios::binary);
        distinct.insert(std::string(std::istreambuf_iterator<char>(in), {}));
    }
    auto i = info(data);
    EXPECT_EQ(i["images"], distinct.size());
    EXPECT_EQ(i["index_vectors"], distinct.size());
    auto j = search(data, "--image " + good[777].string() + " -k 1");
    EXPECT_EQ(j["results"][0]["source"], fs::absolute(good[777]).string());
}

TEST(IndexCli, IngestsUrlsFromALocalHttpServer) {
    test::TempDir dir("index-url");
    auto good = test::copy_emoji(dir / "in", 2);
    std::string png;
    {
        std::ifstream in(good[0], std::ios::binary);
        png.assign(std::istreambuf_iterator<char>(in), {});
    }
    httplib::Server http;
    http.Get("/cat.png", [&](const httplib::Request&, httplib::Response& res) {
        res.set_content(png, "image/png");
    });
    http.Get("/big.png", [&](const httplib::Request&, httplib::Response& res) {
        res.set_content(std::string(3'000'000, 'x'), "image/png");
    });
    int port = http.bind_to_any_port("127.0.0.1");
    ASSERT_GT(port, 0);
    std::thread serve([&] { http.listen_after_bind(); });
    const std::string base = "http://127.0.0.1:" + std::to_string(port);
    fs::path data = dir / "data";
    auto r = test::run_qiss("index --max-file-mb 2 --data " + data.string() + " --model " +
                            tiny_model() + " " + base + "/cat.png " + base + "/missing.png " +
                            base + "/big.png");
    http.stop();
    serve.join();
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find("added 1, duplicates 0, skipped 2"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("HTTP status 404"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("exceeds the limit"), std::string::npos) << r.output;
    auto j = search(data, "--image " + good[0].string() + " -k 1");
    EXPECT_EQ(j["results"][0]["source"], base + "/cat.png");
}

TEST(IndexCli, SeveralEmbeddingThreadsBuildTheSameCollectionAsOne) {
    test::TempDir dir("index-threads");
    auto good = test::copy_emoji(dir / "in", 200);
    fs::copy_file(good[150], dir / "in" / "zz-copy-of-150.png");  // committed after its original
    // A few flags are byte-identical PNGs too: those are stored once.
    std::set<std::string> distinct;
    for (const auto& f : good) {
        std::ifstream in(f, std::ios::binary);
        distinct.insert(std::string(std::istreambuf_iterator<char>(in), {}));
    }
    const std::size_t added = distinct.size(), duplicates = good.size() + 1 - added;
    // One decoder: the batches reach the embedding threads in the same order in every run, and
    // commits keep that order, so the ids match too.
    const std::string common =
        " --batch 8 --decode-threads 1 --model " + tiny_model() + " " + (dir / "in").string();
    const std::vector<std::string> shapes = {"--embed-threads 1 --threads 2",
                                             "--embed-threads 3 --threads 1", ""};
    std::vector<nlohmann::json> text, image;
    for (std::size_t s = 0; s < shapes.size(); ++s) {
        fs::path data = dir / ("data" + std::to_string(s));
        auto r = test::run_qiss("index --data " + data.string() + " " + shapes[s] + common);
        ASSERT_EQ(r.exit_code, 0) << shapes[s] << "\n" << r.output;
        EXPECT_NE(
            r.output.find(fmt::format("added {}, duplicates {}, skipped 0", added, duplicates)),
            std::string::npos)
            << shapes[s] << "\n"
            << r.output;
        EXPECT_NE(r.output.find("201/201 images"), std::string::npos) << r.output;
        auto i = info(data);
        EXPECT_EQ(i["images"], added);
        EXPECT_EQ(i["index_vectors"], added);
        text.push_back(search(data, "--text 'red heart' -k 10")["results"]);
        image.push_back(search(data, "--image " + good[150].string() + " -k 10")["results"]);
    }
    EXPECT_EQ(image[0][0]["source"], fs::absolute(good[150]).string());
    for (std::size_t s = 1; s < shapes.size(); ++s) {
        for (const auto* results : {&text, &image}) {
            const auto& want = (*results)[0];
            const auto& got = (*results)[s];
            ASSERT_EQ(got.size(), want.size()) << shapes[s];
            for (std::size_t k = 0; k < want.size(); ++k) {
                EXPECT_EQ(got[k]["id"], want[k]["id"]) << shapes[s] << ", rank " << k;
                EXPECT_EQ(got[k]["source"], want[k]["source"]) << shapes[s] << ", rank " << k;
                EXPECT_NEAR(got[k]["score"].get<double>(), want[k]["score"].get<double>(), 1e-4)
                    << shapes[s] << ", rank " << k;
            }
        }
    }
}

// `qiss index MANIFEST` with identity lines: an image line without texts is stored with the
// caption of its identity line; one with a caption of its own keeps it.
TEST(IndexCli, ManifestIdentityLinesCaptionTheirImages) {
    test::TempDir dir("index-identity");
    auto good = test::copy_emoji(dir / "in", 3);
    {
        std::ofstream m(dir / "in" / "manifest.jsonl");
        m << R"({"path": ")" << good[0].filename().string()
          << R"(", "id": "one", "vendor": "twitter"})"
          << "\n";
        m << R"({"path": ")" << good[1].filename().string()
          << R"(", "id": "one", "caption": "own"})"
          << "\n";
        m << R"({"path": ")" << good[2].filename().string() << R"(", "id": "two"})"
          << "\n";
        m << R"({"identity": "one", "captions": {"fr": ["premier"], "en": ["the first"]}})"
          << "\n";
        m << R"({"identity": "two", "captions": {"ja": ["二番目"]}, "keywords": {"ja": ["二"]}})"
          << "\n";
    }
    fs::path data = dir / "data";
    auto r = test::run_qiss("index --data " + data.string() + " --model " + tiny_model() + " " +
                            (dir / "in" / "manifest.jsonl").string());
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find("added 3, duplicates 0, skipped 0"), std::string::npos) << r.output;
    const std::vector<std::string> want = {"the first", "own", "二番目"};
    for (std::size_t k = 0; k < good.size(); ++k) {
        auto j = search(data, "--image " + good[k].string() + " -k 1");
        ASSERT_EQ(j["results"].size(), 1u);
        EXPECT_EQ(j["results"][0]["source"], fs::absolute(good[k]).string());
        EXPECT_EQ(j["results"][0].value("caption", ""), want[k]) << k;
    }
}

// When the system refuses a thread (here a process limit of 6 for an unprivileged user, and 32
// decode threads asked for), `qiss index` says so and exits 1; it used to abort (std::terminate
// on a joinable std::thread) with SIGABRT.
TEST(IndexCli, ThreadLimitIsAClearErrorNotAnAbort) {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to run qiss as another user (setpriv)";
    test::TempDir dir("thread-limit");
    test::copy_emoji(dir / "in", 50);
    fs::copy_file(tiny_model(), dir / "tiny.qiss");
    fs::permissions(dir.path(), fs::perms::all, fs::perm_options::add);
    for (const auto& e : fs::recursive_directory_iterator(dir.path()))
        fs::permissions(e.path(), fs::perms::all, fs::perm_options::add);
    const std::string limited =
        "setpriv --reuid=65534 --regid=65534 --clear-groups prlimit --nproc=6";
    auto r =
        test::run_qiss("index --decode-threads 32 --data " + (dir / "data").string() + " --model " +
                           (dir / "tiny.qiss").string() + " " + (dir / "in").string(),
                       true, limited);
    EXPECT_EQ(r.exit_code, 1) << r.output;
    EXPECT_NE(r.output.find("cannot start decode thread"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("--decode-threads"), std::string::npos) << r.output;
    // The collection it had opened is whole: a run without the limit completes it.
    r = test::run_qiss("index --data " + (dir / "data").string() + " " + (dir / "in").string());
    EXPECT_EQ(r.exit_code, 0) << r.output;
    r = test::run_qiss("info --data " + (dir / "data").string());
    EXPECT_EQ(r.exit_code, 0) << r.output;
    EXPECT_TRUE(std::regex_search(r.output, std::regex(R"(images +50\n)"))) << r.output;
}
