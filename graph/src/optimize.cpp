#include "vknn/graph/optimize.h"

#include "rewrite.h"

#include "vknn/ops/batchnorm.h"
#include "vknn/ops/batchnorm_fold.h"
#include "vknn/ops/conv2d.h"
#include "vknn/ops/dropout.h"
#include "vknn/ops/relu.h"

#include <map>

namespace vknn {
namespace {

// What happens to one node of the original graph.
struct Rewrite {
  bool removed = false;           // absorbed into an earlier node, or dropped
  int32_t batchnorm = -1;         // a convolution: the BN node folded into it
  bool relu = false;              // a convolution: ReLU in its epilogue
  TensorId output;                // a convolution: the tensor it writes now
};

}  // namespace

Result<InferenceRewrites> optimize_for_inference(Graph& g) {
  VKNN_TRY(g.status());
  const auto& nodes = g.nodes();
  for (const Node& n : nodes)
    if (n.phase != Phase::forward)
      return make_error(Errc::invalid_argument,
                        "optimize_for_inference: node '{}' is a {} node; only forward-only graphs are optimized", n.name,
                        phase_name(n.phase));
  // Readers of each tensor; tensors someone outside the graph can read are never rewritten away.
  const size_t nt = g.tensors().size();
  std::vector<std::vector<int32_t>> readers(nt);
  for (size_t k = 0; k < nodes.size(); ++k)
    for (TensorId t : nodes[k].inputs) readers[size_t(t.index)].push_back(int32_t(k));
  auto visible = [&](TensorId t) {
    return g.desc(t).role != Role::activation || t == g.loss || t == g.top1 || t == g.top5 || t == g.invalid_labels;
  };
  // The single reader of t, if t is an activation only it reads, on the same target as node k.
  auto only_reader = [&](TensorId t, size_t k) -> int32_t {
    const auto& r = readers[size_t(t.index)];
    if (visible(t) || r.size() != 1 || nodes[size_t(r[0])].target != nodes[k].target) return -1;
    return r[0];
  };

  InferenceRewrites done;
  std::vector<Rewrite> rw(nodes.size());
  std::map<int32_t, TensorId> renamed;  // a dropped node's output -> its input
  for (size_t k = 0; k < nodes.size(); ++k) {
    const Node& n = nodes[k];
    if (rw[k].removed) continue;
    if (is_dropout(n) && !visible(n.outputs[0])) {
      rw[k].removed = true;
      renamed[n.outputs[0].index] = n.inputs[0];
      ++done.dropouts_removed;
      continue;
    }
    const Conv2dParams* conv = conv2d_params(n);
    if (!conv || conv->relu) continue;
    Rewrite& r = rw[k];
    r.output = n.outputs[0];
    // conv -> batchnorm: the BN's statistics outputs must be unread (they are in a forward graph).
    if (const int32_t j = only_reader(r.output, k); j >= 0) {
      const Node& b = nodes[size_t(j)];
      const BatchNormParams* bn = batchnorm_params(b);
      bool unread = bn != nullptr && b.inputs[0] == r.output && !visible(b.outputs[1]) && !visible(b.outputs[2]);
      for (size_t o = 1; unread && o < b.outputs.size(); ++o) unread = readers[size_t(b.outputs[o].index)].empty();
      if (unread) {
        r.batchnorm = j;
        r.relu = bn->relu;
        r.output = b.outputs[0];
        rw[size_t(j)].removed = true;
        ++done.batchnorms_folded;
      }
    }
    // ... -> relu
    if (!r.relu)
      if (const int32_t j = only_reader(r.output, k); j >= 0 && is_relu(nodes[size_t(j)])) {
        r.relu = true;
        r.output = nodes[size_t(j)].outputs[0];
        rw[size_t(j)].removed = true;
        ++done.relus_fused;
      }
  }
  if (done.total() == 0) return done;

  // The same tensors (same ids), then the nodes again, rewritten.
  Graph out = detail::tensors_only(g);
  auto current = [&](TensorId t) {
    for (auto it = renamed.find(t.index); it != renamed.end(); it = renamed.find(t.index)) t = it->second;
    return t;
  };
  for (size_t k = 0; k < nodes.size(); ++k) {
    const Node& n = nodes[k];
    if (rw[k].removed) continue;
    std::vector<TensorId> inputs;
    for (TensorId t : n.inputs) inputs.push_back(current(t));
    out.set_target(n.target);
    const Conv2dParams* conv = conv2d_params(n);
    if (!conv || (rw[k].batchnorm < 0 && !rw[k].relu)) {
      out.add_node(n.name, n.op, inputs, n.outputs, n.phase);
      continue;
    }
    Conv2dParams q = *conv;
    q.relu = rw[k].relu;
    bool has_bias = inputs.size() > 2;
    if (const int32_t j = rw[k].batchnorm; j >= 0) {
      // (w[, b], gamma, beta, running_mean, running_var) -> (w', b'), before every pass that
      // follows a change of the weights.
      const Node& b = nodes[size_t(j)];
      const TensorId w = inputs[1];
      const TensorId wf = out.tensor(out.unique_name(n.name + ".folded_weight"), out.shape(w), Role::derived);
      const TensorId bf = out.tensor(out.unique_name(n.name + ".folded_bias"), Shape{out.shape(w)[0]}, Role::derived);
      std::vector<TensorId> fold_in = {w};
      if (has_bias) fold_in.push_back(inputs[2]);
      for (TensorId t : {b.inputs[1], b.inputs[2], b.outputs[3], b.outputs[4]}) fold_in.push_back(t);
      out.add_node(out.unique_name(n.name + ".fold"), make_batchnorm_fold_node(batchnorm_params(b)->eps, has_bias),
                   fold_in, {wf, bf}, Phase::prepare);
      inputs = {inputs[0], wf, bf};
      has_bias = true;
    }
    out.add_node(n.name, make_conv2d_node(q, has_bias), inputs, {rw[k].output}, n.phase);
  }
  out.set_target(0);
  VKNN_TRY(out.status());
  g = std::move(out);
  return done;
}

}  // namespace vknn
