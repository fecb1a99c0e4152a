#pragma once
/// @file source.h
/// What `qiss index` is given: folders, JSONL manifests, image files and http(s) URLs, expanded
/// into a flat list of items to ingest.

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace qiss {

/// One image to ingest.
struct IngestItem {
    std::string source;  ///< absolute file path or http(s) URL, as stored in the record
    bool is_url = false;
    std::string caption;                                 ///< optional
    nlohmann::json metadata = nlohmann::json::object();  ///< free fields of a manifest line
    /// The folder a file source was found under: the folder given, a given file's folder, or
    /// the manifest's folder (ImageRecord::root); empty for URLs.
    std::string root;
};

/// A source or a manifest line that could not be used (it is skipped; the run goes on).
struct SourceProblem {
    std::string source;
    std::string message;
};

/// True for the file name extensions a folder scan picks up (jpg, jpeg, png, webp, gif, bmp;
/// any case).
bool has_image_extension(const std::filesystem::path& p);
bool is_url(const std::string& s);

/// Expands each source: a folder (recursive, image extensions, sorted), a `.jsonl` manifest
/// (`path` relative to the manifest or `url`; optional `caption`, or `captions` {locale: [..]}
/// whose English or first entry becomes the caption; every other field is kept as metadata except
/// `captions` and `keywords`; a line without `caption`, `captions` and `keywords` takes the
/// caption of the identity line `{"identity": ID, "captions": ...}` of its `id`), an http(s) URL,
/// or a single image file. Problems are appended to `problems`, never thrown.
std::vector<IngestItem> expand_sources(const std::vector<std::string>& sources,
                                       std::vector<SourceProblem>& problems);

}  // namespace qiss
