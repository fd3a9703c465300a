#include "vknn/ops/lrn.h"

#include <cmath>
#include <cstdint>

namespace vknn {
namespace {

struct LrnPush {  // mirrors shaders/common/lrn_push.glsl
  uint32_t N, C, HW, half_size;
  float alpha, beta, k;
  uint32_t flags;
};
static_assert(sizeof(LrnPush) == 32);

constexpr uint32_t kAccumulate = 1;

Status check_params(const char* op, const LrnParams& p, const TensorView& x) {
  if (p.size <= 0 || p.size % 2 == 0)
    return make_error(Errc::invalid_argument, "{}: size must be odd and positive, got {} (x {})", op, p.size, x.str());
  if (!(p.alpha >= 0.0f) || !std::isfinite(p.alpha) || !(p.k > 0.0f) || !std::isfinite(p.k) || !std::isfinite(p.beta))
    return make_error(Errc::invalid_argument, "{}: needs alpha >= 0, k > 0 and a finite beta, got alpha={} beta={} k={}",
                      op, p.alpha, p.beta, p.k);
  VKNN_TRY(check_rank(op, "x", x, 4));
  if (uint64_t(x.numel()) > UINT32_MAX)
    return make_error(Errc::invalid_argument, "{}: x {} has more than 2^32-1 elements", op, x.str());
  return {};
}

// per_element: (ceil(H*W / local), C, N) workgroups; per_column: (ceil(H*W / local), N, 1)
// with the window size as specialization constant 1. See the shaders.
void dispatch(CommandList& cl, const LrnParams& p, ShaderId element, ShaderId column,
              std::initializer_list<Binding> bindings, const LrnPush& push) {
  // Both variants loop per invocation (over the channels, or over the window).
  const uint32_t local = cl.context().profile().loop_local;
  if (resolve_lrn_variant(cl.context().profile(), p) == LrnVariant::per_column) {
    const uint32_t spec[] = {local, uint32_t(p.size)};
    cl.dispatch(column, spec, bindings, push, groups_for(push.HW, local), push.N);
  } else {
    const uint32_t spec[] = {local};
    cl.dispatch(element, spec, bindings, push, groups_for(push.HW, local), push.C, push.N);
  }
}

LrnPush make_push(const LrnParams& p, const TensorView& x, uint32_t flags) {
  return {uint32_t(x.shape[0]), uint32_t(x.shape[1]), uint32_t(x.shape[2] * x.shape[3]), uint32_t(p.size / 2),
          p.alpha, p.beta, p.k, flags};
}

}  // namespace

LrnVariant resolve_lrn_variant(const DeviceProfile& profile, const LrnParams& p) {
  LrnVariant v = p.variant;
  if (v == LrnVariant::automatic)
    v = profile.family(KernelClass::lrn) == KernelFamily::register_blocked ? LrnVariant::per_column
                                                                           : LrnVariant::per_element;
  // The column shaders keep three SIZE-long windows in registers.
  if (v == LrnVariant::per_column && p.size > kLrnMaxColumnSize) v = LrnVariant::per_element;
  return v;
}

Status record_lrn_forward(CommandList& cl, const LrnParams& p, const TensorView& x, const TensorView& y,
                          const TensorView& scale) {
  constexpr const char* op = "lrn_forward";
  VKNN_TRY(check_params(op, p, x));
  VKNN_TRY(check_shape(op, "y", y, x.shape));
  VKNN_TRY(check_shape(op, "scale", scale, x.shape));
  const LrnPush push = make_push(p, x, 0);
  dispatch(cl, p, ShaderId::lrn_forward, ShaderId::lrn_forward_column,
           {{range(x), Access::read}, {range(y), Access::write}, {range(scale), Access::write}}, push);
  return {};
}

Status record_lrn_backward(CommandList& cl, const LrnParams& p, const TensorView& x, const TensorView& scale,
                           const TensorView& dy, const TensorView& dx, bool accumulate) {
  constexpr const char* op = "lrn_backward";
  VKNN_TRY(check_params(op, p, x));
  VKNN_TRY(check_shape(op, "scale", scale, x.shape));
  VKNN_TRY(check_shape(op, "dy", dy, x.shape));
  VKNN_TRY(check_shape(op, "dx", dx, x.shape));
  const LrnPush push = make_push(p, x, accumulate ? kAccumulate : 0);
  dispatch(cl, p, ShaderId::lrn_backward, ShaderId::lrn_backward_column,
           {{range(x), Access::read},
            {range(scale), Access::read},
            {range(dy), Access::read},
            {range(dx), accumulate ? Access::read_write : Access::write}},
           push);
  return {};
}

// ---------------------------------------------------------------------------- graph node

namespace {

struct LrnBackwardNode final : OpNode {
  LrnParams p;
  bool accumulate = false;
  const char* type() const override { return "lrn_backward"; }
  // in: x, scale, dy; out: dx
  Status record(CommandList& cl, const NodeIO& io) const override {
    return record_lrn_backward(cl, p, io.in[0], io.in[1], io.in[2], io.out[0], accumulate);
  }
};

struct LrnNode final : OpNode {
  LrnParams p;
  const char* type() const override { return "lrn"; }
  // in: x; out: y, scale
  Status record(CommandList& cl, const NodeIO& io) const override {
    return record_lrn_forward(cl, p, io.in[0], io.out[0], io.out[1]);
  }
  Status backward(BackwardBuilder& b) const override {
    if (!b.grad_output(0).valid()) return {};
    auto target = b.grad_input(0);
    auto node = std::make_shared<LrnBackwardNode>();
    node->p = p;
    node->accumulate = target.accumulate;
    b.add_node("", node, {b.input(0), b.output(1), b.grad_output(0)}, {target.tensor});
    return {};
  }
  double flops(const Graph& g, const Node& n) const override {
    return double(g.shape(n.inputs[0]).numel()) * (2.0 * p.size + 4);
  }
};

}  // namespace

TensorId lrn(Graph& g, TensorId x, const LrnParams& p, const std::string& name) {
  if (!g.accepts({x}, name)) return {};
  const Shape& s = g.shape(x);
  VKNN_GRAPH_CHECK(g, s.rank() == 4, "lrn '{}': input '{}' must be (N,C,H,W), got {}", name, g.desc(x).name, s.str());
  VKNN_GRAPH_CHECK(g, p.size > 0 && p.size % 2 == 1, "lrn '{}': size {} must be odd and positive", name, p.size);
  const std::string n = g.unique_name(name);
  TensorId y = g.tensor(n, s, Role::activation);
  TensorId scale = g.tensor(n + ".scale", s, Role::activation);
  auto node = std::make_shared<LrnNode>();
  node->p = p;
  g.add_node(n, node, {x}, {y, scale});
  return y;
}

const LrnParams* lrn_params(const Node& n) {
  const auto* l = dynamic_cast<const LrnNode*>(n.op.get());
  return l ? &l->p : nullptr;
}

}  // namespace vknn
