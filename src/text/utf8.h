#pragma once
/// @file utf8.h
/// UTF-8 validation for text that comes from users (queries, captions, HTTP requests).

#include <string_view>

namespace qiss {

/// Whether `text` is well-formed UTF-8 (RFC 3629): no overlong forms, no surrogates
/// (U+D800..U+DFFF), nothing above U+10FFFF, no truncated sequence. The empty string is valid.
bool is_valid_utf8(std::string_view text);

}  // namespace qiss
