#pragma once
/// @file losses.h
/// Contrastive losses between two batches of unit vectors whose rows i match.

#include <torch/torch.h>

namespace qiss {

/// Bidirectional hinge loss (VSE++, Faghri et al. 2018). With `hardest`, each positive pair is
/// compared with its hardest in-batch negative in each direction (max of hinges); otherwise
/// with every negative (sum of hinges). Mean over the batch.
torch::Tensor vse_loss(const torch::Tensor& a, const torch::Tensor& b, float margin, bool hardest);

/// Symmetric InfoNCE (CLIP): cross-entropy of a b^T / temperature against the diagonal, both
/// ways, averaged.
torch::Tensor infonce_loss(const torch::Tensor& a, const torch::Tensor& b, float temperature);

/// Normalised-softmax proxy loss (NormFace / Proxy-NCA family): cross-entropy of
/// x normalize(proxies)^T / temperature against each row's identity. x: [B,D] unit vectors,
/// proxies: [K,D] (any norm), labels: [B] int64 in [0,K).
torch::Tensor proxy_loss(const torch::Tensor& x, const torch::Tensor& proxies,
                         const torch::Tensor& labels, float temperature);

/// proxy_loss with a second identity per row: a row whose `partners` entry is >= 0 names two
/// identities and takes half its cross-entropy against each (a soft target of 1/2, 1/2); a row
/// with -1 is as in proxy_loss. partners: [B] int64 in [-1,K).
torch::Tensor proxy_loss(const torch::Tensor& x, const torch::Tensor& proxies,
                         const torch::Tensor& labels, const torch::Tensor& partners,
                         float temperature);

}  // namespace qiss
