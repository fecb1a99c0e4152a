#pragma once
/// @file utf8.h
/// UTF-8 validation for text that comes from users (queries, captions, HTTP requests), and the
/// code point steps of walking and writing it.

#include <cstddef>
#include <string>
#include <string_view>

namespace qiss {

/// Whether `text` is well-formed UTF-8 (RFC 3629): no overlong forms, no surrogates
/// (U+D800..U+DFFF), nothing above U+10FFFF, no truncated sequence. The empty string is valid.
bool is_valid_utf8(std::string_view text);

/// The code point that starts at `text[i]` of valid UTF-8 (is_valid_utf8), and in `length` its
/// number of bytes.
char32_t decode_utf8_at(std::string_view text, std::size_t i, std::size_t& length);

/// Appends the UTF-8 bytes of code point `cp` (at most U+10FFFF) to `out`.
void append_utf8(char32_t cp, std::string& out);

}  // namespace qiss
