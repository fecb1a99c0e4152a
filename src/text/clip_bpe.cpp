#include "text/clip_bpe.h"

#include <unicode/locid.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <limits>
#include <utility>

#include "common/error.h"
#include "text/utf8.h"

namespace qiss {
namespace {

/// CLIP's bytes_to_unicode: the printable Latin-1 bytes stand for themselves, the other 68 for
/// U+0100 onwards in byte order. Vocabulary order: the printable bytes, then the others.
bool printable_byte(int b) {
    return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
}

bool is_space(char32_t c) {
    return u_isUWhiteSpace(static_cast<UChar32>(c)) || (c >= 0x1C && c <= 0x1F);
}
bool is_letter(char32_t c) {
    return (U_GET_GC_MASK(static_cast<UChar32>(c)) & U_GC_L_MASK) != 0;
}
bool is_number(char32_t c) {
    return (U_GET_GC_MASK(static_cast<UChar32>(c)) & U_GC_N_MASK) != 0;
}

/// Python's html.unescape for numeric references and the common named ones.
std::string unescape_html(std::string_view s) {
    static constexpr std::array<std::pair<std::string_view, char32_t>, 7> kNamed{{
        {"amp", '&'},
        {"lt", '<'},
        {"gt", '>'},
        {"quot", '"'},
        {"apos", '\''},
        {"nbsp", 0xA0},
        {"#39", '\''},
    }};
    std::string out;
    for (std::size_t i = 0; i < s.size();) {
        if (s[i] != '&') {
            out += s[i++];
            continue;
        }
        std::size_t j = i + 1;
        if (j < s.size() && s[j] == '#') {
            const bool hex = j + 1 < s.size() && (s[j + 1] == 'x' || s[j + 1] == 'X');
            std::size_t k = j + 1 + (hex ? 1 : 0), start = k;
            std::uint64_t v = 0;
            while (k < s.size() && k - start < 8 &&
                   (hex ? std::isxdigit(static_cast<unsigned char>(s[k]))
                        : std::isdigit(static_cast<unsigned char>(s[k])))) {
                const char d = s[k++];
                v = v * (hex ? 16 : 10) +
                    static_cast<std::uint64_t>(std::isdigit(static_cast<unsigned char>(d))
                                                   ? d - '0'
                                                   : (std::tolower(d) - 'a' + 10));
            }
            if (k > start) {
                if (k < s.size() && s[k] == ';') ++k;
                const bool bad = v == 0 || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF);
                append_utf8(bad ? char32_t{0xFFFD} : static_cast<char32_t>(v), out);
                i = k;
                continue;
            }
        } else {
            bool done = false;
            for (const auto& [name, cp] : kNamed) {
                if (s.substr(j, name.size()) != name) continue;
                std::size_t k = j + name.size();
                const bool semicolon = k < s.size() && s[k] == ';';
                // Python accepts the HTML 4 names of &, <, > and " without the semicolon too.
                if (!semicolon && name != "amp" && name != "lt" && name != "gt" && name != "quot")
                    continue;
                append_utf8(cp, out);
                i = k + (semicolon ? 1 : 0);
                done = true;
                break;
            }
            if (done) continue;
        }
        out += s[i++];
    }
    return out;
}

/// Collapses whitespace runs to one space and strips both ends.
std::string collapse_whitespace(std::string_view s) {
    std::string out;
    bool pending = false;
    for (std::size_t i = 0; i < s.size();) {
        std::size_t len = 0;
        const char32_t c = decode_utf8_at(s, i, len);
        if (is_space(c)) {
            pending = !out.empty();
        } else {
            if (pending) out += ' ';
            pending = false;
            out.append(s.substr(i, len));
        }
        i += len;
    }
    return out;
}

std::string to_lower(const std::string& s) {
    icu::UnicodeString u = icu::UnicodeString::fromUTF8(icu::StringPiece(s.data(), s.size()));
    u.toLower(icu::Locale::getRoot());
    std::string out;
    u.toUTF8String(out);
    return out;
}

}  // namespace

ClipBpe::ClipBpe(std::string_view merges_text, std::size_t max_merges) : byte_symbol_(256) {
    int next = 0;
    for (int pass = 0; pass < 2; ++pass)  // printable bytes first, then the others
        for (int b = 0; b < 256; ++b) {
            if (printable_byte(b) != (pass == 0)) continue;
            std::string symbol;
            append_utf8(printable_byte(b) ? static_cast<char32_t>(b) : 256 + next - 188, symbol);
            byte_symbol_[b] = symbol;
            vocab_[symbol] = next;
            vocab_[symbol + "</w>"] = 256 + next;
            ++next;
        }
    std::size_t pos = merges_text.find('\n');  // the first line is a comment
    QISS_CHECK(pos != std::string_view::npos, "BPE merges: no merge after the first line");
    serialized_.assign(merges_text.substr(0, pos + 1));
    std::size_t line_no = 1;
    int rank = 0;
    for (++pos;
         pos < merges_text.size() && (max_merges == 0 || rank < static_cast<int>(max_merges));) {
        std::size_t end = merges_text.find('\n', pos);
        if (end == std::string_view::npos) end = merges_text.size();
        const std::string_view line = merges_text.substr(pos, end - pos);
        pos = end + 1;
        ++line_no;
        const std::size_t space = line.find(' ');
        if (line.empty() && pos >= merges_text.size()) break;  // the final newline
        QISS_CHECK(space != std::string_view::npos && space > 0 && space + 1 < line.size() &&
                       line.find(' ', space + 1) == std::string_view::npos,
                   "BPE merges line {}: expected two symbols separated by one space, got '{}'",
                   line_no, line.substr(0, 80));
        QISS_CHECK(is_valid_utf8(line), "BPE merges line {}: not UTF-8", line_no);
        const std::string first(line.substr(0, space)), second(line.substr(space + 1));
        ranks_[first + " " + second] = rank;
        vocab_[first + second] = 512 + rank;
        serialized_.append(line).push_back('\n');
        ++rank;
    }
    QISS_CHECK(rank > 0, "BPE merges: no merge after the first line");
    vocab_["<|startoftext|>"] = 512 + rank;
    vocab_["<|endoftext|>"] = 512 + rank + 1;
}

std::string ClipBpe::clean(std::string_view text) {
    const std::string once = unescape_html(text);
    return to_lower(collapse_whitespace(unescape_html(once)));
}

std::vector<int> ClipBpe::encode_word(const std::string& word) const {
    std::vector<std::string> w;
    for (unsigned char b : word) w.push_back(byte_symbol_[b]);
    w.back() += "</w>";
    while (w.size() > 1) {
        int best = std::numeric_limits<int>::max();
        std::size_t at = w.size();
        for (std::size_t k = 0; k + 1 < w.size(); ++k) {
            const auto it = ranks_.find(w[k] + " " + w[k + 1]);
            if (it != ranks_.end() && it->second < best) {
                best = it->second;
                at = k;
            }
        }
        if (at == w.size()) break;
        const std::string first = w[at], second = w[at + 1];
        std::vector<std::string> merged;
        for (std::size_t k = 0; k < w.size();) {
            if (k + 1 < w.size() && w[k] == first && w[k + 1] == second) {
                merged.push_back(first + second);
                k += 2;
            } else {
                merged.push_back(std::move(w[k++]));
            }
        }
        w = std::move(merged);
    }
    std::vector<int> ids;
    for (const auto& symbol : w) {
        const auto it = vocab_.find(symbol);
        QISS_ASSERT(it != vocab_.end());
        ids.push_back(it->second);
    }
    return ids;
}

std::vector<int> ClipBpe::encode(std::string_view text) const {
    QISS_CHECK(is_valid_utf8(text), "the text is not valid UTF-8");
    const std::string s = clean(text);
    std::vector<int> ids;
    // Merging a word costs about its length squared: words longer than kMaxWordBytes (a hostile
    // query of 2,000 letters) are merged in pieces of at most that many bytes, cut between
    // characters. Only such words (over 85 CJK characters without a space) differ from CLIP.
    constexpr std::size_t kMaxWordBytes = 256;
    auto add_word = [&](std::size_t from, std::size_t to) {
        while (from < to) {
            std::size_t end = std::min(to, from + kMaxWordBytes);
            while (end < to && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80) --end;
            const auto word = encode_word(s.substr(from, end - from));
            ids.insert(ids.end(), word.begin(), word.end());
            from = end;
        }
    };
    static constexpr std::string_view kStart = "<|startoftext|>", kEnd = "<|endoftext|>";
    for (std::size_t i = 0; i < s.size();) {
        const std::string_view rest = std::string_view(s).substr(i);
        if (rest.starts_with(kStart) || rest.starts_with(kEnd)) {
            ids.push_back(rest.starts_with(kStart) ? start_id() : end_id());
            i += rest.starts_with(kStart) ? kStart.size() : kEnd.size();
            continue;
        }
        if (rest[0] == '\'') {  // 's 't 're 've 'm 'll 'd
            std::size_t n = 0;
            for (std::string_view c : {"s", "t", "re", "ve", "m", "ll", "d"})
                if (rest.substr(1).starts_with(c)) n = 1 + c.size();
            if (n > 0) {
                add_word(i, i + n);
                i += n;
                continue;
            }
        }
        std::size_t len = 0;
        const char32_t c = decode_utf8_at(s, i, len);
        if (is_space(c)) {
            i += len;
            continue;
        }
        std::size_t end = i + len;
        if (is_number(c)) {  // one digit at a time
            add_word(i, end);
            i = end;
            continue;
        }
        const bool letters = is_letter(c);
        while (end < s.size()) {
            std::size_t l = 0;
            const char32_t d = decode_utf8_at(s, end, l);
            const bool same =
                letters ? is_letter(d) : !is_space(d) && !is_letter(d) && !is_number(d);
            if (!same) break;
            end += l;
        }
        add_word(i, end);
        i = end;
    }
    return ids;
}

}  // namespace qiss
