#include "activation.h"

#include "vknn/ops/activation.h"

#include <algorithm>
#include <cmath>

namespace vknn::ref {
namespace {

double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

double forward(const ActParams& p, double x) {
  switch (p.kind) {
    case Act::sigmoid: return sigmoid(x);
    case Act::hardsigmoid: return std::clamp(p.alpha * x + p.beta, 0.0, 1.0);
    case Act::hardswish: return x * std::clamp(x + 3, 0.0, 6.0) / 6;
    case Act::silu: return x * sigmoid(x);
    case Act::clip: return std::min(std::max(x, p.alpha), p.beta);
    case Act::leaky_relu: return x > 0 ? x : p.alpha * x;
    case Act::tanh: return std::tanh(x);
  }
  return 0;
}

// f'(x); at a kink the one-sided value PyTorch's backward kernels take (docs/ops.md).
double derivative(const ActParams& p, double x) {
  switch (p.kind) {
    case Act::sigmoid: {
      const double s = sigmoid(x);
      return s * (1 - s);
    }
    case Act::hardsigmoid: {
      if (p.alpha == 0) return 0;
      const double a = double(float(-p.beta / p.alpha)), b = double(float((1 - p.beta) / p.alpha));
      return x > std::min(a, b) && x < std::max(a, b) ? p.alpha : 0.0;
    }
    case Act::hardswish:
      if (x < -3) return 0;
      if (x < 3) return x / 3 + 0.5;
      return 1;
    case Act::silu: {
      const double s = sigmoid(x);
      return s * (1 + x * (1 - s));
    }
    case Act::clip: return x > p.alpha && x < p.beta ? 1.0 : 0.0;
    case Act::leaky_relu: return x > 0 ? 1.0 : p.alpha;
    case Act::tanh: {
      const double t = std::tanh(x);
      return 1 - t * t;
    }
  }
  return 0;
}

}  // namespace

Vec activation_forward(const ActParams& p, const Vec& x) {
  Vec y(x.size());
  for (size_t i = 0; i < x.size(); ++i) y[i] = forward(p, x[i]);
  return y;
}

Vec activation_backward(const ActParams& p, const Vec& x, const Vec& dy) {
  Vec dx(x.size());
  for (size_t i = 0; i < x.size(); ++i) dx[i] = dy[i] * derivative(p, x[i]);
  return dx;
}

Tensors activation_case_outputs(const cases::OpCase& c, const Tensors& in) {
  const auto& p = std::any_cast<const vknn::ActivationParams&>(c.params);
  const ActParams rp{Act(int(p.kind)), double(p.alpha), double(p.beta)};
  return {{"y", activation_forward(rp, in.at("x"))}, {"dx", activation_backward(rp, in.at("x"), in.at("dy"))}};
}

}  // namespace vknn::ref
