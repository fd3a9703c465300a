#include "vknn/ops/softmax.h"

#include "vknn/ops/add.h"

#include <algorithm>

namespace vknn {
namespace {

struct SoftmaxPush {  // mirrors shaders/softmax_forward.comp and softmax_backward.comp
  uint32_t rows, k, inner, flags;
};
static_assert(sizeof(SoftmaxPush) == 16);

constexpr uint32_t kAccumulate = 1;
// The grid covers the rows in at most this many workgroups and strides over the rest
// (maxComputeWorkGroupCount[0] is at least 65535).
constexpr uint32_t kMaxGroups = 65535;

Status check_tensor(const char* op, const char* name, const TensorView& t, const CommandList& cl) {
  VKNN_TRY(check_dtype(op, name, t, DType::f32));
  VKNN_TRY(check_contiguous(op, name, t));
  return detail::check_one_binding(op, name, t, cl.context());
}

SoftmaxPush make_push(const SoftmaxLayout& l, uint32_t flags) {
  return {uint32_t(l.outer * l.inner), uint32_t(l.k), uint32_t(l.inner), flags};
}

// How a softmax's rows are spread: its shader, the lanes per row (1, or a subgroup), the
// local size and workgroups.
struct RowPlan {
  ShaderId shader;
  uint32_t width = 1, local = 0, groups = 0;
};

// One subgroup per row (softmax_subgroup_rows) or one invocation per row. `passes` is the
// number of sweeps of a row each invocation makes (3 forward, 2 backward): the loops of an
// invocation must stay within the driver's limit (DeviceProfile::loop_fits), so a row too
// long for one invocation takes a subgroup where the device has them, and is refused otherwise.
Result<RowPlan> plan_rows(const char* op, const DeviceProfile& profile, const SoftmaxLayout& l, const Shape& x,
                          int64_t passes, ShaderId per_invocation, ShaderId per_subgroup) {
  const int64_t rows = l.outer * l.inner;
  auto plan = [&](bool subgroup) {
    RowPlan r;
    r.width = subgroup ? std::max(1u, profile.subgroup_size) : 1u;
    r.shader = subgroup ? per_subgroup : per_invocation;
    r.local = std::max(profile.loop_local, r.width) / r.width * r.width;
    r.groups = std::min(groups_for(rows, r.local / r.width), kMaxGroups);
    return r;
  };
  // The loop iterations of one invocation: its rows, times the passes over its share of a row.
  auto iterations = [&](const RowPlan& r) {
    const int64_t rows_at_once = int64_t(r.groups) * (r.local / r.width);
    return (rows + rows_at_once - 1) / rows_at_once * passes * ((l.k + r.width - 1) / r.width);
  };
  const bool can_subgroup = profile.softmax_subgroup && l.inner == 1;
  const bool subgroup = softmax_subgroup_rows(profile, l);
  RowPlan r = plan(subgroup);
  if (!profile.loop_fits(iterations(r)) && !subgroup && can_subgroup) r = plan(true);
  if (!profile.loop_fits(iterations(r)))
    return make_error(Errc::unsupported,
                      "{}: x {}: rows of {} elements need {} loop iterations per invocation, more than this driver "
                      "runs{}",
                      op, x.str(), l.k, iterations(r), can_subgroup ? "" : " (only rows of contiguous elements "
                                                                           "can spread over a subgroup)");
  return r;
}

}  // namespace

bool softmax_subgroup_rows(const DeviceProfile& profile, const SoftmaxLayout& l) {
  return profile.softmax_subgroup && l.inner == 1 && l.k >= int64_t(profile.subgroup_size);
}

Result<SoftmaxLayout> softmax_layout(const char* op, const SoftmaxParams& p, const Shape& x) {
  const auto rank = int64_t(x.rank());
  if (rank == 0 || x.numel() <= 0)
    return make_error(Errc::invalid_argument, "{}: x {} is empty or a scalar", op, x.str());
  if (p.axis < -rank || p.axis >= rank)
    return make_error(Errc::invalid_argument, "{}: axis {} is outside [{}, {}) for x {}", op, p.axis, -rank, rank,
                      x.str());
  const int64_t axis = p.axis < 0 ? p.axis + rank : p.axis;
  SoftmaxLayout l;
  for (int64_t d = 0; d < rank; ++d) {
    if (d < axis)
      l.outer *= x[d];
    else if (d == axis || p.flatten)
      l.k *= x[d];
    else
      l.inner *= x[d];
  }
  return l;
}

Status record_softmax_forward(CommandList& cl, const SoftmaxParams& p, const TensorView& x, const TensorView& y) {
  constexpr const char* op = "softmax_forward";
  VKNN_ASSIGN(const SoftmaxLayout l, softmax_layout(op, p, x.shape));
  VKNN_TRY(check_shape(op, "y", y, x.shape));
  VKNN_TRY(check_tensor(op, "x", x, cl));
  VKNN_TRY(check_tensor(op, "y", y, cl));
  if (range(y).overlaps(range(x)))
    return make_error(Errc::invalid_argument, "{}: y {} overlaps x {}", op, y.str(), x.str());
  VKNN_ASSIGN(const RowPlan r,
              plan_rows(op, cl.context().profile(), l, x.shape, 3,
                        p.log ? ShaderId::log_softmax_forward : ShaderId::softmax_forward,
                        p.log ? ShaderId::log_softmax_forward_subgroup : ShaderId::softmax_forward_subgroup));
  const uint32_t spec[] = {r.local};
  cl.dispatch(r.shader, spec, {{range(x), Access::read}, {range(y), Access::write}}, make_push(l, 0), r.groups);
  return {};
}

Status record_softmax_backward(CommandList& cl, const SoftmaxParams& p, const TensorView& y, const TensorView& dy,
                               const TensorView& dx, bool accumulate) {
  constexpr const char* op = "softmax_backward";
  VKNN_ASSIGN(const SoftmaxLayout l, softmax_layout(op, p, y.shape));
  VKNN_TRY(check_shape(op, "dy", dy, y.shape));
  VKNN_TRY(check_shape(op, "dx", dx, y.shape));
  VKNN_TRY(check_tensor(op, "y", y, cl));
  VKNN_TRY(check_tensor(op, "dy", dy, cl));
  VKNN_TRY(check_tensor(op, "dx", dx, cl));
  if (range(dx).overlaps(range(y)) || range(dx).overlaps(range(dy)))
    return make_error(Errc::invalid_argument, "{}: dx {} overlaps y or dy {}", op, dx.str(), dy.str());
  VKNN_ASSIGN(const RowPlan r,
              plan_rows(op, cl.context().profile(), l, y.shape, 2,
                        p.log ? ShaderId::log_softmax_backward : ShaderId::softmax_backward,
                        p.log ? ShaderId::log_softmax_backward_subgroup : ShaderId::softmax_backward_subgroup));
  const uint32_t spec[] = {r.local};
  cl.dispatch(r.shader, spec,
              {{range(y), Access::read},
               {range(dy), Access::read},
               {range(dx), accumulate ? Access::read_write : Access::write}},
              make_push(l, accumulate ? kAccumulate : 0u), r.groups);
  return {};
}

// ---------------------------------------------------------------------------- graph node

namespace {

struct SoftmaxBackwardNode final : OpNode {
  SoftmaxParams p;
  bool accumulate = false;
  const char* type() const override { return p.log ? "log_softmax_backward" : "softmax_backward"; }
  // in: y, dy; out: dx
  Status record(CommandList& cl, const NodeIO& io) const override {
    return record_softmax_backward(cl, p, io.in[0], io.in[1], io.out[0], accumulate);
  }
};

struct SoftmaxNode final : OpNode {
  SoftmaxParams p;
  const char* type() const override { return p.log ? "log_softmax" : "softmax"; }
  Status record(CommandList& cl, const NodeIO& io) const override {
    return record_softmax_forward(cl, p, io.in[0], io.out[0]);
  }
  Status backward(BackwardBuilder& b) const override {
    if (!b.grad_output(0).valid() || !b.needs_grad(0)) return {};
    auto target = b.grad_input(0);
    auto n = std::make_shared<SoftmaxBackwardNode>();
    n->p = p;
    n->accumulate = target.accumulate;
    b.add_node("", n, {b.output(0), b.grad_output(0)}, {target.tensor});
    return {};
  }
  // max, exp, sum and divide: about 4 operations per element (5 for the log form).
  double flops(const Graph& g, const Node& n) const override { return 4.0 * double(g.shape(n.outputs[0]).numel()); }
};

}  // namespace

TensorId softmax(Graph& g, TensorId x, const SoftmaxParams& p, const std::string& name) {
  if (!g.accepts({x}, name)) return {};
  const char* kind = p.log ? "log_softmax" : "softmax";
  if (auto l = softmax_layout(kind, p, g.shape(x)); !l.ok())
    return g.refuse(make_error(Errc::invalid_argument, "{} '{}': {}", kind, name, l.error().message));
  const std::string n = g.unique_name(name);
  TensorId y = g.tensor(n, g.shape(x), Role::activation);
  auto op = std::make_shared<SoftmaxNode>();
  op->p = p;
  g.add_node(n, op, {x}, {y});
  return y;
}

const SoftmaxParams* softmax_params(const Node& n) {
  const auto* s = dynamic_cast<const SoftmaxNode*>(n.op.get());
  return s ? &s->p : nullptr;
}

}  // namespace vknn
