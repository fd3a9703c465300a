// Fully connected layer, PyTorch layout:
//   x (N,IN), weight (OUT,IN), optional bias (OUT), y (N,OUT)
//   forward:          y = x · weightᵀ + bias, then max(., 0) if relu is fused
//   backward data:    dx = dy · weight               (N,IN)
//   backward weight:  dweight = dyᵀ · x              (OUT,IN)
//   backward bias:    dbias = sum over n of dy[n,:]  (OUT)
// Each backward takes `accumulate` (+= instead of =). With relu fused, dy here is the
// gradient after the ReLU's: apply record_relu_backward_inplace(y, dy) first.
// The products are record_matmul with strides expressing the transposes, except the
// forward at batch <= 8, a matrix-vector kernel (linear_forward_gemv.comp). A weight larger
// than one storage-buffer binding (AlexNet fc6: 4096x9216 floats = 151 MB, over lavapipe's
// 128 MiB) is processed in slices of output rows.
#pragma once

#include "vknn/engine/commands.h"
#include "vknn/graph/graph.h"
#include "vknn/graph/tensor.h"

namespace vknn {

struct LinearParams {
  bool relu = false;  // fused ReLU on the output
};

// Batches up to this size run the forward as a matrix-vector kernel where the device
// profile allows it (DeviceProfile::linear_gemv, VKNN_LINEAR), with 64-bit loads where
// the profile has them and IN is even.
inline constexpr int64_t kGemvMaxBatch = 8;
enum class LinearGemv { none, narrow, wide };
// The kernel record_linear_forward takes for these operands (none: the matmul kernels).
LinearGemv linear_forward_gemv(const DeviceProfile& profile, const TensorView& x, const TensorView& weight);

// bias may be absent (TensorView{}).
Status record_linear_forward(CommandList& cl, const LinearParams& p, const TensorView& x, const TensorView& weight,
                             const TensorView& bias, const TensorView& y);

// dx (+)= dy · weight.
Status record_linear_backward_data(CommandList& cl, const TensorView& dy, const TensorView& weight,
                                   const TensorView& dx, bool accumulate);

// dweight (+)= dyᵀ · x.
Status record_linear_backward_weight(CommandList& cl, const TensorView& dy, const TensorView& x,
                                     const TensorView& dweight, bool accumulate);

// dbias (+)= sum_n dy[n,:]: record_sum_rows.
Status record_linear_backward_bias(CommandList& cl, const TensorView& dy, const TensorView& dbias, bool accumulate);

// Sum over rows: out[c] (+)= sum_r x[r,c] for x (R,C), out (C).
Status record_sum_rows(CommandList& cl, const TensorView& x, const TensorView& out, bool accumulate);
// Sum per channel: out[c] (+)= sum_{n,h,w} x[n,c,h,w] for x (N,C,H,W), out (C) (a
// convolution's bias gradient). Each (n,c) plane is summed first, then the planes in order.
Status record_channel_sum(CommandList& cl, const TensorView& x, const TensorView& out, bool accumulate);

// Graph builder: y = x·weightᵀ + bias (bias may be an invalid TensorId). The model creates
// the parameters, with the names and initialization it wants.
TensorId linear(Graph& g, TensorId x, TensorId weight, TensorId bias, const LinearParams& p = {},
                const std::string& name = "linear");

// The parameters of a forward linear node (inputs x, weight[, bias]), or null for any other node.
const LinearParams* linear_params(const Node& n);

}  // namespace vknn
