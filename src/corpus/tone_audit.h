#pragma once
/// @file tone_audit.h
/// Checks the skin-tone variants of a drawing style against the order every vendor draws them
/// in: from medium-light (U+1F3FC) to dark (U+1F3FF) each tone's skin is darker than the one
/// before (light, U+1F3FB, is left out of the check: vendors draw it pinker, not always
/// lighter, than medium-light). A package that exchanges two neighbouring tones in most of its
/// families (a mapping error upstream: @lobehub/fluent-emoji-3d draws medium-light as medium
/// and medium as medium-light) is corrected; a family out of order otherwise is left out.

#include <cstddef>
#include <filesystem>
#include <string>
#include <unordered_map>

namespace qiss {

struct ToneAudit {
    std::size_t families = 0;   ///< families with all five single-tone drawings, checked
    std::size_t exchanged = 0;  ///< families corrected by the style's systematic exchange
    std::size_t dropped = 0;    ///< families left out: their tones out of order otherwise
    /// The style's systematic exchange: tones `pair` and `pair` + 1 (0 = light); -1: none.
    int pair = -1;
};

/// Audits the skin-tone families of one style, `by_key` (code point key, as codepoint_key()
/// writes it, -> image file), in place: exchanges the files of a systematic exchange, removes the
/// keys of every drawing of a family left out. A family is the keys that differ only in their
/// skin-tone modifiers, all of one tone ("1f44b-1f3fb" ... "1f44b-1f3ff"). Throws qiss::Error
/// for an unreadable image.
ToneAudit audit_skin_tones(std::unordered_map<std::string, std::filesystem::path>& by_key);

}  // namespace qiss
