// Broadcasting binary ops: y = a (op) b, op one of + - * /, with NumPy's (and ONNX's)
// broadcasting: shapes are aligned on the right, and a dim of 1 (or a missing one) repeats.
// This is what squeeze-excitation gates ((N,C,1,1) * (N,C,H,W)), SiLU (x * sigmoid(x)) and
// per-channel or scalar constants need. Equal shapes of a residual add are the add op
// (vknn/ops/add.h), which reads neither input in its backward.
//   forward:  y = a op b                                       (accumulate: y += a op b)
//   backward: da = sum over the broadcast dims of dy * dy/da    (1, 1, b, 1/b)
//             db = sum over the broadcast dims of dy * dy/db    (1, -1, a, -a/b^2)
// Ranks up to 6 (after merging adjacent dims that broadcast alike); element counts below 2^32.
#pragma once

#include "vknn/engine/commands.h"
#include "vknn/graph/graph.h"
#include "vknn/graph/tensor.h"

#include <cstdint>
#include <optional>

namespace vknn {

enum class BinaryOp : uint32_t { add, sub, mul, div };
const char* binary_name(BinaryOp op);

// The broadcast shape of a and b, or nothing when they do not broadcast.
std::optional<Shape> broadcast_shapes(const Shape& a, const Shape& b);

// y (+)= a op b. y has the broadcast shape and overlaps neither input.
Status record_binary_forward(CommandList& cl, BinaryOp op, const TensorView& a, const TensorView& b,
                             const TensorView& y, bool accumulate = false);

// The gradient of a (target_b = false) or of b: dx (+)= the sum over the broadcast dims of
// dy * d(a op b)/dx. dy has the broadcast shape, dx the target's; dx overlaps no input.
Status record_binary_backward(CommandList& cl, BinaryOp op, const TensorView& a, const TensorView& b,
                              const TensorView& dy, bool target_b, const TensorView& dx, bool accumulate);

// Graph builder: y = a op b, broadcast.
TensorId binary(Graph& g, BinaryOp op, TensorId a, TensorId b, const std::string& name = "binary");

// The op of a forward binary node, or nothing for any other node.
std::optional<BinaryOp> binary_op(const Node& n);

}  // namespace vknn
