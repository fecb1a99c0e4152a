#pragma once
/// @file fillers.h
/// Filler words: per language, the function words that people put around the words that
/// matter ("a", "my", "qui", "der", "が"). The text phase can insert them into its training
/// texts (`text_fillers`, train/text_context.h) so that a sentence ("un chat qui dort") reads
/// like the name it contains. `qiss corpus emoji` writes DIR/fillers.tsv from the npm package
/// stopwords-iso; a user's corpus may hold its own. Format: docs/format.md ("Filler words").

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace qiss {

/// language (ISO 639-1, lower case, e.g. "fr") -> its filler words, sorted, without duplicates.
using FillerWords = std::map<std::string, std::vector<std::string>>;

/// The file name of the filler words in a corpus folder.
inline constexpr const char* kFillersFile = "fillers.tsv";

/// Reads a fillers file. Throws qiss::Error naming the file and line if it is missing,
/// lacks the header, or holds a malformed line.
FillerWords read_fillers(const std::filesystem::path& path);

/// Writes `words` as a fillers file (header first, languages and words in order).
void write_fillers(const std::filesystem::path& path, const FillerWords& words);

/// The filler words of stopwords-iso's JSON file (language -> list of words), each list cleaned:
/// entries without a letter (digits, punctuation such as "、") or with a tab or line break are
/// left out. Throws qiss::Error if the file is missing or not of that shape.
FillerWords fillers_from_stopwords_iso(const std::filesystem::path& json_path);

}  // namespace qiss
