#include "text/tokenizer.h"

#include <algorithm>
#include <random>

#include <fmt/format.h>
#include <sentencepiece_processor.h>
#include <sentencepiece_trainer.h>

#include "common/error.h"

namespace qiss {
namespace {

class VectorIterator : public sentencepiece::SentenceIterator {
public:
    explicit VectorIterator(const std::vector<const std::string*>& v) : v_(v) {}
    bool done() const override { return i_ >= v_.size(); }
    void Next() override { ++i_; }
    const std::string& value() const override { return *v_[i_]; }
    sentencepiece::util::Status status() const override { return {}; }

private:
    const std::vector<const std::string*>& v_;
    std::size_t i_ = 0;
};

}  // namespace

Tokenizer::Tokenizer(std::string serialized_model)
    : serialized_(std::move(serialized_model)),
      sp_(std::make_unique<sentencepiece::SentencePieceProcessor>()) {
    auto status = sp_->LoadFromSerializedProto(serialized_);
    QISS_CHECK(status.ok(), "invalid tokenizer model: {}", status.ToString());
    QISS_CHECK(sp_->pad_id() == kPadId, "tokenizer model must use id {} for padding", kPadId);
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

    sentencepiece::SetRandomGeneratorSeed(o.seed);
    std::string args = fmt::format(
        "--model_type=unigram --vocab_size={} --character_coverage={} "
        "--normalization_rule_name=nfkc_cf --pad_id=0 --unk_id=1 --bos_id=-1 --eos_id=-1 "
        "--hard_vocab_limit=false --shuffle_input_sentence=false --input_sentence_size=0 "
        "--max_sentence_length=2048 --num_threads={} --minloglevel=2",
        o.vocab_size, o.character_coverage, o.num_threads);
    VectorIterator it(input);
    std::string proto;
    auto status = sentencepiece::SentencePieceTrainer::Train(args, &it, &proto);
    QISS_CHECK(status.ok(), "tokenizer training failed: {}", status.ToString());
    return Tokenizer(std::move(proto));
}

std::vector<int> Tokenizer::encode(std::string_view text, int max_tokens) const {
    std::vector<int> ids;
    sp_->Encode(text, &ids);
    if (ids.empty()) ids.push_back(sp_->unk_id());
    if (static_cast<int>(ids.size()) > max_tokens) ids.resize(max_tokens);
    return ids;
}

std::vector<std::string> Tokenizer::pieces(std::string_view text) const {
    std::vector<std::string> out;
    sp_->Encode(text, &out);
    return out;
}

int Tokenizer::vocab_size() const { return sp_->GetPieceSize(); }

}  // namespace qiss
