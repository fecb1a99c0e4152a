#include "text/spelling.h"

#include <array>
#include <cstdint>
#include <vector>

namespace qiss {
namespace {

/// Two letters and the ligature they stand for, per case.
struct Variant {
    std::string_view typed, ligature;
};
constexpr std::array<Variant, 6> kVariants{
    {{"oe", "œ"}, {"Oe", "Œ"}, {"OE", "Œ"}, {"ae", "æ"}, {"Ae", "Æ"}, {"AE", "Æ"}}};
constexpr std::size_t kMaxPlaces = 4;
/// Tokenizations one text may cost (a word with k places costs 2^k): a long query of such words
/// keeps its later words as typed rather than take milliseconds.
constexpr std::size_t kMaxTokenizations = 256;

struct Place {
    std::size_t at;
    const Variant* variant;
};

std::vector<Place> places_in(std::string_view word) {
    std::vector<Place> out;
    for (std::size_t i = 0; i + 1 < word.size(); ++i)
        for (const auto& v : kVariants)
            if (word.substr(i, 2) == v.typed) {
                out.push_back({i, &v});
                ++i;  // "oeoe": two places, never overlapping
                break;
            }
    return out;
}

std::string with_ligatures(std::string_view word, const std::vector<Place>& places,
                           std::uint32_t mask) {
    std::string out;
    std::size_t from = 0;
    for (std::size_t p = 0; p < places.size(); ++p) {
        if (!(mask & (1u << p))) continue;
        out += word.substr(from, places[p].at - from);
        out += places[p].variant->ligature;
        from = places[p].at + 2;
    }
    out += word.substr(from);
    return out;
}

std::string known_word(const Tokenizer& tokenizer, std::string_view word, std::size_t& budget) {
    const auto places = places_in(word);
    if (places.empty() || places.size() > kMaxPlaces) return std::string(word);
    const std::size_t cost = std::size_t{1} << places.size();  // after the bound: no overflow
    if (cost > budget) return std::string(word);
    budget -= cost;
    std::string best(word);
    std::size_t best_pieces = tokenizer.pieces(word).size();
    // A variant must split into strictly fewer pieces than the best so far: the word as
    // typed wins every tie.
    for (std::uint32_t mask = 1; mask < (1u << places.size()); ++mask) {
        std::string candidate = with_ligatures(word, places, mask);
        const std::size_t n = tokenizer.pieces(candidate).size();
        if (n < best_pieces) {
            best_pieces = n;
            best = std::move(candidate);
        }
    }
    return best;
}

}  // namespace

std::string known_spelling(const Tokenizer& tokenizer, std::string_view text) {
    std::string out;
    out.reserve(text.size() + 4);
    std::size_t budget = kMaxTokenizations;
    std::size_t s = 0;
    while (s <= text.size()) {
        std::size_t e = text.find(' ', s);
        if (e == std::string_view::npos) e = text.size();
        out += known_word(tokenizer, text.substr(s, e - s), budget);
        if (e < text.size()) out += ' ';
        s = e + 1;
    }
    return out;
}

}  // namespace qiss
