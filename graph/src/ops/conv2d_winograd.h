// Winograd forward for 3x3 stride-1 convolutions with one group (Lavin & Gray 2016), the
// path record_conv2d_forward takes where it is asked for (Conv2dParams::variant,
// VKNN_CONV3X3) or where the autotuner timed it fastest. Four dispatches over a workspace:
//   U = G w GT (weights), V = BT d B (input tiles), M[t] = U[t] V[t] (WA*WA GEMMs),
//   y = act(AT M A + bias + residual)
// with F(2,3) (WA = 4, 16 GEMMs) or F(4,3) (WA = 6, 36 GEMMs); the math and the layouts are
// in shaders/common/conv2d_winograd.glsl. The weights are transformed on every run (they
// change in training; at inference it is a small share of a layer's work except at the
// smallest images, where the tuner will not take this path).
#pragma once

#include "vknn/engine/commands.h"
#include "vknn/ops/conv2d.h"

namespace vknn {

// The output tile edge of a Winograd variant: 2 or 4, or 0 for a direct variant.
int winograd_tile(Conv2dVariant v);
Conv2dVariant winograd_variant(int tile);  // 2 -> winograd_f2, 4 -> winograd_f4

// Whether the layer is one Winograd computes: a 3x3 kernel, stride 1, one group (any padding).
// w (K,C/G,R,S).
bool winograd_shaped(const Conv2dParams& p, const Shape& w);

// The tile edge VKNN_CONV3X3 forces on this device for a Winograd-shaped layer (2 or 4), 0 where
// it asks for the direct kernels, -1 where it is unset.
int winograd_forced_tile(const DeviceProfile& profile);

// Workspace bytes of the Winograd path with output tiles of `tile` (2 or 4) for x (N,C,H,W),
// w (K,C,3,3), y (N,K,OH,OW); Errc::unsupported where a part of it, x or y would not fit one
// storage-buffer binding (the path does not run in chunks of images).
Result<uint64_t> winograd_workspace_bytes(const DeviceCaps& caps, int tile, const Shape& x, const Shape& w,
                                          const Shape& y);

// Records the Winograd path; the caller (record_conv2d_forward) has checked every shape and
// that `workspace` holds winograd_workspace_bytes and overlaps no operand.
Status record_conv2d_forward_winograd(CommandList& cl, int tile, const TensorView& x, const TensorView& w,
                                      const TensorView* bias, const TensorView& y, const TensorView* residual,
                                      const Conv2dParams& p, const BufferRef& workspace);

}  // namespace vknn
