#pragma once
/// @file qiss.h
/// The qiss C++ library: open a collection (a DATADIR written by `qiss index`) and search it by
/// text in any language, by image or by a stored image's id. This header needs only the C++
/// standard library (C++17); link the imported CMake target `qiss::qiss`
/// (`find_package(qiss REQUIRED)`). docs/library.md describes the API, errors, thread safety and
/// the versioning policy.
///
/// @code
/// auto searcher = qiss::Searcher::open("/var/lib/qiss");
/// for (const qiss::Result& r : searcher->search_text("un chat qui dort", 5))
///     std::cout << r.id << " " << r.score << " " << r.source << "\n";
/// @endcode

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

/// Marks what libqiss.so exports; everything else in the library is hidden.
#define QISS_API __attribute__((visibility("default")))

namespace qiss {

/// The version of the library the program runs with, e.g. "0.2.0" (the CMake package's
/// qiss_VERSION is that of the library it was built against).
QISS_API const char* version();

/// Every error the library reports: a missing or damaged DATADIR, an unknown id, an empty or
/// over-long text, an unreadable image, a k out of bounds. what() is qiss's message, the same
/// as the `qiss` command prints.
class QISS_API Exception : public std::runtime_error {
  public:
    explicit Exception(const std::string& message);
    ~Exception() override;
};

/// One search result: a stored image and its similarity to the query.
struct Result {
    std::uint64_t id = 0;  ///< the image's id in the collection (never reused)
    float score = 0;       ///< cosine similarity to the query, higher is closer
    std::string source;    ///< the path or URL the image was indexed from
    int width = 0;         ///< the image's width in pixels
    int height = 0;        ///< the image's height in pixels
    std::string caption;   ///< the caption given at indexing, or empty
    /// The probability that the image is relevant to the query, in [0, 1], from the model's
    /// relevance calibration (docs/api.md, "Relevance"); empty when the model has none.
    std::optional<float> relevance;
};

/// How Searcher::open opens a collection. Every limit has a safe default.
struct Options {
    /// Read-only: the collection is not changed and a `qiss index` or `qiss serve` may write to
    /// it meanwhile (refresh() follows it). Only read-only opening is supported for now.
    bool read_only = true;
    /// A model file the collection must have been indexed with; empty: the collection's own.
    std::filesystem::path model;
    /// The largest the image store may grow, in bytes (LMDB map size; `qiss --map-size-gb`).
    std::size_t store_map_size = std::size_t{64} << 30;
    /// The largest k a search may ask for.
    int max_k = 1000;
    /// The longest query text, in bytes of UTF-8.
    std::size_t max_text_bytes = 2000;
};

/// An open collection to search. Searches are const and may run concurrently from any number
/// of threads; refresh() may run concurrently with them too.
class QISS_API Searcher {
  public:
    /// Opens the collection in `datadir`. Throws qiss::Exception if it is missing, damaged, of a
    /// newer format, or was indexed with another model than `options.model`.
    static std::unique_ptr<Searcher> open(const std::filesystem::path& datadir,
                                          const Options& options = {});
    ~Searcher();
    Searcher(const Searcher&) = delete;
    Searcher& operator=(const Searcher&) = delete;

    /// The `k` images closest to a text in any language, best first. Throws qiss::Exception
    /// for an empty, over-long or invalid UTF-8 text, or a k outside 1..Options::max_k.
    std::vector<Result> search_text(const std::string& text, int k = 20) const;
    /// The `k` images closest to an image file (PNG, JPEG, WebP, GIF, BMP), best first. Throws
    /// qiss::Exception for an unreadable or undecodable file.
    std::vector<Result> search_image_file(const std::filesystem::path& file, int k = 20) const;
    /// The same for an encoded image held in memory (`size` bytes at `data`).
    std::vector<Result> search_image_data(const void* data, std::size_t size, int k = 20) const;
    /// The `k` images closest to the stored image `id`, best first, itself excluded. Throws
    /// qiss::Exception for an unknown id.
    std::vector<Result> similar(std::uint64_t id, int k = 20) const;
    /// The number of images in the collection.
    std::size_t size() const;
    /// Applies what another process (`qiss index`, a writing `qiss serve`) added or removed
    /// since the collection was opened. Cheap when nothing changed.
    void refresh();

  private:
    struct Impl;
    explicit Searcher(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace qiss
