#pragma once
/// @file image_store.h
/// The image store: records, thumbnails, vectors and an operation log in one LMDB environment
/// (DATADIR/store/). Format in docs/format.md.
///
/// Atomicity: every write (a whole add() batch, a remove()) is one LMDB transaction; after a
/// crash or `kill -9` it is either entirely in the store or not at all.
///
/// Threads: the const members may run from any number of threads concurrently with one
/// writer; each uses its own read transaction (a consistent snapshot; MDB_NOTLS). Writers are
/// serialised by LMDB itself, across threads and processes.
///
/// Processes: several processes may open the same store; LMDB serialises their writes and each
/// reader sees committed data. Within one process a store folder may be open only once at a
/// time (an LMDB rule): a second open() of the same folder throws qiss::Error. Do not use an
/// ImageStore opened before fork() in the child.

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace qiss {

/// Options of ImageStore::open.
struct StoreOptions {
    /// Largest size the store may grow to (address space, not disk: the file grows as needed).
    std::size_t map_size = std::size_t{64} << 30;
    /// Open without writing anything; the store must exist.
    bool read_only = false;
};

/// What the store knows about one image.
struct ImageRecord {
    std::uint64_t id = 0;  ///< assigned by the store, never reused
    std::string source;    ///< path or URL the image came from
    /// The folder `source` was indexed under (the folder or the manifest's folder given to
    /// `qiss index`); empty for URLs, uploads and records of older collections.
    std::string root;
    std::string content_hash;   ///< hash of the file's bytes (identifies duplicates)
    int width = 0, height = 0;  ///< pixels
    std::string format;         ///< e.g. "jpeg", "png"
    std::string caption;        ///< optional text that came with the image
    nlohmann::json metadata = nlohmann::json::object();  ///< free fields (a JSON object)
    std::int64_t added_unix_ms = 0;  ///< when it was added; 0 in add() means now
};

/// The source of a record relative to its `root` ("cats/tom.png"), or its file name when it has
/// no root or lies outside it; URLs and other non-absolute sources as stored.
std::string relative_source(const ImageRecord& record);

/// An image to add: its record (id ignored), thumbnail bytes and embedding vector.
struct NewImage {
    ImageRecord record;
    std::string thumbnail;
    std::vector<float> vector;
};

/// The outcome of adding one image.
struct AddResult {
    std::uint64_t id = 0;    ///< the new id, or that of the stored image with the same hash
    bool duplicate = false;  ///< true if an image with the same content hash was already stored
};

/// A store's identity: 128 random bits written once when the store is created (all zero for a
/// store of an older qiss opened read-only, which has none yet).
using StoreId = std::array<std::uint8_t, 16>;

/// The image count and the operation-log position of one snapshot.
struct StoreCounts {
    std::size_t images = 0;
    std::uint64_t last_seq = 0;
};

/// An operation-log entry's kind.
enum class StoreOp : std::uint8_t { Add = 1, Remove = 2 };

/// The persistent image store. Movable, not copyable (one open environment per folder).
class ImageStore {
  public:
    /// Called per log entry; `vector` is the stored vector of an added image that still
    /// exists, else nullptr. The pointer is valid during the call only.
    using OpCallback =
        std::function<void(std::uint64_t seq, StoreOp op, std::uint64_t id, const float* vector)>;
    /// Called per stored vector (dim() floats, valid during the call only).
    using VectorCallback = std::function<void(std::uint64_t id, const float* vector)>;

    /// Opens the store in folder `dir`, creating it unless read-only. Throws qiss::Error if the
    /// folder holds something other than a qiss store, a newer format version, or is already
    /// open in this process.
    static ImageStore open(const std::filesystem::path& dir, const StoreOptions& options = {});

    ImageStore(ImageStore&&) noexcept;
    ImageStore& operator=(ImageStore&&) noexcept;
    ~ImageStore();

    /// Adds a batch in one transaction: assigns ids, writes records, hashes, thumbnails,
    /// vectors and one log entry per new image. Images whose content hash is already stored
    /// (or repeated within the batch) are not added. Returns one result per input, in order.
    /// Throws qiss::Error (nothing written) for an empty hash or vector, a vector whose
    /// dimension differs from dim(), or a record that cannot be stored.
    std::vector<AddResult> add(std::vector<NewImage>&& batch);

    /// Removes an image (record, hash, thumbnail, vector) and logs it; false if unknown.
    bool remove(std::uint64_t id);

    /// The record of an image.
    std::optional<ImageRecord> get(std::uint64_t id) const;
    /// The thumbnail bytes of an image.
    std::optional<std::string> thumbnail(std::uint64_t id) const;
    /// The stored vector of an image.
    std::optional<std::vector<float>> vector(std::uint64_t id) const;
    /// Calls `callback` for each of `ids` that has a stored vector, in the order given, from one
    /// snapshot (re-ranking candidates). Returns how many were found.
    std::size_t for_vectors(const std::vector<std::uint64_t>& ids,
                            const VectorCallback& callback) const;
    /// The id of the stored image with this content hash.
    std::optional<std::uint64_t> find_hash(const std::string& content_hash) const;

    /// Number of stored images.
    std::size_t count() const;
    /// count() and last_seq() of one snapshot.
    StoreCounts counts() const;
    /// The store's identity (see StoreId); a writable open gives a store without one its id.
    StoreId id() const;
    /// Sequence number of the last operation-log entry (0 for none).
    std::uint64_t last_seq() const;
    /// Dimension of the vectors, fixed by the first add (0 before).
    std::size_t dim() const;

    /// A free value of the `meta` table (e.g. the model fingerprint).
    std::optional<std::string> get_meta(const std::string& key) const;
    /// Sets a free value of the `meta` table. Throws qiss::Error for the store's own keys
    /// (format, next_id, last_seq, dim, store_id).
    void set_meta(const std::string& key, const std::string& value);

    /// Calls `callback` for each log entry after `seq`, in order, from one snapshot. Returns the
    /// snapshot's last_seq() (what an index that applied these entries reflects).
    std::uint64_t for_each_op_after(std::uint64_t seq, const OpCallback& callback) const;
    /// Called per stored record (valid during the call only).
    using RecordCallback = std::function<void(const ImageRecord& record)>;
    /// Calls `callback` for each stored record in id order, from one snapshot. Returns the
    /// snapshot's last_seq().
    std::uint64_t for_each_record(const RecordCallback& callback) const;
    /// Calls `callback` for each stored vector in id order, from one snapshot. Returns the
    /// snapshot's last_seq().
    std::uint64_t for_each_vector(const VectorCallback& callback) const;

    /// The store's folder.
    const std::filesystem::path& dir() const;
    bool read_only() const;

  private:
    struct Impl;
    explicit ImageStore(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace qiss
