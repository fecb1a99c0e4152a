#pragma once
/// @file skin_tone.h
/// The skin-tone modifiers (U+1F3FB light .. U+1F3FF dark) in an emoji id written as lowercase
/// code points joined by '-' ("1f44b-1f3fd", as the manifest and codepoint_key() write it).

#include <string>
#include <string_view>
#include <vector>

namespace qiss {

/// The id without its skin-tone modifiers: "1f44b-1f3fd" -> "1f44b".
std::string without_skin_tones(std::string_view id);

/// The tone of each modifier in the id, in order, 0 (light) .. 4 (dark): "1f44b-1f3fd" -> {2}.
std::vector<int> skin_tones(std::string_view id);

}  // namespace qiss
