#include "vknn/ops/avgpool.h"

#include "pool2d_common.h"
#include "vknn/ops/add.h"

#include <cstdint>

namespace vknn {
namespace {

struct GlobalPush {  // mirrors the push blocks of avgpool_global_{forward,backward}.comp
  uint32_t planes;   // N*C
  uint32_t HW;
  uint32_t flags;
};
static_assert(sizeof(GlobalPush) == 12);

constexpr uint32_t kAccumulate = 1, kCountIncludePad = 2;

pool2d::Push make_push(const AvgPool2dParams& p, const Shape& x, const Shape& y, uint32_t flags) {
  if (p.count_include_pad) flags |= kCountIncludePad;
  return pool2d::make_push(p, x, y, flags);
}

// y of a global pooling over x (N,C,H,W) must be (N,C) or (N,C,1,1).
Status check_pooled(const char* op, const char* name, const TensorView& t, const Shape& x) {
  const Shape flat{x[0], x[1]}, spatial{x[0], x[1], 1, 1};
  if (t.shape != flat && t.shape != spatial)
    return make_error(Errc::invalid_argument, "{}: {} has shape {}, expected {} or {} (x {})", op, name, t.str(),
                      flat.str(), spatial.str(), x.str());
  return check_positive(op, name, t);
}

Status check_x(const char* op, const char* name, const TensorView& x) {
  VKNN_TRY(check_rank(op, name, x, 4));
  if (uint64_t(x.numel()) > UINT32_MAX)
    return make_error(Errc::invalid_argument, "{}: {} {} has more than 2^32-1 elements", op, name, x.str());
  return {};
}

// The window geometry with the dilation average pooling lacks (its shaders take taps 1 apart).
Result<Shape> avgpool_output_shape(const char* op, const AvgPool2dParams& p, const Shape& x) {
  if (p.dilation_h != 1 || p.dilation_w != 1)
    return make_error(Errc::invalid_argument, "{}: dilation {}x{}: average pooling takes only 1 (x {})", op,
                      p.dilation_h, p.dilation_w, x.str());
  return pool2d_output_shape(op, p, x);
}

}  // namespace

Status record_avgpool_forward(CommandList& cl, const AvgPool2dParams& p, const TensorView& x, const TensorView& y) {
  constexpr const char* op = "avgpool_forward";
  VKNN_ASSIGN(const Shape out, avgpool_output_shape(op, p, x.shape));
  VKNN_TRY(check_positive(op, "x", x));
  VKNN_TRY(check_shape(op, "y", y, out));
  const pool2d::Push push = make_push(p, x.shape, out, 0);
  pool2d::dispatch_planes(cl, ShaderId::avgpool_forward, p, {{range(x), Access::read}, {range(y), Access::write}}, push, push.OW,
                  push.OH);
  return {};
}

Status record_avgpool_backward(CommandList& cl, const AvgPool2dParams& p, const TensorView& dy, const TensorView& dx,
                               bool accumulate) {
  constexpr const char* op = "avgpool_backward";
  VKNN_ASSIGN(const Shape out, avgpool_output_shape(op, p, dx.shape));
  VKNN_TRY(check_positive(op, "dx", dx));
  VKNN_TRY(check_shape(op, "dy", dy, out));
  const pool2d::Push push = make_push(p, dx.shape, out, accumulate ? kAccumulate : 0);
  pool2d::dispatch_planes(cl, ShaderId::avgpool_backward, p,
                  {{range(dy), Access::read}, {range(dx), accumulate ? Access::read_write : Access::write}}, push,
                  push.W, push.H);
  return {};
}

Status record_global_avgpool_forward(CommandList& cl, const TensorView& x, const TensorView& y) {
  constexpr const char* op = "global_avgpool_forward";
  VKNN_TRY(check_x(op, "x", x));
  VKNN_TRY(check_pooled(op, "y", y, x.shape));
  VKNN_ASSIGN(const bool half, detail::half_storage(op, cl.context(), {{"x", &x}, {"y", &y}}));
  const GlobalPush push{uint32_t(x.shape[0] * x.shape[1]), uint32_t(x.shape[2] * x.shape[3]), 0};
  const uint32_t spec[] = {cl.context().profile().loop_local};  // each invocation loops over a plane
  cl.dispatch(half ? ShaderId::avgpool_global_forward_f16 : ShaderId::avgpool_global_forward, spec, {{range(x), Access::read}, {range(y), Access::write}}, push,
              groups_for(push.planes, spec[0]));
  return {};
}

Status record_global_avgpool_backward(CommandList& cl, const TensorView& dy, const TensorView& dx, bool accumulate) {
  constexpr const char* op = "global_avgpool_backward";
  VKNN_TRY(check_x(op, "dx", dx));
  VKNN_TRY(check_pooled(op, "dy", dy, dx.shape));
  const GlobalPush push{uint32_t(dx.shape[0] * dx.shape[1]), uint32_t(dx.shape[2] * dx.shape[3]),
                        accumulate ? kAccumulate : 0};
  // One invocation per element of a small plane (7x7): the loop class's smaller groups
  // leave fewer lanes idle than element-wise ones would.
  const uint32_t spec[] = {cl.context().profile().loop_local};
  cl.dispatch(ShaderId::avgpool_global_backward, spec,
              {{range(dy), Access::read}, {range(dx), accumulate ? Access::read_write : Access::write}}, push,
              groups_for(push.HW, spec[0]), push.planes);
  return {};
}

// ---------------------------------------------------------------------------- graph nodes

namespace {

struct AvgPoolBackwardNode final : OpNode {
  AvgPool2dParams p;
  bool global = false, accumulate = false;
  const char* type() const override { return global ? "global_avgpool_backward" : "avgpool_backward"; }
  // in: dy; out: dx
  Status record(CommandList& cl, const NodeIO& io) const override {
    return global ? record_global_avgpool_backward(cl, io.in[0], io.out[0], accumulate)
                  : record_avgpool_backward(cl, p, io.in[0], io.out[0], accumulate);
  }
};

struct AvgPoolNode final : OpNode {
  AvgPool2dParams p;
  bool global = false;
  const char* type() const override { return global ? "global_avgpool" : "avgpool"; }
  bool half_storage() const override { return global; }  // the windowed forward is fp32 only
  Status record(CommandList& cl, const NodeIO& io) const override {
    return global ? record_global_avgpool_forward(cl, io.in[0], io.out[0])
                  : record_avgpool_forward(cl, p, io.in[0], io.out[0]);
  }
  Status backward(BackwardBuilder& b) const override {
    if (!b.grad_output(0).valid()) return {};
    auto target = b.grad_input(0);
    auto node = std::make_shared<AvgPoolBackwardNode>();
    node->p = p;
    node->global = global;
    node->accumulate = target.accumulate;
    b.add_node("", node, {b.grad_output(0)}, {target.tensor});
    return {};
  }
  double flops(const Graph& g, const Node& n) const override { return double(g.shape(n.inputs[0]).numel()); }
};

}  // namespace

TensorId avgpool(Graph& g, TensorId x, const AvgPool2dParams& p, const std::string& name) {
  if (!g.accepts({x}, name)) return {};
  auto shape = avgpool_output_shape("avgpool", p, g.shape(x));
  VKNN_GRAPH_CHECK(g, shape.ok(), "avgpool '{}' on '{}': {}", name, g.desc(x).name, shape.ok() ? "" : shape.error().message);
  const std::string n = g.unique_name(name);
  TensorId y = g.tensor(n, *shape, Role::activation);
  auto node = std::make_shared<AvgPoolNode>();
  node->p = p;
  g.add_node(n, node, {x}, {y});
  return y;
}

TensorId global_avgpool(Graph& g, TensorId x, const std::string& name) {
  if (!g.accepts({x}, name)) return {};
  const Shape& s = g.shape(x);
  VKNN_GRAPH_CHECK(g, s.rank() == 4, "global_avgpool '{}': input '{}' must be (N,C,H,W), got {}", name, g.desc(x).name,
                   s.str());
  const std::string n = g.unique_name(name);
  TensorId y = g.tensor(n, Shape{s[0], s[1]}, Role::activation);
  auto node = std::make_shared<AvgPoolNode>();
  node->global = true;
  g.add_node(n, node, {x}, {y});
  return y;
}

const AvgPool2dParams* avgpool_params(const Node& n) {
  const auto* a = dynamic_cast<const AvgPoolNode*>(n.op.get());
  return a && !a->global ? &a->p : nullptr;
}

bool is_global_avgpool(const Node& n) {
  const auto* a = dynamic_cast<const AvgPoolNode*>(n.op.get());
  return a && a->global;
}

}  // namespace vknn
