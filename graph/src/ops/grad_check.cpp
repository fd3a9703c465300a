#include "vknn/ops/grad_check.h"

#include "vknn/ops/add.h"

namespace vknn {
namespace {

struct GradCheckPush {  // mirrors the push block of shaders/grad_check.comp
  uint32_t count;
};
static_assert(sizeof(GradCheckPush) == 4);

struct GradCheckNode final : OpNode {
  const char* type() const override { return "grad_check"; }
  // in: the gradients; out: the flag
  Status record(CommandList& cl, const NodeIO& io) const override { return record_grad_check(cl, io.in, io.out[0]); }
};

}  // namespace

Status record_grad_check(CommandList& cl, std::span<const TensorView> xs, const TensorView& flag) {
  constexpr const char* op = "grad_check";
  VKNN_TRY(check_shape(op, "flag", flag, Shape{1}));
  if (flag.dtype != DType::f32) return make_error(Errc::invalid_argument, "{}: flag {} must be f32", op, flag.str());
  for (const TensorView& x : xs) {
    VKNN_TRY(check_positive(op, "x", x));
    if (x.dtype != DType::f32)
      return make_error(Errc::invalid_argument, "{}: x {} holds {}; gradients are f32", op, x.str(),
                        dtype_name(x.dtype));
    if (range(x).overlaps(range(flag)))
      return make_error(Errc::invalid_argument, "{}: x {} overlaps the flag {}", op, x.str(), flag.str());
  }
  cl.fill(range(flag), 0u);  // 0.0f
  const uint32_t spec[] = {cl.context().profile().elementwise_local};
  for (const TensorView& x : xs)
    detail::for_each_chunk(cl, x.numel(), [&](uint64_t first, uint32_t n) {
      const GradCheckPush push{n};
      cl.dispatch(ShaderId::grad_check, spec,
                  {{detail::chunk_of(x, first, n), Access::read}, {range(flag), Access::read_write}}, push,
                  groups_for(n, spec[0]));
    });
  return {};
}

Status add_overflow_check(Graph& g) {
  VKNN_TRY(g.status());
  if (g.grad_overflow.valid())
    return make_error(Errc::invalid_argument, "add_overflow_check: the graph already checks its gradients ('{}')",
                      g.desc(g.grad_overflow).name);
  if (g.target_count() > 1)
    return make_error(Errc::unsupported, "add_overflow_check: the graph runs on {} targets; the check is for one",
                      g.target_count());
  for (const Node& n : g.nodes())
    if (n.phase == Phase::update)
      return make_error(Errc::invalid_argument,
                        "add_overflow_check: update node '{}' comes before the check; add it before the optimizer",
                        n.name);
  std::vector<TensorId> grads;
  for (TensorId w : g.parameters()) {
    const TensorDesc& d = g.desc(w);
    if (!d.frozen && d.grad.valid()) grads.push_back(d.grad);
  }
  if (grads.empty())
    return make_error(Errc::invalid_argument,
                      "add_overflow_check: no parameter has a gradient (run build_backward first)");
  const std::string name = g.unique_name("grad_overflow");
  const TensorId flag = g.tensor(name, Shape{1}, Role::output);
  g.add_node(name, std::make_shared<GradCheckNode>(), grads, {flag}, Phase::update);
  VKNN_TRY(g.status());
  g.grad_overflow = flag;
  return {};
}

}  // namespace vknn
