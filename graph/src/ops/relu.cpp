#include "vknn/ops/relu.h"

#include "vknn/ops/add.h"

#include <algorithm>

namespace vknn {
namespace {

struct ReluPush {  // mirrors shaders/common/relu_push.glsl
  uint32_t count, flags;
};
static_assert(sizeof(ReluPush) == 8);

constexpr uint32_t kAccumulate = 1;

using detail::partial_overlap;
using detail::same_range;

using detail::for_each_chunk;
BufferRef part(const TensorView& t, uint64_t first, uint32_t count) { return detail::chunk_of(t, first, count); }
Status check_size(const char* op, const TensorView& t) { return detail::check_elements(op, "the tensor", t); }

}  // namespace

Status record_relu_forward(CommandList& cl, const TensorView& x, const TensorView& y) {
  constexpr const char* op = "relu_forward";
  VKNN_TRY(check_positive(op, "x", x));
  VKNN_TRY(check_shape(op, "y", y, x.shape));
  VKNN_TRY(check_size(op, x));
  if (partial_overlap(x, y))
    return make_error(Errc::invalid_argument, "relu_forward: y {} partially overlaps x {}", y.str(), x.str());
  VKNN_ASSIGN(const bool half, detail::half_storage(op, cl.context(), {{"x", &x}, {"y", &y}}));
  const uint32_t spec[] = {cl.context().profile().elementwise_local};
  for_each_chunk(cl, x.numel(), [&](uint64_t first, uint32_t n) {
    const ReluPush push{n, 0};
    cl.dispatch(half ? ShaderId::relu_forward_f16 : ShaderId::relu_forward, spec,
                {{part(x, first, n), Access::read}, {part(y, first, n), Access::write}},
                push, groups_for(n, spec[0]));
  });
  return {};
}

Status record_relu_backward(CommandList& cl, const TensorView& y, const TensorView& dy, const TensorView& dx,
                            bool accumulate) {
  constexpr const char* op = "relu_backward";
  VKNN_TRY(check_positive(op, "y", y));
  VKNN_TRY(check_shape(op, "dy", dy, y.shape));
  VKNN_TRY(check_shape(op, "dx", dx, y.shape));
  VKNN_TRY(check_size(op, y));
  if (same_range(dx, dy) && !accumulate) return record_relu_backward_inplace(cl, y, dx);
  // y, the saved forward output, may be fp16 (fp16 training); the gradients are fp32.
  VKNN_ASSIGN(const bool half, detail::half_storage(op, cl.context(), {{"y", &y}}));
  VKNN_TRY(check_dtype(op, "dy", dy, DType::f32));
  VKNN_TRY(check_dtype(op, "dx", dx, DType::f32));
  if (range(dx).overlaps(range(dy)) ||
      range(dx).overlaps(range(y)))
    return make_error(Errc::invalid_argument, "relu_backward: dx {} overlaps y or dy {} (in place needs accumulate = false)",
                      dx.str(), dy.str());
  const uint32_t spec[] = {cl.context().profile().elementwise_local};
  for_each_chunk(cl, y.numel(), [&](uint64_t first, uint32_t n) {
    const ReluPush push{n, accumulate ? kAccumulate : 0u};
    cl.dispatch(half ? ShaderId::relu_backward_f16 : ShaderId::relu_backward, spec,
                {{part(y, first, n), Access::read},
                 {part(dy, first, n), Access::read},
                 {part(dx, first, n), accumulate ? Access::read_write : Access::write}},
                push, groups_for(n, spec[0]));
  });
  return {};
}

Status record_relu_backward_inplace(CommandList& cl, const TensorView& y, const TensorView& grad) {
  constexpr const char* op = "relu_backward_inplace";
  VKNN_TRY(check_positive(op, "y", y));
  VKNN_TRY(check_shape(op, "grad", grad, y.shape));
  VKNN_TRY(check_size(op, y));
  if (range(grad).overlaps(range(y)))
    return make_error(Errc::invalid_argument, "relu_backward_inplace: grad {} overlaps y {}", grad.str(), y.str());
  VKNN_ASSIGN(const bool half, detail::half_storage(op, cl.context(), {{"y", &y}}));
  VKNN_TRY(check_dtype(op, "grad", grad, DType::f32));
  const uint32_t spec[] = {cl.context().profile().elementwise_local};
  for_each_chunk(cl, y.numel(), [&](uint64_t first, uint32_t n) {
    const ReluPush push{n, 0};
    cl.dispatch(half ? ShaderId::relu_backward_inplace_f16 : ShaderId::relu_backward_inplace, spec,
                {{part(y, first, n), Access::read}, {part(grad, first, n), Access::read_write}}, push,
                groups_for(n, spec[0]));
  });
  return {};
}

// ---------------------------------------------------------------------------- graph node

namespace {

struct ReluBackwardNode final : OpNode {
  bool accumulate = false;
  const char* type() const override { return "relu_backward"; }
  bool half_backward_reads(size_t index) const override { return index == 0; }  // y
  // in: y, dy; out: dx
  Status record(CommandList& cl, const NodeIO& io) const override {
    return record_relu_backward(cl, io.in[0], io.in[1], io.out[0], accumulate);
  }
};

struct ReluNode final : OpNode {
  const char* type() const override { return "relu"; }
  bool half_storage() const override { return true; }
  Status record(CommandList& cl, const NodeIO& io) const override { return record_relu_forward(cl, io.in[0], io.out[0]); }
  Status backward(BackwardBuilder& b) const override {
    if (!b.grad_output(0).valid()) return {};
    auto target = b.grad_input(0);
    b.add_node("", make_relu_backward_node(target.accumulate), {b.output(0), b.grad_output(0)}, {target.tensor});
    return {};
  }
};

}  // namespace

std::shared_ptr<const OpNode> make_relu_backward_node(bool accumulate) {
  auto n = std::make_shared<ReluBackwardNode>();
  n->accumulate = accumulate;
  return n;
}

bool is_relu(const Node& n) { return dynamic_cast<const ReluNode*>(n.op.get()) != nullptr; }

TensorId relu(Graph& g, TensorId x, const std::string& name) {
  if (!g.accepts({x}, name)) return {};
  const std::string n = g.unique_name(name);
  TensorId y = g.tensor(n, g.shape(x), Role::activation);
  g.add_node(n, std::make_shared<ReluNode>(), {x}, {y});
  return y;
}

}  // namespace vknn
