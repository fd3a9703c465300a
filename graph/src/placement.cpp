#include "vknn/graph/placement.h"

#include "rewrite.h"

#include "vknn/ops/add.h"
#include "vknn/ops/concat.h"
#include "vknn/ops/conv2d.h"

#include <map>

namespace vknn {
namespace {

// dst += src, the later contributor to a gradient that crossed targets.
struct AccumulateOp final : OpNode {
  const char* type() const override { return "accumulate"; }
  Status record(CommandList& cl, const NodeIO& io) const override { return record_accumulate(cl, io.in[0], io.out[0]); }
};

}  // namespace

Status TransferOp::record(CommandList& cl, const NodeIO& io) const { return record_copy(cl, io.in[0], io.out[0]); }

Status TransferOp::backward(BackwardBuilder& b) const {
  TensorId gy = b.grad_output(0);
  if (!gy.valid() || !b.needs_grad(0)) return {};
  Graph& g = b.graph();
  const auto gx = b.grad_input(0);
  const int32_t saved = g.current_target();
  const std::string base = b.node().name + ".backward";
  // The gradient goes back the way the value came: a transfer to `from_`.
  g.set_target(from_);
  auto back = std::make_shared<TransferOp>(b.node().target);
  if (!gx.accumulate) {
    g.add_node(g.unique_name(base), back, {gy}, {gx.tensor}, Phase::backward);
  } else {
    // It lands in its own tensor on `from_`, which is then added to the gradient there.
    TensorId landed = b.temp("landed", g.shape(gy), g.desc(gy).dtype);
    g.add_node(g.unique_name(base), back, {gy}, {landed}, Phase::backward);
    g.add_node(g.unique_name(base + ".accumulate"), std::make_shared<AccumulateOp>(), {landed}, {gx.tensor},
               Phase::backward);
  }
  g.set_target(saved);
  return {};
}

const TransferOp* as_transfer(const Node& n) { return dynamic_cast<const TransferOp*>(n.op.get()); }

int32_t home_target(const Graph& g, TensorId t) {
  const TensorDesc& d = g.desc(t);
  if (d.role == Role::input) return -1;
  if (d.role != Role::parameter && d.role != Role::state && d.producer >= 0)
    return g.nodes()[size_t(d.producer)].target;
  for (const auto& n : g.nodes()) {
    if (n.phase != Phase::forward) continue;
    for (TensorId u : n.inputs)
      if (u == t) return n.target;
    for (TensorId u : n.outputs)
      if (u == t) return n.target;
  }
  return d.producer >= 0 ? g.nodes()[size_t(d.producer)].target : 0;
}

Status insert_transfers(Graph& g) {
  VKNN_TRY(g.status());
  for (const auto& n : g.nodes())
    if (n.phase != Phase::forward)
      return make_error(Errc::invalid_argument, "insert_transfers: node '{}' is a {} node; place and insert transfers before build_backward",
                        n.name, phase_name(n.phase));
  // Parameters and state belong to one target.
  std::map<int32_t, int32_t> owner;  // tensor -> target
  for (const auto& n : g.nodes())
    for (const auto* list : {&n.inputs, &n.outputs})
      for (TensorId t : *list) {
        const TensorDesc& d = g.desc(t);
        if (d.role != Role::parameter && d.role != Role::state) continue;
        auto [it, fresh] = owner.emplace(t.index, n.target);
        if (!fresh && it->second != n.target)
          return make_error(Errc::invalid_argument,
                            "insert_transfers: {} '{}' {} is used on target {} and by node '{}' on target {}; a "
                            "parameter lives on one target",
                            role_name(d.role), d.name, d.shape.str(), it->second, n.name, n.target);
      }
  std::map<std::pair<int32_t, int32_t>, TensorId> moved;  // (tensor, target) -> its copy there
  for (size_t k = 0; k < g.nodes().size(); ++k) {
    const Node n = g.nodes()[k];
    if (as_transfer(n)) continue;
    std::vector<TensorId> inputs = n.inputs;
    bool changed = false;
    size_t inserted = 0;
    for (TensorId& t : inputs) {
      const TensorDesc d = g.desc(t);
      if (d.role == Role::input || d.role == Role::parameter || d.role == Role::state) continue;
      const int32_t home = home_target(g, t);
      if (home < 0 || home == n.target) continue;
      auto key = std::make_pair(t.index, n.target);
      auto it = moved.find(key);
      if (it == moved.end()) {
        // Just before the first consumer: the executor starts sending as soon as the
        // producer is done, and the receiver waits only where it needs the data.
        const std::string name = fmt::format("{}@{}", d.name, n.target);
        TensorId y = g.tensor(name, d.shape, Role::activation, d.dtype);
        Node tn{name, std::make_shared<TransferOp>(home), {t}, {y}, Phase::forward, n.target};
        g.insert_node(k + inserted, std::move(tn));
        ++inserted;
        it = moved.emplace(key, y).first;
      }
      t = it->second;
      changed = true;
    }
    k += inserted;
    if (changed) g.set_node_inputs(k, inputs);
  }
  return {};
}

void place_by_prefix(Graph& g, const std::vector<std::pair<std::string, int32_t>>& rules) {
  for (size_t k = 0; k < g.nodes().size(); ++k)
    for (const auto& [prefix, target] : rules)
      if (g.nodes()[k].name.starts_with(prefix)) {
        g.set_node_target(k, target);
        break;
      }
}

Status split_grouped_convolutions(Graph& g, int32_t parts) {
  VKNN_TRY(g.status());
  if (parts < 2) return make_error(Errc::invalid_argument, "split_grouped_convolutions: {} parts", parts);
  for (const auto& n : g.nodes())
    if (n.phase != Phase::forward)
      return make_error(Errc::invalid_argument,
                        "split_grouped_convolutions: node '{}' is a {} node; split before build_backward", n.name,
                        phase_name(n.phase));
  // The same tensors (same ids), then the nodes again, with the split layers rewritten.
  Graph out = detail::tensors_only(g);
  std::map<int32_t, TensorId> renamed;  // a split layer's output -> the joined tensor
  auto current = [&](TensorId t) {
    auto it = renamed.find(t.index);
    return it == renamed.end() ? t : it->second;
  };
  // A slice of parameter `whole` holding its rows [part * rows, (part + 1) * rows).
  auto slice = [&](TensorId whole, int64_t part) {
    const TensorDesc d = out.desc(whole);
    Shape s = d.shape;
    s.dims[0] /= parts;
    TensorId t = out.parameter(fmt::format("{}.part{}", d.name, part), s, d.init, d.frozen);
    out.desc(t).slice_of = whole;
    out.desc(t).slice_offset = part * s.numel();
    return t;
  };
  for (const Node& n : g.nodes()) {
    std::vector<TensorId> inputs;
    for (TensorId t : n.inputs) inputs.push_back(current(t));
    const Conv2dParams* p = conv2d_params(n);
    if (!p || p->groups % parts != 0) {
      out.set_target(n.target);
      out.add_node(n.name, n.op, inputs, n.outputs, n.phase);
      continue;
    }
    const TensorId x = inputs[0], w = inputs[1];
    const int64_t channels = out.shape(x)[1];
    // Split where the input is; each part's convolution on its target; join on the layer's.
    const int32_t home = home_target(out, x);
    out.set_target(home < 0 ? n.target : home);
    std::vector<TensorId> xs = split(out, x, std::vector<int64_t>(size_t(parts), channels / parts), n.name + ".split");
    std::vector<TensorId> ys;
    for (int32_t part = 0; part < parts; ++part) {
      Conv2dParams q = *p;
      q.groups = p->groups / parts;
      TensorId wp = slice(w, part);
      TensorId bp = inputs.size() > 2 ? slice(inputs[2], part) : TensorId{};
      out.set_target(part);
      ys.push_back(conv2d(out, xs[size_t(part)], wp, bp, q, fmt::format("{}.part{}", n.name, part)));
    }
    out.set_target(n.target);
    TensorId joined = concat(out, ys, n.name + ".join");
    if (out.desc(n.outputs[0]).role == Role::output) out.desc(joined).role = Role::output;
    renamed[n.outputs[0].index] = joined;
  }
  if (renamed.count(out.loss.index)) out.loss = renamed[out.loss.index];
  out.set_target(0);
  g = std::move(out);
  return {};
}

uint64_t transfer_bytes(const Graph& g, bool training) {
  uint64_t bytes = 0;
  for (const auto& n : g.nodes())
    if (as_transfer(n) && (training || n.phase == Phase::forward)) bytes += g.shape(n.outputs[0]).bytes();
  return bytes;
}

}  // namespace vknn
