#pragma once
/// @file name_keywords.h
/// Keywords that are another emoji's name. CLDR gives "rocket" as 🚀's name and as a keyword of
/// every astronaut, "fire" as 🔥's name and a keyword of firefighters and fire engines, "man"
/// as 👨's name and a keyword of 673 other emoji. Shown alone as those emoji's texts, the name
/// is taught as theirs too, and a person typing "rocket" gets the average of them all.

#include <cstddef>

#include "train/training_set.h"

namespace qiss {

/// Removes from each identity's keywords in each locale those equal, after Unicode case
/// folding, to a caption that another identity (and not this one) has in the same locale. A
/// locale left with neither captions nor keywords is removed from the identity's texts.
/// Returns the number of keywords removed.
std::size_t drop_other_names(TrainingSet& set);

}  // namespace qiss
