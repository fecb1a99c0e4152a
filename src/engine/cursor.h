#pragma once
/// @file cursor.h
/// Deep paging: where a page of results ended (Cursor) and the opaque token clients carry to
/// ask for the next page (`after`). A token names the query it belongs to, so that a cursor
/// given to another query is an error rather than a page of something else.

#include <cstdint>
#include <string>
#include <string_view>

#include "engine/query_spec.h"

namespace qiss {

/// The longest token decode_cursor() reads.
inline constexpr std::size_t kMaxCursorBytes = 64;

/// A fingerprint of what a query searches for: its terms (kind, text, id, weight, an image's
/// pixels), not k, offset, collapse or after.
std::uint64_t query_fingerprint(const Query& query);

/// The token of `cursor` for the query with this fingerprint: URL-safe base64, no padding.
std::string encode_cursor(const Cursor& cursor, std::uint64_t fingerprint);

/// The cursor of a token. Throws qiss::Error "invalid cursor" for a token that encode_cursor()
/// did not make (damaged: its check fails; truncated, another version, a score that is not
/// finite) and "the
/// cursor belongs to another query" when `fingerprint` is not the one it was made for.
Cursor decode_cursor(std::string_view token, std::uint64_t fingerprint);

}  // namespace qiss
