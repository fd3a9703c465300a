// Element-wise activations, one family with one pair of shaders (the kind is a
// specialization constant). The exact math and the derivative at each kink are in docs/ops.md.
//   sigmoid:      y = 1 / (1 + exp(-x))
//   hardsigmoid:  y = clamp(alpha * x + beta, 0, 1)          (PyTorch: alpha 1/6, beta 1/2)
//   hardswish:    y = x * clamp(x + 3, 0, 6) / 6             (no parameters)
//   silu:         y = x * sigmoid(x)                         (swish)
//   clip:         y = min(max(x, alpha), beta)               (ReLU6: alpha 0, beta 6)
//   leaky_relu:   y = x > 0 ? x : alpha * x
//   tanh:         y = tanh(x)
//   backward:     dx = dy * f'(x), from the forward's input x (accumulate: dx += instead of dx =).
// Tensors of any rank and shape; larger than one storage-buffer binding is processed in chunks.
#pragma once

#include "vknn/engine/commands.h"
#include "vknn/graph/graph.h"
#include "vknn/graph/tensor.h"

#include <cstdint>

namespace vknn {

enum class ActivationKind : uint32_t { sigmoid, hardsigmoid, hardswish, silu, clip, leaky_relu, tanh };
const char* activation_name(ActivationKind k);

struct ActivationParams {
  ActivationKind kind = ActivationKind::sigmoid;
  float alpha = 0, beta = 0;  // per kind, see above; unused ones are ignored

  static ActivationParams sigmoid() { return {ActivationKind::sigmoid, 0, 0}; }
  static ActivationParams hardsigmoid(float alpha = 1.0f / 6, float beta = 0.5f) {
    return {ActivationKind::hardsigmoid, alpha, beta};
  }
  static ActivationParams hardswish() { return {ActivationKind::hardswish, 0, 0}; }
  static ActivationParams silu() { return {ActivationKind::silu, 0, 0}; }
  static ActivationParams clip(float lo, float hi) { return {ActivationKind::clip, lo, hi}; }
  static ActivationParams relu6() { return clip(0, 6); }
  static ActivationParams leaky_relu(float slope = 0.01f) { return {ActivationKind::leaky_relu, slope, 0}; }
  static ActivationParams tanh() { return {ActivationKind::tanh, 0, 0}; }
};

// The parameters every builder and recorder checks, or Errc::invalid_argument naming `op`:
// a kind outside the enum, parameters that are not finite (clip's bounds may be infinite),
// clip bounds that are not an interval (lo > hi, or a NaN). The embedding API checks a
// layer's parameters with it at the call.
Status check_activation_params(const char* op, const ActivationParams& p);

// y = f(x). y has x's shape; it may be x itself (in place) but not partially overlap it.
// Refused: parameters that are not finite (clip's bounds may be infinite), lo > hi for clip.
Status record_activation_forward(CommandList& cl, const ActivationParams& p, const TensorView& x,
                                 const TensorView& y);

// dx (+)= dy * f'(x). x, dy and dx have one shape; dx overlaps neither x nor dy.
Status record_activation_backward(CommandList& cl, const ActivationParams& p, const TensorView& x,
                                  const TensorView& dy, const TensorView& dx, bool accumulate);

// Graph builder: y = f(x) (a new tensor; x is kept for the backward).
TensorId activation(Graph& g, TensorId x, const ActivationParams& p, const std::string& name = "act");

// The parameters of an activation node (forward), or null for any other node.
const ActivationParams* activation_params(const Node& n);

}  // namespace vknn
