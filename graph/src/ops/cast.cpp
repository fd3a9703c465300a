#include "vknn/ops/cast.h"

#include "vknn/ops/add.h"

namespace vknn {
namespace {

struct CastPush {  // mirrors the push block of shaders/cast.comp
  uint32_t count;
};
static_assert(sizeof(CastPush) == 4);

bool float_type(DType d) { return d == DType::f32 || d == DType::f16; }

// The gradient of a cast: gradients are fp32 whatever the tensor's storage, so dx = dy is a
// copy (or, for a second contributor, an addition).
struct CastGradNode final : OpNode {
  bool accumulate = false;
  const char* type() const override { return "cast_backward"; }
  // in: dy; out: dx
  Status record(CommandList& cl, const NodeIO& io) const override {
    return accumulate ? record_accumulate(cl, io.in[0], io.out[0]) : record_copy(cl, io.in[0], io.out[0]);
  }
};

struct CastNode final : OpNode {
  const char* type() const override { return "cast"; }
  // in: x; out: y
  Status record(CommandList& cl, const NodeIO& io) const override { return record_cast(cl, io.in[0], io.out[0]); }
  double flops(const Graph&, const Node&) const override { return 0; }
  // fp16 training (precision.h): the fp32 gradient of the fp16 copy of a weight goes to the
  // fp32 master weight unchanged, and likewise between an activation's two storages.
  Status backward(BackwardBuilder& b) const override {
    if (!b.grad_output(0).valid() || !b.needs_grad(0)) return {};
    auto target = b.grad_input(0);
    auto node = std::make_shared<CastGradNode>();
    node->accumulate = target.accumulate;
    b.add_node("", node, {b.grad_output(0)}, {target.tensor});
    return {};
  }
};

}  // namespace

Status record_cast(CommandList& cl, const TensorView& x, const TensorView& y) {
  constexpr const char* op = "cast";
  VKNN_TRY(check_positive(op, "x", x));
  VKNN_TRY(check_shape(op, "y", y, x.shape));
  VKNN_TRY(detail::check_elements(op, "x", x));
  if (!float_type(x.dtype) || !float_type(y.dtype) || x.dtype == y.dtype)
    return make_error(Errc::invalid_argument, "cast: x {} holds {} and y holds {}; expected one f32 and one f16",
                      x.str(), dtype_name(x.dtype), dtype_name(y.dtype));
  if (range(x).overlaps(range(y)))
    return make_error(Errc::invalid_argument, "cast: x {} and y {} overlap", x.str(), y.str());
  if (!cl.context().caps().storage_buffer_16bit)
    return make_error(Errc::unsupported, "cast: the device has no 16-bit storage (storageBuffer16BitAccess)");
  const ShaderId shader = y.dtype == DType::f16 ? ShaderId::cast_to_f16 : ShaderId::cast_to_f32;
  const uint32_t spec[] = {cl.context().profile().elementwise_local};
  detail::for_each_chunk(cl, x.numel(), [&](uint64_t first, uint32_t n) {
    const CastPush push{n};
    cl.dispatch(shader, spec,
                {{detail::chunk_of(x, first, n), Access::read}, {detail::chunk_of(y, first, n), Access::write}}, push,
                groups_for(n, spec[0]));
  });
  return {};
}

TensorId cast(Graph& g, TensorId x, DType to, const std::string& name, Role role, Phase phase) {
  if (!g.accepts({x}, name)) return {};
  const DType from = g.desc(x).dtype;
  VKNN_GRAPH_CHECK(g, float_type(from) && float_type(to) && from != to,
                   "cast '{}': '{}' holds {}; a cast goes from f32 to f16 or back, not to {}", name, g.desc(x).name,
                   dtype_name(from), dtype_name(to));
  const std::string n = g.unique_name(name);
  const TensorId y = g.tensor(n, g.shape(x), role, to);
  g.add_node(n, make_cast_node(), {x}, {y}, phase);
  return y;
}

std::shared_ptr<const OpNode> make_cast_node() { return std::make_shared<CastNode>(); }

bool is_cast(const Node& n) { return dynamic_cast<const CastNode*>(n.op.get()) != nullptr; }

}  // namespace vknn
