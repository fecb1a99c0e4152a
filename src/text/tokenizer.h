#pragma once
/// @file tokenizer.h
/// The multilingual tokenizer: a SentencePiece unigram model shared by every language.
/// Normalisation (NFKC + case folding, rule `nfkc_cf`) is part of the SentencePiece model, so
/// the model file carries it and nothing is configured twice.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace qiss {

struct TokenizerTrainOptions {
    int vocab_size = 8000;
    double character_coverage = 0.9995;  ///< rare characters map to <unk> (or to bytes)
    /// Characters outside the vocabulary become their UTF-8 bytes (256 byte pieces) instead of
    /// <unk>, so no script is ever unknown.
    bool byte_fallback = false;
    std::size_t max_sentences = 400000;  ///< subsample (seeded) above this
    std::uint32_t seed = 1;
    int num_threads = 2;
};

/// Token id 0 is padding, 1 is <unk>.
class Tokenizer {
  public:
    static constexpr int kPadId = 0;

    /// Loads a serialized SentencePiece model. Throws qiss::Error if it is not one, or, with
    /// `qiss_ids`, if it does not pad with id 0 (models qiss trains; an imported model maps
    /// ids itself: TextInput, model/model_config.h).
    explicit Tokenizer(std::string serialized_model, bool qiss_ids = true);
    ~Tokenizer();
    Tokenizer(Tokenizer&&) noexcept;
    Tokenizer& operator=(Tokenizer&&) noexcept;

    /// Trains a unigram model on the sentences (all languages mixed).
    static Tokenizer train(const std::vector<std::string>& sentences,
                           const TokenizerTrainOptions& options);

    /// Token ids of the text, at most max_tokens (truncated). Never empty: an empty text
    /// gives a single <unk>.
    std::vector<int> encode(std::string_view text, int max_tokens) const;

    /// Every token id of the text, untruncated (none for an empty text).
    std::vector<int> pieces(std::string_view text) const;
    int unk_id() const { return unk_id_; }

    /// Statistics of encoding one text: pieces in all (untruncated), <unk> pieces, byte
    /// pieces (byte fallback).
    struct PieceStats {
        int pieces = 0, unknown = 0, bytes = 0;
    };
    PieceStats piece_stats(std::string_view text) const;

    int vocab_size() const;
    const std::string& serialized() const { return serialized_; }

  private:
    std::string serialized_;
    struct Handle;  // the plugin's processor (see text/spm_plugin/spm_plugin.h)
    std::unique_ptr<Handle> sp_;
    int unk_id_ = 1;
};

}  // namespace qiss
