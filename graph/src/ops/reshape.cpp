#include "vknn/ops/reshape.h"

#include "vknn/ops/add.h"

namespace vknn {
namespace {

struct ReshapeNode final : OpNode {
  bool accumulate = false;
  const char* type() const override { return "reshape"; }
  // in: x; out: y, the same bytes under another shape
  Status record(CommandList& cl, const NodeIO& io) const override {
    const TensorView src{.buffer = io.in[0].buffer, .shape = io.out[0].shape, .dtype = io.in[0].dtype};
    return accumulate ? record_accumulate(cl, src, io.out[0]) : record_copy(cl, src, io.out[0]);
  }
  bool half_storage() const override { return !accumulate; }  // a byte copy
  Status backward(BackwardBuilder& b) const override {
    if (!b.grad_output(0).valid()) return {};
    auto target = b.grad_input(0);
    auto node = std::make_shared<ReshapeNode>();
    node->accumulate = target.accumulate;
    b.add_node("", node, {b.grad_output(0)}, {target.tensor});
    return {};
  }
};

}  // namespace

TensorId reshape(Graph& g, TensorId x, Shape shape, const std::string& name) {
  if (!g.accepts({x}, name)) return {};
  VKNN_GRAPH_CHECK(g, shape.numel() == g.shape(x).numel(), "reshape '{}': '{}' {} has {} elements, {} has {}", name,
                   g.desc(x).name, g.shape(x).str(), g.shape(x).numel(), shape.str(), shape.numel());
  const std::string n = g.unique_name(name);
  TensorId y = g.tensor(n, std::move(shape), Role::activation);
  g.add_node(n, std::make_shared<ReshapeNode>(), {x}, {y});
  return y;
}

TensorId flatten(Graph& g, TensorId x, const std::string& name) {
  if (!g.accepts({x}, name)) return {};
  const Shape& s = g.shape(x);
  VKNN_GRAPH_CHECK(g, s.rank() >= 2, "flatten '{}': '{}' {} has no batch dimension", name, g.desc(x).name, s.str());
  return reshape(g, x, Shape{s[0], s.numel() / s[0]}, name);
}

bool is_reshape(const Node& n) {
  return dynamic_cast<const ReshapeNode*>(n.op.get()) != nullptr;
}

}  // namespace vknn
