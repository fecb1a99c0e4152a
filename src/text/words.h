#pragma once
/// @file words.h
/// The words of a text: runs of letters, marks and numbers between spaces and punctuation.
/// `qiss explain` weighs each word of a query; a text search also searches for each word on its
/// own (engine/word_search.h).

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace qiss {

/// Where a word lies in its text (bytes, [begin, end)).
struct WordSpan {
    std::size_t begin = 0, end = 0;
};

/// How scripts written without spaces between words (Han, Hiragana, Katakana, Thai, Lao,
/// Myanmar, Khmer) are cut: each character a word, or each run of them one word (as they are
/// typed).
enum class UnspacedScripts { each_character, as_runs };

/// The words of valid UTF-8 `text` (is_valid_utf8), in order: runs of letters, marks, numbers,
/// other and modifier symbols and format characters (Unicode general categories L, M, N, So,
/// Sk, Cf); spaces, punctuation and the other symbols separate them.
std::vector<WordSpan> word_spans(std::string_view text, UnspacedScripts unspaced);

/// The words themselves (word_spans).
std::vector<std::string> words_of(std::string_view text, UnspacedScripts unspaced);

}  // namespace qiss
