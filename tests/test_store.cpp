// The image store with a real LMDB in a temporary folder: round trips, duplicates, ids across
// reopen, the operation log, format errors, concurrent readers, and a writer killed with
// SIGKILL mid-batch.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <lmdb.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "common/error.h"
#include "store/image_store.h"
#include "store/record_codec.h"
#include "store/lmdb_env.h"
#include "test_support.h"

namespace {

using qiss::ImageStore;
using qiss::NewImage;
using qiss::StoreOp;
using qiss::StoreOptions;

constexpr std::size_t kDim = 16;

/// Small map: the tests never need more, and the kill test opens it many times.
StoreOptions small() {
    StoreOptions o;
    o.map_size = std::size_t{256} << 20;
    return o;
}

/// An image whose every field derives from `key`, so a reader can check it.
NewImage image(const std::string& key) {
    NewImage img;
    img.record.source = "photos/" + key + ".jpg";
    img.record.content_hash = "sha256:" + key;
    img.record.width = 640;
    img.record.height = 480;
    img.record.format = "jpeg";
    img.record.caption = "caption of " + key;
    img.record.metadata = {{"key", key}, {"tags", {"a", "b"}}};
    img.thumbnail = std::string(500 + key.size() * 37 % 3000, key.back());
    img.vector.resize(kDim);
    for (std::size_t j = 0; j < kDim; ++j)
        img.vector[j] = static_cast<float>(key.size() * 0.25 + j) + static_cast<float>(key.back());
    return img;
}

std::vector<NewImage> batch_of(const std::vector<std::string>& keys) {
    std::vector<NewImage> batch;
    for (const auto& k : keys) batch.push_back(image(k));
    return batch;
}

/// Checks that the stored image `id` is exactly image(key) with id `id`.
void expect_image(const ImageStore& store, std::uint64_t id, const std::string& key) {
    const NewImage want = image(key);
    auto r = store.get(id);
    ASSERT_TRUE(r.has_value()) << id;
    EXPECT_EQ(r->id, id);
    EXPECT_EQ(r->source, want.record.source);
    EXPECT_EQ(r->content_hash, want.record.content_hash);
    EXPECT_EQ(r->width, 640);
    EXPECT_EQ(r->height, 480);
    EXPECT_EQ(r->format, "jpeg");
    EXPECT_EQ(r->caption, want.record.caption);
    EXPECT_EQ(r->metadata, want.record.metadata);
    EXPECT_GT(r->added_unix_ms, 0);
    EXPECT_EQ(store.thumbnail(id), want.thumbnail);
    EXPECT_EQ(store.vector(id), want.vector);
    EXPECT_EQ(store.find_hash(want.record.content_hash), id);
}

/// The key an image was made from ("photos/KEY.jpg").
std::string key_of(const qiss::ImageRecord& r) {
    return r.source.substr(7, r.source.size() - 11);
}

using qiss::test::error_of;

TEST(ImageStore, AddGetThumbnailRemoveRoundTrip) {
    qiss::test::TempDir dir("store-roundtrip");
    ImageStore store = ImageStore::open(dir / "store", small());
    EXPECT_EQ(store.count(), 0u);
    EXPECT_EQ(store.dim(), 0u);
    const auto added = store.add(batch_of({"cat", "dog", "owl"}));
    ASSERT_EQ(added.size(), 3u);
    for (const auto& a : added) EXPECT_FALSE(a.duplicate);
    EXPECT_EQ(store.count(), 3u);
    EXPECT_EQ(store.dim(), kDim);
    EXPECT_EQ(store.last_seq(), 3u);
    expect_image(store, added[0].id, "cat");
    expect_image(store, added[1].id, "dog");
    expect_image(store, added[2].id, "owl");

    EXPECT_TRUE(store.remove(added[1].id));
    EXPECT_FALSE(store.remove(added[1].id));
    EXPECT_FALSE(store.get(added[1].id));
    EXPECT_FALSE(store.thumbnail(added[1].id));
    EXPECT_FALSE(store.vector(added[1].id));
    EXPECT_FALSE(store.find_hash("sha256:dog"));
    EXPECT_EQ(store.count(), 2u);
    EXPECT_EQ(store.last_seq(), 4u);
    expect_image(store, added[2].id, "owl");

    // The removed image can come back (a new id).
    const auto again = store.add(batch_of({"dog"}));
    EXPECT_FALSE(again[0].duplicate);
    EXPECT_GT(again[0].id, added[2].id);
}

TEST(ImageStore, DuplicateHashStoredOnce) {
    qiss::test::TempDir dir("store-dup");
    ImageStore store = ImageStore::open(dir / "store", small());
    const auto first = store.add(batch_of({"cat", "dog", "cat"}));
    EXPECT_FALSE(first[0].duplicate);
    EXPECT_FALSE(first[1].duplicate);
    EXPECT_TRUE(first[2].duplicate);
    EXPECT_EQ(first[2].id, first[0].id);
    const auto second = store.add(batch_of({"dog", "owl"}));
    EXPECT_TRUE(second[0].duplicate);
    EXPECT_EQ(second[0].id, first[1].id);
    EXPECT_FALSE(second[1].duplicate);
    EXPECT_EQ(store.count(), 3u);
    EXPECT_EQ(store.last_seq(), 3u);
}

TEST(ImageStore, IdsStableAndIncreasingAcrossReopen) {
    qiss::test::TempDir dir("store-reopen");
    std::vector<std::uint64_t> ids;
    {
        ImageStore store = ImageStore::open(dir / "store", small());
        for (const auto& a : store.add(batch_of({"a", "b", "c"}))) ids.push_back(a.id);
        store.remove(ids.back());
        store.set_meta("model_sha256", "abc123");
    }
    ImageStore store = ImageStore::open(dir / "store", small());
    EXPECT_EQ(ids, (std::vector<std::uint64_t>{1, 2, 3}));
    expect_image(store, 1, "a");
    expect_image(store, 2, "b");
    EXPECT_EQ(store.get_meta("model_sha256"), "abc123");
    EXPECT_FALSE(store.get_meta("missing"));
    const auto more = store.add(batch_of({"d", "e"}));
    EXPECT_EQ(more[0].id, 4u);  // 3 was removed and is not reused
    EXPECT_EQ(more[1].id, 5u);
    EXPECT_EQ(store.last_seq(), 6u);

    // Read-only: everything readable, nothing writable.
    ImageStore moved = std::move(store);
    moved = ImageStore::open(dir / "other", small());  // closes the first one
    ImageStore ro = ImageStore::open(dir / "store", {.map_size = 1 << 20, .read_only = true});
    EXPECT_TRUE(ro.read_only());
    expect_image(ro, 5, "e");
    EXPECT_NE(error_of([&] { ro.add(batch_of({"f"})); }).find("read-only"), std::string::npos);
}

TEST(ImageStore, OplogReplayOrder) {
    qiss::test::TempDir dir("store-oplog");
    ImageStore store = ImageStore::open(dir / "store", small());
    store.add(batch_of({"a", "b", "c"}));  // seq 1-3, ids 1-3
    store.remove(2);                       // seq 4
    store.add(batch_of({"d"}));            // seq 5, id 4

    std::vector<std::tuple<std::uint64_t, StoreOp, std::uint64_t, bool>> ops;
    const auto last = store.for_each_op_after(
        0, [&](std::uint64_t seq, StoreOp op, std::uint64_t id, const float* v) {
            ops.emplace_back(seq, op, id, v != nullptr);
            if (v) {
                EXPECT_EQ(std::vector<float>(v, v + kDim), store.vector(id));
            }
        });
    EXPECT_EQ(last, 5u);
    const std::vector<std::tuple<std::uint64_t, StoreOp, std::uint64_t, bool>> want = {
        {1, StoreOp::Add, 1, true},
        {2, StoreOp::Add, 2, false},  // removed since: no vector
        {3, StoreOp::Add, 3, true},
        {4, StoreOp::Remove, 2, false},
        {5, StoreOp::Add, 4, true}};
    EXPECT_EQ(ops, want);

    ops.clear();
    store.for_each_op_after(3, [&](std::uint64_t seq, StoreOp op, std::uint64_t id,
                                   const float* v) { ops.emplace_back(seq, op, id, v); });
    EXPECT_EQ(ops.size(), 2u);
    EXPECT_EQ(std::get<0>(ops.at(0)), 4u);
    ops.clear();
    store.for_each_op_after(5, [&](auto... args) { ops.emplace_back(args...); });
    EXPECT_TRUE(ops.empty());

    std::vector<std::uint64_t> ids;
    EXPECT_EQ(store.for_each_vector([&](std::uint64_t id, const float* v) {
        ids.push_back(id);
        EXPECT_EQ(std::vector<float>(v, v + kDim), store.vector(id));
    }),
              5u);
    EXPECT_EQ(ids, (std::vector<std::uint64_t>{1, 3, 4}));
}

TEST(ImageStore, InvalidInputIsClearErrorAndWritesNothing) {
    qiss::test::TempDir dir("store-invalid");
    ImageStore store = ImageStore::open(dir / "store", small());
    store.add(batch_of({"a"}));
    auto batch = batch_of({"b", "c"});
    batch[1].vector.resize(kDim + 1);
    EXPECT_NE(error_of([&] { store.add(std::move(batch)); }).find("dimension 17"),
              std::string::npos);
    EXPECT_EQ(store.count(), 1u);  // "b" was not kept either
    EXPECT_EQ(store.last_seq(), 1u);
    auto no_hash = batch_of({"d"});
    no_hash[0].record.content_hash.clear();
    EXPECT_NE(error_of([&] { store.add(std::move(no_hash)); }).find("content hash"),
              std::string::npos);
    EXPECT_NE(error_of([&] { store.set_meta("next_id", "1"); }).find("not a free key"),
              std::string::npos);
    EXPECT_NE(error_of([&] { ImageStore::open(dir / "store", small()); }).find("already open"),
              std::string::npos);
    EXPECT_NE(error_of([&] {
                  ImageStore::open(dir / "missing", {.read_only = true});
              }).find("no image store"),
              std::string::npos);
}

/// Overwrites meta/format of a closed store with raw LMDB calls.
void write_format(const std::filesystem::path& dir, const std::string& value) {
    MDB_env* env = nullptr;
    ASSERT_EQ(mdb_env_create(&env), 0);
    mdb_env_set_maxdbs(env, 8);
    ASSERT_EQ(mdb_env_open(env, dir.c_str(), 0, 0644), 0);
    MDB_txn* txn = nullptr;
    ASSERT_EQ(mdb_txn_begin(env, nullptr, 0, &txn), 0);
    MDB_dbi dbi = 0;
    ASSERT_EQ(mdb_dbi_open(txn, "meta", 0, &dbi), 0);
    MDB_val k{6, const_cast<char*>("format")};
    MDB_val v{value.size(), const_cast<char*>(value.data())};
    ASSERT_EQ(mdb_put(txn, dbi, &k, &v, 0), 0);
    ASSERT_EQ(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
}

TEST(ImageStore, ForeignOrNewerFormatIsClearError) {
    qiss::test::TempDir dir("store-format");
    const auto path = dir / "store";
    ImageStore::open(path, small()).add(batch_of({"a"}));
    const std::uint32_t v1 = 1, v2 = 2;
    write_format(path, "SOMEDBV1" + std::string(reinterpret_cast<const char*>(&v1), 4));
    EXPECT_NE(error_of([&] { ImageStore::open(path, small()); }).find("not a qiss image store"),
              std::string::npos);
    write_format(path, "QISSSTOR" + std::string(reinterpret_cast<const char*>(&v2), 4));
    EXPECT_NE(
        error_of([&] { ImageStore::open(path, small()); }).find("newer than this qiss supports"),
        std::string::npos);
    write_format(path, "QISSSTOR" + std::string(reinterpret_cast<const char*>(&v1), 4));
    EXPECT_EQ(ImageStore::open(path, small()).count(), 1u);

    // A folder whose data.mdb is not LMDB at all.
    std::filesystem::create_directories(dir / "junk");
    {
        std::FILE* f = std::fopen((dir / "junk" / "data.mdb").c_str(), "wb");
        const std::string junk(8192, 'x');
        std::fwrite(junk.data(), 1, junk.size(), f);
        std::fclose(f);
    }
    EXPECT_NE(
        error_of([&] { ImageStore::open(dir / "junk", small()); }).find("not a qiss image store"),
        std::string::npos);
}

TEST(ImageStore, IdentityIsRandomWrittenOnceAndKept) {
    qiss::test::TempDir dir("store-id");
    qiss::StoreId first{};
    {
        ImageStore a = ImageStore::open(dir / "a", small());
        first = a.id();
        EXPECT_NE(first, qiss::StoreId{});
        a.add(batch_of({"a", "b"}));
        a.remove(1);
        const qiss::StoreCounts counts = a.counts();
        EXPECT_EQ(counts.images, 1u);
        EXPECT_EQ(counts.last_seq, 3u);
        EXPECT_NE(error_of([&] { a.set_meta("store_id", "mine"); }).find("not a free key"),
                  std::string::npos);
    }
    StoreOptions read_only = small();
    read_only.read_only = true;
    EXPECT_EQ(ImageStore::open(dir / "a", read_only).id(), first);
    EXPECT_EQ(ImageStore::open(dir / "a", small()).id(), first);
    EXPECT_NE(ImageStore::open(dir / "b", small()).id(), first);
}

TEST(ImageStore, TruncatedDataFileIsAClearErrorBeforeMapping) {
    qiss::test::TempDir dir("store-truncated");
    const auto path = dir / "store";
    {
        ImageStore store = ImageStore::open(path, small());
        for (int i = 0; i < 40; ++i) store.add(batch_of({fmt::format("t{}", i)}));
    }
    const auto file = path / "data.mdb";
    const auto size = std::filesystem::file_size(file);
    ASSERT_GT(size, 8 * 4096u);
    // Extra bytes at the end are harmless (LMDB may grow the file ahead).
    std::filesystem::resize_file(file, size + 3 * 4096);
    EXPECT_EQ(ImageStore::open(path, small()).count(), 40u);
    for (std::uintmax_t cut : {size - 4096, size / 2, std::uintmax_t{3 * 4096},
                               std::uintmax_t{5000}, std::uintmax_t{200}}) {
        std::filesystem::resize_file(file, cut);
        const std::string msg = error_of([&] { ImageStore::open(path, small()); });
        EXPECT_NE(msg.find(file.string() + " is truncated"), std::string::npos)
            << cut << ": " << msg;
        StoreOptions read_only = small();
        read_only.read_only = true;
        EXPECT_NE(error_of([&] { ImageStore::open(path, read_only); }).find("is truncated"),
                  std::string::npos)
            << cut;
    }
}

TEST(ImageStore, ReadersRunConcurrentlyWithAWriter) {
    qiss::test::TempDir dir("store-threads");
    ImageStore store = ImageStore::open(dir / "store", small());
    store.add(batch_of({"seed"}));
    std::atomic<bool> done{false};
    std::atomic<int> failures{0};
    std::vector<std::thread> readers;
    for (int t = 0; t < 4; ++t) {
        readers.emplace_back([&] {
            while (!done) {
                const auto n = store.count();
                auto r = store.get(1);
                if (!r || r->source != "photos/seed.jpg" || n < 1) ++failures;
                for (std::uint64_t id = 2; id <= n; ++id)
                    if (auto rec = store.get(id); rec && store.thumbnail(id)->empty()) ++failures;
            }
        });
    }
    for (int b = 0; b < 30; ++b)
        store.add(batch_of({fmt::format("k{}x", b), fmt::format("k{}y", b)}));
    done = true;
    for (auto& t : readers) t.join();
    EXPECT_EQ(failures, 0);
    EXPECT_EQ(store.count(), 61u);
}

constexpr std::size_t kBatch = 8;

/// Child process: adds batches of kBatch images forever, writing one byte to `progress` after
/// each commit.
[[noreturn]] void writer_child(const std::filesystem::path& path, int round, int progress) {
    try {
        ImageStore store = ImageStore::open(path, small());
        for (int b = 0;; ++b) {
            std::vector<std::string> keys;
            for (std::size_t i = 0; i < kBatch; ++i)
                keys.push_back(
                    fmt::format("r{}b{}i{}{}", round, b, i, static_cast<char>('a' + (b + i) % 26)));
            store.add(batch_of(keys));
            if (::write(progress, "+", 1) != 1) ::_exit(3);
        }
    } catch (...) {
        ::_exit(2);
    }
}

TEST(ImageStore, KilledWriterLeavesWholeBatches) {
    qiss::test::TempDir dir("store-kill");
    const auto path = dir / "store";
    std::size_t committed = 0;
    for (int round = 0; round < 6; ++round) {
        int fds[2];
        ASSERT_EQ(::pipe(fds), 0);
        const pid_t pid = ::fork();
        ASSERT_GE(pid, 0);
        if (pid == 0) {
            ::close(fds[0]);
            writer_child(path, round, fds[1]);
        }
        ::close(fds[1]);
        // Let it commit a few batches, then kill it at some point of the next one.
        char c;
        for (int i = 0; i < 3 + round; ++i) ASSERT_EQ(::read(fds[0], &c, 1), 1);
        ::usleep(static_cast<useconds_t>(round * 700));
        ::kill(pid, SIGKILL);
        int status = 0;
        ::waitpid(pid, &status, 0);
        ::close(fds[0]);
        ASSERT_TRUE(WIFSIGNALED(status)) << "writer exited with " << WEXITSTATUS(status);
        committed += 3 + round;

        ImageStore store = ImageStore::open(path, small());
        const std::size_t n = store.count();
        EXPECT_EQ(n % kBatch, 0u) << "a batch was partly committed";
        EXPECT_GE(n, committed * kBatch);
        std::size_t with_vectors = 0;
        store.for_each_vector([&](std::uint64_t id, const float*) {
            ++with_vectors;
            auto r = store.get(id);
            ASSERT_TRUE(r.has_value()) << id;
            expect_image(store, id, key_of(*r));
        });
        EXPECT_EQ(with_vectors, n);
        std::uint64_t expected_seq = 0;
        const auto last = store.for_each_op_after(
            0, [&](std::uint64_t seq, StoreOp op, std::uint64_t id, const float* v) {
                EXPECT_EQ(seq, ++expected_seq);
                EXPECT_EQ(op, StoreOp::Add);
                EXPECT_EQ(id, seq);  // one id per add, in order
                EXPECT_NE(v, nullptr);
            });
        EXPECT_EQ(last, n);
        EXPECT_EQ(expected_seq, n);
        committed = n / kBatch;
    }
}

}  // namespace

// A writer killed between creating the environment and its first commit leaves an environment
// without tables; reading it (qiss info) finds an empty store, not a foreign file
// (CrashLoop.KilledIngestsLeaveStoreAndIndexAgreeing hit this window on a loaded machine).
TEST(ImageStore, EnvironmentNeverCommittedToReadsAsEmpty) {
    qiss::test::TempDir dir("store-uncommitted");
    std::filesystem::create_directories(dir / "store");
    qiss::lmdb::open_env(dir / "store", 1 << 20, 8, /*read_only=*/false).reset();
    ASSERT_TRUE(std::filesystem::exists(dir / "store" / "data.mdb"));
    StoreOptions read_only = small();
    read_only.read_only = true;
    EXPECT_EQ(ImageStore::open(dir / "store", read_only).count(), 0u);
    ImageStore writer = ImageStore::open(dir / "store", small());
    EXPECT_EQ(writer.count(), 0u);
}

// A record whose numbers do not fit its fields (written by another program, or damaged): the
// conversion used to be undefined behaviour (UBSan: "1e+300 is outside the range of
// representable values of type 'int'"; found by fuzz_store_record) and returned a garbage width.
TEST(ImageStore, RecordNumbersThatDoNotFitAreCorruptionNotGarbage) {
    const std::string fields = R"("source":"a.png","content_hash":"ab","format":"png")";
    for (const std::string bad :
         {R"("width":1e300)", R"("height":-1e300)", R"("width":4294967296)", R"("width":2.5)",
          R"("added_unix_ms":1e30)", R"("added_unix_ms":18446744073709551615)"}) {
        SCOPED_TRACE(bad);
        try {
            qiss::decode_record(3, "{" + fields + "," + bad + "}");
            FAIL() << "decoded";
        } catch (const qiss::Error& e) {
            EXPECT_NE(std::string(e.what()).find("image store is corrupted (record 3"),
                      std::string::npos)
                << e.what();
        }
    }
    const qiss::ImageRecord ok =
        qiss::decode_record(3, "{" + fields + R"(,"width":2147483647,"height":1})");
    EXPECT_EQ(ok.width, 2147483647);
    EXPECT_EQ(ok.height, 1);
}
