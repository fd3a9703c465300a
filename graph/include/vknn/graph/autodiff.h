// Reverse-mode autodiff over a Graph: from the scalar loss, append the backward nodes.
#pragma once

#include "vknn/graph/graph.h"

namespace vknn {

// Appends backward nodes for every forward node between the loss (graph.loss) and a
// trainable parameter, in reverse order. Where a tensor feeds several ops its gradient is
// summed: the first contributor writes and later ones accumulate, so nothing is zero-filled.
// Inputs and frozen parameters get no gradient. Each parameter's gradient is a persistent
// tensor named "<param>.grad".
Status build_backward(Graph& g);

// Which tensors depend on a trainable parameter (1) or not (0).
std::vector<int8_t> requires_grad(const Graph& g);

}  // namespace vknn
