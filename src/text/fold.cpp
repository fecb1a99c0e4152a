#include "text/fold.h"

#include <memory>

#include <unicode/translit.h>
#include <unicode/unistr.h>

#include "common/error.h"

namespace qiss {

std::string fold_latin(std::string_view text) {
    // Latin text is a small share of what is asked: ASCII needs no transform at all.
    bool ascii = true;
    for (const char c : text) ascii &= static_cast<unsigned char>(c) < 0x80;
    if (ascii) return std::string(text);
    // A transliterator is not meant to be shared between threads: one per thread, made once.
    thread_local const std::unique_ptr<icu::Transliterator> latin_ascii = [] {
        UErrorCode status = U_ZERO_ERROR;
        std::unique_ptr<icu::Transliterator> t(
            icu::Transliterator::createInstance("Latin-ASCII", UTRANS_FORWARD, status));
        QISS_CHECK(U_SUCCESS(status) && t,
                   "ICU has no Latin-ASCII transform ({}): is its data installed?",
                   u_errorName(status));
        return t;
    }();
    icu::UnicodeString u = icu::UnicodeString::fromUTF8(
        icu::StringPiece(text.data(), static_cast<int32_t>(text.size())));
    latin_ascii->transliterate(u);
    std::string out;
    u.toUTF8String(out);
    return out;
}

}  // namespace qiss
