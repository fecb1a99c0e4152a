#pragma once
/// @file manifest.h
/// The corpus manifest: a JSONL file, one line per image, that `qiss corpus` writes and
/// `qiss train` / `qiss eval` read. Users can write it by hand for their own captioned photos.
/// The format is documented in docs/format.md ("Corpus manifest").

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace qiss {

/// Which part of the corpus an image belongs to.
enum class Split { Train, Val, Test };

const char* split_name(Split s);
/// Parses "train", "val" or "test"; throws qiss::Error otherwise.
Split parse_split(const std::string& s);

/// One line of the manifest.
struct ManifestEntry {
    std::filesystem::path
        path;  ///< absolute once loaded (relative paths resolve against the manifest's folder)
    std::string id;  ///< identity: images with the same id show the same thing (default: the path)
    std::string vendor;  ///< optional source/style of the image (e.g. "apple"); may be empty
    Split split = Split::Train;
    /// locale -> captions. The first caption of a locale is its primary one (the CLDR `tts`
    /// name for emoji); eval uses it as the text query.
    std::map<std::string, std::vector<std::string>> captions;
    /// locale -> keywords (short tags, e.g. CLDR `default` keywords). Optional.
    std::map<std::string, std::vector<std::string>> keywords;
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

/// Reads a manifest file. A line that is not valid JSON, lacks `path`, names a file that does not
/// exist, or has an empty caption is skipped with a warning (logged and returned); other lines
/// load. Throws qiss::Error if the file cannot be opened.
Manifest read_manifest(const std::filesystem::path& file);

/// Writes entries as JSONL (paths written relative to the manifest's folder when inside it).
/// Atomic: written to a temporary file, then renamed.
void write_manifest(const std::filesystem::path& file, const std::vector<ManifestEntry>& entries);

/// The manifest file inside a corpus folder: DIR/manifest.jsonl.
std::filesystem::path manifest_path(const std::filesystem::path& corpus_dir);

}  // namespace qiss
