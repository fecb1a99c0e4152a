#include "corpus/skin_tone.h"

namespace qiss {
namespace {

/// The tone of a code point "1f3fb" .. "1f3ff", or -1.
int tone_of(std::string_view part) {
    if (part.size() != 5 || part.substr(0, 4) != "1f3f" || part[4] < 'b' || part[4] > 'f')
        return -1;
    return part[4] - 'b';
}

/// Calls f(part, tone) for each '-'-separated code point of the id, with its tone (-1 for
/// none). A modifier only modifies what comes before it: the first code point is never one
/// ("1f3fb" alone is the light swatch emoji itself).
template <class F>
void for_each_part(std::string_view id, F&& f) {
    std::size_t start = 0;
    while (start <= id.size()) {
        std::size_t end = id.find('-', start);
        if (end == std::string_view::npos) end = id.size();
        const std::string_view part = id.substr(start, end - start);
        f(part, start == 0 ? -1 : tone_of(part));
        start = end + 1;
    }
}

}  // namespace

std::string without_skin_tones(std::string_view id) {
    std::string out;
    for_each_part(id, [&](std::string_view part, int tone) {
        if (tone >= 0) return;
        if (!out.empty()) out += '-';
        out += part;
    });
    return out;
}

std::vector<int> skin_tones(std::string_view id) {
    std::vector<int> out;
    for_each_part(id, [&](std::string_view, int tone) {
        if (tone >= 0) out.push_back(tone);
    });
    return out;
}

}  // namespace qiss
