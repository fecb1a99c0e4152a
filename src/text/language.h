#pragma once
/// @file language.h
/// Language identification of queries and captions with CLD2.

#include <string>
#include <string_view>

namespace qiss {

/// The language CLD2 finds in a text.
struct DetectedLanguage {
    /// BCP 47 tag: the ISO 639-1 code where one exists ("fr", "he"), else ISO 639-2/3 ("haw",
    /// "ceb"), "zh-Hant" for traditional Chinese; "und" when undetermined.
    std::string code = "und";
    std::string name = "Unknown";  ///< English name, e.g. "French", "Scots Gaelic"
    /// CLD2's own verdict. False when CLD2 could only make a best-effort guess, which is the
    /// usual case for one- or two-word queries ("Katze"); `code` then holds that guess.
    bool reliable = false;
    int percent = 0;  ///< share of the text's letters in this language, 0..100
};

/// Detects the main language of plain UTF-8 text. Never throws: empty text, invalid UTF-8,
/// text without letters and text CLD2 does not recognise give "und".
DetectedLanguage detect_language(std::string_view utf8_text);

}  // namespace qiss
