// Ligatures written back where the tokenizer knows a word better with them (text/spelling.h),
// with a real SentencePiece model trained on hand-made text.
#include <random>

#include <gtest/gtest.h>

#include "text/fold.h"
#include "text/spelling.h"

using namespace qiss;

namespace {

/// A vocabulary trained on the words below, each frequent, among random filler words made of
/// other letters: it splits "cœur", "œuf" and "sœur" (as CLDR spells them) into fewer pieces
/// than "coeur", "oeuf" and "soeur" (the tests check that before relying on it).
const Tokenizer& tokenizer() {
    static const Tokenizer tok = [] {
        const char* words[] = {"cœur", "rouge",  "œuf",   "sœur",    "bær",
                               "toe",  "aerial", "poeme", "maestro", "chat"};
        const std::string letters = "bdfgklmnprstvzaiu";
        std::mt19937 rng(1);
        std::vector<std::string> s;
        for (int i = 0; i < 3000; ++i) {
            std::string line = words[i % std::size(words)];
            for (int w = 0; w < 2; ++w) {
                line += ' ';
                for (int c = 0; c < 5; ++c) line += letters[rng() % letters.size()];
            }
            s.push_back(line);
        }
        TokenizerTrainOptions to;
        to.vocab_size = 300;
        return Tokenizer::train(s, to);
    }();
    return tok;
}

}  // namespace

TEST(Spelling, WritesBackTheLigatureOfAWordTheVocabularyKnows) {
    const Tokenizer& tok = tokenizer();
    for (auto [typed, written] : {std::pair{"coeur", "cœur"}, {"oeuf", "œuf"}, {"soeur", "sœur"}})
        ASSERT_LT(tok.pieces(written).size(), tok.pieces(typed).size()) << written;
    EXPECT_EQ(known_spelling(tok, "coeur rouge"), "cœur rouge");
    EXPECT_EQ(known_spelling(tok, "un oeuf"), "un œuf");
    EXPECT_EQ(known_spelling(tok, "ma soeur et moi"), "ma sœur et moi");
    // Upper case: the ligature of the same case (nfkc_cf folds both to the known word).
    EXPECT_EQ(known_spelling(tok, "COEUR"), "CŒUR");
    EXPECT_EQ(known_spelling(tok, "Oeuf"), "Œuf");
}

TEST(Spelling, KeepsTheWordAsTypedUnlessALigatureSplitsIntoFewerPieces) {
    const Tokenizer& tok = tokenizer();
    // Ties and losses keep the word as typed: none of these gets fewer pieces with œ / æ.
    for (auto [typed, variant] : {std::pair{"toe", "tœ"},
                                  {"aerial", "ærial"},
                                  {"poeme", "pœme"},
                                  {"maestro", "mæstro"},
                                  {"baer", "bær"}})
        ASSERT_LE(tok.pieces(typed).size(), tok.pieces(variant).size()) << typed;
    for (const char* text : {"a toe", "aerial", "poeme", "maestro", "baer", "chat", "",
                             "  two  spaces ", "cœur rouge", "oeoeoeoeoe"})
        EXPECT_EQ(known_spelling(tok, text), text) << text;
    // A word of 500 places (more than a shift can count) is left alone like one of five.
    std::string long_word;
    for (int i = 0; i < 500; ++i) long_word += "oe";
    EXPECT_EQ(known_spelling(tok, long_word), long_word);
}

TEST(Spelling, ALongTextStopsLookingOnceItsBudgetIsSpent) {
    const Tokenizer& tok = tokenizer();
    // "coeur" costs 2 tokenizations: 128 of them spend the budget of 256, the rest stay typed.
    std::string text, expected;
    for (int i = 0; i < 130; ++i) {
        if (i > 0) {
            text += ' ';
            expected += ' ';
        }
        text += "coeur";
        expected += i < 128 ? "cœur" : "coeur";
    }
    EXPECT_EQ(known_spelling(tok, text), expected);
}

TEST(FoldLatin, WritesLatinLettersInAsciiAndLeavesOtherScriptsAlone) {
    EXPECT_EQ(fold_latin("crème brûlée"), "creme brulee");
    EXPECT_EQ(fold_latin("cœur Œuvre"), "coeur OEuvre");
    EXPECT_EQ(fold_latin("Łódź straße Ærø"), "Lodz strasse AEro");
    EXPECT_EQ(fold_latin("Đà Nẵng phở, İstanbul"), "Da Nang pho, Istanbul");
    EXPECT_EQ(fold_latin("e\xCC\x81t\xC3\xA9"), "ete") << "a combining accent as well";
    for (const char* kept : {"が ガ", "कुत्ता", "собака ё", "猫 😀", "مرحبا", "plain ascii"})
        EXPECT_EQ(fold_latin(kept), kept);
    EXPECT_EQ(fold_latin("caf\xC3"), "caf\xEF\xBF\xBD") << "invalid UTF-8: U+FFFD, no crash";
    EXPECT_EQ(fold_latin(""), "");
}
