// fp16 inference: a pass over a forward-only graph (run after optimize_for_inference when both
// are wanted) that stores activations and weights as fp16 wherever an op has an fp16 variant
// (OpNode::half_storage), the shaders accumulating in fp32:
//   - every activation such a node writes becomes f16 in place (same tensor id), except those
//     the op keeps in fp32 (OpNode::half_tensor: batch norm's statistics);
//   - a weight (parameter, state or derived tensor) such a node reads gets an fp16 copy, a
//     Role::derived tensor written by a Phase::prepare cast, so it is converted whenever the
//     weights change (initial values, load_weights, write) and checkpoints keep fp32;
//   - an fp32 activation or input such a node reads is cast to fp16 before it (not one the op
//     reads in fp32, half_tensor: batch norm's gamma, beta and running statistics);
//   - a node without an fp16 variant reads an fp32 cast of each fp16 activation, made once
//     before its first such reader;
//   - tensors visible outside the graph (outputs, the loss and metrics) stay fp32: a node with
//     an fp16 variant writes an fp16 temporary there, cast to fp32 right after.
//   - a concat written in place (TensorDesc::channel_slice_of) is one tensor: its output and
//     slices become fp16 together when every slice's writer has an fp16 variant and the
//     output is not visible; otherwise they stay fp32 and the writers run in fp32.
// The fp32 weights the prepare casts read are touched by prepare nodes only, so the executor
// holds them on the host and uploads them just for the preparation (Executor::staging_bytes):
// the device keeps the fp16 weights, and kernels read them at half the bytes. Training
// (HalfOptions::training, cast_backward_reads) makes no prepare nodes: the weights stay fp32
// masters, and forward casts make their fp16 copies each step.
#pragma once

#include "vknn/graph/graph.h"

namespace vknn {

enum class Precision { fp32, fp16 };
const char* precision_name(Precision p);
// "fp32" or "fp16"; Errc::invalid_argument naming the word otherwise.
Result<Precision> parse_precision(std::string_view word);

struct HalfRewrites {
  int half_nodes = 0;    // nodes that now run their fp16 variant
  int casts = 0;         // forward casts between fp32 and fp16 activations
  int weight_casts = 0;  // prepare casts making fp16 copies of weights
};

struct HalfOptions {
  // fp16 training: the fp16 weight copies are made by forward casts (Role::activation) in
  // every pass instead of prepare casts, and a cast's backward hands the fp32 gradient of the
  // copy to the fp32 master weight. Run it on the forward graph, then build_backward, then
  // cast_backward_reads, then the optimizer.
  bool training = false;
};

// Rewrites g in place. Refuses (Errc::invalid_argument, naming the node) a graph with
// backward or update nodes, or one whose wiring was refused.
Result<HalfRewrites> convert_to_fp16(Graph& g, const HalfOptions& options = {});

// fp16 training, after build_backward. A backward node whose kernel reads saved forward
// tensors in fp16 (OpNode::half_backward_reads: relu's and batch norm's) reads the fp16 tensor
// itself, or the fp16 source of the forward's fp32 cast of it, when every such input of the
// node has one; so only the fp16 tensor is kept. For the other backward nodes (the
// convolutions', linear's), each fp16 tensor they read is cast to fp32 just before the reader
// (one short-lived cast per reader, which the memory planner can overlap with others), and so
// is the source of a forward fp32 cast of an fp16 tensor that such a node reads, so that the
// forward cast dies after its forward readers and only the fp16 tensor is kept for the
// backward pass. An fp16 copy of an
// fp32 tensor the backward keeps anyway (a master weight, an input, an activation that another
// backward node reads) is not kept: the backward reads the original, which is what the copy
// was rounded from (the cast's gradient is the identity). Returns the casts added. Gradients
// are fp32 throughout (autodiff makes them so).
Result<int> cast_backward_reads(Graph& g);

struct TrainingRewrites {
  HalfRewrites half;       // fp16: what convert_to_fp16 changed in the forward graph
  int backward_casts = 0;  // fp16: cast_backward_reads' casts
};

// The backward pass of a forward graph with its loss, in the given precision: fp32 is
// build_backward; fp16 is convert_to_fp16 (HalfOptions::training), build_backward,
// cast_backward_reads and add_overflow_check (ops/grad_check.h), so that the optimizer added
// next (add_sgd, add_adamw) skips a step whose gradients overflowed at the loss scale
// (Executor::set_loss_scale, LossScaler). What `vknn train` and `vknn bench --train` build.
Result<TrainingRewrites> build_training_backward(Graph& g, Precision precision);

}  // namespace vknn
