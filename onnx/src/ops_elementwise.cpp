// Element-wise ops: Relu; the activation family (Sigmoid, HardSigmoid, HardSwish, Tanh, Clip,
// LeakyRelu); Add, Sub, Mul and Div with broadcasting (folded on values known at import);
// Softmax and LogSoftmax.
#include "fold.h"
#include "importer.h"

#include "vknn/ops/activation.h"
#include "vknn/ops/add.h"
#include "vknn/ops/binary.h"
#include "vknn/ops/relu.h"
#include "vknn/ops/softmax.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace vknn::onnx {
namespace {

Status relu_op(Importer& im, const ::onnx::NodeProto& n, const Attrs&) {
  if (im.dry) return {};
  const Value& v = im.input(n, 0);
  if (im.foldable(v) && v.constant->is_float()) {
    std::vector<float> r(*v.constant->f);
    for (float& e : r) e = std::max(e, 0.0f);
    im.set_constant(n, 0, HostTensor::floats(v.shape, std::move(r)));
    return {};
  }
  VKNN_ASSIGN(TensorId x, im.raw_tensor(n, 0));
  TensorId y = relu(im.g, x, im.name(n));
  if (y.valid()) im.set_output(n, 0, y, v.shape);
  return {};
}

// y = f(x) for one of the activation family: folded when x is known at import (and is no
// trainable weight, Importer::foldable), else one graph node.
Status unary_activation(Importer& im, const ::onnx::NodeProto& n, const ActivationParams& p) {
  const Value& v = im.input(n, 0);
  if (im.foldable(v) && v.constant->is_float()) {
    std::vector<float> r(*v.constant->f);
    const auto sigmoid = [](double x) { return 1.0 / (1.0 + std::exp(-x)); };
    for (float& e : r) {
      const double x = e, a = p.alpha, b = p.beta;
      double y = 0;
      switch (p.kind) {
        case ActivationKind::sigmoid: y = sigmoid(x); break;
        case ActivationKind::hardsigmoid: y = std::clamp(a * x + b, 0.0, 1.0); break;
        case ActivationKind::hardswish: y = x * std::clamp(x + 3, 0.0, 6.0) / 6; break;
        case ActivationKind::silu: y = x * sigmoid(x); break;
        case ActivationKind::clip: y = std::min(std::max(x, a), b); break;
        case ActivationKind::leaky_relu: y = x > 0 ? x : a * x; break;
        case ActivationKind::tanh: y = std::tanh(x); break;
      }
      e = float(y);
    }
    im.set_constant(n, 0, HostTensor::floats(v.shape, std::move(r)));
    return {};
  }
  VKNN_ASSIGN(TensorId x, im.raw_tensor(n, 0));
  TensorId y = activation(im.g, x, p, im.name(n));
  if (y.valid()) im.set_output(n, 0, y, v.shape);
  return {};
}

Status finite_attribute(const char* name, float v) {
  if (!std::isfinite(v)) return make_error(Errc::parse, "attribute '{}' = {} is not finite", name, v);
  return {};
}

Status sigmoid_op(Importer& im, const ::onnx::NodeProto& n, const Attrs&) {
  if (im.dry) return {};
  return unary_activation(im, n, ActivationParams::sigmoid());
}

Status hardsigmoid_op(Importer& im, const ::onnx::NodeProto& n, const Attrs& a) {
  VKNN_ASSIGN(const float alpha, a.f("alpha", 0.2f));
  VKNN_ASSIGN(const float beta, a.f("beta", 0.5f));
  VKNN_TRY(finite_attribute("alpha", alpha));
  VKNN_TRY(finite_attribute("beta", beta));
  if (im.dry) return {};
  return unary_activation(im, n, ActivationParams::hardsigmoid(alpha, beta));
}

Status tanh_op(Importer& im, const ::onnx::NodeProto& n, const Attrs&) {
  if (im.dry) return {};
  return unary_activation(im, n, ActivationParams::tanh());
}

Status hardswish_op(Importer& im, const ::onnx::NodeProto& n, const Attrs&) {
  if (im.dry) return {};
  return unary_activation(im, n, ActivationParams::hardswish());
}

Status leaky_relu_op(Importer& im, const ::onnx::NodeProto& n, const Attrs& a) {
  VKNN_ASSIGN(const float alpha, a.f("alpha", 0.01f));
  VKNN_TRY(finite_attribute("alpha", alpha));
  if (im.dry) return {};
  return unary_activation(im, n, ActivationParams::leaky_relu(alpha));
}

// Clip: bounds are attributes before opset 11 and optional scalar inputs from 11 on (they
// must be known at import). Clip(0, inf) is a ReLU; Clip(-inf, inf) the identity.
Status clip_op(Importer& im, const ::onnx::NodeProto& n, const Attrs& a) {
  constexpr float inf = std::numeric_limits<float>::infinity();
  float lo = -inf, hi = inf;
  if (im.opset < 11) {
    VKNN_ASSIGN(lo, a.f("min", -std::numeric_limits<float>::max()));
    VKNN_ASSIGN(hi, a.f("max", std::numeric_limits<float>::max()));
  }
  if (im.dry) return {};
  for (int k : {1, 2}) {
    if (im.opset < 11 || !im.has_input(n, k)) continue;
    VKNN_ASSIGN(auto t, im.constant(n, k, k == 1 ? "min" : "max"));
    if (t->numel() != 1)
      return make_error(Errc::parse, "Clip {} '{}' {} is not a scalar", k == 1 ? "min" : "max", n.input(k),
                        dims_str(t->dims));
    (k == 1 ? lo : hi) = float(t->at(0));
  }
  if (std::isnan(lo) || std::isnan(hi) || lo > hi)
    return unsupported("bounds [{}, {}]: min must not exceed max", lo, hi);
  const Value& v = im.input(n, 0);
  const bool no_lo = lo <= -std::numeric_limits<float>::max(), no_hi = hi >= std::numeric_limits<float>::max();
  if (no_lo && no_hi) {
    im.alias_output(n, 0, v);
    return {};
  }
  if (lo == 0 && no_hi && !v.constant) {
    VKNN_ASSIGN(TensorId x, im.raw_tensor(n, 0));
    TensorId y = relu(im.g, x, im.name(n));
    if (y.valid()) im.set_output(n, 0, y, v.shape);
    return {};
  }
  return unary_activation(im, n, ActivationParams::clip(lo, hi));
}

enum class Arith { add, sub, mul, div };

Result<int64_t> int_arith(Arith op, int64_t a, int64_t b) {
  int64_t r = 0;
  switch (op) {
    case Arith::add: if (!__builtin_add_overflow(a, b, &r)) return r; break;
    case Arith::sub: if (!__builtin_sub_overflow(a, b, &r)) return r; break;
    case Arith::mul: if (!__builtin_mul_overflow(a, b, &r)) return r; break;
    case Arith::div:
      if (b == 0) return make_error(Errc::parse, "integer division by zero");
      if (a == std::numeric_limits<int64_t>::min() && b == -1) break;
      return a / b;  // truncation toward zero, as ONNX's integer Div
  }
  return make_error(Errc::parse, "integer arithmetic on {} and {} overflows int64", a, b);
}

double float_arith(Arith op, double a, double b) {
  switch (op) {
    case Arith::add: return a + b;
    case Arith::sub: return a - b;
    case Arith::mul: return a * b;
    case Arith::div: return a / b;
  }
  return 0;
}

Status binary(Importer& im, const ::onnx::NodeProto& n, const Attrs& a, Arith op) {
  (void)a;
  if (im.dry) return {};
  const Value& x = im.input(n, 0);
  const Value& y = im.input(n, 1);
  if (im.foldable(x) && im.foldable(y)) {
    VKNN_ASSIGN(HostTensor r, fold_binary(
                                  *x.constant, *y.constant, [op](double p, double q) { return float_arith(op, p, q); },
                                  [op](int64_t p, int64_t q) { return int_arith(op, p, q); }));
    im.set_constant(n, 0, std::move(r));
    return {};
  }
  VKNN_ASSIGN(const std::vector<int64_t> out, broadcast_shape(x.shape, y.shape));
  if (op != Arith::add || x.shape != y.shape) {
    // Broadcasting (or Sub, Mul, Div): the operands in their ONNX shapes.
    // A rank-0 scalar takes part as (1), which broadcasts the same.
    const auto shape_of = [](const Value& v) { return v.shape.empty() ? std::vector<int64_t>{1} : v.shape; };
    VKNN_ASSIGN(TensorId p, im.tensor(n, 0, shape_of(x)));
    VKNN_ASSIGN(TensorId q, im.tensor(n, 1, shape_of(y)));
    const BinaryOp kind = op == Arith::add ? BinaryOp::add
                          : op == Arith::sub ? BinaryOp::sub
                          : op == Arith::mul ? BinaryOp::mul
                                             : BinaryOp::div;
    TensorId r = vknn::binary(im.g, kind, p, q, im.name(n));
    if (r.valid()) im.set_output(n, 0, r, out);
    return {};
  }
  // Equal shapes of an Add (a residual): the graph tensors as they are when they agree (no
  // copy), else in the ONNX shape.
  VKNN_ASSIGN(TensorId p, im.raw_tensor(n, 0));
  VKNN_ASSIGN(TensorId q, im.raw_tensor(n, 1));
  if (im.dims(p) != im.dims(q)) {
    VKNN_ASSIGN(p, im.tensor(n, 0));
    VKNN_ASSIGN(q, im.tensor(n, 1));
  }
  TensorId r = add(im.g, p, q, im.name(n));
  if (r.valid()) im.set_output(n, 0, r, out);
  return {};
}


// Softmax and LogSoftmax. From opset 13 over the one axis `axis` (default -1); before it over
// x coerced to 2-D at `axis` (default 1), every axis from `axis` on at once.
Status softmax_op(Importer& im, const ::onnx::NodeProto& n, const Attrs& a, bool log) {
  const bool flatten = im.opset < 13;
  VKNN_ASSIGN(const int64_t axis, a.i("axis", flatten ? 1 : -1));
  if (im.dry) return {};
  const Value& v = im.input(n, 0);
  const auto rank = int64_t(v.shape.size());
  if (axis < -rank || axis >= rank)
    return make_error(Errc::parse, "{} axis {} is outside [{}, {}) for input {}", n.op_type(), axis, -rank, rank,
                      dims_str(v.shape));
  VKNN_ASSIGN(TensorId x, im.tensor(n, 0));
  TensorId y = softmax(im.g, x, {axis, log, flatten}, im.name(n));
  if (y.valid()) im.set_output(n, 0, y, v.shape);
  return {};
}

}  // namespace

void register_elementwise_ops(std::unordered_map<std::string, Converter>& t) {
  t["Relu"] = relu_op;
  t["Sigmoid"] = sigmoid_op;
  t["HardSigmoid"] = hardsigmoid_op;
  t["HardSwish"] = hardswish_op;
  t["Tanh"] = tanh_op;
  t["LeakyRelu"] = leaky_relu_op;
  t["Clip"] = clip_op;
  t["Add"] = [](Importer& im, const ::onnx::NodeProto& n, const Attrs& a) { return binary(im, n, a, Arith::add); };
  t["Sub"] = [](Importer& im, const ::onnx::NodeProto& n, const Attrs& a) { return binary(im, n, a, Arith::sub); };
  t["Mul"] = [](Importer& im, const ::onnx::NodeProto& n, const Attrs& a) { return binary(im, n, a, Arith::mul); };
  t["Div"] = [](Importer& im, const ::onnx::NodeProto& n, const Attrs& a) { return binary(im, n, a, Arith::div); };
  t["Softmax"] = [](Importer& im, const ::onnx::NodeProto& n, const Attrs& a) { return softmax_op(im, n, a, false); };
  t["LogSoftmax"] = [](Importer& im, const ::onnx::NodeProto& n, const Attrs& a) { return softmax_op(im, n, a, true); };
}

}  // namespace vknn::onnx
