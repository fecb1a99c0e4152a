#pragma once
// Internal to src/text: loads the SentencePiece plugin (libqiss_spm.so, see
// spm_plugin/spm_plugin.h) once, from $QISS_SPM_PLUGIN, next to the running binary or the
// folder above it (the build tree), or <prefix>/lib/qiss/ of an installed binary.
#include <string>

#include "text/spm_plugin/spm_plugin.h"

namespace qiss {

/// The SentencePiece plugin's entry points and the file they were loaded from.
struct SpmPlugin {
    std::string path;
    decltype(&qiss_spm_load) load;
    decltype(&qiss_spm_free) free;
    decltype(&qiss_spm_encode) encode;
    decltype(&qiss_spm_vocab_size) vocab_size;
    decltype(&qiss_spm_pad_id) pad_id;
    decltype(&qiss_spm_unk_id) unk_id;
    decltype(&qiss_spm_is_byte) is_byte;
    decltype(&qiss_spm_train) train;
    decltype(&qiss_spm_free_buffer) free_buffer;
};

/// The plugin, loaded at the first call. Throws qiss::Error naming the paths tried.
const SpmPlugin& spm_plugin();

}  // namespace qiss
