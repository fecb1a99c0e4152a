#include "text/language.h"

#include <cctype>
#include <cstdio>  // before CLD2: its header uses FILE without including it

#include <cld2/public/compact_lang_det.h>
#include <cld2/public/encodings.h>

#include "text/utf8.h"

namespace qiss {
namespace {

// Longer texts are cut (at a character boundary): the first MiB tells the language.
constexpr std::size_t kMaxBytes = 1 << 20;

// "SCOTS_GAELIC" -> "Scots Gaelic", "Japanese" -> "Japanese".
std::string english_name(std::string_view cld2_name) {
    if (cld2_name == "ChineseT") return "Chinese (Traditional)";
    std::string out;
    bool word_start = true;
    for (char c : cld2_name) {
        if (c == '_') {
            out.push_back(' ');
            word_start = true;
            continue;
        }
        const auto u = static_cast<unsigned char>(c);
        out.push_back(static_cast<char>(word_start ? std::toupper(u) : std::tolower(u)));
        word_start = false;
    }
    return out;
}

// CLD2's code as a BCP 47 tag; "" for the unknown, script-only ("xx-Latn") and joke
// ("zzp" Pig Latin, "tlh" Klingon) languages of the extended set.
std::string bcp47_code(std::string_view cld2_code) {
    if (cld2_code == "iw") return "he";  // CLD2 keeps the withdrawn ISO 639 codes
    if (cld2_code == "jw") return "jv";
    if (cld2_code.empty() || cld2_code == "un" || cld2_code == "xxx" || cld2_code == "tlh" ||
        cld2_code.starts_with("xx-") || cld2_code.starts_with("zz"))
        return "";
    return std::string(cld2_code);
}

// A copy of valid UTF-8 with the code points CLD2 refuses as not "interchange valid" (control
// characters, noncharacters) replaced by spaces, byte for byte.
std::string interchange_valid(std::string_view text) {
    std::string out(text);
    std::size_t i = 0;
    while (i < out.size()) {
        std::size_t len = 1;
        const char32_t cp = decode_utf8_at(out, i, len);
        const bool control =
            (cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') || (cp >= 0x7F && cp <= 0x9F);
        const bool noncharacter = (cp >= 0xFDD0 && cp <= 0xFDEF) || (cp & 0xFFFE) == 0xFFFE;
        if (control || noncharacter) out.replace(i, len, len, ' ');
        i += len;
    }
    return out;
}

struct Cld2Result {
    CLD2::Language language = CLD2::UNKNOWN_LANGUAGE;
    int percent = 0;
    bool reliable = false;
};

Cld2Result run_cld2(std::string_view text, int flags) {
    CLD2::CLDHints hints{nullptr, nullptr, CLD2::UNKNOWN_ENCODING, CLD2::UNKNOWN_LANGUAGE};
    CLD2::Language top3[3];
    int percent3[3] = {0, 0, 0};
    double scores3[3];
    int text_bytes = 0;
    int valid_prefix = 0;
    Cld2Result r;
    r.language = CLD2::ExtDetectLanguageSummaryCheckUTF8(
        text.data(), static_cast<int>(text.size()), /*is_plain_text=*/true, &hints, flags, top3,
        percent3, scores3, /*resultchunkvector=*/nullptr, &text_bytes, &r.reliable, &valid_prefix);
    for (int i = 0; i < 3; ++i)
        if (top3[i] == r.language) {
            r.percent = percent3[i];
            break;
        }
    return r;
}

}  // namespace

DetectedLanguage detect_language(std::string_view utf8_text) {
    if (utf8_text.empty() || !is_valid_utf8(utf8_text)) return {};
    if (utf8_text.size() > kMaxBytes) {
        std::size_t end = kMaxBytes;
        while (end > 0 && (static_cast<unsigned char>(utf8_text[end]) & 0xC0) == 0x80) --end;
        utf8_text = utf8_text.substr(0, end);
    }
    const std::string text = interchange_valid(utf8_text);
    Cld2Result r = run_cld2(text, 0);
    if (bcp47_code(CLD2::LanguageCode(r.language)).empty()) {
        // Too little text for CLD2 to commit: take its best-effort guess, marked unreliable.
        r = run_cld2(text, CLD2::kCLDFlagBestEffort);
        r.reliable = false;
    }
    const std::string code = bcp47_code(CLD2::LanguageCode(r.language));
    if (code.empty()) return {};
    return {code, english_name(CLD2::LanguageName(r.language)), r.reliable, r.percent};
}

}  // namespace qiss
