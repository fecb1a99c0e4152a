#include "train/augment.h"

#include <cmath>
#include <numbers>

#include "model/model.h"

namespace qiss {
namespace F = torch::nn::functional;

torch::Tensor augment_batch(const torch::Tensor& rgb_u8, const ImagePreprocess& pre,
                            const AugmentOptions& o, torch::Generator& gen) {
    const int64_t b = rgb_u8.size(0);
    auto uniform = [&](float lo, float hi) {
        return torch::rand({b}, gen, torch::TensorOptions().dtype(torch::kFloat32)) * (hi - lo) +
               lo;
    };
    auto x = to_unit_float(rgb_u8);
    // Warp the inverted image with zero padding so the uncovered border comes out white.
    auto scale = uniform(o.scale_min, o.scale_max);
    auto angle = uniform(-o.rotate_deg, o.rotate_deg) * (std::numbers::pi_v<float> / 180.f);
    auto tx = uniform(-o.translate, o.translate) * 2, ty = uniform(-o.translate, o.translate) * 2;
    auto cos = torch::cos(angle) / scale, sin = torch::sin(angle) / scale;
    auto theta =
        torch::stack({torch::stack({cos, -sin, tx}, 1), torch::stack({sin, cos, ty}, 1)}, 1);
    auto grid = F::affine_grid(theta, {b, 3, x.size(2), x.size(3)}, /*align_corners=*/false);
    x = 1 - F::grid_sample(1 - x, grid,
                           F::GridSampleFuncOptions()
                               .mode(torch::kBilinear)
                               .padding_mode(torch::kZeros)
                               .align_corners(false));
    auto contrast = uniform(1 - o.contrast, 1 + o.contrast).view({b, 1, 1, 1});
    auto bright = uniform(-o.brightness, o.brightness).view({b, 1, 1, 1});
    x = ((x - 0.5) * contrast + 0.5 + bright).clamp(0, 1);
    return normalize_pixels(x, pre);
}

}  // namespace qiss
