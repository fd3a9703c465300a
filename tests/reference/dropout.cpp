#include "dropout.h"

#include "philox.h"

#include "vknn/ops/dropout.h"

#include <stdexcept>

namespace vknn::ref {

std::vector<uint8_t> dropout_mask(size_t count, float p, uint64_t seed, uint32_t step) {
  std::vector<uint8_t> keep(count);
  for (size_t i = 0; i < count; ++i) keep[i] = dropout_keep(seed, step, uint32_t(i), p) ? 1 : 0;
  return keep;
}

double dropout_scale(float p) { return double(float(1.0 / (1.0 - double(p)))); }

Vec dropout_forward(const Vec& x, const std::vector<uint8_t>& keep, float p) {
  const double scale = dropout_scale(p);
  Vec y(x.size());
  for (size_t i = 0; i < x.size(); ++i) y[i] = keep[i] ? x[i] * scale : 0.0;
  return y;
}

Vec dropout_backward(const Vec& dy, const std::vector<uint8_t>& keep, float p) { return dropout_forward(dy, keep, p); }

Tensors dropout_case_outputs(const cases::OpCase& c, const Tensors& in) {
  const auto& p = std::any_cast<const vknn::DropoutParams&>(c.params);
  if (!p.training || p.counter_offset != 0 || p.step_params.valid())
    throw std::invalid_argument(c.title() + ": the dropout reference draws the mask of training with (seed, step) only");
  const Vec& x = in.at("x");
  const auto keep = dropout_mask(x.size(), p.rate, p.seed, p.step);
  return {{"mask", dropout_forward(in.at("ones"), keep, p.rate)},
          {"y", dropout_forward(x, keep, p.rate)},
          {"dx", dropout_backward(in.at("dy"), keep, p.rate)}};
}

}  // namespace vknn::ref
