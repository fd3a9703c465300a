// Folding inference BN into a convolution's weights: with and without the convolution's own
// bias, eps 0 and larger, odd shapes and the ResNet layers the inference optimizer folds. The
// fold has no gradient (it runs at inference only, as a prepare node), so no case declares one.
#include "vknn/cases/case.h"
#include "vknn/ops/batchnorm_fold.h"

#include <fmt/format.h>

namespace vknn::cases {
namespace {

// params: eps (float). The tensor "b" exists only when the convolution has a bias.
OpCase fold_case(const Shape& ws, bool bias, float eps, uint32_t seed, std::string model = {},
                 std::string layer = {}) {
  const Shape k{ws[0]};
  OpCase c;
  c.name = fmt::format("w {}{} eps {}", ws.str(), bias ? " with bias" : "", eps);
  c.model = std::move(model), c.layer = std::move(layer);
  c.params = eps;
  c.seed = seed;
  c.tensors = {{"w", ws, uniform()},         {"gamma", k, uniform(-2, 2)},  {"beta", k, uniform()},
               {"running_mean", k, uniform()}, {"running_var", k, uniform(0, 3)},
               {"w_out", ws, uniform()},     {"b_out", k, uniform()}};  // outputs start as garbage
  if (bias) c.tensors.push_back({"b", k, uniform()});
  c.steps = {{bias ? "batchnorm_fold (with bias)" : "batchnorm_fold",
              [eps, bias](CommandList& cl, const Views& v) {
                const TensorView* b = bias ? &v.at("b") : nullptr;
                return record_batchnorm_fold(cl, eps, v.at("w"), b, v.at("gamma"), v.at("beta"),
                                             v.at("running_mean"), v.at("running_var"), v.at("w_out"), v.at("b_out"));
              },
              true, 0, 2.0 * double(ws.bytes())}};
  const Tolerance product{1e-6, 1e-5};  // fp32 products of two or three rounded factors
  c.checks = {{"w_out", "w_out", product}, {"b_out", "b_out", product}};
  c.shaders = {ShaderId::batchnorm_fold};
  return c;
}

}  // namespace

std::vector<OpCase> batchnorm_fold_cases(int64_t) {
  return {
      fold_case({1, 1, 1, 1}, false, 1e-5f, 1),
      fold_case({3, 5, 3, 2}, true, 1e-3f, 2),
      fold_case({7, 1, 1, 1}, true, 0.0f, 3),      // more channels than elements per channel
      fold_case({65, 4, 1, 1}, false, 1e-5f, 4),   // 1x1, not a multiple of the workgroup
      // The weights are not batched: the same shapes at every batch.
      fold_case({64, 3, 7, 7}, false, 1e-5f, 5, "resnet50", "conv1 + bn1"),
      fold_case({512, 512, 3, 3}, false, 1e-5f, 6, "resnet50", "layer4.1.conv2 + bn2"),
      fold_case({2048, 512, 1, 1}, true, 1e-5f, 7, "resnet50", "layer4.1.conv3 + bn3 (conv with a bias)"),
  };
}

}  // namespace vknn::cases
