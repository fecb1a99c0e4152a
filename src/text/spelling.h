#pragma once
/// @file spelling.h
/// Spellings that keyboards force: "coeur" for "cœur", "oeuf" for "œuf", "baer" for "bær".
/// The model learned the ligature forms (CLDR writes them); a query typed without them falls
/// apart into pieces the model reads as something else ("coeur rouge" found 🩸, "cœur rouge"
/// ❤️). known_spelling() writes a ligature back where the tokenizer knows the word better with
/// it, judged by the tokenizer alone (the word in fewer pieces), so it needs no word list and holds
/// for any trained vocabulary: a word the vocabulary knows as typed is left alone.

#include <string>
#include <string_view>

#include "text/tokenizer.h"

namespace qiss {

/// `text` with each space-separated word that holds "oe" or "ae" (any case) replaced by the
/// variant with œ / æ in some of those places that `tokenizer` splits into the fewest pieces,
/// when that is fewer than the word as typed (a tie keeps the word as typed). Words with more
/// than four such places are left alone, and so are the words after the first that would take
/// the text past 256 tokenizations.
std::string known_spelling(const Tokenizer& tokenizer, std::string_view text);

}  // namespace qiss
