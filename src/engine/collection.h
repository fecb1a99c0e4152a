#pragma once
/// @file collection.h
/// A collection (DATADIR): the model that embeds it, the image store (LMDB) and the vector
/// index (FAISS), kept in agreement. The store is the source of truth: every image, its vector
/// and an operation log are committed in one LMDB transaction; the index file records the last
/// operation it reflects and is brought up to date from the log when the collection opens.

#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <opencv2/core.hpp>

#include "engine/query_spec.h"
#include "engine/record_table.h"
#include "index/vector_index.h"
#include "keyword/keyword_index.h"
#include "model/inference_model.h"
#include "store/image_store.h"

namespace qiss {

struct CollectionOptions {
    /// The model to bind a new collection to; for an existing one it must be the same model
    /// (else a clear error). Empty: the collection's own copy, or the default model.
    std::filesystem::path model;
    /// FAISS factory string; empty = chosen from the collection size (docs/index.md). Once given
    /// it is remembered by the collection.
    std::string index_factory;
    bool read_only = false;
    std::size_t store_map_size = 64ull << 30;
    /// Search parameters used when a search passes none (`qiss serve/search --ef-search,
    /// --nprobe, --k-factor`); also stored in the index so that they take the concurrent path.
    SearchOptions search;
    /// Deep paging (search_after): a page whose cursor is at most this deep (1.5 × rank + 2k) is
    /// taken from the index's nearest; a deeper one scans every stored vector (exact, its cost
    /// independent of the depth: docs/benchmarks.md, "Deep paging"). 0: always scan.
    int cursor_index_depth = 1000;
    /// Filtered searches: a filter that keeps at most this many images is answered by an exact
    /// scan of their stored vectors; a broader one by the index, restricted to them (FAISS
    /// IDSelector). docs/benchmarks.md, "Filters", measures both.
    std::size_t filter_scan_max = 10000;
    /// Index upkeep (maintain_index) rebuilds the index from the store once its removed vectors
    /// (tombstones, for the index types that keep them: docs/index.md) are at least this many
    /// and at least as many as the live ones, so that add/delete churn cannot grow it without
    /// bound.
    std::size_t compact_min_tombstones = 1000;
    /// The words of a text query searched on their own (engine/word_search.h): the weight of
    /// their scores, in [0, 1] (0 = off). Unset: the model's (ModelConfig::word_weight).
    std::optional<float> word_weight;
};

/// One hit of a search.
struct Hit {
    std::uint64_t id = 0;
    float score = 0;
    ImageRecord record;
    /// A text search that searched the words of its query on their own (engine/word_search.h):
    /// the word whose weighted cosine is the score (its index in SemanticQuery::words); -1 when
    /// the score is the cosine with the query itself.
    int word = -1;
};

/// Collection-wide figures for `qiss info` and /api/health.
struct CollectionInfo {
    std::size_t images = 0;
    std::size_t index_vectors = 0;
    std::size_t index_tombstones = 0;  ///< removed vectors the index still holds
    std::string index_factory;
    std::size_t keyword_images = 0;  ///< images in the keyword index
    bool has_text = false;           ///< Collection::has_text()
    std::string model_path;
    std::string model_fingerprint;
    nlohmann::json model_training;
    std::uint64_t store_bytes = 0, index_bytes = 0, model_bytes = 0;
};

/// The default model shipped with qiss: $QISS_MODEL, else models/qiss-default.qiss next to or
/// above the running binary. Empty if none is found.
std::filesystem::path default_model_path();

class Collection {
  public:
    /// Opens (or creates) DATADIR. Throws qiss::Error for a model mismatch, a store or index of
    /// another format or a newer version.
    static std::unique_ptr<Collection> open(const std::filesystem::path& dir,
                                            const CollectionOptions& options = {});
    ~Collection();

    /// Adds embedded images in one atomic store transaction, then to the index. Returns, per
    /// image, its id and whether it was a duplicate (already stored, same content hash).
    std::vector<AddResult> add(std::vector<NewImage>&& batch);
    /// Removes an image; false if the id is unknown.
    bool remove(std::uint64_t id);
    /// Writes the index file (atomic) if it changed since the last save.
    void save_index();
    /// Index upkeep: rebuilds the index from the store when the factory chosen for the current
    /// size differs from the current one (and no factory was fixed by the user), or when its
    /// tombstones reach CollectionOptions::compact_min_tombstones and the live vector count.
    /// Returns true if it rebuilt. The new index is trained and filled without the write lock,
    /// so add() and remove() go on meanwhile; their operations are replayed into it before it
    /// replaces the current one.
    bool maintain_index();

    /// Nearest images of a query vector [D], best first (equal scores by ascending id); skips
    /// `offset` hits; leaves out the ids in `exclude`. `options` default to
    /// CollectionOptions::search.
    /// With `allowed` (select()), only those ids: by an exact scan of their vectors when there
    /// are at most CollectionOptions::filter_scan_max of them, else by the index restricted to
    /// them (scanning after all when the index finds fewer than it should).
    std::vector<Hit> search(const float* query, int k, int offset = 0,
                            std::span<const std::uint64_t> exclude = {},
                            const std::optional<SearchOptions>& options = std::nullopt,
                            const IdSet* allowed = nullptr) const;
    /// search() without reading the records (Hit::record empty; an image removed since the
    /// index was loaded may be among them): for candidates scored further before any is shown
    /// (engine/word_search.h). A filter narrow enough to be scanned reads them anyway.
    std::vector<Hit> search_ids(const float* query, int k, int offset = 0,
                                std::span<const std::uint64_t> exclude = {},
                                const IdSet* allowed = nullptr) const;
    /// The `k` nearest images strictly after `after` in search()'s order (a lower score, or the
    /// same score and a higher id), leaving out `exclude` and, with `allowed`, every id not in
    /// it: the next page of a deep paging (engine/collection_paging.cpp). Its cost does not
    /// grow with the cursor's rank.
    std::vector<Hit> search_after(const float* query, int k, const Cursor& after,
                                  std::span<const std::uint64_t> exclude = {},
                                  const IdSet* allowed = nullptr) const;
    /// The ids of the stored images that pass `filter` (engine/filter.h), from the in-memory
    /// record table (built from the store on first use, then kept up to date from its log).
    /// Throws qiss::Error (not_found) for a field no image has.
    IdSet select(const Filter& filter) const;
    /// The `k` best images for the words of `text` (the keyword side of hybrid search:
    /// keyword/keyword_index.h), stemmed in `language`; only ids in `allowed` when given. The
    /// keyword index is first brought up to date with the store's log.
    std::vector<KeywordHit> keyword_search(const std::string& text, const std::string& language,
                                           std::size_t k, const IdSet* allowed = nullptr) const;
    /// The words of `text` that match image `id`'s indexed words (KeywordIndex::matching_words).
    std::vector<std::string> keyword_matches(const std::string& text, const std::string& language,
                                             std::uint64_t id) const;
    /// Whether any image of the collection has a caption, tags, title or description: then
    /// text queries are hybrid by default (file names are searched, but do not make it so).
    bool has_text() const;
    /// Images in the keyword index, brought up to date (equal to the store's count).
    std::size_t keyword_count() const;
    /// Applies what another process wrote to the store since this collection opened (a
    /// read-only server next to a running `qiss index`), and, read-only, loads the index file
    /// again when that process saved it with another index type. Cheap when nothing changed.
    void refresh();
    /// Embeds RGB images, texts, an image with the collection's model. Thread-safe: calls run
    /// concurrently (inference only reads the weights).
    torch::Tensor embed_images(const std::vector<cv::Mat>& rgb) const;
    std::vector<float> embed_text(const std::string& text) const;
    /// Embeds texts in one batch: a unit vector each.
    std::vector<std::vector<float>> embed_texts(const std::vector<std::string>& texts) const;
    std::vector<float> embed_image(const cv::Mat& rgb) const;
    /// The stored vector of an image (for "similar images").
    std::optional<std::vector<float>> vector_of(std::uint64_t id) const;

    /// A read-only view of the store (records, thumbnails, hashes, counts): every write goes
    /// through add() and remove(), which keep store and index in agreement.
    const ImageStore& store() const { return *store_; }
    /// The side of the square RGB image the model takes (ModelConfig::preprocess.size).
    int input_size() const { return model_->config().preprocess.size; }
    int dim() const { return model_->dim(); }
    /// The model's relevance calibration (score -> probability of relevance), if it has one.
    const std::optional<Calibration>& calibration() const { return model_->calibration(); }
    /// The weight of the words of a text query searched on their own (0 = off):
    /// CollectionOptions::word_weight, else the model's.
    float word_weight() const { return word_weight_; }
    CollectionInfo info() const;
    const std::filesystem::path& dir() const { return dir_; }

  private:
    class WriterLock;
    Collection() = default;
    /// Loads the index file and brings it up to date with the store; rebuilds the index from the
    /// store when the file is missing, unreadable, or does not agree with the store (another
    /// store's identity, a log position or a count the store does not have).
    void open_index();
    /// Why `index`, read from `file`, cannot belong to the store ("" if it can).
    std::string index_mismatch(const VectorIndex& index, const std::filesystem::path& file) const;
    /// Replays the log, then compares the index's vector count with the store's ("" if equal).
    std::string sync_and_count(const std::filesystem::path& file);
    /// Says why the index file (or the keyword index's folder: `what`) is unusable and, with
    /// write access, moves it aside.
    void set_index_file_aside(const std::filesystem::path& file, const std::string& problem,
                              std::string_view what = "index") const;
    /// Replays the store's log after `index`'s position into it; returns the operations applied.
    std::size_t apply_log(VectorIndex& index) const;
    void sync_index_from_log();
    /// Read-only: loads the index file again if another process saved it with another type.
    void reload_if_retyped();
    /// A new index of `factory`, trained and filled from one snapshot of the store.
    std::unique_ptr<VectorIndex> build_index(const std::string& factory) const;
    /// Brings `fresh` up to date with the log and makes it the index (caller: write_mutex_).
    void install_index(std::unique_ptr<VectorIndex> fresh);
    void rebuild_index(const std::string& factory);
    void train_index(VectorIndex& index) const;
    /// Opens the keyword index (DATADIR/keywords) and brings it up to date; rebuilds it from
    /// the store when it is missing, unreadable or foreign (engine/collection_keywords.cpp).
    void open_keywords();
    /// Why the opened keyword index cannot belong to the store ("" if it can).
    std::string keywords_mismatch(const KeywordIndex& keywords) const;
    /// A keyword index of every stored record, from one snapshot of the store.
    void fill_keywords(KeywordIndex& keywords) const;
    /// Replays the store's log after the keyword index's position into it; returns the index.
    std::shared_ptr<KeywordIndex> sync_keywords() const;
    /// Runs `use` on the up-to-date keyword index; when it finds the index damaged, sets it
    /// aside, rebuilds it from the store and runs `use` again (once more when a writer
    /// replaced it meanwhile).
    template <typename F>
    auto with_keywords(F&& use) const;
    /// Sets the keyword index aside for `problem` and rebuilds it from the store.
    void rebuild_keywords(const std::string& problem) const;
    /// Writes the keyword index's changes (writable collections).
    void commit_keywords();
    /// search() and search_ids(): with or without the records.
    std::vector<Hit> nearest(const float* query, int k, int offset,
                             std::span<const std::uint64_t> exclude,
                             const std::optional<SearchOptions>& options, const IdSet* allowed,
                             bool records) const;
    /// Re-scores candidates with the stored vectors; the `keep` best, by descending score.
    SearchResult rerank_with_store(const float* query, const SearchResult& candidates,
                                   int keep) const;
    /// search_after() by an exact scan of every stored vector (of `allowed`'s only, if given).
    std::vector<Hit> scan_after(const float* query, int k, const Cursor& after,
                                std::span<const std::uint64_t> exclude, const IdSet* allowed) const;

    std::filesystem::path dir_;
    bool read_only_ = false;
    std::unique_ptr<WriterLock> writer_lock_;
    /// Serialises writers (add, remove, rebuild, save, refresh) within the process.
    mutable std::mutex write_mutex_;
    /// One index rebuild for the collection's size at a time.
    std::mutex maintenance_mutex_;
    /// The index file as last read (file_stamp): a read-only refresh reloads it when it changes
    /// type.
    std::array<std::int64_t, 4> index_file_stamp_{};
    std::filesystem::path model_path_;
    std::string model_fingerprint_;
    std::string fixed_factory_;
    SearchOptions search_defaults_;
    int cursor_index_depth_ = 1000;
    std::size_t filter_scan_max_ = 10000;
    std::size_t compact_min_tombstones_ = 1000;
    float word_weight_ = 0;
    /// Filters' view of the records (select()): shared to select, exclusive to sync.
    mutable std::shared_mutex table_mutex_;
    mutable std::unique_ptr<RecordTable> table_;
    bool dirty_ = false;
    std::unique_ptr<const InferenceModel> model_;
    std::unique_ptr<ImageStore> store_;
    std::unique_ptr<VectorIndex> index_;
    /// Derived like the index; its own lock serialises bringing it up to date and replacing
    /// it (a damaged one is rebuilt while searches may still hold the old one).
    mutable std::shared_ptr<KeywordIndex> keywords_;
    mutable std::mutex keywords_mutex_;
    /// Readers (search) share it; add/remove/rebuild take it exclusively, so a search never sees
    /// an image in the index that the store does not have yet.
    mutable std::shared_mutex index_mutex_;
};

}  // namespace qiss
