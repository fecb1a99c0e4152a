// Language detection with the real CLD2 tables, and UTF-8 validation.
#include <gtest/gtest.h>

#include <string>

#include "text/language.h"
#include "text/utf8.h"

namespace qiss {

TEST(Language, DetectsSentences) {
    struct Case {
        const char* text;
        const char* code;
        const char* name;
    };
    const Case cases[] = {
        {"un chat qui dort sur le canapé", "fr", "French"},
        {"eine schlafende Katze auf dem Sofa", "de", "German"},
        {"a sleeping cat on the sofa", "en", "English"},
        {"ソファの上で眠っている猫", "ja", "Japanese"},
        {"Маленькая кошка спит на мягком диване.", "ru", "Russian"},
        {"Un gato pequeño duerme en el sofá de la casa.", "es", "Spanish"},
    };
    for (const Case& c : cases) {
        SCOPED_TRACE(c.text);
        DetectedLanguage lang = detect_language(c.text);
        EXPECT_EQ(lang.code, c.code);
        EXPECT_EQ(lang.name, c.name);
        EXPECT_TRUE(lang.reliable);
        EXPECT_GT(lang.percent, 80);
        EXPECT_LE(lang.percent, 100);
    }
}

TEST(Language, ShortQueriesAreBestEffortGuesses) {
    // CLD2 does not commit on one word: the guess is kept, flagged unreliable.
    DetectedLanguage katze = detect_language("Katze");
    EXPECT_EQ(katze.code, "de");
    EXPECT_FALSE(katze.reliable);
    DetectedLanguage chat = detect_language("un chat qui dort");
    EXPECT_EQ(chat.code, "fr");
    EXPECT_FALSE(chat.reliable);
}

TEST(Language, UndeterminedInputs) {
    for (const std::string& text : {std::string(), std::string("   "), std::string("12345 !!! ..."),
                                    std::string("\xC3\x28 chat qui dort"),
                                    std::string("un chat\xFF\xFE qui dort sur le canap"),
                                    std::string("\xE0\x80\x80"), std::string("caf\xC3")}) {
        DetectedLanguage lang = detect_language(text);
        EXPECT_EQ(lang.code, "und");
        EXPECT_EQ(lang.name, "Unknown");
        EXPECT_FALSE(lang.reliable);
        EXPECT_EQ(lang.percent, 0);
    }
}

TEST(Language, ControlCharactersDoNotBreakDetection) {
    const std::string text("un chat\0 qui dort\x01 sur le canap\xC3\xA9 du salon\x7F", 43);
    ASSERT_TRUE(is_valid_utf8(text));
    // CLD2 refuses control characters as not "interchange valid": they are read as spaces.
    EXPECT_EQ(detect_language(text).code, "fr");
    EXPECT_EQ(detect_language("\xEF\xBF\xBE un chat qui dort sur le canap\xC3\xA9").code, "fr");
}

TEST(Language, LongTextIsCutAtACharacterBoundary) {
    // After the leading 'x', every Cyrillic letter starts at an odd offset: the 1 MiB cut falls
    // inside a letter and must move back to its first byte.
    std::string text = "x";
    while (text.size() < (3u << 20))
        text +=
            "Маленькая кошка спит на мягком диване. Вчера вечером мы долго гуляли по парку и "
            "разговаривали о жизни. ";
    EXPECT_EQ(detect_language(text).code, "ru");
}

TEST(LanguageUtf8, Validation) {
    EXPECT_TRUE(is_valid_utf8(""));
    EXPECT_TRUE(is_valid_utf8("plain ascii"));
    EXPECT_TRUE(is_valid_utf8("canapé, ソファ, диван, 🐈"));
    EXPECT_TRUE(is_valid_utf8("\xF4\x8F\xBF\xBF"));   // U+10FFFF
    EXPECT_TRUE(is_valid_utf8("\xED\x9F\xBF"));       // U+D7FF
    EXPECT_FALSE(is_valid_utf8("\xC3"));              // truncated
    EXPECT_FALSE(is_valid_utf8("\xC0\xAF"));          // overlong '/'
    EXPECT_FALSE(is_valid_utf8("\xE0\x80\xAF"));      // overlong
    EXPECT_FALSE(is_valid_utf8("\xED\xA0\x80"));      // surrogate U+D800
    EXPECT_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));  // above U+10FFFF
    EXPECT_FALSE(is_valid_utf8("\x80"));              // lone continuation
    EXPECT_FALSE(is_valid_utf8("\xE2\x82"));          // truncated
    EXPECT_FALSE(is_valid_utf8("\xE2\x28\xA1"));      // bad continuation
    EXPECT_FALSE(is_valid_utf8("\xFF"));
}

}  // namespace qiss
