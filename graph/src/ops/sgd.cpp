#include "vknn/ops/sgd.h"

#include "vknn/graph/graph.h"
#include "vknn/ops/add.h"

#include <cmath>
#include <cstddef>

namespace vknn {
namespace {

struct SgdPush {  // mirrors shaders/common/sgd_push.glsl
  uint32_t count, flags;
  float lr, momentum, weight_decay;
};
static_assert(sizeof(SgdPush) == 20);

constexpr uint32_t kPytorch = 1, kLrBuffer = 2, kOverflow = 4;

static_assert(offsetof(StepParams, learning_rate) == 12);  // word 3, read by sgd_update.comp
static_assert(offsetof(StepParams, loss_scale) == 16);     // word 4


}  // namespace

Status record_sgd_update(CommandList& cl, const SgdParams& p, const TensorView& w, const TensorView& g,
                         const TensorView& v) {
  constexpr const char* op = "sgd_update";
  VKNN_TRY(check_positive(op, "w", w));
  VKNN_TRY(check_shape(op, "g", g, w.shape));
  VKNN_TRY(check_shape(op, "v", v, w.shape));
  VKNN_TRY(detail::check_elements(op, "w", w));
  if (p.rule != SgdRule::sgd_paper && p.rule != SgdRule::sgd_pytorch)
    return make_error(Errc::invalid_argument, "{}: unknown rule {} (w {})", op, int(p.rule), w.str());
  if (!std::isfinite(p.learning_rate) || !std::isfinite(p.momentum) || !std::isfinite(p.weight_decay))
    return make_error(Errc::invalid_argument, "{}: lr {}, momentum {}, weight decay {} must be finite (w {})", op,
                      p.learning_rate, p.momentum, p.weight_decay, w.str());
  if (range(w).overlaps(range(g)) || range(w).overlaps(range(v)) ||
      range(g).overlaps(range(v)))
    return make_error(Errc::invalid_argument, "{}: w {}, g {} and v {} must not overlap", op, w.str(), g.str(), v.str());
  if (p.step_params.valid() && p.step_params.size < sizeof(StepParams))
    return make_error(Errc::invalid_argument, "{}: the step-parameter range has {} bytes, StepParams needs {} (w {})", op,
                      p.step_params.size, sizeof(StepParams), w.str());
  if (p.step_params.valid() && (p.step_params.overlaps(range(w)) || p.step_params.overlaps(range(v))))
    return make_error(Errc::invalid_argument, "{}: w {} or v overlaps the step parameters", op, w.str());
  if (p.overflow.valid() &&
      (p.overflow.size < sizeof(float) || p.overflow.overlaps(range(w)) || p.overflow.overlaps(range(v))))
    return make_error(Errc::invalid_argument,
                      "{}: the overflow flag ({} bytes) must hold a float and not overlap w {} or v", op,
                      p.overflow.size, w.str());
  const uint32_t flags = (p.rule == SgdRule::sgd_pytorch ? kPytorch : 0u) | (p.step_params.valid() ? kLrBuffer : 0u) |
                         (p.overflow.valid() ? kOverflow : 0u);
  const uint32_t spec[] = {cl.context().profile().elementwise_local};
  detail::for_each_chunk(cl, w.numel(), [&](uint64_t first, uint32_t n) {
    const SgdPush push{n, flags, p.learning_rate, p.momentum, p.weight_decay};
    const BufferRef gs = detail::chunk_of(g, first, n);
    // Without a StepParams buffer or a flag the binding is a stand-in (g) that is never read.
    const BufferRef step = p.step_params.valid() ? p.step_params.sub(0, sizeof(StepParams)) : gs;
    const BufferRef flag = p.overflow.valid() ? p.overflow.sub(0, sizeof(float)) : gs;
    cl.dispatch(ShaderId::sgd_update, spec,
                {{detail::chunk_of(w, first, n), Access::read_write},
                 {gs, Access::read},
                 {detail::chunk_of(v, first, n), Access::read_write},
                 {step, Access::read},
                 {flag, Access::read}},
                push, groups_for(n, spec[0]));
  });
  return {};
}

// ---------------------------------------------------------------------------- graph node

namespace {

struct SgdNode final : OpNode {
  SgdParams p;
  const char* type() const override { return "sgd"; }
  // in: grad[, overflow flag]; out: weight, momentum (both updated in place). The learning
  // rate and the loss scale come from the StepParams buffer, so a schedule needs no re-recording.
  Status record(CommandList& cl, const NodeIO& io) const override {
    SgdParams q = p;
    q.step_params = io.step;
    if (io.in.size() > 1) q.overflow = range(io.in[1]);
    return record_sgd_update(cl, q, io.out[0], io.in[0], io.out[1]);
  }
  double flops(const Graph& g, const Node& n) const override { return 5.0 * double(g.shape(n.inputs[0]).numel()); }
};

}  // namespace

Status add_sgd(Graph& g, const SgdParams& p) {
  VKNN_TRY(g.status());
  size_t updates = 0;
  for (TensorId w : g.parameters()) {
    const TensorDesc d = g.desc(w);
    if (d.frozen || !d.grad.valid()) continue;
    TensorId v = g.state(d.name + ".momentum", d.shape, Init::zeros());
    if (d.slice_of.valid()) {
      // A slice's momentum is the same slice of its whole tensor's momentum.
      const std::string whole = g.desc(d.slice_of).name + ".momentum";
      TensorId wv = g.find(whole);
      if (!wv.valid()) wv = g.state(whole, g.desc(d.slice_of).shape, Init::zeros());
      g.desc(v).slice_of = wv;
      g.desc(v).slice_offset = d.slice_offset;
    }
    auto node = std::make_shared<SgdNode>();
    node->p = p;
    // The update runs where the gradient was produced (the parameter's own target).
    const int32_t saved = g.current_target();
    const TensorDesc& gd = g.desc(d.grad);
    g.set_target(gd.producer >= 0 ? g.nodes()[size_t(gd.producer)].target : saved);
    std::vector<TensorId> in{d.grad};
    if (g.grad_overflow.valid()) in.push_back(g.grad_overflow);
    g.add_node(d.name + ".sgd", node, in, {w, v}, Phase::update);
    g.set_target(saved);
    ++updates;
  }
  VKNN_TRY(g.status());
  if (updates == 0) return make_error(Errc::invalid_argument, "add_sgd: no parameter has a gradient (run build_backward first)");
  return {};
}

}  // namespace vknn
