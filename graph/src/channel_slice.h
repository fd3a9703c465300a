// Channel slices (TensorDesc::channel_slice_of): activations with no memory of their own,
// written by their producer straight into their channels of a larger tensor. The inference
// optimizer makes them from concats (write_concats_in_place); the executor gives each the
// memory of its parent (channel_slice_storage). Private to the graph library.
#pragma once

#include "vknn/graph/graph.h"

#include <vector>

namespace vknn::detail {

// Per tensor, the tensor whose memory it uses: its parent for a channel slice, itself
// otherwise. Refuses (Errc::invalid_argument, naming the tensors and the node) a slice whose
// shape does not fit its parent, slices of one parent that overlap, a slice of a slice, and
// any use of a slice but the write of a node whose op accepts one (OpNode::writes_channel_slice).
Result<std::vector<int32_t>> channel_slice_storage(const Graph& g);

// Removes every channel concat whose inputs can all be written in place, and makes each input
// a channel slice of the concat's output: an input qualifies when the concat is its only
// reader, nobody outside the graph reads it, and its producer runs on the concat's target and
// writes a slice (OpNode::writes_channel_slice). Otherwise the concat stays as it is. Forward
// graphs only (the optimizer's caller checks). Returns the number of concats removed.
Result<int> write_concats_in_place(Graph& g);

}  // namespace vknn::detail
