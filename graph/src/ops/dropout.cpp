#include "vknn/ops/dropout.h"

#include "vknn/graph/graph.h"
#include "vknn/ops/add.h"

#include <cmath>
#include <cstddef>

namespace vknn {
namespace {

struct DropoutPush {  // mirrors shaders/common/dropout_push.glsl
  uint32_t count, base, seed_lo, seed_hi, step;
  float rate, scale;
  uint32_t flags;
};
static_assert(sizeof(DropoutPush) == 32);

constexpr uint32_t kAccumulate = 1, kTraining = 2, kStepBuffer = 4;

// The words dropout_apply.comp reads from the StepParams buffer.
static_assert(offsetof(StepParams, step) == 0 && offsetof(StepParams, seed_lo) == 4 &&
              offsetof(StepParams, seed_hi) == 8 && offsetof(StepParams, training) == 20);

Status apply(CommandList& cl, const char* op, const DropoutParams& p, const char* in_name, const TensorView& in,
             const char* out_name, const TensorView& out, bool accumulate) {
  VKNN_TRY(check_positive(op, in_name, in));
  VKNN_TRY(check_shape(op, out_name, out, in.shape));
  VKNN_TRY(detail::check_elements(op, in_name, in));
  if (!(p.rate >= 0.0f && p.rate < 1.0f))
    return make_error(Errc::invalid_argument, "{}: rate p = {} is outside [0, 1) ({} {})", op, p.rate, in_name, in.str());
  if (detail::partial_overlap(in, out) || (accumulate && detail::same_range(in, out)))
    return make_error(Errc::invalid_argument, "{}: {} {} overlaps {} {} (in place only without accumulate)", op, out_name,
                      out.str(), in_name, in.str());
  if (p.step_params.valid() && p.step_params.size < sizeof(StepParams))
    return make_error(Errc::invalid_argument, "{}: the step-parameter range has {} bytes, StepParams needs {} ({} {})", op,
                      p.step_params.size, sizeof(StepParams), in_name, in.str());
  if (p.step_params.valid() && range(out).overlaps(p.step_params))
    return make_error(Errc::invalid_argument, "{}: {} {} overlaps the step parameters", op, out_name, out.str());
  uint32_t flags = accumulate ? kAccumulate : 0u;
  if (p.training) flags |= kTraining;
  if (p.step_params.valid()) flags |= kStepBuffer;
  const float scale = float(1.0 / (1.0 - double(p.rate)));
  const uint32_t spec[] = {cl.context().profile().elementwise_local};
  detail::for_each_chunk(cl, in.numel(), [&](uint64_t first, uint32_t n) {
    const DropoutPush push{n, uint32_t(first + p.counter_offset), uint32_t(p.seed), uint32_t(p.seed >> 32), p.step, p.rate, scale, flags};
    const BufferRef src = detail::chunk_of(in, first, n);
    // Without a StepParams buffer the binding is a stand-in (the input) that is never read.
    const BufferRef step = p.step_params.valid() ? p.step_params.sub(0, sizeof(StepParams)) : src;
    cl.dispatch(ShaderId::dropout_apply, spec,
                {{src, Access::read},
                 {detail::chunk_of(out, first, n), accumulate ? Access::read_write : Access::write},
                 {step, Access::read}},
                push, groups_for(n, spec[0]));
  });
  return {};
}

}  // namespace

Status record_dropout_forward(CommandList& cl, const DropoutParams& p, const TensorView& x, const TensorView& y) {
  return apply(cl, "dropout_forward", p, "x", x, "y", y, false);
}

Status record_dropout_backward(CommandList& cl, const DropoutParams& p, const TensorView& dy, const TensorView& dx,
                               bool accumulate) {
  return apply(cl, "dropout_backward", p, "dy", dy, "dx", dx, accumulate);
}

// ---------------------------------------------------------------------------- graph node

namespace {

struct DropoutNode final : OpNode {
  DropoutParams p;
  bool backward_pass = false, accumulate = false;
  const char* type() const override { return backward_pass ? "dropout_backward" : "dropout"; }
  // The mask comes from the StepParams buffer (step, run seed, training), salted with this
  // layer's seed, so the recorded list draws a new mask every step.
  Status record(CommandList& cl, const NodeIO& io) const override {
    DropoutParams q = p;
    q.step_params = io.step;
    q.training = io.training;
    const TensorView& t = io.in[0];
    if (io.batch_offset > 0 && !t.shape.dims.empty() && t.shape.dims[0] > 0)
      q.counter_offset = uint64_t(io.batch_offset) * uint64_t(t.numel() / t.shape.dims[0]);
    return backward_pass ? record_dropout_backward(cl, q, io.in[0], io.out[0], accumulate)
                         : record_dropout_forward(cl, q, io.in[0], io.out[0]);
  }
  Status backward(BackwardBuilder& b) const override {
    if (!b.grad_output(0).valid()) return {};
    auto target = b.grad_input(0);
    auto node = std::make_shared<DropoutNode>();
    node->p = p;
    node->backward_pass = true;
    node->accumulate = target.accumulate;
    b.add_node("", node, {b.grad_output(0)}, {target.tensor});
    return {};
  }
};

}  // namespace

bool is_dropout(const Node& n) {
  const auto* d = dynamic_cast<const DropoutNode*>(n.op.get());
  return d && !d->backward_pass;
}

TensorId dropout(Graph& g, TensorId x, float rate, const std::string& name) {
  if (!g.accepts({x}, name)) return {};
  VKNN_GRAPH_CHECK(g, rate >= 0.0f && rate < 1.0f, "dropout '{}': rate {} is outside [0, 1)", name, rate);
  const std::string n = g.unique_name(name);
  TensorId y = g.tensor(n, g.shape(x), Role::activation);
  auto node = std::make_shared<DropoutNode>();
  node->p.rate = rate;
  // A per-layer salt: FNV-1a of the node name.
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : n) h = (h ^ c) * 1099511628211ull;
  node->p.seed = h;
  g.add_node(n, node, {x}, {y});
  return y;
}

}  // namespace vknn
