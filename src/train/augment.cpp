#include "train/augment.h"

#include <cmath>
#include <numbers>

#include "model/model.h"

namespace qiss {
namespace F = torch::nn::functional;

namespace {

/// Changes that alter how an emoji is drawn but not what it means; each applies to an image
/// with probability `p`. Colour keeps its hue (skin tones and "blue heart" carry meaning).
torch::Tensor restyle(torch::Tensor x, float p, torch::Generator& gen) {
    const int64_t b = x.size(0);
    const auto f32 = torch::TensorOptions().dtype(torch::kFloat32);
    auto pick = [&] { return (torch::rand({b}, gen, f32) < p).view({b, 1, 1, 1}); };
    auto uniform = [&](float lo, float hi) {
        return (torch::rand({b}, gen, f32) * (hi - lo) + lo).view({b, 1, 1, 1});
    };
    // Posterize to 4..16 levels per channel.
    auto levels = torch::pow(2.0f, torch::randint(2, 5, {b}, gen, f32)).view({b, 1, 1, 1}) - 1;
    x = torch::where(pick(), torch::round(x * levels) / levels, x);
    x = torch::where(
        pick(),
        F::avg_pool2d(x, F::AvgPool2dFuncOptions(3).stride(1).padding(1).count_include_pad(false)),
        x);
    // Dark outlines on a light background: a min filter thickens them, a max filter thins them.
    auto pool = F::MaxPool2dFuncOptions(3).stride(1).padding(1);
    auto thick = -F::max_pool2d(-x, pool), thin = F::max_pool2d(x, pool);
    auto outline = pick();
    x = torch::where(outline & (torch::rand({b}, gen, f32) < 0.5f).view({b, 1, 1, 1}), thick,
                     torch::where(outline, thin, x));
    auto gray = x.mean(1, /*keepdim=*/true);
    x = torch::where(pick(), (gray + (x - gray) * uniform(0.5f, 1.5f)).clamp(0, 1), x);
    return torch::where(pick(), torch::pow(x.clamp_min(1e-4f), uniform(0.7f, 1.4f)), x);
}

}  // namespace

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
    if (o.style_p > 0) x = restyle(x, o.style_p, gen);
    auto contrast = uniform(1 - o.contrast, 1 + o.contrast).view({b, 1, 1, 1});
    auto bright = uniform(-o.brightness, o.brightness).view({b, 1, 1, 1});
    x = ((x - 0.5) * contrast + 0.5 + bright).clamp(0, 1);
    return normalize_pixels(x, pre);
}

}  // namespace qiss
