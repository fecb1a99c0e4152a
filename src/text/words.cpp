#include "text/words.h"

#include <cstdint>

#include <unicode/uchar.h>

#include "text/utf8.h"

namespace qiss {
namespace {

/// Letters, marks (a vowel sign, a virama, a harakah belong to their word), numbers, other and
/// modifier symbols and format characters (an emoji with its skin tone, variation selector and
/// zero-width joiners is one word; so is a Persian word with its zero-width non-joiner);
/// everything else (spaces, punctuation, math and currency signs, connector punctuation such
/// as `_`) separates words. ICU's general categories, so that the Arabic comma or the
/// Devanagari danda separate as a comma does.
bool is_word_character(char32_t cp) {
    constexpr std::uint32_t word =
        U_GC_L_MASK | U_GC_M_MASK | U_GC_N_MASK | U_GC_SO_MASK | U_GC_SK_MASK | U_GC_CF_MASK;
    return (U_GET_GC_MASK(static_cast<UChar32>(cp)) & word) != 0;
}

/// Scripts written without spaces between words.
bool is_unspaced_script(char32_t cp) {
    return (cp >= 0x0E00 && cp <= 0x0EFF) ||  // Thai, Lao
           (cp >= 0x1000 && cp <= 0x109F) ||  // Myanmar
           (cp >= 0x1780 && cp <= 0x17FF) ||  // Khmer
           (cp >= 0x3040 && cp <= 0x30FF) ||  // Hiragana, Katakana
           (cp >= 0x3400 && cp <= 0x4DBF) ||  // Han extension A
           (cp >= 0x4E00 && cp <= 0x9FFF) ||  // Han
           (cp >= 0xF900 && cp <= 0xFAFF) ||  // Han compatibility
           (cp >= 0x20000 && cp <= 0x3FFFF);  // Han extensions
}

}  // namespace

std::vector<WordSpan> word_spans(std::string_view text, UnspacedScripts unspaced) {
    std::vector<WordSpan> spans;
    std::size_t start = std::string_view::npos;
    for (std::size_t i = 0; i < text.size();) {
        std::size_t length = 1;
        const char32_t cp = decode_utf8_at(text, i, length);
        const bool separator = !is_word_character(cp);
        const bool single = unspaced == UnspacedScripts::each_character && is_unspaced_script(cp);
        if ((separator || single) && start != std::string_view::npos) {
            spans.push_back({start, i});
            start = std::string_view::npos;
        }
        if (single) {
            spans.push_back({i, i + length});
        } else if (!separator && start == std::string_view::npos) {
            start = i;
        }
        i += length;
    }
    if (start != std::string_view::npos) spans.push_back({start, text.size()});
    return spans;
}

std::vector<std::string> words_of(std::string_view text, UnspacedScripts unspaced) {
    std::vector<std::string> words;
    for (const WordSpan& s : word_spans(text, unspaced))
        words.emplace_back(text.substr(s.begin, s.end - s.begin));
    return words;
}

}  // namespace qiss
