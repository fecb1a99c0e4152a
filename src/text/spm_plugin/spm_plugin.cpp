// The SentencePiece plugin: see spm_plugin.h for why it exists.
#include "spm_plugin.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <sentencepiece_processor.h>
#include <sentencepiece_trainer.h>

namespace sentencepiece::logging {
void SetMinLogLevel(int v);  // exported by libsentencepiece, not declared in its headers
}

namespace {

/// Under RTLD_DEEPBIND, this library's std::cerr is not the (copy-relocated) one the program
/// initialised, so SentencePiece must not log: only FATAL messages remain.
struct Quiet {
    Quiet() { sentencepiece::logging::SetMinLogLevel(3); }
} quiet;

void set_error(char* err, std::size_t err_len, const std::string& msg) {
    if (!err || err_len == 0) return;
    std::size_t n = std::min(err_len - 1, msg.size());
    std::memcpy(err, msg.data(), n);
    err[n] = '\0';
}

class ArrayIterator : public sentencepiece::SentenceIterator {
  public:
    ArrayIterator(const char* const* s, const std::size_t* lens, std::size_t n)
        : s_(s), lens_(lens), n_(n) {
        load();
    }
    bool done() const override { return i_ >= n_; }
    void Next() override {
        ++i_;
        load();
    }
    const std::string& value() const override { return value_; }
    sentencepiece::util::Status status() const override { return {}; }

  private:
    void load() {
        if (i_ < n_) value_.assign(s_[i_], lens_[i_]);
    }
    const char* const* s_;
    const std::size_t* lens_;
    std::size_t n_, i_ = 0;
    std::string value_;
};

}  // namespace

extern "C" {

void* qiss_spm_load(const char* data, std::size_t len, char* err, std::size_t err_len) {
    auto sp = std::make_unique<sentencepiece::SentencePieceProcessor>();
    auto status = sp->LoadFromSerializedProto(std::string_view(data, len));
    if (!status.ok()) {
        set_error(err, err_len, status.ToString());
        return nullptr;
    }
    return sp.release();
}

void qiss_spm_free(void* handle) {
    delete static_cast<sentencepiece::SentencePieceProcessor*>(handle);
}

int qiss_spm_encode(void* handle, const char* text, std::size_t len, int* out, int max_out) {
    std::vector<int> ids;
    auto* sp = static_cast<sentencepiece::SentencePieceProcessor*>(handle);
    if (!sp->Encode(std::string_view(text, len), &ids).ok()) return -1;
    for (int i = 0; i < max_out && i < static_cast<int>(ids.size()); ++i) out[i] = ids[i];
    return static_cast<int>(ids.size());
}

int qiss_spm_vocab_size(void* h) {
    return static_cast<sentencepiece::SentencePieceProcessor*>(h)->GetPieceSize();
}
int qiss_spm_pad_id(void* h) {
    return static_cast<sentencepiece::SentencePieceProcessor*>(h)->pad_id();
}
int qiss_spm_unk_id(void* h) {
    return static_cast<sentencepiece::SentencePieceProcessor*>(h)->unk_id();
}

int qiss_spm_is_byte(void* handle, int id) {
    return static_cast<sentencepiece::SentencePieceProcessor*>(handle)->IsByte(id) ? 1 : 0;
}

int qiss_spm_train(const char* args, const char* const* sentences, const std::size_t* lens,
                   std::size_t n, char** out, std::size_t* out_len, char* err,
                   std::size_t err_len) {
    ArrayIterator it(sentences, lens, n);
    std::string proto;
    auto status = sentencepiece::SentencePieceTrainer::Train(args, &it, &proto);
    if (!status.ok()) {
        set_error(err, err_len, status.ToString());
        return 1;
    }
    *out = static_cast<char*>(std::malloc(proto.size()));
    if (!*out) {
        set_error(err, err_len, "out of memory");
        return 1;
    }
    std::memcpy(*out, proto.data(), proto.size());
    *out_len = proto.size();
    return 0;
}

void qiss_spm_free_buffer(char* buffer) {
    std::free(buffer);
}
}
