#pragma once
/// @file clip_bpe.h
/// CLIP's byte-level BPE tokenizer (OpenAI CLIP `SimpleTokenizer`, also OpenCLIP's), for
/// imported CLIP-family models (model/torchscript/). Built from the merges file CLIP ships
/// (`bpe_simple_vocab_16e6.txt`): the vocabulary is the 256 byte symbols, the same with the
/// end-of-word mark `</w>`, one entry per merge, then `<|startoftext|>` and `<|endoftext|>`.
/// Text is cleaned as CLIP does (HTML entities unescaped twice, whitespace collapsed, Unicode
/// lower case), split by CLIP's pattern (letters, single digits, other non-space runs, English
/// contractions) and each word merged by rank. Not done: ftfy's repair of mis-decoded text
/// (mojibake), and only numeric and the common named HTML entities are unescaped.

#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace qiss {

class ClipBpe {
  public:
    /// From a merges file's text: a first line (a version comment, skipped), then one merge
    /// per line ("a b"). At most `max_merges` are used (CLIP uses 49152 - 256 - 2 = 48894);
    /// 0 = all. Throws qiss::Error for a line that is not two symbols separated by one space,
    /// or not UTF-8, and for a file without a merge.
    explicit ClipBpe(std::string_view merges_text, std::size_t max_merges = 0);

    /// The token ids of the text, without start or end tokens.
    std::vector<int> encode(std::string_view text) const;
    /// The text as CLIP cleans it before splitting (exposed for tests and docs).
    static std::string clean(std::string_view text);

    int vocab_size() const { return static_cast<int>(vocab_.size()); }
    int start_id() const { return vocab_size() - 2; }  ///< `<|startoftext|>`
    int end_id() const { return vocab_size() - 1; }    ///< `<|endoftext|>`
    /// The merges this tokenizer uses, as a merges file (header line included): what a model
    /// file stores.
    const std::string& serialized() const { return serialized_; }

  private:
    std::vector<int> encode_word(const std::string& word) const;

    std::string serialized_;
    std::unordered_map<std::string, int> vocab_;  ///< symbol -> id
    std::unordered_map<std::string, int> ranks_;  ///< "a b" -> merge rank
    std::vector<std::string> byte_symbol_;        ///< byte -> its symbol (UTF-8)
};

}  // namespace qiss
