#include "vknn/ops/activation.h"

#include "vknn/ops/add.h"

#include <algorithm>
#include <cmath>

namespace vknn {
namespace {

struct ActivationPush {  // mirrors shaders/common/activation.glsl
  uint32_t count, flags;
  float alpha, beta, lo, hi;
};
static_assert(sizeof(ActivationPush) == 24);

// The push block; for hardsigmoid the open interval of x where 0 < alpha * x + beta < 1 (its
// derivative is alpha there and 0 elsewhere), from double and rounded to fp32 once.
ActivationPush make_push(const ActivationParams& p, uint32_t count, uint32_t flags) {
  ActivationPush push{count, flags, p.alpha, p.beta, 0, 0};
  if (p.kind == ActivationKind::hardsigmoid && p.alpha != 0) {
    const double a = -double(p.beta) / p.alpha, b = (1 - double(p.beta)) / p.alpha;
    push.lo = float(std::min(a, b));
    push.hi = float(std::max(a, b));
  }
  return push;
}

constexpr uint32_t kAccumulate = 1;

using detail::for_each_chunk;
using detail::partial_overlap;
BufferRef part(const TensorView& t, uint64_t first, uint32_t count) { return detail::chunk_of(t, first, count); }

Status check_params(const char* op, const ActivationParams& p, const TensorView& x) {
  if (Status s = check_activation_params(op, p); !s.ok())
    return make_error(Errc::invalid_argument, "{} (x {})", s.error().message, x.str());
  return {};
}

}  // namespace

Status check_activation_params(const char* op, const ActivationParams& p) {
  const auto k = uint32_t(p.kind);
  if (k > uint32_t(ActivationKind::tanh))
    return make_error(Errc::invalid_argument, "{}: kind {} is not an activation", op, k);
  if (p.kind == ActivationKind::clip) {
    if (std::isnan(p.alpha) || std::isnan(p.beta) || !(p.alpha <= p.beta))
      return make_error(Errc::invalid_argument, "{}: clip bounds [{}, {}] are not an interval", op, p.alpha, p.beta);
  } else if (!std::isfinite(p.alpha) || !std::isfinite(p.beta)) {
    return make_error(Errc::invalid_argument, "{}: {} alpha {} and beta {} must be finite", op,
                      activation_name(p.kind), p.alpha, p.beta);
  }
  return {};
}

const char* activation_name(ActivationKind k) {
  switch (k) {
    case ActivationKind::sigmoid: return "sigmoid";
    case ActivationKind::hardsigmoid: return "hardsigmoid";
    case ActivationKind::hardswish: return "hardswish";
    case ActivationKind::silu: return "silu";
    case ActivationKind::clip: return "clip";
    case ActivationKind::leaky_relu: return "leaky_relu";
    case ActivationKind::tanh: return "tanh";
  }
  return "activation";
}

Status record_activation_forward(CommandList& cl, const ActivationParams& p, const TensorView& x,
                                 const TensorView& y) {
  constexpr const char* op = "activation_forward";
  VKNN_TRY(check_positive(op, "x", x));
  VKNN_TRY(check_shape(op, "y", y, x.shape));
  VKNN_TRY(detail::check_elements(op, "x", x));
  VKNN_TRY(check_params(op, p, x));
  if (partial_overlap(x, y))
    return make_error(Errc::invalid_argument, "activation_forward: y {} partially overlaps x {}", y.str(), x.str());
  const uint32_t spec[] = {cl.context().profile().elementwise_local, uint32_t(p.kind)};
  for_each_chunk(cl, x.numel(), [&](uint64_t first, uint32_t n) {
    const ActivationPush push = make_push(p, n, 0);
    cl.dispatch(ShaderId::activation_forward, spec,
                {{part(x, first, n), Access::read}, {part(y, first, n), Access::write}}, push, groups_for(n, spec[0]));
  });
  return {};
}

Status record_activation_backward(CommandList& cl, const ActivationParams& p, const TensorView& x,
                                  const TensorView& dy, const TensorView& dx, bool accumulate) {
  constexpr const char* op = "activation_backward";
  VKNN_TRY(check_positive(op, "x", x));
  VKNN_TRY(check_shape(op, "dy", dy, x.shape));
  VKNN_TRY(check_shape(op, "dx", dx, x.shape));
  VKNN_TRY(detail::check_elements(op, "x", x));
  VKNN_TRY(check_params(op, p, x));
  if (range(dx).overlaps(range(dy)) || range(dx).overlaps(range(x)))
    return make_error(Errc::invalid_argument, "activation_backward: dx {} overlaps x or dy {}", dx.str(), dy.str());
  const uint32_t spec[] = {cl.context().profile().elementwise_local, uint32_t(p.kind)};
  for_each_chunk(cl, x.numel(), [&](uint64_t first, uint32_t n) {
    const ActivationPush push = make_push(p, n, accumulate ? kAccumulate : 0u);
    cl.dispatch(ShaderId::activation_backward, spec,
                {{part(x, first, n), Access::read},
                 {part(dy, first, n), Access::read},
                 {part(dx, first, n), accumulate ? Access::read_write : Access::write}},
                push, groups_for(n, spec[0]));
  });
  return {};
}

// ---------------------------------------------------------------------------- graph node

namespace {

struct ActivationBackwardNode final : OpNode {
  ActivationParams p;
  bool accumulate = false;
  const char* type() const override { return "activation_backward"; }
  // in: x, dy; out: dx
  Status record(CommandList& cl, const NodeIO& io) const override {
    return record_activation_backward(cl, p, io.in[0], io.in[1], io.out[0], accumulate);
  }
};

struct ActivationNode final : OpNode {
  ActivationParams p;
  const char* type() const override { return activation_name(p.kind); }
  Status record(CommandList& cl, const NodeIO& io) const override {
    return record_activation_forward(cl, p, io.in[0], io.out[0]);
  }
  Status backward(BackwardBuilder& b) const override {
    if (!b.grad_output(0).valid() || !b.needs_grad(0)) return {};
    auto target = b.grad_input(0);
    auto n = std::make_shared<ActivationBackwardNode>();
    n->p = p;
    n->accumulate = target.accumulate;
    b.add_node("", n, {b.input(0), b.grad_output(0)}, {target.tensor});
    return {};
  }
  double flops(const Graph& g, const Node& n) const override { return double(g.shape(n.outputs[0]).numel()); }
};

}  // namespace

TensorId activation(Graph& g, TensorId x, const ActivationParams& p, const std::string& name) {
  if (!g.accepts({x}, name)) return {};
  const TensorView probe{{}, g.shape(x)};
  if (Status s = check_params("activation", p, probe); !s.ok())
    return g.refuse(make_error(Errc::invalid_argument, "{} '{}': {}", activation_name(p.kind), name, s.error().message));
  const std::string n = g.unique_name(name);
  TensorId y = g.tensor(n, g.shape(x), Role::activation);
  auto op = std::make_shared<ActivationNode>();
  op->p = p;
  g.add_node(n, op, {x}, {y});
  return y;
}

const ActivationParams* activation_params(const Node& n) {
  const auto* a = dynamic_cast<const ActivationNode*>(n.op.get());
  return a ? &a->p : nullptr;
}

}  // namespace vknn
