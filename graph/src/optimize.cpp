#include "vknn/graph/optimize.h"

#include "channel_slice.h"
#include "rewrite.h"

#include "vknn/ops/add.h"
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
  TensorId residual;              // a convolution: the shortcut it adds in its epilogue
  TensorId output;                // a convolution: the tensor it writes now
  // A convolution that absorbed an add runs where the add ran (`at`, the add's index): the
  // shortcut may be computed after the convolution (a projection); the add names it (`conv`).
  int32_t at = -1, conv = -1;
};

// Last, on the graph the other rewrites left (a concat's inputs are then the outputs of the
// convolutions with their epilogues).
Result<InferenceRewrites> write_concats_in_place(Graph& g, InferenceRewrites done) {
  VKNN_ASSIGN(done.concats_removed, detail::write_concats_in_place(g));
  return done;
}

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
  auto visible = [&](TensorId t) { return detail::visible_outside(g, t); };
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
    if (!conv || conv->relu || conv2d_has_residual(n)) continue;
    Rewrite& r = rw[k];
    r.output = n.outputs[0];
    // conv -> batchnorm: the BN's statistics outputs must be unread (they are in a forward graph).
    if (const int32_t j = only_reader(r.output, k); j >= 0) {
      const Node& b = nodes[size_t(j)];
      const BatchNormParams* bn = batchnorm_params(b);
      bool unread = bn != nullptr && !bn->batch_statistics_always && b.inputs[0] == r.output && !visible(b.outputs[1]) && !visible(b.outputs[2]);
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
    // ... -> add(., shortcut) [-> relu]: the shortcut is added before the ReLU, so only
    // without one yet (ResNet's conv-BN-add-ReLU).
    if (!r.relu)
      if (const int32_t j = only_reader(r.output, k); j >= 0 && is_add(nodes[size_t(j)]) && !rw[size_t(j)].removed) {
        const Node& a = nodes[size_t(j)];
        const TensorId shortcut = a.inputs[0] == r.output ? a.inputs[1] : a.inputs[0];
        if (shortcut != r.output) {
          r.residual = shortcut;
          r.output = a.outputs[0];
          r.at = j;
          rw[size_t(j)].removed = true;
          rw[size_t(j)].conv = int32_t(k);
          ++done.residuals_fused;
          if (const int32_t q = only_reader(r.output, k); q >= 0 && is_relu(nodes[size_t(q)])) {
            r.relu = true;
            r.output = nodes[size_t(q)].outputs[0];
            rw[size_t(q)].removed = true;
            ++done.relus_fused;
          }
        }
      }
  }
  if (done.total() == 0) return write_concats_in_place(g, done);

  // The same tensors (same ids), then the nodes again, rewritten.
  Graph out = detail::tensors_only(g);
  auto current = [&](TensorId t) {
    for (auto it = renamed.find(t.index); it != renamed.end(); it = renamed.find(t.index)) t = it->second;
    return t;
  };
  // Node k of the original graph, rewritten, at the end of `out`.
  auto emit = [&](size_t k) {
    const Node& n = nodes[k];
    std::vector<TensorId> inputs;
    for (TensorId t : n.inputs) inputs.push_back(current(t));
    out.set_target(n.target);
    const Conv2dParams* conv = conv2d_params(n);
    const Rewrite& r = rw[k];
    if (!conv || (r.batchnorm < 0 && !r.relu && !r.residual.valid())) {
      out.add_node(n.name, n.op, inputs, n.outputs, n.phase);
      return;
    }
    Conv2dParams q = *conv;
    q.relu = r.relu;
    bool has_bias = inputs.size() > 2;
    if (const int32_t j = r.batchnorm; j >= 0) {
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
    if (r.residual.valid()) inputs.push_back(current(r.residual));
    out.add_node(n.name, make_conv2d_node(q, has_bias, r.residual.valid()), inputs, {r.output}, n.phase);
  };
  for (size_t k = 0; k < nodes.size(); ++k) {
    if (rw[k].conv >= 0) emit(size_t(rw[k].conv));  // an absorbed add: its convolution runs here
    if (rw[k].removed || rw[k].at >= 0) continue;
    emit(k);
  }
  out.set_target(0);
  VKNN_TRY(out.status());
  g = std::move(out);
  return write_concats_in_place(g, done);
}

}  // namespace vknn
