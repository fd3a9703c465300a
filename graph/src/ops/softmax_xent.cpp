#include "vknn/ops/softmax_xent.h"

#include "vknn/ops/add.h"

#include <cstddef>

namespace vknn {
namespace {

struct SoftmaxXentPush {  // mirrors shaders/common/softmax_xent_push.glsl
  uint32_t N, K, flags;
  float scale;
  float smoothing;  // eps
};
static_assert(sizeof(SoftmaxXentPush) == 20);

constexpr uint32_t kTop1 = 1, kTop5 = 2, kInvalid = 4, kDLoss = 8, kAccumulate = 16, kLossScale = 32;
static_assert(offsetof(StepParams, loss_scale) == 16);  // word 4, read by softmax_xent_backward.comp

using detail::present;

// logits (N,K) within one binding, labels (N).
Status check_inputs(const char* op, const TensorView& logits, const TensorView& labels, const CommandList& cl) {
  VKNN_TRY(check_rank(op, "logits", logits, 2));
  if (uint64_t(logits.numel()) > detail::max_binding_floats(cl.context()))
    return make_error(Errc::invalid_argument, "{}: logits {} are larger than one storage-buffer binding", op,
                      logits.str());
  VKNN_TRY(check_shape(op, "labels", labels, Shape{logits.shape[0]}));
  return {};
}

Status check_params(const char* op, const SoftmaxXentParams& p) {
  if (!(p.label_smoothing >= 0.0f && p.label_smoothing <= 1.0f))
    return make_error(Errc::invalid_argument, "{}: label smoothing {} is outside [0, 1]", op, p.label_smoothing);
  return {};
}

}  // namespace

Status record_softmax_xent_forward(CommandList& cl, const TensorView& logits, const TensorView& labels,
                                   const SoftmaxXentOutputs& out, const SoftmaxXentParams& p) {
  constexpr const char* op = "softmax_xent_forward";
  VKNN_TRY(check_inputs(op, logits, labels, cl));
  VKNN_TRY(check_params(op, p));
  const Shape scalar{1};
  VKNN_TRY(check_shape(op, "loss", out.loss, scalar));
  uint32_t flags = 0;
  const TensorView* outputs[] = {&out.loss, &out.top1, &out.top5, &out.invalid};
  const char* names[] = {"loss", "top1", "top5", "invalid"};
  for (int i = 1; i < 4; ++i)
    if (present(*outputs[i])) {
      VKNN_TRY(check_shape(op, names[i], *outputs[i], scalar));
      flags |= i == 1 ? kTop1 : i == 2 ? kTop5 : kInvalid;
    }
  for (int i = 0; i < 4; ++i) {
    if (!present(*outputs[i])) continue;
    for (const TensorView* in : {&logits, &labels})
      if (range(*outputs[i]).overlaps(range(*in)))
        return make_error(Errc::invalid_argument, "{}: {} overlaps an input (logits {}, labels {})", op, names[i],
                          logits.str(), labels.str());
    for (int j = 0; j < i; ++j)
      if (present(*outputs[j]) && range(*outputs[i]).overlaps(range(*outputs[j])))
        return make_error(Errc::invalid_argument, "{}: outputs {} and {} overlap (logits {})", op, names[j], names[i],
                          logits.str());
  }
  const SoftmaxXentPush push{uint32_t(logits.shape[0]), uint32_t(logits.shape[1]), flags, 1.0f, p.label_smoothing};
  // An absent metric's binding is a stand-in that is never written: the loss, which is written
  // anyway (a writable stand-in over an input would look like a write of it to the
  // synchronization validation).
  auto metric = [&](const TensorView& t) { return Binding{range(present(t) ? t : out.loss), Access::write}; };
  cl.dispatch(ShaderId::softmax_xent_forward, {},
              {{range(logits), Access::read},
               {range(labels), Access::read},
               {range(out.loss), Access::write},
               metric(out.top1),
               metric(out.top5),
               metric(out.invalid)},
              push, 1);
  return {};
}

Status record_softmax_xent_backward(CommandList& cl, const TensorView& logits, const TensorView& labels,
                                    const TensorView& dloss, const TensorView& dlogits, bool accumulate,
                                    const SoftmaxXentParams& p) {
  constexpr const char* op = "softmax_xent_backward";
  VKNN_TRY(check_inputs(op, logits, labels, cl));
  VKNN_TRY(check_params(op, p));
  VKNN_TRY(check_shape(op, "dlogits", dlogits, logits.shape));
  if (present(dloss)) VKNN_TRY(check_shape(op, "dloss", dloss, Shape{1}));
  for (const TensorView* in : {&logits, &labels, &dloss})
    if (present(*in) && range(dlogits).overlaps(range(*in)))
      return make_error(Errc::invalid_argument, "{}: dlogits {} overlaps an input", op, dlogits.str());
  if (p.step_params.valid() && (p.step_params.size < sizeof(StepParams) || p.step_params.overlaps(range(dlogits))))
    return make_error(Errc::invalid_argument,
                      "{}: the step parameters ({} bytes, StepParams needs {}) are short or overlap dlogits {}", op,
                      p.step_params.size, sizeof(StepParams), dlogits.str());
  const uint32_t flags =
      (present(dloss) ? kDLoss : 0u) | (accumulate ? kAccumulate : 0u) | (p.step_params.valid() ? kLossScale : 0u);
  const SoftmaxXentPush push{uint32_t(logits.shape[0]), uint32_t(logits.shape[1]), flags, 1.0f, p.label_smoothing};
  const uint32_t spec[] = {32};  // one invocation per row: small groups spread N <= 128 rows over threads
  cl.dispatch(ShaderId::softmax_xent_backward, spec,
              {{range(logits), Access::read},
               {range(labels), Access::read},
               {present(dloss) ? range(dloss) : range(labels), Access::read},
               {range(dlogits), accumulate ? Access::read_write : Access::write},
               // Without step parameters a stand-in (labels) that is never read.
               {p.step_params.valid() ? p.step_params.sub(0, sizeof(StepParams)) : range(labels), Access::read}},
              push, groups_for(push.N, spec[0]));
  return {};
}

// ---------------------------------------------------------------------------- graph node

namespace {

struct SoftmaxXentBackwardNode final : OpNode {
  SoftmaxXentParams p;
  bool accumulate = false;
  const char* type() const override { return "softmax_xent_backward"; }
  // in: logits, labels; out: dlogits. The loss is the root of the backward pass, so its own
  // gradient is 1: the kernel's dloss input is left absent (no constant tensor in the graph,
  // where a checkpoint would carry it among the weights); it is scaled by StepParams'
  // loss_scale (mixed precision).
  Status record(CommandList& cl, const NodeIO& io) const override {
    SoftmaxXentParams q = p;
    q.step_params = io.step;
    return record_softmax_xent_backward(cl, io.in[0], io.in[1], TensorView{}, io.out[0], accumulate, q);
  }
};

struct SoftmaxXentNode final : OpNode {
  SoftmaxXentParams p;
  const char* type() const override { return "softmax_xent"; }
  // in: logits, labels; out: loss, top1, top5, invalid
  Status record(CommandList& cl, const NodeIO& io) const override {
    return record_softmax_xent_forward(cl, io.in[0], io.in[1], {io.out[0], io.out[1], io.out[2], io.out[3]}, p);
  }
  // The root of the backward pass (dL/dL = 1).
  Status backward(BackwardBuilder& b) const override {
    if (!b.needs_grad(0)) return {};
    auto target = b.grad_input(0);
    auto node = std::make_shared<SoftmaxXentBackwardNode>();
    node->p = p;
    node->accumulate = target.accumulate;
    b.add_node("", node, {b.input(0), b.input(1)}, {target.tensor});
    return {};
  }
};

}  // namespace

TensorId softmax_cross_entropy(Graph& g, TensorId logits, TensorId labels, const std::string& name,
                               const SoftmaxXentParams& p) {
  if (!g.accepts({logits, labels}, name)) return {};
  const Shape& ls = g.shape(logits);
  VKNN_GRAPH_CHECK(g, ls.rank() == 2, "softmax_cross_entropy '{}': logits '{}' must be (N,K), got {}", name,
                   g.desc(logits).name, ls.str());
  VKNN_GRAPH_CHECK(g, g.shape(labels) == Shape{ls[0]} && g.desc(labels).dtype == DType::i32,
                   "softmax_cross_entropy '{}': labels '{}' must be int32 ({}), got {}", name, g.desc(labels).name,
                   ls[0], g.shape(labels).str());
  VKNN_GRAPH_CHECK(g, p.label_smoothing >= 0.0f && p.label_smoothing <= 1.0f,
                   "softmax_cross_entropy '{}': label smoothing {} is outside [0, 1]", name, p.label_smoothing);
  const std::string n = g.unique_name(name);
  g.loss = g.tensor(n, Shape{1}, Role::output);
  g.top1 = g.tensor(n + ".top1", Shape{1}, Role::output);
  g.top5 = g.tensor(n + ".top5", Shape{1}, Role::output);
  g.invalid_labels = g.tensor(n + ".invalid_labels", Shape{1}, Role::output);
  auto node = std::make_shared<SoftmaxXentNode>();
  node->p = p;
  g.add_node(n, node, {logits, labels}, {g.loss, g.top1, g.top5, g.invalid_labels});
  return g.loss;
}

}  // namespace vknn
