// Channel shuffle (ShuffleNet, Zhang et al. 2017, sec. 3.1; ShuffleNet V2, Ma et al. 2018):
// the channels viewed as (groups, C/groups) are transposed to (C/groups, groups).
//   y[n, c, h, w] = x[n, (c % groups) * (C / groups) + c / groups, h, w]
// which is what reshape (N, g, C/g, H, W) -> transpose(0, 2, 1, 3, 4) -> reshape (N, C, H, W)
// computes. The backward is the inverse permutation, a shuffle with C/groups groups:
//   dx[n, k, h, w] = dy[n, (k % (C/g)) * g + k / (C/g), h, w]
// Both are gathers (no atomics). x and y are (N,C,H,W); any H, W (also 1x1).
#pragma once

#include "vknn/engine/commands.h"
#include "vknn/graph/graph.h"
#include "vknn/graph/tensor.h"

namespace vknn {

struct ChannelShuffleParams {
  int64_t groups = 1;  // >= 1, divides C
};

// Refuses (Errc::invalid_argument, naming `op`, groups and the shape) an x that is not a
// non-empty rank-4 shape or whose channels `groups` does not divide.
Status check_channel_shuffle(const char* op, const ChannelShuffleParams& p, const Shape& x);

// y = shuffle(x). y has x's shape and does not overlap it.
Status record_channel_shuffle_forward(CommandList& cl, const ChannelShuffleParams& p, const TensorView& x,
                                      const TensorView& y);
// dx (+)= unshuffle(dy). dx has dy's shape and does not overlap it; accumulate: dx += instead of dx =.
Status record_channel_shuffle_backward(CommandList& cl, const ChannelShuffleParams& p, const TensorView& dy,
                                       const TensorView& dx, bool accumulate);

// Graph builder: y = channel_shuffle(x); a failed check fails the graph.
TensorId channel_shuffle(Graph& g, TensorId x, const ChannelShuffleParams& p,
                         const std::string& name = "channel_shuffle");

// The parameters of a forward channel_shuffle node, or null for any other node.
const ChannelShuffleParams* channel_shuffle_params(const Node& n);

}  // namespace vknn
