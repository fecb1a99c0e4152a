#include "model/sru.h"

namespace qiss {

torch::Tensor reverse_within_length(const torch::Tensor& lengths, int64_t steps) {
    auto t = torch::arange(steps, torch::kInt64).unsqueeze(0);  // [1,T]
    auto len = lengths.unsqueeze(1);                            // [B,1]
    return torch::where(t < len, len - 1 - t, t);
}

BiSruLayerImpl::BiSruLayerImpl(int input_dim, int hidden) : hidden_(hidden) {
    fwd_ = register_module("fwd", torch::nn::Linear(input_dim, 4 * hidden));
    bwd_ = register_module("bwd", torch::nn::Linear(input_dim, 4 * hidden));
    // Forget gates start biased towards remembering (as in the SRU paper's initialisation).
    torch::NoGradGuard no_grad;
    fwd_->bias.slice(0, hidden, 2 * hidden).fill_(1.0);
    bwd_->bias.slice(0, hidden, 2 * hidden).fill_(1.0);
}

torch::Tensor BiSruLayerImpl::scan(const torch::Tensor& proj) {
    auto parts = proj.chunk(4, 2);
    auto z = parts[0], f = torch::sigmoid(parts[1]), r = torch::sigmoid(parts[2]), hx = parts[3];
    auto fz = (1 - f) * z;
    auto c = torch::zeros({proj.size(0), hidden_}, proj.options());
    std::vector<torch::Tensor> cs;
    cs.reserve(static_cast<std::size_t>(proj.size(1)));
    for (int64_t t = 0; t < proj.size(1); ++t) {
        c = f.select(1, t) * c + fz.select(1, t);
        cs.push_back(c);
    }
    auto cell = torch::stack(cs, 1);  // [B,T,H]
    return r * torch::tanh(cell) + (1 - r) * hx;
}

torch::Tensor BiSruLayerImpl::forward(const torch::Tensor& x, const torch::Tensor& lengths) {
    auto forward_out = scan(fwd_(x));
    auto rev = reverse_within_length(lengths, x.size(1))
                   .unsqueeze(2)
                   .expand({x.size(0), x.size(1), x.size(2)});
    auto backward_in = x.gather(1, rev);
    auto backward_h = scan(bwd_(backward_in));
    auto rev_h = rev.slice(2, 0, 1).expand({x.size(0), x.size(1), hidden_});
    auto backward_out = backward_h.gather(1, rev_h);
    return torch::cat({forward_out, backward_out}, 2);
}

}  // namespace qiss
