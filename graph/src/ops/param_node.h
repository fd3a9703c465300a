// The graph nodes of a one-input, one-output op whose forward and backward are each a single
// record call taking the op's parameters, and whose backward needs nothing the forward saved
// (a gather and its transpose: pad, channel_pad, channel_shuffle). The op file keeps its shape
// checks and names; this header gives it the node pair, the builder's tail and the accessor
// the exporter and rewrites use. Private to the graph library.
#pragma once

#include "vknn/graph/graph.h"

#include <memory>
#include <string>

namespace vknn::detail {

template <class Params>
struct ParamOpKind {
  const char* type;           // the forward node's type()
  const char* backward_type;  // the backward node's type()
  Status (*forward)(CommandList&, const Params&, const TensorView& x, const TensorView& y);
  Status (*backward)(CommandList&, const Params&, const TensorView& dy, const TensorView& dx, bool accumulate);
};

template <class Params>
struct ParamBackwardNode final : OpNode {
  const ParamOpKind<Params>* kind = nullptr;
  Params p;
  bool accumulate = false;
  const char* type() const override { return kind->backward_type; }
  // in: dy; out: dx
  Status record(CommandList& cl, const NodeIO& io) const override {
    return kind->backward(cl, p, io.in[0], io.out[0], accumulate);
  }
};

template <class Params>
struct ParamNode final : OpNode {
  const ParamOpKind<Params>* kind = nullptr;
  Params p;
  const char* type() const override { return kind->type; }
  Status record(CommandList& cl, const NodeIO& io) const override { return kind->forward(cl, p, io.in[0], io.out[0]); }
  Status backward(BackwardBuilder& b) const override {
    if (!b.grad_output(0).valid() || !b.needs_grad(0)) return {};
    auto target = b.grad_input(0);
    auto node = std::make_shared<ParamBackwardNode<Params>>();
    node->kind = kind;
    node->p = p;
    node->accumulate = target.accumulate;
    b.add_node("", node, {b.grad_output(0)}, {target.tensor});
    return {};
  }
};

// The builder's tail, once the op has checked x and worked out y's shape: y = op(x).
template <class Params>
TensorId add_param_node(Graph& g, const ParamOpKind<Params>& kind, TensorId x, const Params& p, const Shape& y_shape,
                        const std::string& name) {
  const std::string n = g.unique_name(name);
  TensorId y = g.tensor(n, y_shape, Role::activation);
  auto node = std::make_shared<ParamNode<Params>>();
  node->kind = &kind;
  node->p = p;
  g.add_node(n, node, {x}, {y});
  return y;
}

// The parameters of a forward node of this kind, or nullptr for any other node.
template <class Params>
const Params* param_node_params(const Node& n, const ParamOpKind<Params>& kind) {
  const auto* node = dynamic_cast<const ParamNode<Params>*>(n.op.get());
  return node && node->kind == &kind ? &node->p : nullptr;
}

}  // namespace vknn::detail
