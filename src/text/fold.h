#pragma once
/// @file fold.h
/// Latin letters without their accents and ligatures: "crème brûlée" → "creme brulee",
/// "cœur" → "coeur", "Łódź" → "Lodz", "straße" → "strasse". What people type on a keyboard
/// that lacks the letter, so that a word search finds the word either way. Other scripts are
/// left as they are (a Japanese が is not a か, a Hindi vowel sign is part of its word).

#include <string>
#include <string_view>

namespace qiss {

/// `text` (UTF-8) with every Latin-script letter written in ASCII, by ICU's CLDR transform
/// "Latin-ASCII"; every other character unchanged. Invalid UTF-8 becomes U+FFFD first.
std::string fold_latin(std::string_view text);

}  // namespace qiss
