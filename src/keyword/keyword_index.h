#pragma once
/// @file keyword_index.h
/// The keyword side of hybrid search: a Xapian database of the words of each image's caption,
/// tags and file name, stemmed in their language (docs/api.md, "Hybrid search"). Like the
/// vector index it is derived data: it records the store's identity and the last operation of
/// the store's log it reflects, is brought up to date from that log, and is rebuilt from the
/// store when it is missing, unreadable or foreign.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "index/id_set.h"
#include "store/image_store.h"
#include "text/language.h"

namespace qiss {

/// One image found by its words.
struct KeywordHit {
    std::uint64_t id = 0;
    double weight = 0;  ///< BM25
};

/// The text of a record that the keyword side indexes: its caption and the string values (or
/// lists of strings) of its metadata fields `title`, `description`, `tags` and `keywords`.
std::string keyword_text(const ImageRecord& record);
/// The words of a record's file name (without folders and extension; `_`, `-`, `.`, `+` split
/// words), which the keyword side indexes too.
std::string file_name_words(const ImageRecord& record);

/// The language whose stemmer a text is matched with: CLD2's when it is sure, else English
/// (texts of one or two words are rarely identified, and captions are mostly English).
std::string keyword_language(const DetectedLanguage& detected);

class KeywordIndex {
  public:
    /// Opens the database in `dir`. Writable: creates it if missing; changes stay in memory
    /// until commit(). Read-only: what another process committed, plus what this one adds or
    /// removes in memory (an overlay, as a read-only collection keeps its vector index).
    /// Throws qiss::Error when the database is unreadable or locked by another writer.
    static std::unique_ptr<KeywordIndex> open(const std::filesystem::path& dir, bool writable);
    /// An empty index held in memory only (a read-only collection whose database is unusable).
    static std::unique_ptr<KeywordIndex> in_memory();
    ~KeywordIndex();

    /// The identity of the store the index was built from (all zero: none recorded yet).
    StoreId store_id() const;
    void set_store_id(const StoreId& id);
    /// The last operation of the store's log the index reflects.
    std::uint64_t applied_seq() const;
    void set_applied_seq(std::uint64_t seq);
    /// Indexes (or re-indexes) a record's words under its id.
    void add(const ImageRecord& record);
    void remove(std::uint64_t id);
    /// Number of images indexed (with or without words).
    std::size_t size() const;
    /// Whether any indexed image has a caption, tags, title or description (file names aside).
    bool has_text() const;
    /// Writable: writes the changes, store identity and log position atomically (Xapian's
    /// commit). Read-only: nothing.
    void commit();
    /// Read-only: sees what the writer committed since (the overlay is cleared when the
    /// database moved; the caller replays the log after applied_seq()). Returns true if it
    /// moved.
    bool reopen();

    /// The `k` best images for the words of `text` (BM25; words are matched as written and
    /// stemmed with the stemmer of `language`, a BCP 47 code, when Xapian has one), best
    /// first; only ids in `allowed` when given. Thread-safe.
    std::vector<KeywordHit> search(const std::string& text, const std::string& language,
                                   std::size_t k, const IdSet* allowed = nullptr) const;
    /// The words of `text` (lower-cased) that match the indexed words of image `id`, as written
    /// or by their stem, in their order in `text`; empty if none or if the image is not indexed.
    std::vector<std::string> matching_words(const std::string& text, const std::string& language,
                                            std::uint64_t id) const;

  private:
    struct Impl;
    explicit KeywordIndex(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace qiss
