#include "vknn/ops/adamw.h"

#include "vknn/graph/graph.h"
#include "vknn/ops/add.h"

#include <cmath>
#include <cstddef>

namespace vknn {
namespace {

struct AdamWPush {  // mirrors shaders/common/adamw_push.glsl
  uint32_t count, flags;
  float lr, beta1, beta2, one_minus_beta1, one_minus_beta2, eps, weight_decay, bias_correction1,
      bias_correction2_sqrt;
};
static_assert(sizeof(AdamWPush) == 44);

constexpr uint32_t kStepBuffer = 1, kOverflow = 2;

// Words 3, 4, 6 and 7, read by adamw_update.comp.
static_assert(offsetof(StepParams, learning_rate) == 12);
static_assert(offsetof(StepParams, loss_scale) == 16);
static_assert(offsetof(StepParams, bias_correction1) == 24);
static_assert(offsetof(StepParams, bias_correction2_sqrt) == 28);

}  // namespace

void adamw_bias_corrections(const AdamWParams& p, uint32_t t, float& bias_correction1, float& bias_correction2_sqrt) {
  bias_correction1 = float(1.0 - std::pow(p.beta1, double(t)));
  bias_correction2_sqrt = float(std::sqrt(1.0 - std::pow(p.beta2, double(t))));
}

Status record_adamw_update(CommandList& cl, const AdamWParams& p, const TensorView& w, const TensorView& g,
                           const TensorView& m, const TensorView& v) {
  constexpr const char* op = "adamw_update";
  VKNN_TRY(check_positive(op, "w", w));
  VKNN_TRY(check_shape(op, "g", g, w.shape));
  VKNN_TRY(check_shape(op, "m", m, w.shape));
  VKNN_TRY(check_shape(op, "v", v, w.shape));
  VKNN_TRY(detail::check_elements(op, "w", w));
  if (!std::isfinite(p.learning_rate) || !std::isfinite(p.eps) || !std::isfinite(p.weight_decay) ||
      !(p.beta1 >= 0 && p.beta1 < 1) || !(p.beta2 >= 0 && p.beta2 < 1) || !(p.eps > 0))
    return make_error(Errc::invalid_argument,
                      "{}: lr {} and weight decay {} must be finite, betas ({}, {}) in [0, 1), eps {} positive (w {})",
                      op, p.learning_rate, p.weight_decay, p.beta1, p.beta2, p.eps, w.str());
  if (!p.step_params.valid() && p.step < 1)
    return make_error(Errc::invalid_argument, "{}: step {} (the first is 1) (w {})", op, p.step, w.str());
  const TensorView* all[] = {&w, &g, &m, &v};
  for (size_t a = 0; a < 4; ++a)
    for (size_t b = a + 1; b < 4; ++b)
      if (range(*all[a]).overlaps(range(*all[b])))
        return make_error(Errc::invalid_argument, "{}: w {}, g {}, m {} and v {} must not overlap", op, w.str(),
                          g.str(), m.str(), v.str());
  if (p.step_params.valid() && p.step_params.size < sizeof(StepParams))
    return make_error(Errc::invalid_argument, "{}: the step-parameter range has {} bytes, StepParams needs {} (w {})", op,
                      p.step_params.size, sizeof(StepParams), w.str());
  if (p.step_params.valid() &&
      (p.step_params.overlaps(range(w)) || p.step_params.overlaps(range(m)) || p.step_params.overlaps(range(v))))
    return make_error(Errc::invalid_argument, "{}: w {}, m or v overlaps the step parameters", op, w.str());
  if (p.overflow.valid() && (p.overflow.size < sizeof(float) || p.overflow.overlaps(range(w)) ||
                             p.overflow.overlaps(range(m)) || p.overflow.overlaps(range(v))))
    return make_error(Errc::invalid_argument,
                      "{}: the overflow flag ({} bytes) must hold a float and not overlap w {}, m or v", op,
                      p.overflow.size, w.str());
  float bc1 = 1, bc2s = 1;
  if (!p.step_params.valid()) adamw_bias_corrections(p, p.step, bc1, bc2s);
  const uint32_t flags = (p.step_params.valid() ? kStepBuffer : 0u) | (p.overflow.valid() ? kOverflow : 0u);
  const uint32_t spec[] = {cl.context().profile().elementwise_local};
  detail::for_each_chunk(cl, w.numel(), [&](uint64_t first, uint32_t n) {
    const AdamWPush push{n,
                         flags,
                         p.learning_rate,
                         float(p.beta1),
                         float(p.beta2),
                         float(1.0 - p.beta1),
                         float(1.0 - p.beta2),
                         p.eps,
                         p.weight_decay,
                         bc1,
                         bc2s};
    const BufferRef gs = detail::chunk_of(g, first, n);
    // Without a StepParams buffer or a flag the binding is a stand-in (g) that is never read.
    const BufferRef step = p.step_params.valid() ? p.step_params.sub(0, sizeof(StepParams)) : gs;
    const BufferRef flag = p.overflow.valid() ? p.overflow.sub(0, sizeof(float)) : gs;
    cl.dispatch(ShaderId::adamw_update, spec,
                {{detail::chunk_of(w, first, n), Access::read_write},
                 {gs, Access::read},
                 {detail::chunk_of(m, first, n), Access::read_write},
                 {detail::chunk_of(v, first, n), Access::read_write},
                 {step, Access::read},
                 {flag, Access::read}},
                push, groups_for(n, spec[0]));
  });
  return {};
}

// ---------------------------------------------------------------------------- graph node

namespace {

struct AdamWNode final : OpNode {
  AdamWParams p;
  const char* type() const override { return "adamw"; }
  // in: grad[, overflow flag]; out: weight, exp_avg, exp_avg_sq (updated in place). The learning rate and the
  // bias corrections come from the StepParams buffer, so neither a schedule nor the step
  // count needs re-recording.
  Status record(CommandList& cl, const NodeIO& io) const override {
    AdamWParams q = p;
    q.step_params = io.step;
    if (io.in.size() > 1) q.overflow = range(io.in[1]);
    return record_adamw_update(cl, q, io.out[0], io.in[0], io.out[1], io.out[2]);
  }
  void prepare_step(StepParams& sp) const override {
    adamw_bias_corrections(p, sp.step + 1, sp.bias_correction1, sp.bias_correction2_sqrt);
  }
  double flops(const Graph& g, const Node& n) const override { return 12.0 * double(g.shape(n.inputs[0]).numel()); }
};

// The state tensor `suffix` of parameter w; a slice's state is the same slice of its whole
// tensor's state.
TensorId state_of(Graph& g, const TensorDesc& d, const std::string& suffix) {
  TensorId s = g.state(d.name + suffix, d.shape, Init::zeros());
  if (d.slice_of.valid()) {
    const std::string whole = g.desc(d.slice_of).name + suffix;
    TensorId ws = g.find(whole);
    if (!ws.valid()) ws = g.state(whole, g.desc(d.slice_of).shape, Init::zeros());
    g.desc(s).slice_of = ws;
    g.desc(s).slice_offset = d.slice_offset;
  }
  return s;
}

}  // namespace

Status add_adamw(Graph& g, const AdamWParams& p) {
  VKNN_TRY(g.status());
  if (!(p.beta1 >= 0 && p.beta1 < 1) || !(p.beta2 >= 0 && p.beta2 < 1) || !(p.eps > 0) ||
      !std::isfinite(p.weight_decay))
    return make_error(Errc::invalid_argument, "add_adamw: betas ({}, {}) must be in [0, 1), eps {} positive, weight "
                      "decay {} finite", p.beta1, p.beta2, p.eps, p.weight_decay);
  size_t updates = 0;
  for (TensorId w : g.parameters()) {
    const TensorDesc d = g.desc(w);
    if (d.frozen || !d.grad.valid()) continue;
    const TensorId m = state_of(g, d, ".exp_avg"), v = state_of(g, d, ".exp_avg_sq");
    auto node = std::make_shared<AdamWNode>();
    node->p = p;
    // The update runs where the gradient was produced (the parameter's own target).
    const int32_t saved = g.current_target();
    const TensorDesc& gd = g.desc(d.grad);
    g.set_target(gd.producer >= 0 ? g.nodes()[size_t(gd.producer)].target : saved);
    std::vector<TensorId> in{d.grad};
    if (g.grad_overflow.valid()) in.push_back(g.grad_overflow);
    g.add_node(d.name + ".adamw", node, in, {w, m, v}, Phase::update);
    g.set_target(saved);
    ++updates;
  }
  VKNN_TRY(g.status());
  if (updates == 0)
    return make_error(Errc::invalid_argument, "add_adamw: no parameter has a gradient (run build_backward first)");
  return {};
}

}  // namespace vknn
