// Concatenation and split along the channel axis (dim 1), e.g. the two columns of the
// original AlexNet:
//   concat: inputs (N,C_i,H,W) -> y (N,sum C_i,H,W), input i in channels [sum_{j<i} C_j, +C_i)
//   split:  x (N,sum C_i,H,W) -> outputs (N,C_i,H,W), the inverse
// concat's backward is split (dy -> dx_i) and split's backward is concat (dy_i -> dx).
// accumulate: += instead of = (a summed gradient's later contributor). Any rank >= 2 works:
// dim 1 is the channel axis and every other dim must agree (N and H,W for 4-d tensors).
// Each input is one strided copy (shader concat_copy); a tensor must fit one storage-buffer
// binding.
#pragma once

#include "vknn/engine/commands.h"
#include "vknn/graph/graph.h"
#include "vknn/graph/tensor.h"

#include <span>
#include <vector>

namespace vknn {

// y (+)= concat(inputs) along dim 1. At least one input; y must not overlap any input.
Status record_concat(CommandList& cl, std::span<const TensorView> inputs, const TensorView& y,
                     bool accumulate = false);

// outputs[i] (+)= channels [c_i, c_i + C_i) of x. `accumulate` is empty (all false) or has one
// flag per output (concat's backward: each input's gradient may be a first or a later
// contributor).
Status record_split(CommandList& cl, const TensorView& x, std::span<const TensorView> outputs,
                    const std::vector<bool>& accumulate = {});

// dst channels [dst_channel, +channels) (+)= src channels [src_channel, +channels): the
// building block of both. src and dst agree on every dim but 1.
Status record_copy_channels(CommandList& cl, const TensorView& src, int64_t src_channel, const TensorView& dst,
                            int64_t dst_channel, int64_t channels, bool accumulate);

// Graph builders: concatenate along channels, and split into parts of the given channels.
TensorId concat(Graph& g, const std::vector<TensorId>& inputs, const std::string& name = "concat");
std::vector<TensorId> split(Graph& g, TensorId x, const std::vector<int64_t>& channels,
                            const std::string& name = "split");
// A node that fills its one output with a constant (no inputs).
std::shared_ptr<const OpNode> make_fill_node(float value);

// Whether n is a concat node, or a split node (the builder's, or one that is a concat's
// backward: look at the node's phase to tell them apart).
bool is_concat(const Node& n);
bool is_split(const Node& n);

}  // namespace vknn
