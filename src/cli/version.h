#pragma once
// `qiss --version`: what this binary is and what it runs on.
#include <string>

namespace qiss::cli {

/// Version, commit, the libraries' versions, the CPU features the search kernels use, and
/// where the SentencePiece plugin and the default model were found.
std::string version_text();

}  // namespace qiss::cli
