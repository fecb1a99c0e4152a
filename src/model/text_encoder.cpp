#include "model/text_encoder.h"

#include <algorithm>

#include "common/error.h"
#include "model/sru.h"
#include "text/tokenizer.h"

namespace qiss {
namespace nn = torch::nn;

TokenBatch make_token_batch(const std::vector<std::vector<int>>& tokens) {
    QISS_ASSERT(!tokens.empty());
    std::size_t longest = 1;
    for (const auto& t : tokens) longest = std::max(longest, t.size());
    auto ids = torch::full({static_cast<int64_t>(tokens.size()), static_cast<int64_t>(longest)},
                           Tokenizer::kPadId, torch::kInt64);
    auto lengths = torch::empty({static_cast<int64_t>(tokens.size())}, torch::kInt64);
    auto ia = ids.accessor<int64_t, 2>();
    auto la = lengths.accessor<int64_t, 1>();
    for (std::size_t i = 0; i < tokens.size(); ++i) {
        QISS_ASSERT(!tokens[i].empty());
        for (std::size_t j = 0; j < tokens[i].size(); ++j) ia[i][j] = tokens[i][j];
        la[i] = static_cast<int64_t>(tokens[i].size());
    }
    return {ids, lengths};
}

TextEncoderImpl::TextEncoderImpl(const ModelConfig& c) {
    embed_ = register_module(
        "embed",
        nn::Embedding(
            nn::EmbeddingOptions(c.vocab_size, c.token_dim).padding_idx(Tokenizer::kPadId)));
    dropout_ = register_module("dropout", nn::Dropout(c.dropout));
    if (c.rnn == "sru") {
        sru_ = register_module("sru", nn::ModuleList());
        for (int l = 0; l < c.gru_layers; ++l)
            sru_->push_back(BiSruLayer(l == 0 ? c.token_dim : 2 * c.gru_hidden, c.gru_hidden));
    } else {
        gru_ = register_module("gru", nn::GRU(nn::GRUOptions(c.token_dim, c.gru_hidden)
                                                  .num_layers(c.gru_layers)
                                                  .bidirectional(true)
                                                  .batch_first(true)
                                                  .dropout(c.gru_layers > 1 ? c.dropout : 0.0)));
    }
    fc_ = register_module("fc", nn::Linear(4 * c.gru_hidden, c.embed_dim));
}

torch::Tensor TextEncoderImpl::forward(const TokenBatch& batch) {
    auto x = dropout_(embed_(batch.ids));  // [B,T,E]
    torch::Tensor h;                       // [B,T,2H]
    if (sru_) {
        h = x;
        for (std::size_t l = 0; l < sru_->size(); ++l) {
            if (l > 0) h = dropout_(h);
            h = sru_[l]->as<BiSruLayer>()->forward(h, batch.lengths);
        }
    } else {
        auto packed = nn::utils::rnn::pack_padded_sequence(x, batch.lengths, /*batch_first=*/true,
                                                           /*enforce_sorted=*/false);
        auto out = std::get<0>(gru_->forward_with_packed_input(packed));
        h = std::get<0>(nn::utils::rnn::pad_packed_sequence(out, /*batch_first=*/true));
    }
    auto steps = torch::arange(h.size(1), torch::kInt64).unsqueeze(0);
    auto mask = (steps < batch.lengths.unsqueeze(1)).unsqueeze(2).to(h.dtype());  // [B,T,1]
    auto mean = (h * mask).sum(1) / mask.sum(1);
    auto max = (h + (mask - 1) * 1e4).amax(1);
    auto pooled = dropout_(torch::cat({mean, max}, 1));
    return torch::nn::functional::normalize(fc_(pooled),
                                            torch::nn::functional::NormalizeFuncOptions().dim(1));
}

}  // namespace qiss
