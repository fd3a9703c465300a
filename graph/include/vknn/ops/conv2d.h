// 2-D convolution, NCHW fp32, with groups, strides, zero padding, an optional bias and an
// optional fused ReLU on the forward:
//   y[n,k,oh,ow] = act(bias[k] + sum_{c<C/G, r<R, s<S} w[k,c,r,s] *
//                      x[n, g*C/G + c, oh*stride_h - pad_h + r, ow*stride_w - pad_w + s])
// with g = k / (K/G) the group of output channel k and x read as zero outside the image.
// x (N,C,H,W), w (K, C/G, R, S), bias (K), y (N,K,OH,OW), OH = (H + 2*pad_h - R)/stride_h + 1
// (floor), OW likewise.
//
// The kernels are implicit GEMMs (no im2col buffer): register-blocked on CPU devices,
// shared-memory tiles on GPUs (see resolve_conv2d_variant). Only the weight gradient may
// need scratch memory, for split reductions over long N*OH*OW. Batches whose tensors exceed
// the device's storage-buffer range run in chunks of images (still one record_* call).
// Every function checks all shapes before recording anything and refuses bad ones with
// Errc::invalid_argument naming the op and the shapes; Errc::unsupported means a device
// limit (a weight or a single image larger than a binding, or, on a driver with a loop
// limit (DeviceProfile::loop_limit), a layer with more channels than a shader's loops may run).
#pragma once

#include "vknn/engine/commands.h"
#include "vknn/graph/graph.h"
#include "vknn/graph/tensor.h"

namespace vknn {

enum class Conv2dVariant {
  automatic,  // the device profile's family for KernelClass::conv (VKNN_CONV=register|shared overrides)
  register_blocked,  // needs subgroupBroadcast in compute and assumes the device's reported subgroup size
                     // (CPU drivers); falls back to shared_tiled without it (DeviceProfile::subgroup_broadcast)
  shared_tiled,
  // The forward of a 3x3 stride-1 layer with one group by Winograd's minimal filtering over a
  // workspace (conv2d_forward_workspace_bytes); other layers are refused. F(2,3): 16 GEMMs of
  // the transformed tiles; F(4,3): 36, with 4x fewer multiplies than direct and a little less
  // precision. The backward runs the device's direct kernels.
  winograd_f2,
  winograd_f4,
};

struct Conv2dParams {
  int stride_h = 1, stride_w = 1;  // > 0
  int pad_h = 0, pad_w = 0;        // >= 0
  int groups = 1;                  // divides C and K
  bool relu = false;               // forward only: y = max(conv + bias, 0); its backward is the caller's
  Conv2dVariant variant = Conv2dVariant::automatic;
};

// The direct kernel family a request resolves to on this device (a Winograd request: the
// device's family, for the backward and for what Winograd does not compute).
Conv2dVariant resolve_conv2d_variant(const DeviceProfile& profile, Conv2dVariant requested);

// y's shape (N,K,OH,OW) for x (N,C,H,W) and w (K,C/G,R,S), or Errc::invalid_argument naming
// the op and the shapes: wrong ranks, non-positive sizes or strides, negative padding,
// groups not dividing C and K, w's channels not C/G, a kernel larger than the padded input.
Result<Shape> conv2d_output_shape(const Conv2dParams& p, const Shape& x, const Shape& w);

// y = act(conv(x, w) + bias + residual). bias (K) and residual (N,K,OH,OW) may be null; the
// residual (a ResNet shortcut, added in the epilogue) must not overlap y. y may be a channel
// slice of a wider tensor (TensorView::parent_channels; then never on the GEMM path); the
// other operands must be contiguous. `workspace` (scratch for the Winograd path, which runs
// only when it holds conv2d_forward_workspace_bytes) must not overlap the operands.
Status record_conv2d_forward(CommandList& cl, const Conv2dParams& p, const TensorView& x, const TensorView& w,
                             const TensorView* bias, const TensorView& y, const TensorView* residual = nullptr,
                             const BufferRef& workspace = {});

// Scratch bytes the forward may use on this device for these shapes: the Winograd path's where
// it is asked for or the autotuner may take it, else 0.
Result<uint64_t> conv2d_forward_workspace_bytes(const Context& ctx, const Conv2dParams& p, const Shape& x,
                                                const Shape& w, bool has_bias = false, bool has_residual = false);

// The path record_conv2d_forward takes for these shapes on this device, given the workspace of
// conv2d_forward_workspace_bytes: "register", "shared", "gemm" (1x1 stride-1 layers on the
// matmul kernels), "winograd_f2" or "winograd_f4". With the autotuner on (DeviceProfile::tune)
// and nothing asked for explicitly, the first call for a shape times the candidates (tuning.h).
Result<std::string> conv2d_forward_choice(Context& ctx, const Conv2dParams& p, const Shape& x, const Shape& w,
                                          bool has_bias = false, bool has_residual = false);

// dx = d(sum y*dy)/dx (the transposed convolution of dy), or dx += that with accumulate.
// dy (N,K,OH,OW), w (K,C/G,R,S), dx (N,C,H,W). p.relu is ignored (dy is the gradient
// after the ReLU's own backward). A 3x3 stride-1 layer with one group runs as the forward
// convolution of dy with the flipped, transposed weights where that forward takes Winograd on
// this device (p.variant's Winograd tile, VKNN_CONV3X3 or the tuner's choice for its shape) and
// `workspace` holds conv2d_backward_data_workspace_bytes; else on the direct kernels. The
// workspace must not overlap the operands.
Status record_conv2d_backward_data(CommandList& cl, const Conv2dParams& p, const TensorView& dy, const TensorView& w,
                                   const TensorView& dx, bool accumulate, const BufferRef& workspace = {});

// Scratch bytes record_conv2d_backward_data may use on this device for these shapes (the
// transposed weights and the Winograd forward's scratch), 0 where it runs on the direct
// kernels. x (N,C,H,W), w (K,C/G,R,S).
Result<uint64_t> conv2d_backward_data_workspace_bytes(const Context& ctx, const Conv2dParams& p, const Shape& x,
                                                      const Shape& w, bool accumulate);
// The path record_conv2d_backward_data takes for these shapes on this device, given the
// workspace of conv2d_backward_data_workspace_bytes: "winograd_f2" or "winograd_f4" (the
// transposed forward), or "register" or "shared" (the direct kernels).
Result<std::string> conv2d_backward_data_choice(Context& ctx, const Conv2dParams& p, const Shape& x, const Shape& w,
                                                bool accumulate);

// Scratch bytes record_conv2d_backward_weight needs on this device for these shapes (0
// when none: the reduction over N*OH*OW is then not split). x (N,C,H,W), w (K,C/G,R,S).
Result<uint64_t> conv2d_backward_weight_workspace_bytes(const Context& ctx, const Conv2dParams& p, const Shape& x,
                                                        const Shape& w);

// dw = sum_{n,oh,ow} dy * x^ (K,C/G,R,S) and, when db is not null, db = sum_{n,oh,ow} dy (K);
// with accumulate both are added to instead. x (N,C,H,W), dy (N,K,OH,OW). `workspace` must
// hold conv2d_backward_weight_workspace_bytes (it may be an invalid BufferRef when that is 0)
// and must not overlap the other operands.
Status record_conv2d_backward_weight(CommandList& cl, const Conv2dParams& p, const TensorView& x, const TensorView& dy,
                                     const TensorView& dw, const TensorView* db, const BufferRef& workspace,
                                     bool accumulate);

// Graph builder: y = conv2d(x, w) + bias (bias may be an invalid TensorId). The model
// creates the parameters, with the names and initialization it wants.
TensorId conv2d(Graph& g, TensorId x, TensorId w, TensorId bias, const Conv2dParams& p, const std::string& name = "conv");
// The parameters of a forward conv2d node (inputs x, w[, bias]), or null for any other node.
const Conv2dParams* conv2d_params(const Node& n);
// A forward conv2d node over (x, w[, bias][, residual]) -> y, for graph rewrites (optimize.h)
// that wire it to tensors of their choosing; the builder above is for everything else. A node
// with a residual has no backward (it is made for inference).
std::shared_ptr<const OpNode> make_conv2d_node(const Conv2dParams& p, bool has_bias, bool has_residual = false);
// Whether a forward conv2d node reads a residual (its last input).
bool conv2d_has_residual(const Node& n);

}  // namespace vknn
