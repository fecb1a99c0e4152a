#include "engine/collection.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <ctime>
#include <random>

#include <spdlog/spdlog.h>

#include "common/content_hash.h"
#include "common/error.h"
#include "common/file_util.h"
#include "index/index_factory.h"
#include "index/index_file.h"
#include "index/simd_flat.h"

namespace qiss {
namespace fs = std::filesystem;

namespace {

constexpr const char* kModelFile = "model.qiss";
constexpr const char* kIndexFile = "index.qiss-index";
constexpr const char* kStoreDir = "store";
constexpr const char* kLockFile = "write.lock";
constexpr std::size_t kMaxTrainingVectors = 2'621'440;  ///< 40 per list at 65,536 lists
constexpr std::size_t kAddChunk = 65'536;  ///< vectors per add() when (re)building the index

std::uint64_t folder_bytes(const fs::path& p) {
    std::error_code ec;
    if (fs::is_regular_file(p, ec)) return fs::file_size(p, ec);
    std::uint64_t total = 0;
    for (fs::recursive_directory_iterator it(p, ec), end; !ec && it != end; it.increment(ec))
        if (it->is_regular_file(ec)) total += it->file_size(ec);
    return total;
}

/// Tells a replaced file from the one read before: device, inode, size, modification time (ns).
/// All zero if the file does not exist.
std::array<std::int64_t, 4> file_stamp(const fs::path& p) {
    struct ::stat st {};
    if (::stat(p.c_str(), &st) != 0) return {};
    return {static_cast<std::int64_t>(st.st_dev), static_cast<std::int64_t>(st.st_ino),
            static_cast<std::int64_t>(st.st_size),
            static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec};
}

std::string sha256_of(const std::string& bytes) {
    return content_hash({reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()});
}

}  // namespace

/// The exclusive writer lock of a collection: one writing process at a time.
class Collection::WriterLock {
  public:
    explicit WriterLock(const fs::path& file) {
        fd_ = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        QISS_CHECK(fd_ >= 0, "{}: cannot create the lock file", file.string());
        if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
            ::close(fd_);
            QISS_THROW(
                "{} is being written by another process (qiss index, qiss rm or qiss "
                "serve with write access); try again when it has finished",
                file.parent_path().string());
        }
    }
    ~WriterLock() { ::close(fd_); }
    WriterLock(const WriterLock&) = delete;
    WriterLock& operator=(const WriterLock&) = delete;

  private:
    int fd_ = -1;
};

fs::path default_model_path() {
    if (const char* env = std::getenv("QISS_MODEL"); env && *env) return env;
    std::error_code ec;
    fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    if (ec) return {};
    for (fs::path dir = exe.parent_path(); !dir.empty(); dir = dir.parent_path()) {
        for (const fs::path& candidate :
             {dir / "models" / "qiss-default.qiss", dir / "share" / "qiss" / "qiss-default.qiss"})
            if (fs::is_regular_file(candidate, ec)) return candidate;
        if (dir == dir.root_path()) break;
    }
    return {};
}

Collection::~Collection() = default;

std::unique_ptr<Collection> Collection::open(const fs::path& dir, const CollectionOptions& o) {
    std::unique_ptr<Collection> c(new Collection());
    c->dir_ = dir;
    c->read_only_ = o.read_only;
    const fs::path stored_model = dir / kModelFile;
    if (o.read_only) {
        QISS_CHECK(fs::is_directory(dir / kStoreDir) && fs::is_regular_file(stored_model),
                   "{} is not a qiss collection (create it with `qiss index --data {} …`)",
                   dir.string(), dir.string());
    } else {
        std::error_code ec;
        fs::create_directories(dir, ec);
        QISS_CHECK(!ec, "{}: cannot create the collection folder: {}", dir.string(), ec.message());
        c->writer_lock_ = std::make_unique<WriterLock>(dir / kLockFile);
    }

    // The model: the collection keeps its own copy, fixed by the first `qiss index`.
    std::string model_bytes;
    if (fs::is_regular_file(stored_model)) {
        model_bytes = read_file_bytes(stored_model);
        c->model_fingerprint_ = sha256_of(model_bytes);
        if (!o.model.empty()) {
            std::string given = sha256_of(read_file_bytes(o.model));
            QISS_CHECK(given == c->model_fingerprint_,
                       "{} was indexed with another model (sha256 {}); {} (sha256 {}) cannot be "
                       "used with it: choose a new --data folder to index with this model",
                       dir.string(), c->model_fingerprint_.substr(0, 12), o.model.string(),
                       given.substr(0, 12));
        }
    } else {
        fs::path src = o.model.empty() ? default_model_path() : o.model;
        QISS_CHECK(!src.empty(),
                   "no model given and no default model found (set --model or $QISS_MODEL)");
        QISS_CHECK(fs::is_regular_file(src), "{}: no such model file", src.string());
        model_bytes = read_file_bytes(src);
        c->model_fingerprint_ = sha256_of(model_bytes);
        c->model_ = std::make_unique<const InferenceModel>(
            InferenceModel::from_bytes(model_bytes, src.string()));
        write_file_atomic(stored_model, model_bytes);
    }
    if (!c->model_)
        c->model_ = std::make_unique<const InferenceModel>(
            InferenceModel::from_bytes(model_bytes, stored_model.string()));
    c->model_path_ = stored_model;

    StoreOptions so;
    so.map_size = o.store_map_size;
    so.read_only = o.read_only;
    c->store_ = std::make_unique<ImageStore>(ImageStore::open(dir / kStoreDir, so));
    if (auto fp = c->store_->get_meta("model_sha256")) {
        QISS_CHECK(*fp == c->model_fingerprint_,
                   "{}: the store was built with another model than {} (sha256 {} vs {})",
                   dir.string(), stored_model.string(), fp->substr(0, 12),
                   c->model_fingerprint_.substr(0, 12));
    } else if (!o.read_only) {
        c->store_->set_meta("model_sha256", c->model_fingerprint_);
    }
    if (!o.index_factory.empty()) {
        VectorIndex::create(o.index_factory, c->dim());  // validates the string
        if (!o.read_only) c->store_->set_meta("index_factory", o.index_factory);
        c->fixed_factory_ = o.index_factory;
    } else if (auto f = c->store_->get_meta("index_factory")) {
        c->fixed_factory_ = *f;
    }

    c->search_defaults_ = o.search;
    QISS_CHECK(o.cursor_index_depth >= 0, "cursor_index_depth must be at least 0 (got {})",
               o.cursor_index_depth);
    c->cursor_index_depth_ = o.cursor_index_depth;
    c->filter_scan_max_ = o.filter_scan_max;
    c->compact_min_tombstones_ = o.compact_min_tombstones;
    if (o.word_weight) check_word_weight(*o.word_weight, "word_weight");
    c->word_weight_ = o.word_weight.value_or(c->model_->config().word_weight);
    c->open_index();
    c->open_keywords();
    return c;
}

void Collection::open_index() {
    const fs::path file = dir_ / kIndexFile;
    auto rebuild = [&] {
        rebuild_index(fixed_factory_.empty() ? default_index_factory(store_->count(), dim())
                                             : fixed_factory_);
    };
    if (!fs::exists(file)) {
        rebuild();
        return;
    }
    std::string problem;
    try {
        index_file_stamp_ = file_stamp(file);
        index_ = std::make_unique<VectorIndex>(VectorIndex::load(file));
        problem = index_mismatch(*index_, file);
        if (problem.empty()) {
            index_->set_search_defaults(search_defaults_);
            if (!fixed_factory_.empty() && index_->factory() != fixed_factory_) {
                rebuild_index(fixed_factory_);
                return;
            }
            problem = sync_and_count(file);
        }
    } catch (const Error& e) {
        problem = e.what();
    }
    if (problem.empty()) {
        if (!read_only_ && index_->store_id() == VectorIndex::StoreId{}) {
            index_->set_store_id(store_->id());  // a file of an older qiss: record the store
            dirty_ = true;
        }
        return;
    }
    set_index_file_aside(file, problem);
    rebuild();
    if (!read_only_) save_index();
}

std::string Collection::index_mismatch(const VectorIndex& index, const fs::path& file) const {
    if (index.dim() != dim())
        return fmt::format("index file {} holds vectors of dimension {}, the model of {}",
                           file.string(), index.dim(), dim());
    const StoreId store_id = store_->id();
    const VectorIndex::StoreId index_id = index.store_id();
    if (index_id != VectorIndex::StoreId{} && index_id != store_id)
        return fmt::format(
            "index file {} was built from another image store than {} (copied from another "
            "collection, or the store was replaced or lost)",
            file.string(), store_->dir().string());
    // A file of an older qiss has no store identity: the store must at least have reached the
    // log position the index reflects.
    const std::uint64_t last_seq = store_->last_seq();
    if (index.applied_seq() > last_seq)
        return fmt::format(
            "index file {} reflects operation {} of the store's log, but the store {} has only {} "
            "(the store was replaced or lost?)",
            file.string(), index.applied_seq(), store_->dir().string(), last_seq);
    return "";
}

std::string Collection::sync_and_count(const fs::path& file) {
    // Another process may write meanwhile: compare counts of the snapshot the index reflects.
    for (int attempt = 0; attempt < 3; ++attempt) {
        try {
            sync_index_from_log();
        } catch (const Error& e) {
            return fmt::format("index file {} does not agree with the store's log: {}",
                               file.string(), e.what());
        }
        const StoreCounts counts = store_->counts();
        std::shared_lock lock(index_mutex_);
        if (index_->applied_seq() != counts.last_seq) continue;
        if (index_->size() == counts.images) return "";
        return fmt::format("index file {} holds {} vectors but the store {} holds {} images",
                           file.string(), index_->size(), store_->dir().string(), counts.images);
    }
    return "";  // the store keeps moving; the next open checks again
}

void Collection::set_index_file_aside(const fs::path& file, const std::string& problem,
                                      std::string_view what) const {
    if (read_only_) {
        spdlog::warn(
            "{}; rebuilding the {} in memory from the store (opened read-only: the file is "
            "left as it is until a command with write access, e.g. qiss index or qiss rm, "
            "replaces it)",
            problem, what);
        return;
    }
    const auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    std::tm utc{};
    ::gmtime_r(&now, &utc);
    char stamp[32];
    std::strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &utc);
    fs::path aside = file;
    aside += std::string(".bad-") + stamp;
    for (int n = 2; fs::exists(aside); ++n) {
        aside = file;
        aside += fmt::format(".bad-{}-{}", stamp, n);
    }
    std::error_code ec;
    fs::rename(file, aside, ec);
    if (ec)
        spdlog::warn("{}; cannot move it aside ({}): rebuilding the {} from the store over it",
                     problem, ec.message(), what);
    else
        spdlog::warn("{}; moved it to {} and rebuilding the {} from the store", problem,
                     aside.string(), what);
}

std::size_t Collection::apply_log(VectorIndex& index) const {
    const std::uint64_t applied = index.applied_seq();
    if (store_->last_seq() <= applied) return 0;
    std::size_t ops = 0;
    const std::uint64_t last = store_->for_each_op_after(
        applied, [&](std::uint64_t seq, StoreOp op, std::uint64_t id, const float* vec) {
            auto sid = static_cast<std::int64_t>(id);
            if (op == StoreOp::Add && vec)
                index.add(vec, &sid, 1);
            else if (op == StoreOp::Remove)
                index.remove(&sid, 1);
            index.set_applied_seq(seq);
            ++ops;
        });
    index.set_applied_seq(last);  // that snapshot's position, not a later one
    return ops;
}

void Collection::sync_index_from_log() {
    std::unique_lock lock(index_mutex_);
    if (store_->last_seq() <= index_->applied_seq()) return;
    const std::size_t ops = apply_log(*index_);
    dirty_ = true;
    spdlog::debug("index brought up to date with {} logged operations", ops);
}

void Collection::refresh() {
    std::lock_guard writer(write_mutex_);
    if (read_only_) reload_if_retyped();
    sync_index_from_log();
    sync_keywords();
}

void Collection::reload_if_retyped() {
    // Another process (qiss index) saves the index with another type once the collection has
    // outgrown the current one; a reader that kept its own would search the old type forever.
    const fs::path file = dir_ / kIndexFile;
    const auto stamp = file_stamp(file);
    if (!fixed_factory_.empty() || stamp == index_file_stamp_) return;
    index_file_stamp_ = stamp;
    try {
        const index_file::Header header = index_file::read_header(file);
        if (header.factory == index_->factory())
            return;  // saved again, same type: the log suffices
        auto fresh = std::make_unique<VectorIndex>(VectorIndex::load(file));
        const std::string problem = index_mismatch(*fresh, file);
        if (!problem.empty()) {
            spdlog::warn("{}; keeping the {} index in memory", problem, index_->factory());
            return;
        }
        fresh->set_search_defaults(search_defaults_);
        apply_log(*fresh);
        spdlog::info("{} was re-typed by another process ({} -> {}): reloaded", file.string(),
                     index_->factory(), fresh->factory());
        std::unique_lock lock(index_mutex_);
        index_ = std::move(fresh);
    } catch (const Error& e) {
        // Being replaced, or damaged: the writer that replaces it, or the next open, repairs it.
        spdlog::warn("could not reload {}: {}; keeping the {} index in memory", file.string(),
                     e.what(), index_->factory());
    }
}

void Collection::train_index(VectorIndex& index) const {
    // A strided sample of the stored vectors, about 40 per IVF list (FAISS wants 39), is enough
    // for the coarse quantizer and the PQ codebooks.
    const std::size_t d = static_cast<std::size_t>(dim());
    const std::size_t n = store_->count();
    const std::size_t want =
        std::min(kMaxTrainingVectors, std::max<std::size_t>(index.min_training_vectors() * 40, 1));
    const std::size_t stride = std::max<std::size_t>(1, n / want);
    std::vector<float> sample;
    std::size_t i = 0;
    store_->for_each_vector([&](std::uint64_t, const float* v) {
        if (i++ % stride == 0 && sample.size() < want * d) sample.insert(sample.end(), v, v + d);
    });
    spdlog::info("training the {} index on {} of {} vectors", index.factory(), sample.size() / d,
                 n);
    const auto t0 = std::chrono::steady_clock::now();
    index.train(sample.data(), sample.size() / d);
    spdlog::info("trained in {:.1f} s",
                 std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
}

std::unique_ptr<VectorIndex> Collection::build_index(const std::string& factory) const {
    auto fresh = std::make_unique<VectorIndex>(VectorIndex::create(factory, dim()));
    if (!fresh->is_trained() && store_->count() > 0) train_index(*fresh);
    const auto t0 = std::chrono::steady_clock::now();
    // Streams the vectors into the index in chunks: the whole collection never sits in memory.
    const std::size_t d = static_cast<std::size_t>(dim());
    std::vector<float> vectors;
    std::vector<std::int64_t> ids;
    std::size_t added = 0;
    auto flush = [&] {
        if (ids.empty()) return;
        fresh->add(vectors.data(), ids.data(), ids.size());
        added += ids.size();
        vectors.clear();
        ids.clear();
    };
    // The log position of the very snapshot the vectors come from (another process may write).
    const std::uint64_t seq = store_->for_each_vector([&](std::uint64_t id, const float* v) {
        ids.push_back(static_cast<std::int64_t>(id));
        vectors.insert(vectors.end(), v, v + d);
        if (ids.size() == kAddChunk) flush();
    });
    flush();
    fresh->set_applied_seq(seq);
    fresh->set_store_id(store_->id());
    fresh->set_search_defaults(search_defaults_);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (added >= kAddChunk)
        spdlog::info("{} vectors added to the {} index in {:.1f} s", added, factory, seconds);
    return fresh;
}

void Collection::install_index(std::unique_ptr<VectorIndex> fresh) {
    apply_log(*fresh);  // what was written since its snapshot
    std::unique_lock lock(index_mutex_);
    index_ = std::move(fresh);
    dirty_ = true;
}

void Collection::rebuild_index(const std::string& factory) {
    install_index(build_index(factory));
}

bool Collection::maintain_index() {
    std::lock_guard maintenance(maintenance_mutex_);
    std::string want;
    {
        std::lock_guard writer(write_mutex_);
        want = fixed_factory_.empty() ? default_index_factory(store_->count(), dim())
                                      : index_->factory();
        const std::size_t live = index_->size(), dead = index_->tombstone_count();
        if (want != index_->factory())
            spdlog::info("{} images: switching the index from {} to {}", store_->count(),
                         index_->factory(), want);
        else if (dead > 0 && dead >= compact_min_tombstones_ && dead >= live)
            spdlog::info("compacting the {} index: {} removed vectors, {} live", want, dead, live);
        else
            return false;
    }
    // Trained and filled from a snapshot of the store without the write lock: additions and
    // deletions go on meanwhile, into the current index, and reach the new one from the log.
    auto fresh = build_index(want);
    std::lock_guard writer(write_mutex_);
    install_index(std::move(fresh));
    return true;
}

std::vector<AddResult> Collection::add(std::vector<NewImage>&& batch) {
    QISS_ASSERT(!read_only_);
    std::lock_guard writer(write_mutex_);
    const auto d = static_cast<std::size_t>(dim());
    std::vector<float> vectors;
    vectors.reserve(batch.size() * d);
    for (const auto& img : batch) {
        QISS_CHECK(img.vector.size() == d,
                   "vector of dimension {} for a collection of dimension {}", img.vector.size(), d);
        vectors.insert(vectors.end(), img.vector.begin(), img.vector.end());
    }
    std::vector<AddResult> results = store_->add(std::move(batch));
    QISS_ASSERT(results.size() * d == vectors.size());
    std::vector<std::int64_t> ids;
    std::vector<float> fresh;
    for (std::size_t i = 0; i < results.size(); ++i) {
        if (results[i].duplicate) continue;
        ids.push_back(static_cast<std::int64_t>(results[i].id));
        fresh.insert(fresh.end(), vectors.begin() + i * d, vectors.begin() + (i + 1) * d);
    }
    {
        std::unique_lock lock(index_mutex_);
        if (!ids.empty()) index_->add(fresh.data(), ids.data(), ids.size());
        index_->set_applied_seq(store_->last_seq());
    }
    dirty_ = true;
    return results;
}

bool Collection::remove(std::uint64_t id) {
    QISS_ASSERT(!read_only_);
    std::lock_guard writer(write_mutex_);
    // The store first, as for add(): it is the source of truth. If it fails, the index still
    // agrees with it; if the index step fails after it, the log replays the removal at the next
    // open. A search meanwhile may find the id in the index but skips it, its record being gone.
    if (!store_->remove(id)) return false;
    const auto sid = static_cast<std::int64_t>(id);
    std::unique_lock lock(index_mutex_);
    index_->remove(&sid, 1);
    index_->set_applied_seq(store_->last_seq());
    dirty_ = true;
    return true;
}

void Collection::save_index() {
    if (read_only_) return;
    std::lock_guard writer(write_mutex_);
    commit_keywords();
    if (!dirty_) return;
    std::shared_lock lock(index_mutex_);
    index_->save(dir_ / kIndexFile);
    dirty_ = false;
}

torch::Tensor Collection::embed_images(const std::vector<cv::Mat>& rgb) const {
    return model_->embed_images(rgb);
}

std::vector<float> Collection::embed_text(const std::string& text) const {
    return std::move(embed_texts({text}).front());
}

std::vector<std::vector<float>> Collection::embed_texts(
    const std::vector<std::string>& texts) const {
    QISS_CHECK(model_->has_text(),
               "the collection's model {} (kind {}) embeds images only: search by image or by "
               "id, or index with a model that has a text branch to search by text",
               model_path_.string(), model_->kind());
    const torch::Tensor v = model_->embed_texts(texts).contiguous();
    std::vector<std::vector<float>> out;
    const auto d = v.size(1);
    for (std::int64_t i = 0; i < v.size(0); ++i) {
        const float* row = v.data_ptr<float>() + i * d;
        out.emplace_back(row, row + d);
    }
    return out;
}

std::vector<float> Collection::embed_image(const cv::Mat& rgb) const {
    torch::Tensor v = embed_images({rgb});
    return {v.data_ptr<float>(), v.data_ptr<float>() + v.size(1)};
}

std::optional<std::vector<float>> Collection::vector_of(std::uint64_t id) const {
    return store_->vector(id);
}

CollectionInfo Collection::info() const {
    CollectionInfo i;
    i.images = store_->count();
    {
        std::shared_lock lock(index_mutex_);
        i.index_vectors = index_->size();
        i.index_tombstones = index_->tombstone_count();
        i.index_factory = index_->factory();
    }
    i.keyword_images = keyword_count();
    i.has_text = has_text();
    i.model_path = model_path_.string();
    i.model_fingerprint = model_fingerprint_;
    i.model_training = model_->training_info();
    i.store_bytes = folder_bytes(dir_ / kStoreDir);
    i.index_bytes = folder_bytes(dir_ / kIndexFile);
    i.model_bytes = folder_bytes(model_path_);
    return i;
}

}  // namespace qiss
