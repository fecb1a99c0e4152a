#pragma once
/// @file manifest.h
/// The corpus manifest: a JSONL file, one line per image plus optional identity lines holding
/// the texts shared by the images of one id, that `qiss corpus` writes and `qiss train` /
/// `qiss eval` read. Users can write it by hand for their own captioned photos.
/// The format is documented in docs/format.md ("Corpus manifest").

#include <compare>
#include <filesystem>
#include <istream>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace qiss {

/// Which part of the corpus an image belongs to.
enum class Split { Train, Val, Test };

const char* split_name(Split s);
/// Parses "train", "val" or "test"; throws qiss::Error otherwise.
Split parse_split(const std::string& s);

/// The language of a locale: its part before the first '-' or '_' ("pt-PT" -> "pt").
std::string locale_language(const std::string& locale);

/// locale -> texts.
using TextsByLocale = std::map<std::string, std::vector<std::string>>;

/// The texts of an image. The images of one identity share one instance.
struct EntryTexts {
    /// locale -> captions. The first caption of a locale is its primary one (the CLDR `tts`
    /// name for emoji); eval uses it as the text query.
    TextsByLocale captions;
    /// locale -> keywords (short tags, e.g. CLDR `default` keywords). Optional.
    TextsByLocale keywords;

    bool empty() const { return captions.empty() && keywords.empty(); }
    bool operator==(const EntryTexts&) const = default;
    auto operator<=>(const EntryTexts&) const = default;
};

/// One image of the manifest.
struct ManifestEntry {
    std::filesystem::path
        path;  ///< absolute once loaded (relative paths resolve against the manifest's folder)
    std::string id;  ///< identity: images with the same id show the same thing (default: the path)
    std::string vendor;  ///< optional source/style of the image (e.g. "apple"); may be empty
    Split split = Split::Train;
    /// The image's texts, shared with the other images of its identity where they are the
    /// same; null when it has none.
    std::shared_ptr<const EntryTexts> texts;

    /// locale -> captions (empty when the image has none).
    const TextsByLocale& captions() const;
    /// locale -> keywords (empty when the image has none).
    const TextsByLocale& keywords() const;
};

/// A problem found in one manifest line; the line is skipped, the load goes on.
struct ManifestWarning {
    std::size_t line = 0;
    std::string message;
};

struct Manifest {
    std::vector<ManifestEntry> entries;
    std::vector<ManifestWarning> warnings;
};

/// Reads a manifest file. An image line without `captions` and `keywords` takes the texts of the
/// identity line of its id, if any (identity lines may come anywhere in the file). A line that is
/// not valid JSON, lacks `path` (or `identity`), names a file that does not exist, or has an
/// empty caption is skipped with a warning (logged and returned); other lines load; of two
/// identity lines for one id the first is kept. Equal texts of one id are shared in memory.
/// Lines are parsed on every core. Throws qiss::Error if the file cannot be opened.
Manifest read_manifest(const std::filesystem::path& file);

/// Reads a manifest from a stream, as read_manifest(file) does: relative paths resolve against
/// `base`, warnings name the input `name`.
Manifest read_manifest(std::istream& in, const std::filesystem::path& base,
                       const std::string& name);

/// Writes entries as JSONL (paths written relative to the manifest's folder when inside it).
/// Texts shared by several entries of one id are written once, as an identity line just before
/// the first of them; other texts are written inline. Atomic: written to a temporary file,
/// then renamed.
void write_manifest(const std::filesystem::path& file, const std::vector<ManifestEntry>& entries);

/// The manifest file inside a corpus folder: DIR/manifest.jsonl.
std::filesystem::path manifest_path(const std::filesystem::path& corpus_dir);

/// The manifest a `--corpus` argument names (`qiss train`, `qiss eval`): a folder's
/// manifest.jsonl, or the file itself. Throws qiss::Error if neither exists.
std::filesystem::path resolve_manifest(const std::filesystem::path& corpus);

}  // namespace qiss
