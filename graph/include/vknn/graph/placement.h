// Placement: which target (device, queue) runs each node, and the transfer nodes on the
// edges between targets.
//
// A target is an index into ExecutorOptions::targets. Nodes get theirs from
// Graph::set_target while a model is built, by hand (Graph::set_node_target), or by a
// policy (place_by_prefix). insert_transfers then cuts every forward edge that crosses
// targets with a transfer node, before autodiff: a transfer's gradient is a transfer the
// other way, so backward edges cross targets at the same places, and every tensor is
// written by one target only.
//
// The executor decides what a transfer costs: nothing on one device (the consumer aliases
// the producer's memory and only waits for it), a copy through host-visible memory between
// two devices.
#pragma once

#include "vknn/graph/graph.h"

#include <string>
#include <utility>
#include <vector>

namespace vknn {

// The op of a transfer node: one input on `from`, one output (same shape) on the node's
// own target.
class TransferOp final : public OpNode {
 public:
  explicit TransferOp(int32_t from) : from_(from) {}
  const char* type() const override { return "transfer"; }
  int32_t from() const { return from_; }
  // Within one command list (everything on one target): a copy.
  Status record(CommandList& cl, const NodeIO& io) const override;
  Status backward(BackwardBuilder& b) const override;

 private:
  int32_t from_;
};

// The transfer op of a node, or null.
const TransferOp* as_transfer(const Node& n);

// Where a tensor is written: its producer's target; for parameters and state, the target of
// the first forward node that uses them; inputs are replicated to every target reading
// them (returns -1).
int32_t home_target(const Graph& g, TensorId t);

// Adds a transfer node for every forward edge whose tensor lives on another target than
// its consumer (one per tensor and destination, placed right after the producer, so it
// starts as early as possible). Refuses a parameter or state tensor used on two targets,
// naming it. Call before build_backward.
Status insert_transfers(Graph& g);

// Policy: the first rule whose prefix starts a node's name gives its target ("layer3" ->
// 1 puts a whole ResNet stage on target 1). Nodes matching no rule keep theirs.
void place_by_prefix(Graph& g, const std::vector<std::pair<std::string, int32_t>>& rules);

// Policy: every forward convolution whose groups divide into `parts` runs as `parts`
// convolutions, part p (its share of the groups: input channels, output channels, weights
// and bias) on target p, as the 2012 paper split its layers between two GPUs. The input is
// split on the target that holds it and the outputs are joined on the layer's own target;
// insert_transfers (called next) moves the parts. The weights and bias become slices
// (TensorDesc::slice_of) of the original tensors, which keep their names: checkpoints of
// the split graph are those of the unsplit one. Call before insert_transfers and autodiff.
Status split_grouped_convolutions(Graph& g, int32_t parts);

// Bytes that cross targets in one training step (forward transfers and, if the graph has
// backward nodes, their gradients) or one inference pass.
uint64_t transfer_bytes(const Graph& g, bool training);

}  // namespace vknn
