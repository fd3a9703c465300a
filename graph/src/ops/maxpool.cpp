#include "vknn/ops/maxpool.h"

#include "pool2d_common.h"
#include "vknn/ops/add.h"

#include <cstdint>

namespace vknn {
namespace {

constexpr uint32_t kAccumulate = 1;

struct GlobalPush {  // mirrors the push blocks of maxpool_global_{forward,backward}.comp
  uint32_t planes;   // N*C
  uint32_t HW;
  uint32_t flags;
};
static_assert(sizeof(GlobalPush) == 12);

}  // namespace

Result<Shape> pool2d_output_shape(const char* op, const Pool2dParams& p, const Shape& x) {
  if (x.rank() != 4)
    return make_error(Errc::invalid_argument, "{}: x must have rank 4 (N,C,H,W), got shape {}", op, x.str());
  for (int64_t d : x.dims)
    if (d <= 0) return make_error(Errc::invalid_argument, "{}: x has shape {} with a non-positive size", op, x.str());
  if (uint64_t(x.numel()) > UINT32_MAX)
    return make_error(Errc::invalid_argument, "{}: x {} has more than 2^32-1 elements", op, x.str());
  if (p.kernel_h <= 0 || p.kernel_w <= 0 || p.stride_h <= 0 || p.stride_w <= 0 || p.dilation_h <= 0 ||
      p.dilation_w <= 0)
    return make_error(Errc::invalid_argument,
                      "{}: kernel {}x{}, stride {}x{} and dilation {}x{} must be positive (x {})", op, p.kernel_h,
                      p.kernel_w, p.stride_h, p.stride_w, p.dilation_h, p.dilation_w, x.str());
  const int top = p.pad_h, left = p.pad_w, bottom = p.pad_end_h(), right = p.pad_end_w();
  if (top < 0 || left < 0 || bottom < 0 || right < 0 || top >= p.kernel_h || bottom >= p.kernel_h ||
      left >= p.kernel_w || right >= p.kernel_w)
    return make_error(Errc::invalid_argument,
                      "{}: pads (top,left,bottom,right) ({},{},{},{}) must be non-negative and below the kernel "
                      "{}x{} (x {})",
                      op, top, left, bottom, right, p.kernel_h, p.kernel_w, x.str());
  const int64_t ph = x[2] + top + bottom, pw = x[3] + left + right;
  const int64_t eh = int64_t(p.dilation_h) * (p.kernel_h - 1) + 1, ew = int64_t(p.dilation_w) * (p.kernel_w - 1) + 1;
  if (eh > ph || ew > pw)
    return make_error(Errc::invalid_argument,
                      "{}: window {}x{} (kernel {}x{}, dilation {}x{}) is larger than the padded input {}x{} (x {}, "
                      "pads ({},{},{},{}))",
                      op, eh, ew, p.kernel_h, p.kernel_w, p.dilation_h, p.dilation_w, ph, pw, x.str(), top, left,
                      bottom, right);
  // PyTorch's pooling_output_shape (aten/src/ATen/native/Pool.h), with separate begin and end pads.
  const auto out = [&](int64_t in, int64_t padded, int64_t extent, int64_t s, int64_t begin) {
    int64_t o = (padded - extent + (p.ceil_mode ? s - 1 : 0)) / s + 1;
    if (p.ceil_mode && (o - 1) * s >= in + begin) --o;
    return o;
  };
  return Shape{x[0], x[1], out(x[2], ph, eh, p.stride_h, top), out(x[3], pw, ew, p.stride_w, left)};
}

bool pool2d_is_global(const Pool2dParams& p, const Shape& x) {
  return x.rank() == 4 && p.kernel_h == x[2] && p.kernel_w == x[3] && p.pad_h == 0 && p.pad_w == 0 &&
         p.pad_end_h() == 0 && p.pad_end_w() == 0 && p.dilation_h == 1 && p.dilation_w == 1;
}

Status record_maxpool_forward(CommandList& cl, const Pool2dParams& p, const TensorView& x, const TensorView& y,
                              const TensorView& argmax) {
  constexpr const char* op = "maxpool_forward";
  VKNN_ASSIGN(const Shape out, pool2d_output_shape(op, p, x.shape));
  VKNN_TRY(check_positive(op, "x", x));
  VKNN_TRY(check_shape(op, "y", y, out));
  VKNN_TRY(check_shape(op, "argmax", argmax, out));
  VKNN_ASSIGN(const bool half, detail::half_storage(op, cl.context(), {{"x", &x}, {"y", &y}}));
  if (pool2d_is_global(p, x.shape)) {
    const GlobalPush push{uint32_t(x.shape[0] * x.shape[1]), uint32_t(x.shape[2] * x.shape[3]), 0};
    const uint32_t spec[] = {cl.context().profile().loop_local};  // each invocation loops over a plane
    cl.dispatch(half ? ShaderId::maxpool_global_forward_f16 : ShaderId::maxpool_global_forward, spec,
                {{range(x), Access::read}, {range(y), Access::write}, {range(argmax), Access::write}}, push,
                groups_for(push.planes, spec[0]));
    return {};
  }
  const pool2d::Push push = pool2d::make_push(p, x.shape, out, 0);
  pool2d::dispatch_planes(cl, half ? ShaderId::maxpool_forward_f16 : ShaderId::maxpool_forward, p,
                  {{range(x), Access::read}, {range(y), Access::write}, {range(argmax), Access::write}}, push,
                  push.OW, push.OH);
  return {};
}

Status record_maxpool_backward(CommandList& cl, const Pool2dParams& p, const TensorView& argmax,
                               const TensorView& dy, const TensorView& dx, bool accumulate) {
  constexpr const char* op = "maxpool_backward";
  VKNN_ASSIGN(const Shape out, pool2d_output_shape(op, p, dx.shape));
  VKNN_TRY(check_positive(op, "dx", dx));
  VKNN_TRY(check_shape(op, "argmax", argmax, out));
  VKNN_TRY(check_shape(op, "dy", dy, out));
  const Access dx_access = accumulate ? Access::read_write : Access::write;
  if (pool2d_is_global(p, dx.shape)) {
    const GlobalPush push{uint32_t(dx.shape[0] * dx.shape[1]), uint32_t(dx.shape[2] * dx.shape[3]),
                          accumulate ? kAccumulate : 0};
    const uint32_t spec[] = {cl.context().profile().loop_local};  // as global_avgpool_backward
    cl.dispatch(ShaderId::maxpool_global_backward, spec,
                {{range(argmax), Access::read}, {range(dy), Access::read}, {range(dx), dx_access}}, push,
                groups_for(push.HW, spec[0]), push.planes);
    return {};
  }
  const pool2d::Push push = pool2d::make_push(p, dx.shape, out, accumulate ? kAccumulate : 0);
  pool2d::dispatch_planes(cl, ShaderId::maxpool_backward, p,
                  {{range(argmax), Access::read},
                   {range(dy), Access::read},
                   {range(dx), dx_access}},
                  push, push.W, push.H);
  return {};
}

// ---------------------------------------------------------------------------- graph node

namespace {

struct MaxPoolBackwardNode final : OpNode {
  Pool2dParams p;
  bool accumulate = false;
  const char* type() const override { return "maxpool_backward"; }
  // in: argmax, dy; out: dx
  Status record(CommandList& cl, const NodeIO& io) const override {
    return record_maxpool_backward(cl, p, io.in[0], io.in[1], io.out[0], accumulate);
  }
};

struct MaxPoolNode final : OpNode {
  Pool2dParams p;
  const char* type() const override { return "maxpool"; }
  bool half_storage() const override { return true; }
  // in: x; out: y, argmax (int32)
  Status record(CommandList& cl, const NodeIO& io) const override {
    return record_maxpool_forward(cl, p, io.in[0], io.out[0], io.out[1]);
  }
  Status backward(BackwardBuilder& b) const override {
    if (!b.grad_output(0).valid()) return {};
    auto target = b.grad_input(0);
    auto node = std::make_shared<MaxPoolBackwardNode>();
    node->p = p;
    node->accumulate = target.accumulate;
    b.add_node("", node, {b.output(1), b.grad_output(0)}, {target.tensor});
    return {};
  }
  double flops(const Graph& g, const Node& n) const override {
    return double(g.shape(n.outputs[0]).numel()) * p.kernel_h * p.kernel_w;
  }
};

}  // namespace

TensorId maxpool(Graph& g, TensorId x, const Pool2dParams& p, const std::string& name) {
  if (!g.accepts({x}, name)) return {};
  auto shape = pool2d_output_shape("maxpool", p, g.shape(x));
  VKNN_GRAPH_CHECK(g, shape.ok(), "maxpool '{}' on '{}': {}", name, g.desc(x).name, shape.ok() ? "" : shape.error().message);
  const std::string n = g.unique_name(name);
  TensorId y = g.tensor(n, *shape, Role::activation);
  TensorId argmax = g.tensor(n + ".argmax", *shape, Role::activation, DType::i32);
  auto node = std::make_shared<MaxPoolNode>();
  node->p = p;
  g.add_node(n, node, {x}, {y, argmax});
  return y;
}

const Pool2dParams* maxpool_params(const Node& n) {
  const auto* m = dynamic_cast<const MaxPoolNode*>(n.op.get());
  return m ? &m->p : nullptr;
}

}  // namespace vknn
