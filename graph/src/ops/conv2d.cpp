#include "vknn/ops/conv2d.h"
#include "vknn/ops/relu.h"

#include "conv2d_internal.h"
#include "conv2d_winograd.h"

namespace vknn {
using namespace conv2d_detail;

Conv2dVariant resolve_conv2d_variant(const DeviceProfile& profile, Conv2dVariant requested) {
  if (winograd_tile(requested)) requested = Conv2dVariant::automatic;  // a forward path only
  if (requested == Conv2dVariant::automatic)
    requested = profile.family(KernelClass::conv) == KernelFamily::register_blocked ? Conv2dVariant::register_blocked
                                                                                    : Conv2dVariant::shared_tiled;
  // The register kernels broadcast within subgroups; without that they cannot run.
  if (requested == Conv2dVariant::register_blocked && !profile.subgroup_broadcast)
    requested = Conv2dVariant::shared_tiled;
  return requested;
}

Result<Shape> conv2d_output_shape(const Conv2dParams& p, const Shape& x, const Shape& w) {
  VKNN_ASSIGN(const Dims d,
              check_dims("conv2d", p, x, w, "x", "w", fmt::format("x {}, w {}, {}", x.str(), w.str(), describe(p))));
  return y_shape(d);
}

// ---------------------------------------------------------------------------- graph node

namespace {

struct Conv2dBackwardNode final : OpNode {
  Conv2dParams p;
  bool data = true, has_bias = false, accumulate = false;
  const char* type() const override { return data ? "conv2d_backward_data" : "conv2d_backward_weight"; }
  // data: in dy, w -> dx. weight: in x, dy -> dw[, db]
  Status record(CommandList& cl, const NodeIO& io) const override {
    if (data) return record_conv2d_backward_data(cl, p, io.in[0], io.in[1], io.out[0], accumulate, io.workspace);
    return record_conv2d_backward_weight(cl, p, io.in[0], io.in[1], io.out[0], has_bias ? &io.out[1] : nullptr,
                                         io.workspace, accumulate);
  }
  // The weight gradient's split reduction and the data gradient's Winograd path need scratch,
  // planned by the executor.
  Result<uint64_t> workspace_bytes(const Context& ctx, const Graph& g, const Node& n) const override {
    if (data) return conv2d_backward_data_workspace_bytes(ctx, p, g.shape(n.outputs[0]), g.shape(n.inputs[1]), accumulate);
    return conv2d_backward_weight_workspace_bytes(ctx, p, g.shape(n.inputs[0]), g.shape(n.outputs[0]));
  }
  double flops(const Graph& g, const Node& n) const override {
    const Shape& w = g.shape(data ? n.inputs[1] : n.outputs[0]);
    const Shape& dy = g.shape(data ? n.inputs[0] : n.inputs[1]);
    return 2.0 * double(dy.numel()) * double(w[1] * w[2] * w[3]);
  }
};

struct Conv2dNode final : OpNode {
  Conv2dParams p;
  bool has_bias = false, has_residual = false;
  const char* type() const override { return "conv2d"; }
  bool half_storage() const override { return true; }
  // in: x, w[, b][, residual]; out: y
  Status record(CommandList& cl, const NodeIO& io) const override {
    return record_conv2d_forward(cl, p, io.in[0], io.in[1], has_bias ? &io.in[2] : nullptr, io.out[0],
                                 has_residual ? &io.in[has_bias ? 3 : 2] : nullptr, io.workspace);
  }
  // The Winograd path's scratch, planned by the executor.
  Result<uint64_t> workspace_bytes(const Context& ctx, const Graph& g, const Node& n) const override {
    return conv2d_forward_workspace_bytes(ctx, p, g.shape(n.inputs[0]), g.shape(n.inputs[1]), has_bias, has_residual);
  }
  // Its register and shared kernels write y at a channel offset within a wider tensor.
  bool writes_channel_slice(const Node&) const override { return true; }
  Status backward(BackwardBuilder& b) const override {
    // Only the inference optimizer makes such nodes, and its graphs are never trained.
    if (has_residual)
      return make_error(Errc::unsupported, "conv2d '{}' has a fused residual add (an inference rewrite), which has no backward",
                        b.node().name);
    TensorId dy = b.grad_output(0);
    if (!dy.valid()) return {};
    if (p.relu) {
      TensorId masked = b.temp("relu_grad", b.graph().shape(dy));
      b.add_node("relu", make_relu_backward_node(false), {b.output(0), dy}, {masked});
      dy = masked;
    }
    Conv2dParams q = p;
    q.relu = false;
    if (b.needs_grad(1)) {
      auto dw = b.grad_input(1);
      auto node = std::make_shared<Conv2dBackwardNode>();
      node->p = q;
      node->data = false;
      node->accumulate = dw.accumulate;
      std::vector<TensorId> outs = {dw.tensor};
      if (has_bias && b.needs_grad(2)) {
        auto db = b.grad_input(2);
        VKNN_GRAPH_CHECK(b.graph(), db.accumulate == dw.accumulate, "conv2d '{}': weight and bias gradients out of step",
                         b.node().name);
        outs.push_back(db.tensor);
        node->has_bias = true;
      }
      b.add_node("weight", node, {b.input(0), dy}, outs);
    }
    if (b.needs_grad(0)) {
      auto dx = b.grad_input(0);
      auto node = std::make_shared<Conv2dBackwardNode>();
      node->p = q;
      node->data = true;
      node->accumulate = dx.accumulate;
      b.add_node("data", node, {dy, b.input(1)}, {dx.tensor});
    }
    return {};
  }
  double flops(const Graph& g, const Node& n) const override {
    const Shape& w = g.shape(n.inputs[1]);
    return 2.0 * double(g.shape(n.outputs[0]).numel()) * double(w[1] * w[2] * w[3]);
  }
};

}  // namespace

TensorId conv2d(Graph& g, TensorId x, TensorId w, TensorId bias, const Conv2dParams& p, const std::string& name) {
  if (!g.accepts({x, w}, name) || (bias.valid() && !g.accepts({bias}, name))) return {};
  auto shape = conv2d_output_shape(p, g.shape(x), g.shape(w));
  VKNN_GRAPH_CHECK(g, shape.ok(), "conv2d '{}' on '{}' with '{}': {}", name, g.desc(x).name, g.desc(w).name,
                   shape.ok() ? "" : shape.error().message);
  if (bias.valid())
    VKNN_GRAPH_CHECK(g, g.shape(bias) == Shape{g.shape(w)[0]}, "conv2d '{}': bias '{}' {} should be ({})", name,
                     g.desc(bias).name, g.shape(bias).str(), g.shape(w)[0]);
  const std::string n = g.unique_name(name);
  TensorId y = g.tensor(n, *shape, Role::activation);
  auto node = std::make_shared<Conv2dNode>();
  node->p = p;
  node->has_bias = bias.valid();
  std::vector<TensorId> ins = {x, w};
  if (bias.valid()) ins.push_back(bias);
  g.add_node(n, node, ins, {y});
  return y;
}

std::shared_ptr<const OpNode> make_conv2d_node(const Conv2dParams& p, bool has_bias, bool has_residual) {
  auto node = std::make_shared<Conv2dNode>();
  node->p = p;
  node->has_bias = has_bias;
  node->has_residual = has_residual;
  return node;
}

bool conv2d_has_residual(const Node& n) {
  const auto* c = dynamic_cast<const Conv2dNode*>(n.op.get());
  return c && c->has_residual;
}

const Conv2dParams* conv2d_params(const Node& n) {
  const auto* c = dynamic_cast<const Conv2dNode*>(n.op.get());
  return c ? &c->p : nullptr;
}

}  // namespace vknn
