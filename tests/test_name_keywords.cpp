// The text phase without keywords that name another emoji (train/name_keywords.h), on a
// hand-made training set.
#include <gtest/gtest.h>

#include "train/name_keywords.h"

namespace qiss {
namespace {

TrainingGroup group(std::string id, std::vector<TrainingGroup::LocaleTexts> texts) {
    TrainingGroup g;
    g.id = std::move(id);
    g.texts = std::move(texts);
    return g;
}

TEST(NameKeywords, AKeywordThatIsAnotherIdentitysCaptionIsLeftOut) {
    TrainingSet set;
    set.groups.push_back(group("rocket", {{"en", {"rocket"}, {"rocket", "space"}},
                                          {"de", {"Rakete"}, {"Rakete", "Weltraum"}}}));
    set.groups.push_back(group("astronaut", {{"en", {"astronaut"}, {"astronaut", "Rocket", "moon"}},
                                             {"de", {"Astronaut"}, {"Rakete", "Astronaut"}},
                                             {"fr", {}, {"fusée"}}}));
    // Named "moon" in English like no other; its keyword "astronaut" names the other one.
    set.groups.push_back(group("moon", {{"en", {"moon"}, {"astronaut"}}, {"fr", {}, {"lune"}}}));
    // Two identities with the same caption: the name is each one's own, and stays.
    set.groups.push_back(group("heart", {{"en", {"heart"}, {"heart", "love"}}}));
    set.groups.push_back(group("heart2", {{"en", {"heart"}, {"heart"}}}));

    EXPECT_EQ(drop_other_names(set), 4u);
    const auto& rocket = set.groups[0].texts;
    EXPECT_EQ(rocket[0].keywords, (std::vector<std::string>{"rocket", "space"})) << "its own name";
    EXPECT_EQ(rocket[1].keywords, (std::vector<std::string>{"Rakete", "Weltraum"}));
    const auto& astronaut = set.groups[1].texts;
    EXPECT_EQ(astronaut[0].keywords, std::vector<std::string>{"astronaut"})
        << "\"Rocket\" (case folded) and \"moon\" name other emoji";
    EXPECT_EQ(astronaut[1].keywords, std::vector<std::string>{"Astronaut"}) << "per locale";
    EXPECT_EQ(astronaut[2].keywords, std::vector<std::string>{"fusée"})
        << "French has no captions here: nothing is a name";
    ASSERT_EQ(set.groups[2].texts.size(), 2u);
    EXPECT_TRUE(set.groups[2].texts[0].keywords.empty());
    EXPECT_EQ(set.groups[2].texts[0].captions, std::vector<std::string>{"moon"});
    EXPECT_EQ(set.groups[3].texts[0].keywords, (std::vector<std::string>{"heart", "love"}));
    EXPECT_EQ(set.groups[4].texts[0].keywords, std::vector<std::string>{"heart"});
}

TEST(NameKeywords, ALocaleLeftWithoutTextIsRemoved) {
    TrainingSet set;
    set.groups.push_back(group("a", {{"en", {"cat"}, {}}}));
    set.groups.push_back(group("b", {{"en", {}, {"cat", "Cat"}}, {"fr", {"chat"}, {}}}));
    EXPECT_EQ(drop_other_names(set), 2u);
    ASSERT_EQ(set.groups[1].texts.size(), 1u);
    EXPECT_EQ(set.groups[1].texts[0].locale, "fr");
}

}  // namespace
}  // namespace qiss
