#include "text/tokenizer.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <random>

#include <fmt/format.h>

#include "common/error.h"
#include "text/spm_loader.h"

namespace qiss {

struct Tokenizer::Handle {
    void* sp = nullptr;
    ~Handle() {
        if (sp) spm_plugin().free(sp);
    }
};

Tokenizer::Tokenizer(std::string serialized_model, bool qiss_ids)
    : serialized_(std::move(serialized_model)), sp_(std::make_unique<Handle>()) {
    char err[512] = "";
    sp_->sp = spm_plugin().load(serialized_.data(), serialized_.size(), err, sizeof(err));
    QISS_CHECK(sp_->sp, "invalid tokenizer model: {}", err);
    QISS_CHECK(!qiss_ids || spm_plugin().pad_id(sp_->sp) == kPadId,
               "tokenizer model must use id {} for padding", kPadId);
    unk_id_ = spm_plugin().unk_id(sp_->sp);
}

Tokenizer::~Tokenizer() = default;
Tokenizer::Tokenizer(Tokenizer&&) noexcept = default;
Tokenizer& Tokenizer::operator=(Tokenizer&&) noexcept = default;

Tokenizer Tokenizer::train(const std::vector<std::string>& sentences,
                           const TokenizerTrainOptions& o) {
    std::vector<const std::string*> input;
    input.reserve(sentences.size());
    for (const auto& s : sentences)
        if (!s.empty()) input.push_back(&s);
    QISS_CHECK(!input.empty(), "cannot train a tokenizer on no text");
    // Seeded subsampling here (SentencePiece's own shuffle is not seeded) keeps training
    // reproducible.
    std::mt19937_64 rng(o.seed);
    std::shuffle(input.begin(), input.end(), rng);
    if (input.size() > o.max_sentences) input.resize(o.max_sentences);
    std::vector<const char*> ptrs;
    std::vector<std::size_t> lens;
    for (const auto* s : input) {
        ptrs.push_back(s->data());
        lens.push_back(s->size());
    }
    std::string args = fmt::format(
        "--model_type=unigram --vocab_size={} --character_coverage={} "
        "--normalization_rule_name=nfkc_cf --pad_id=0 --unk_id=1 --bos_id=-1 --eos_id=-1 "
        "--hard_vocab_limit=false --shuffle_input_sentence=false --input_sentence_size=0 "
        "--max_sentence_length=2048 --num_threads={} --minloglevel=3 --byte_fallback={}",
        o.vocab_size, o.character_coverage, o.num_threads, o.byte_fallback);
    char* out = nullptr;
    std::size_t out_len = 0;
    char err[512] = "";
    int rc = spm_plugin().train(args.c_str(), ptrs.data(), lens.data(), ptrs.size(), &out, &out_len,
                                err, sizeof(err));
    QISS_CHECK(rc == 0, "tokenizer training failed: {}", err);
    std::string proto(out, out_len);
    spm_plugin().free_buffer(out);
    return Tokenizer(std::move(proto));
}

std::vector<int> Tokenizer::encode(std::string_view text, int max_tokens) const {
    QISS_ASSERT(max_tokens > 0);
    std::vector<int> ids(static_cast<std::size_t>(max_tokens));
    int n = spm_plugin().encode(sp_->sp, text.data(), text.size(), ids.data(), max_tokens);
    QISS_CHECK(n >= 0, "cannot tokenize the text");
    ids.resize(static_cast<std::size_t>(std::min(n, max_tokens)));
    if (ids.empty()) ids.push_back(unk_id_);
    return ids;
}

std::vector<int> Tokenizer::pieces(std::string_view text) const {
    std::vector<int> ids(256);
    int n = spm_plugin().encode(sp_->sp, text.data(), text.size(), ids.data(),
                                static_cast<int>(ids.size()));
    QISS_CHECK(n >= 0, "cannot tokenize the text");
    if (n > static_cast<int>(ids.size())) {
        ids.resize(static_cast<std::size_t>(n));
        n = spm_plugin().encode(sp_->sp, text.data(), text.size(), ids.data(), n);
        QISS_CHECK(n >= 0, "cannot tokenize the text");
    }
    ids.resize(static_cast<std::size_t>(n));
    return ids;
}

Tokenizer::PieceStats Tokenizer::piece_stats(std::string_view text) const {
    const std::vector<int> ids = pieces(text);
    const int n = static_cast<int>(ids.size());
    PieceStats s;
    s.pieces = n;
    for (int i = 0; i < n; ++i) {
        s.unknown += ids[i] == unk_id_;
        s.bytes += spm_plugin().is_byte(sp_->sp, ids[i]);
    }
    return s;
}

int Tokenizer::vocab_size() const {
    return spm_plugin().vocab_size(sp_->sp);
}

}  // namespace qiss
