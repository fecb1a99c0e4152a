#pragma once
// C ABI of the SentencePiece plugin (libqiss_spm.so).
//
// Why a plugin: Debian's libsentencepiece embeds and exports its own protobuf 3.14, while
// libtorch loads the system libprotobuf 3.21. Linked into one program, either copy's symbols
// interpose the other's and the process crashes at start-up or on first use. qiss therefore
// loads SentencePiece through this small plugin with dlopen(RTLD_LOCAL | RTLD_DEEPBIND), which
// keeps the two protobuf copies apart.
#include <cstddef>

extern "C" {
/// Loads a serialized model; returns a handle or nullptr with a message in err.
void* qiss_spm_load(const char* data, std::size_t len, char* err, std::size_t err_len);
void qiss_spm_free(void* handle);
/// Writes at most max_out ids; returns the number of ids of the whole text, or -1 on error.
int qiss_spm_encode(void* handle, const char* text, std::size_t len, int* out, int max_out);
int qiss_spm_vocab_size(void* handle);
int qiss_spm_pad_id(void* handle);
int qiss_spm_unk_id(void* handle);
/// 1 if the id is a byte-fallback piece (<0xNN>), else 0.
int qiss_spm_is_byte(void* handle, int id);
/// Trains a model from n sentences with SentencePiece command-line style args. On success
/// returns 0 and a malloc'ed serialized model in *out (free with qiss_spm_free_buffer).
int qiss_spm_train(const char* args, const char* const* sentences, const std::size_t* lens,
                   std::size_t n, char** out, std::size_t* out_len, char* err, std::size_t err_len);
void qiss_spm_free_buffer(char* buffer);
}
