// The text phase's sentence-like context (train/text_context.h) on a hand-made training set.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "train/text_context.h"

namespace qiss {
namespace {

/// 20 English identities: caption "animalN face" (+ " with hat" for even N), keyword "animalN";
/// one French identity, so that its locale has no common word (fewer than 5 identities).
TrainingSet small_set() {
    TrainingSet set;
    for (int i = 0; i < 20; ++i) {
        TrainingGroup g;
        g.id = "id" + std::to_string(i);
        const std::string name = "animal" + std::to_string(i);
        std::string caption = name;
        caption += " face";
        if (i % 2 == 0) caption += " with hat";
        g.texts.push_back({"en", {caption}, {name}});
        if (i == 0) g.texts.push_back({"fr", {"visage de " + name}, {name}});
        set.groups.push_back(std::move(g));
    }
    return set;
}

/// Whether `part` occurs in `whole` in order (not necessarily adjacent).
bool is_subsequence(const std::vector<std::string>& part, const std::vector<std::string>& whole) {
    std::size_t j = 0;
    for (const auto& w : whole)
        if (j < part.size() && w == part[j]) ++j;
    return j == part.size();
}

TEST(TextContext, CommonWordsAreThoseOfManyIdentitiesPerLocale) {
    const TrainingSet set = small_set();
    const TextContext context(set, 1.0);
    EXPECT_EQ(context.common_words("en"), (std::vector<std::string>{"face", "hat", "with"}));
    EXPECT_TRUE(context.common_words("fr").empty());
    EXPECT_TRUE(context.common_words("de").empty());
}

TEST(TextContext, KeepsTheTextAndAddsOnlyOwnOrCommonForeignWords) {
    const TrainingSet set = small_set();
    const TextContext context(set, 1.0);
    // Identity 1 ("animal1 face", keyword "animal1"): its keyword text can gain its caption's
    // words and the common words it lacks ("with", "hat"), nothing else.
    const TextItem item{1, 0, false};
    const std::set<std::string> allowed{"animal1", "face", "with", "hat"};
    std::mt19937_64 rng(7);
    bool longer = false, with_common = false;
    for (int i = 0; i < 200; ++i) {
        const std::string out = context.apply(item, "animal1", rng);
        const auto words = split_words(out);
        EXPECT_TRUE(is_subsequence({"animal1"}, words)) << out;
        for (const auto& w : words) EXPECT_TRUE(allowed.count(w)) << out;
        longer |= words.size() > 1;
        with_common |= std::count(words.begin(), words.end(), "with") > 0;
    }
    EXPECT_TRUE(longer);
    EXPECT_TRUE(with_common);
}

TEST(TextContext, NeverInsertsAWordOfTheIdentitysOwnAsContext) {
    const TrainingSet set = small_set();
    const TextContext context(set, 1.0);
    // Identity 0 has every common word in its caption: only (a) can lengthen its keyword, and
    // then by its own caption's words, each once.
    std::mt19937_64 rng(3);
    for (int i = 0; i < 100; ++i) {
        const auto words = split_words(context.apply({0, 0, false}, "animal0", rng));
        EXPECT_TRUE(words == std::vector<std::string>{"animal0"} ||
                    std::count(words.begin(), words.end(), "with") == 1)
            << words.size();
    }
}

TEST(TextContext, ProbabilityZeroChangesNothingAndDrawsNothing) {
    const TrainingSet set = small_set();
    const TextContext context(set, 0.0);
    std::mt19937_64 a(11), b(11);
    EXPECT_EQ(context.apply({2, 0, true}, "animal2 face with hat", a), "animal2 face with hat");
    EXPECT_EQ(a(), b());
    EXPECT_TRUE(context.common_words("en").empty());
}

/// Filler words of two languages; "animal3" is a whole English keyword, "face" only a word of
/// captions.
FillerWords some_fillers() {
    return {{"en", {"a", "animal3", "face", "my", "tv"}}, {"fr", {"qui", "un"}}};
}

TEST(TextContext, FillersAreTheLanguagesWordsLessTheLocalesWholeTexts) {
    const TrainingSet set = small_set();
    const TextContext context(set, 0.0, some_fillers(), 1.0);
    EXPECT_EQ(context.filler_words("en"), (std::vector<std::string>{"a", "face", "my", "tv"}));
    EXPECT_EQ(context.filler_words("fr"), (std::vector<std::string>{"qui", "un"}));
    EXPECT_TRUE(context.filler_words("de").empty());
    EXPECT_EQ(context.filler_locales(), 2u);
    EXPECT_EQ(locale_language("pt-PT"), "pt");
    EXPECT_EQ(locale_language("zh_Hant"), "zh");
    EXPECT_EQ(locale_language("fr"), "fr");
}

TEST(TextContext, FillersKeepTheTextInOrderAndAddOneToThreeOfItsLanguagesWords) {
    const TrainingSet set = small_set();
    const TextContext context(set, 0.0, some_fillers(), 1.0);
    // Identity 1's English keyword: "face" is a word of its own caption, so never a filler.
    std::mt19937_64 rng(5);
    std::set<std::size_t> added;
    for (int i = 0; i < 300; ++i) {
        const auto words = split_words(context.apply({1, 0, false}, "animal1", rng));
        EXPECT_TRUE(is_subsequence({"animal1"}, words));
        for (const auto& w : words)
            EXPECT_TRUE(w == "animal1" || w == "a" || w == "my" || w == "tv") << w;
        added.insert(words.size() - 1);
    }
    EXPECT_EQ(added, (std::set<std::size_t>{1, 2, 3}));
    // Identity 0's French caption gets French fillers only.
    for (int i = 0; i < 50; ++i)
        for (const auto& w : split_words(context.apply({0, 1, true}, "visage de animal0", rng)))
            EXPECT_TRUE(w == "visage" || w == "de" || w == "animal0" || w == "qui" || w == "un")
                << w;
}

TEST(TextContext, FillersComeWithTheirProbabilityAndNotAtAllAtZero) {
    const TrainingSet set = small_set();
    const TextContext half(set, 0.0, some_fillers(), 0.5);
    std::mt19937_64 rng(9);
    int changed = 0;
    for (int i = 0; i < 400; ++i)
        changed += half.apply({3, 0, true}, "animal3 face", rng) != "animal3 face";
    EXPECT_GT(changed, 140);
    EXPECT_LT(changed, 260);
    const TextContext none(set, 0.0, some_fillers(), 0.0);
    std::mt19937_64 a(11), b(11);
    EXPECT_EQ(none.apply({3, 0, true}, "animal3 face", a), "animal3 face");
    EXPECT_EQ(a(), b());
    EXPECT_EQ(none.filler_locales(), 0u);
}

}  // namespace
}  // namespace qiss
