// Cast: the same values in another float storage type, y = x, between fp32 and fp16.
//   narrowing (f32 -> f16): rounded to a nearby binary16 value (nearest-even or toward zero:
//                           Vulkan leaves it to the driver); beyond +-65504 becomes +-inf
//   widening (f16 -> f32):  exact
// The fp16 inference pass (vknn/graph/precision.h) puts casts where fp32 and fp16 tensors
// meet, and so does fp16 training; the gradient passes through unchanged (gradients are
// fp32 whatever the storage). Needs the device's storageBuffer16BitAccess.
#pragma once

#include "vknn/engine/commands.h"
#include "vknn/graph/graph.h"
#include "vknn/graph/tensor.h"

namespace vknn {

// y = x. x and y have one shape; one is f32 and the other f16 (x.dtype != y.dtype).
Status record_cast(CommandList& cl, const TensorView& x, const TensorView& y);

// Graph builder: a new tensor holding x in `to` (f32 or f16), with the given role
// (Role::derived in a prepare node for weights, Role::activation otherwise).
TensorId cast(Graph& g, TensorId x, DType to, const std::string& name = "cast", Role role = Role::activation,
              Phase phase = Phase::forward);
// The node of a cast (in: x; out: y), for rewrites that cast into an existing tensor.
std::shared_ptr<const OpNode> make_cast_node();
// Whether n is a cast node.
bool is_cast(const Node& n);

}  // namespace vknn
