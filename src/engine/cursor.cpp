#include "engine/cursor.h"

#include <array>
#include <bit>
#include <cmath>
#include <cstring>

#include "common/error.h"

namespace qiss {
namespace {

constexpr std::uint8_t kVersion = 1;
/// version, score (float bits), id, rank, query fingerprint, then a check of those 29 bytes
/// (FNV-1a, low 32 bits): little-endian.
constexpr std::size_t kPayload = 1 + 4 + 8 + 8 + 8;
constexpr std::size_t kBytes = kPayload + 4;
constexpr std::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// FNV-1a, 64 bits.
struct Fnv {
    std::uint64_t h = 0xcbf29ce484222325ull;
    void add(const void* data, std::size_t n) {
        const auto* p = static_cast<const unsigned char*>(data);
        for (std::size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 0x100000001b3ull;
    }
    template <typename T>
    void add_value(T v) {
        add(&v, sizeof v);
    }
};

void put(std::array<std::uint8_t, kBytes>& out, std::size_t at, std::uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) out[at + i] = static_cast<std::uint8_t>(v >> (8 * i));
}

std::uint64_t get(const std::array<std::uint8_t, kBytes>& in, std::size_t at, int bytes) {
    std::uint64_t v = 0;
    for (int i = 0; i < bytes; ++i) v |= std::uint64_t{in[at + i]} << (8 * i);
    return v;
}

/// The check of a token's payload.
std::uint32_t check_of(const std::array<std::uint8_t, kBytes>& b) {
    Fnv f;
    f.add(b.data(), kPayload);
    return static_cast<std::uint32_t>(f.h);
}

}  // namespace

std::uint64_t query_fingerprint(const Query& q) {
    Fnv f;
    for (const QueryTerm& t : terms_of(q)) {
        f.add_value(static_cast<int>(t.kind));
        f.add_value(t.weight);
        switch (t.kind) {
            case QueryTerm::Kind::Text:
                f.add_value(t.text.size());
                f.add(t.text.data(), t.text.size());
                break;
            case QueryTerm::Kind::Id:
                f.add_value(t.id);
                break;
            case QueryTerm::Kind::Image:
                f.add_value(t.image.rows);
                f.add_value(t.image.cols);
                f.add_value(t.image.type());
                for (int r = 0; r < t.image.rows; ++r)
                    f.add(t.image.ptr(r), t.image.cols * t.image.elemSize());
                break;
        }
    }
    // A page of another mode is another query (a fused page's cursor counts ranks).
    if (q.mode) f.add_value(static_cast<int>(*q.mode));
    // A page of another filter is another query.
    if (!q.filter.empty()) {
        const std::string filter = filter_to_json(q.filter).dump();
        f.add(filter.data(), filter.size());
    }
    return f.h;
}

std::string encode_cursor(const Cursor& c, std::uint64_t fingerprint) {
    std::array<std::uint8_t, kBytes> b{};
    b[0] = kVersion;
    put(b, 1, std::bit_cast<std::uint32_t>(c.score), 4);
    put(b, 5, c.id, 8);
    put(b, 13, static_cast<std::uint64_t>(c.rank), 8);
    put(b, 21, fingerprint, 8);
    put(b, kPayload, check_of(b), 4);
    std::string out;
    std::uint32_t bits = 0;
    int held = 0;
    for (std::uint8_t byte : b) {
        bits = (bits << 8) | byte;
        held += 8;
        while (held >= 6) {
            held -= 6;
            out += kAlphabet[(bits >> held) & 63];
        }
    }
    if (held > 0) out += kAlphabet[(bits << (6 - held)) & 63];
    return out;
}

Cursor decode_cursor(std::string_view token, std::uint64_t fingerprint) {
    const auto invalid = [&] {
        return Error(fmt::format(
            "invalid cursor '{}': pass the `next` of the previous page unchanged",
            token.size() > kMaxCursorBytes ? std::string(token.substr(0, kMaxCursorBytes)) + "…"
                                           : std::string(token)));
    };
    if (token.size() != (kBytes * 8 + 5) / 6) throw invalid();
    std::array<std::uint8_t, kBytes> b{};
    std::uint32_t bits = 0;
    int held = 0;
    std::size_t n = 0;
    for (char ch : token) {
        const auto v = kAlphabet.find(ch);
        if (v == std::string_view::npos) throw invalid();
        bits = (bits << 6) | static_cast<std::uint32_t>(v);
        held += 6;
        if (held >= 8) {
            held -= 8;
            b[n++] = static_cast<std::uint8_t>(bits >> held);
        }
    }
    if (n != kBytes || (bits & ((1u << held) - 1)) != 0 || b[0] != kVersion ||
        get(b, kPayload, 4) != check_of(b))
        throw invalid();
    Cursor c;
    c.score = std::bit_cast<float>(static_cast<std::uint32_t>(get(b, 1, 4)));
    c.id = get(b, 5, 8);
    c.rank = static_cast<std::int64_t>(get(b, 13, 8));
    if (!std::isfinite(c.score) || c.rank < 1) throw invalid();
    QISS_CHECK(get(b, 21, 8) == fingerprint,
               "the cursor belongs to another query: `after` continues the query whose answer "
               "gave it as `next`");
    return c;
}

}  // namespace qiss
