// Constant folding: the ONNX ops of shape computations evaluated on HostTensors at import.
// Private to vknn_onnx.
#pragma once

#include "host_tensor.h"

#include <functional>

namespace vknn::onnx {

// `axis` in [-rank, rank) as a dimension index; `what` names it in the error.
Result<int64_t> normalize_axis(int64_t axis, int64_t rank, const std::string& what);

// Numpy broadcasting of two shapes (ONNX's multidirectional broadcasting).
Result<std::vector<int64_t>> broadcast_shape(const std::vector<int64_t>& a, const std::vector<int64_t>& b);

// Element-wise a op b with broadcasting. The result is f32 if either operand is, else i64
// (and `int_op` is used; integer division truncates toward zero as ONNX's Div does).
Result<HostTensor> fold_binary(const HostTensor& a, const HostTensor& b, const std::function<double(double, double)>& float_op,
                               const std::function<Result<int64_t>(int64_t, int64_t)>& int_op);

// Gather along `axis` with int64 indices (negative ones count from the end).
Result<HostTensor> fold_gather(const HostTensor& data, const HostTensor& indices, int64_t axis);

// data[starts:ends:steps] along `axes`, ONNX's clamping rules.
Result<HostTensor> fold_slice(const HostTensor& data, std::vector<int64_t> starts, std::vector<int64_t> ends,
                              std::vector<int64_t> axes, std::vector<int64_t> steps);

Result<HostTensor> fold_concat(const std::vector<const HostTensor*>& parts, int64_t axis);

// The same values under another element type (ONNX Cast between numeric types).
Result<HostTensor> fold_cast(const HostTensor& t, int32_t to);

// The same elements in a new shape.
HostTensor with_dims(const HostTensor& t, std::vector<int64_t> dims);

// The shape Reshape gives `in` for the requested `shape` (0 copies a dim unless allowzero,
// one -1 takes the rest).
Result<std::vector<int64_t>> reshape_dims(const std::vector<int64_t>& in, const std::vector<int64_t>& shape,
                                          bool allowzero);

// Squeeze `axes` (all 1-dims when empty) / insert 1-dims at `axes` of the output.
Result<std::vector<int64_t>> squeeze_dims(const std::vector<int64_t>& in, std::vector<int64_t> axes);
Result<std::vector<int64_t>> unsqueeze_dims(const std::vector<int64_t>& in, std::vector<int64_t> axes);

}  // namespace vknn::onnx
