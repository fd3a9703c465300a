#include "vknn/graph/precision.h"

#include "rewrite.h"

#include "vknn/graph/autodiff.h"
#include "vknn/ops/cast.h"
#include "vknn/ops/grad_check.h"

#include <algorithm>

namespace vknn {

const char* precision_name(Precision p) { return p == Precision::fp16 ? "fp16" : "fp32"; }

Result<Precision> parse_precision(std::string_view word) {
  if (word == "fp32") return Precision::fp32;
  if (word == "fp16") return Precision::fp16;
  return make_error(Errc::invalid_argument, "unknown precision '{}' (known: fp32, fp16)", word);
}

Result<HalfRewrites> convert_to_fp16(Graph& g, const HalfOptions& options) {
  VKNN_TRY(g.status());
  const auto& nodes = g.nodes();
  for (const Node& n : nodes)
    if (n.phase == Phase::backward || n.phase == Phase::update)
      return make_error(Errc::invalid_argument,
                        "convert_to_fp16: node '{}' is a {} node; only inference graphs are converted", n.name,
                        phase_name(n.phase));
  auto visible = [&](TensorId t) {
    const Role r = g.desc(t).role;
    return (r != Role::activation) || t == g.loss || t == g.top1 || t == g.top5 || t == g.invalid_labels;
  };
  // A concat written in place (TensorDesc::channel_slice_of) is one tensor in memory: its
  // parent and every slice must share one dtype. The parent goes to fp16 when every slice's
  // writer has an fp16 variant and nobody outside the graph reads it; otherwise the writers of
  // its slices run their fp32 variant, which writes the fp32 parent.
  const size_t nt = g.tensors().size();
  std::vector<int8_t> slices_half(nt, 1);  // per parent of slices
  for (size_t i = 0; i < nt; ++i) {
    const TensorDesc& d = g.tensors()[i];
    if (!d.channel_slice_of.valid()) continue;
    const size_t parent = size_t(d.channel_slice_of.index);
    bool writer_half = false;
    if (d.producer >= 0) {
      const Node& w = nodes[size_t(d.producer)];
      const auto k = size_t(std::find(w.outputs.begin(), w.outputs.end(), TensorId{int32_t(i)}) - w.outputs.begin());
      writer_half = w.phase == Phase::forward && w.op->half_storage() && w.op->half_tensor(true, k);
    }
    if (!writer_half || visible(d.channel_slice_of) || g.tensors()[parent].dtype != DType::f32) slices_half[parent] = 0;
  }
  auto writes_fp32_slice = [&](const Node& n) {
    for (TensorId t : n.outputs)
      if (g.desc(t).channel_slice_of.valid() && !slices_half[size_t(g.desc(t).channel_slice_of.index)]) return true;
    return false;
  };
  auto half_node = [&](const Node& n) {
    return n.phase == Phase::forward && n.op->half_storage() && !writes_fp32_slice(n);
  };

  Graph out = detail::tensors_only(g);
  // The fp16 and fp32 versions of each float tensor of g, once they exist.
  std::vector<TensorId> half_of(nt), full_of(nt);
  for (size_t i = 0; i < nt; ++i)
    if (g.tensors()[i].dtype == DType::f16) half_of[i] = TensorId{int32_t(i)};
    else if (g.tensors()[i].dtype == DType::f32) full_of[i] = TensorId{int32_t(i)};
  // Activations written by fp16 nodes become fp16 where they are, and so do the parents of
  // their channel slices (a slice's writer is fp16 exactly when its parent is, above).
  auto to_half = [&](TensorId t) {
    out.desc(t).dtype = DType::f16;
    half_of[size_t(t.index)] = t;
    full_of[size_t(t.index)] = {};
  };
  for (const Node& n : nodes)
    if (half_node(n))
      for (size_t k = 0; k < n.outputs.size(); ++k)
        if (const TensorId t = n.outputs[k];
            n.op->half_tensor(true, k) && g.desc(t).dtype == DType::f32 && !visible(t)) {
          to_half(t);
          if (g.desc(t).channel_slice_of.valid()) to_half(g.desc(t).channel_slice_of);
        }

  HalfRewrites done;
  // The fp16 version of an fp32 tensor, cast before its first fp16 reader.
  auto narrow = [&](TensorId t) {
    const size_t i = size_t(t.index);
    if (out.desc(t).dtype != DType::f32) return t;
    if (!half_of[i].valid()) {
      const Role r = g.desc(t).role;
      const bool weight = r == Role::parameter || r == Role::state || r == Role::derived;
      // Training: the fp16 copy of a weight is made in every forward pass (the update
      // changes the fp32 master each step), and its gradient passes back to the master.
      const bool prepared = weight && !options.training;
      half_of[i] = cast(out, t, DType::f16, g.desc(t).name + ".f16", prepared ? Role::derived : Role::activation,
                        prepared ? Phase::prepare : Phase::forward);
      ++(weight ? done.weight_casts : done.casts);
    }
    return half_of[i];
  };
  // The fp32 version of an fp16 tensor, cast before its first fp32 reader.
  auto widen = [&](TensorId t) {
    const size_t i = size_t(t.index);
    if (out.desc(t).dtype != DType::f16) return t;
    if (!full_of[i].valid()) {
      full_of[i] = cast(out, t, DType::f32, g.desc(t).name + ".f32");
      ++done.casts;
    }
    return full_of[i];
  };
  for (const Node& n : nodes) {
    out.set_target(n.target);
    std::vector<TensorId> inputs = n.inputs, outputs = n.outputs;
    std::vector<std::pair<TensorId, TensorId>> after;  // (fp16 temporary, visible fp32 tensor)
    const bool half = half_node(n);
    done.half_nodes += half;
    // A tensor the fp16 variant keeps in fp32 (half_tensor) is read as a node without one would.
    for (size_t k = 0; k < inputs.size(); ++k)
      inputs[k] = half && n.op->half_tensor(false, k) ? narrow(inputs[k]) : widen(inputs[k]);
    for (size_t k = 0; k < outputs.size(); ++k) {
      TensorId& t = outputs[k];
      if (half && n.op->half_tensor(true, k) && out.desc(t).dtype == DType::f32) {
        // visible: an fp16 temporary, cast back below
        const TensorId tmp =
            out.tensor(out.unique_name(g.desc(t).name + ".f16"), g.shape(t), Role::activation, DType::f16);
        after.push_back({tmp, t});
        half_of[size_t(t.index)] = tmp;
        t = tmp;
      }
    }
    out.add_node(n.name, n.op, inputs, outputs, n.phase);
    for (const auto& [tmp, t] : after) {
      out.add_node(out.unique_name(g.desc(t).name + ".cast"), make_cast_node(), {tmp}, {t}, Phase::forward);
      ++done.casts;
    }
  }
  out.set_target(0);
  VKNN_TRY(out.status());
  g = std::move(out);
  return done;
}

Result<int> cast_backward_reads(Graph& g) {
  VKNN_TRY(g.status());
  const auto& nodes = g.nodes();
  const size_t nt = g.tensors().size();
  // Forward casts: the fp16 tensor an fp32 cast was made from (widened), and the fp32 tensor
  // an fp16 copy was made from (narrowed).
  std::vector<TensorId> widened_from(nt), narrowed_from(nt);
  for (const Node& n : nodes) {
    if (n.phase != Phase::forward || !is_cast(n)) continue;
    const TensorId in = n.inputs[0], out = n.outputs[0];
    if (g.desc(out).role != Role::activation) continue;
    (g.desc(in).dtype == DType::f16 ? widened_from : narrowed_from)[size_t(out.index)] = in;
  }
  // The fp32 tensors the backward pass keeps anyway: read directly by a backward node, or
  // persistent (weights, inputs).
  std::vector<int8_t> kept(nt, 0);
  for (size_t i = 0; i < nt; ++i) kept[i] = g.tensors()[i].role != Role::activation;
  for (const Node& n : nodes)
    if (n.phase == Phase::backward)
      for (TensorId t : n.inputs)
        if (g.desc(t).dtype == DType::f32 && !widened_from[size_t(t.index)].valid()) kept[size_t(t.index)] = 1;
  Graph out = detail::tensors_only(g);
  int casts = 0;
  // A backward node that reads fp16 (OpNode::half_backward_reads) reads the fp16 tensor
  // itself, or the one the forward's fp32 cast was made from, when every such input has one.
  auto half_reads = [&](const Node& n) {
    bool any = false;
    for (size_t k = 0; k < n.inputs.size(); ++k) {
      const TensorId t = n.inputs[k];
      if (!n.op->half_backward_reads(k) || g.desc(t).dtype == DType::i32) continue;
      if (g.desc(t).dtype != DType::f16 && !widened_from[size_t(t.index)].valid()) return false;
      any = true;
    }
    return any;
  };
  for (const Node& n : nodes) {
    out.set_target(n.target);
    std::vector<TensorId> inputs = n.inputs;
    const bool half = n.phase == Phase::backward && half_reads(n);
    if (n.phase == Phase::backward)
      for (size_t k = 0; k < inputs.size(); ++k) {
        TensorId& t = inputs[k];
        const size_t i = size_t(t.index);
        if (half && n.op->half_backward_reads(k) && g.desc(t).dtype != DType::i32) {
          if (g.desc(t).dtype != DType::f16) t = widened_from[i];
          continue;
        }
        TensorId from;  // the fp16 tensor to widen just before this node
        if (g.desc(t).dtype == DType::f16) {
          // The fp16 copy of an fp32 tensor kept anyway (a master weight, an input, an
          // activation another backward node reads): the original, and the copy dies early.
          const TensorId orig = narrowed_from[i];
          if (orig.valid() && kept[size_t(orig.index)]) {
            t = orig;
            continue;
          }
          from = t;
        } else {
          from = widened_from[i];  // the forward's fp32 cast then dies after its forward readers
        }
        if (!from.valid()) continue;
        t = cast(out, from, DType::f32, n.name + "." + g.desc(from).name + ".f32", Role::activation, Phase::backward);
        ++casts;
      }
    out.add_node(n.name, n.op, inputs, n.outputs, n.phase);
  }
  out.set_target(0);
  VKNN_TRY(out.status());
  g = std::move(out);
  return casts;
}

Result<TrainingRewrites> build_training_backward(Graph& g, Precision precision) {
  TrainingRewrites rw;
  const bool half = precision == Precision::fp16;
  if (half) {
    VKNN_ASSIGN(rw.half, convert_to_fp16(g, HalfOptions{.training = true}));
  }
  VKNN_TRY(build_backward(g));
  if (half) {
    VKNN_ASSIGN(rw.backward_casts, cast_backward_reads(g));
    VKNN_TRY(add_overflow_check(g));
  }
  return rw;
}

}  // namespace vknn
