#pragma once
/// @file answer_json.h
/// The documented JSON forms of a search answer and of a stored image (docs/api.md), shared by
/// the HTTP API and `qiss search --json`: the engine answers in types, the edges in JSON.

#include <string>

#include <nlohmann/json.hpp>

#include "engine/explain.h"
#include "engine/query.h"
#include "store/image_store.h"
#include "text/language.h"

namespace qiss {

/// How an image's source path is shown to clients.
enum class PathDisplay {
    /// Relative to the folder or manifest folder it was indexed from (an image of an older
    /// collection, which recorded none, shows its file name). URLs and uploads show as stored.
    Relative,
    Absolute,  ///< the absolute path as stored
};

/// The source of `record` as `display` says.
std::string shown_source(const ImageRecord& record, PathDisplay display);

/// {"code","name","reliable"} of a detected language.
nlohmann::json to_json(const DetectedLanguage& language);

/// {"query":{"type", "text"/"image"/"id", "language"?, "width"?, "height"?, "k", "offset",
///  "collapse"?}, "results":[{"id","score","source","width","height","caption"?,
///  "similar"?}…], "next"?}; a combined query is {"type":"terms","terms":[{…one term…,
///  "weight"}…]}; "next" is the `after` of the next page when this one is full.
nlohmann::json to_json(const QueryResult& result, PathDisplay display);

/// {"id", "query":{"text","language"}, "score", "relevance"?, "caption"?, "words":[{"word",
///  "influence"?, "in_caption"}…]}: why an image answers a text query (engine/explain.h).
nlohmann::json to_json(const Explanation& explanation);

}  // namespace qiss
