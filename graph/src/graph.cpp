#include "vknn/graph/graph.h"

#include "vknn/graph/autodiff.h"

#include <algorithm>
#include <set>

namespace vknn {

const char* role_name(Role r) {
  switch (r) {
    case Role::input: return "input";
    case Role::parameter: return "parameter";
    case Role::activation: return "activation";
    case Role::gradient: return "gradient";
    case Role::state: return "state";
    case Role::derived: return "derived";
    case Role::output: return "output";
  }
  return "?";
}

const char* phase_name(Phase p) {
  switch (p) {
    case Phase::forward: return "forward";
    case Phase::backward: return "backward";
    case Phase::update: return "update";
    case Phase::prepare: return "prepare";
  }
  return "?";
}

Status OpNode::backward(BackwardBuilder& b) const {
  return make_error(Errc::unsupported, "node '{}' ({}) has no gradient, but a parameter's gradient flows through it",
                    b.node().name, type());
}

Status OpNode::run_host(const HostIO&) const {
  return make_error(Errc::unsupported, "{} is not a host node", type());
}

Refusal Graph::refuse(Error e) {
  if (status_.ok()) status_ = std::move(e);
  return Refusal{status_.error()};
}

bool Graph::accepts(std::initializer_list<TensorId> ids, std::string_view what) {
  if (!ok()) return false;
  for (TensorId t : ids)
    if (!t.valid() || size_t(t.index) >= tensors_.size()) {
      refuse(make_error(Errc::invalid_argument, "{}: input tensor id {} is not a tensor of this graph", what, t.index));
      return false;
    }
  return true;
}

TensorId Graph::tensor(std::string name, Shape shape, Role role, DType dtype) {
  if (!ok()) return {};
  for (int64_t d : shape.dims)
    VKNN_GRAPH_CHECK(*this, d > 0, "tensor '{}' has shape {} with a non-positive size", name, shape.str());
  VKNN_GRAPH_CHECK(*this, !tensor_index_.count(name), "a tensor named '{}' already exists", name);
  TensorDesc d;
  d.name = std::move(name);
  d.shape = std::move(shape);
  d.role = role;
  d.dtype = dtype;
  const TensorId id{int32_t(tensors_.size())};
  tensor_index_.emplace(d.name, id.index);
  tensors_.push_back(std::move(d));
  return id;
}

TensorId Graph::input(std::string name, Shape shape, DType dtype) {
  return tensor(std::move(name), std::move(shape), Role::input, dtype);
}

TensorId Graph::parameter(std::string name, Shape shape, Init init, bool frozen) {
  if (init.kind == Init::Kind::values)
    VKNN_GRAPH_CHECK(*this, init.data && int64_t(init.data->size()) == shape.numel(),
                     "parameter '{}' {}: its initial values hold {} elements", name, shape.str(),
                     init.data ? init.data->size() : 0);
  TensorId t = tensor(std::move(name), std::move(shape), Role::parameter);
  if (!t.valid()) return t;
  desc(t).frozen = frozen;
  desc(t).init = init;
  return t;
}

TensorId Graph::state(std::string name, Shape shape, Init init) {
  if (init.kind == Init::Kind::values)
    VKNN_GRAPH_CHECK(*this, init.data && int64_t(init.data->size()) == shape.numel(),
                     "state '{}' {}: its initial values hold {} elements", name, shape.str(),
                     init.data ? init.data->size() : 0);
  TensorId t = tensor(std::move(name), std::move(shape), Role::state);
  if (!t.valid()) return t;
  desc(t).init = init;
  return t;
}

void Graph::add_node(std::string name, std::shared_ptr<const OpNode> op, std::vector<TensorId> inputs,
                     std::vector<TensorId> outputs, Phase phase) {
  if (!ok()) return;
  auto refused = [&]() -> Status {
    for (TensorId t : inputs)
      VKNN_GRAPH_CHECK(*this, t.valid() && size_t(t.index) < tensors_.size(), "node '{}': invalid input", name);
    for (TensorId t : outputs) {
      VKNN_GRAPH_CHECK(*this, t.valid() && size_t(t.index) < tensors_.size(), "node '{}': invalid output", name);
      const TensorDesc& d = desc(t);
      // Gradients may be accumulated by several nodes; everything else has one producer.
      VKNN_GRAPH_CHECK(*this,
                       d.producer < 0 || d.role == Role::gradient || d.role == Role::parameter || d.role == Role::state,
                       "node '{}': tensor '{}' is already written by node '{}'", name, d.name,
                       nodes_[size_t(d.producer)].name);
      VKNN_GRAPH_CHECK(*this, d.role != Role::input, "node '{}' writes input '{}'", name, d.name);
    }
    VKNN_GRAPH_CHECK(*this, !node_names_.count(name), "a node named '{}' already exists", name);
    return {};
  }();
  if (!refused.ok()) return;
  const int32_t index = int32_t(nodes_.size());
  for (TensorId t : outputs)
    if (desc(t).producer < 0) desc(t).producer = index;
  node_names_.insert(name);
  nodes_.push_back({std::move(name), std::move(op), std::move(inputs), std::move(outputs), phase, target_});
}

void Graph::insert_node(size_t pos, Node node) {
  // A pass's contract (placement inserts transfers), not a builder's: checked, not recorded.
  VKNN_CHECK(pos <= nodes_.size(), "insert_node '{}': position {} past the end ({} nodes)", node.name, pos,
             nodes_.size());
  for (TensorId t : node.outputs)
    VKNN_CHECK(t.valid() && size_t(t.index) < tensors_.size() && desc(t).producer < 0,
               "insert_node '{}': output is invalid or already produced", node.name);
  node_names_.insert(node.name);
  nodes_.insert(nodes_.begin() + std::ptrdiff_t(pos), std::move(node));
  index_producers();
}

void Graph::index_producers() {
  for (auto& d : tensors_) d.producer = -1;
  for (size_t k = 0; k < nodes_.size(); ++k)
    for (TensorId t : nodes_[k].outputs)
      if (tensors_[size_t(t.index)].producer < 0) tensors_[size_t(t.index)].producer = int32_t(k);
}

void Graph::set_target(int32_t target) {
  VKNN_CHECK(target >= 0, "set_target: negative target {}", target);
  target_ = target;
}

void Graph::set_node_target(size_t node, int32_t target) {
  VKNN_CHECK(node < nodes_.size() && target >= 0, "set_node_target: node {} of {}, target {}", node,
                   nodes_.size(), target);
  nodes_[node].target = target;
}

void Graph::set_node_inputs(size_t node, std::vector<TensorId> inputs) {
  VKNN_CHECK(node < nodes_.size() && inputs.size() == nodes_[node].inputs.size(),
                   "set_node_inputs: node {} of {} with {} inputs", node, nodes_.size(), inputs.size());
  nodes_[node].inputs = std::move(inputs);
}

int32_t Graph::target_count() const {
  int32_t n = 1;
  for (const auto& node : nodes_) n = std::max(n, node.target + 1);
  return n;
}

const TensorDesc& Graph::desc(TensorId t) const {
  VKNN_CHECK(t.valid() && size_t(t.index) < tensors_.size(), "invalid tensor id {}", t.index);
  return tensors_[size_t(t.index)];
}

TensorDesc& Graph::desc(TensorId t) {
  VKNN_CHECK(t.valid() && size_t(t.index) < tensors_.size(), "invalid tensor id {}", t.index);
  return tensors_[size_t(t.index)];
}

TensorId Graph::find(const std::string& name) const {
  const auto it = tensor_index_.find(name);
  return it == tensor_index_.end() ? TensorId{} : TensorId{it->second};
}

std::vector<TensorId> Graph::parameters() const {
  std::vector<TensorId> out;
  for (size_t i = 0; i < tensors_.size(); ++i)
    if (tensors_[i].role == Role::parameter) out.push_back(TensorId{int32_t(i)});
  return out;
}

std::string Graph::unique_name(const std::string& base) const {
  if (!node_names_.count(base)) return base;
  for (int i = 1;; ++i)
    if (std::string s = fmt::format("{}_{}", base, i); !node_names_.count(s)) return s;
}

// ---------------------------------------------------------------------------- autodiff

TensorId BackwardBuilder::grad_output(size_t i) const {
  TensorId out = node_.outputs.at(i);
  const TensorDesc& d = g_.desc(out);
  return grad_written_[size_t(out.index)] ? d.grad : TensorId{};
}

bool BackwardBuilder::needs_grad(size_t i) const { return requires_grad_[size_t(node_.inputs.at(i).index)] != 0; }

BackwardBuilder::GradTarget BackwardBuilder::grad_input(size_t i) {
  TensorId in = node_.inputs.at(i);
  VKNN_CHECK(needs_grad(i), "node '{}' asked for the gradient of '{}', which needs none", node_.name, g_.desc(in).name);
  if (!g_.desc(in).grad.valid()) {
    const TensorDesc d = g_.desc(in);
    TensorId gt = g_.tensor(d.name + ".grad", d.shape, Role::gradient);
    g_.desc(gt).grad_of = in;
    g_.desc(in).grad = gt;
    grad_written_.resize(g_.tensors().size(), 0);
    requires_grad_.resize(g_.tensors().size(), 0);
  }
  const bool accumulate = grad_written_[size_t(in.index)] != 0;
  grad_written_[size_t(in.index)] = 1;
  return {g_.desc(in).grad, accumulate};
}

TensorId BackwardBuilder::temp(const std::string& suffix, Shape shape, DType dtype) {
  TensorId t = g_.tensor(g_.unique_name(node_.name + "." + suffix) + ".tmp" + std::to_string(g_.tensors().size()),
                         std::move(shape), Role::activation, dtype);
  grad_written_.resize(g_.tensors().size(), 0);
  requires_grad_.resize(g_.tensors().size(), 0);
  return t;
}

void BackwardBuilder::add_node(const std::string& suffix, std::shared_ptr<const OpNode> op, std::vector<TensorId> inputs,
                               std::vector<TensorId> outputs) {
  // The gradient of a node runs where the node ran.
  const int32_t saved = g_.current_target();
  g_.set_target(node_.target);
  g_.add_node(g_.unique_name(node_.name + ".backward" + (suffix.empty() ? "" : "." + suffix)), std::move(op),
              std::move(inputs), std::move(outputs), Phase::backward);
  g_.set_target(saved);
}

std::vector<int8_t> requires_grad(const Graph& g) {
  std::vector<int8_t> rg(g.tensors().size(), 0);
  for (size_t i = 0; i < g.tensors().size(); ++i) {
    const auto& d = g.tensors()[i];
    rg[i] = d.role == Role::parameter && !d.frozen;
  }
  for (const auto& n : g.nodes()) {
    if (n.phase != Phase::forward) continue;
    bool any = false;
    for (TensorId t : n.inputs) any = any || rg[size_t(t.index)];
    for (TensorId t : n.outputs)
      if (g.desc(t).role == Role::activation || g.desc(t).role == Role::output) rg[size_t(t.index)] = any;
  }
  return rg;
}

Status build_backward(Graph& g) {
  VKNN_TRY(g.status());
  if (!g.loss.valid()) return make_error(Errc::invalid_argument, "build_backward: the graph has no loss");
  for (const auto& n : g.nodes())
    if (n.phase != Phase::forward)
      return make_error(Errc::invalid_argument, "build_backward: the graph already has backward nodes");
  std::vector<int8_t> rg = requires_grad(g);
  std::vector<int8_t> written(g.tensors().size(), 0);
  if (!rg[size_t(g.loss.index)]) return make_error(Errc::invalid_argument, "build_backward: the loss depends on no trainable parameter");
  // The loss's own gradient is implicit (dL/dL = 1): the loss op's backward seeds the chain.
  // Mark it so the loss node runs.
  const size_t forward_count = g.nodes().size();
  std::vector<int8_t> reaches_loss(g.tensors().size(), 0);
  reaches_loss[size_t(g.loss.index)] = 1;
  for (size_t k = forward_count; k-- > 0;) {
    const Node& n = g.nodes()[k];
    bool feeds = false;
    for (TensorId t : n.outputs) feeds = feeds || reaches_loss[size_t(t.index)];
    if (feeds)
      for (TensorId t : n.inputs) reaches_loss[size_t(t.index)] = 1;
  }
  for (size_t k = forward_count; k-- > 0;) {
    const Node node = g.nodes()[k];
    bool has_grad = false, wants = false;
    for (TensorId t : node.outputs)
      has_grad = has_grad || written[size_t(t.index)] || (t == g.loss);
    for (TensorId t : node.inputs) wants = wants || (rg[size_t(t.index)] && reaches_loss[size_t(t.index)]);
    if (!has_grad || !wants) continue;
    BackwardBuilder b(g, node, rg, written);
    VKNN_TRY(node.op->backward(b));
  }
  return g.status();
}

}  // namespace vknn
