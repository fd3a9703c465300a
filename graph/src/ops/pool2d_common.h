// Shared by the pooling ops (maxpool.cpp, avgpool.cpp): their push block and how they
// spread a plane over workgroups. Internal to graph/src/ops.
#pragma once

#include "vknn/engine/commands.h"
#include "vknn/graph/tensor.h"
#include "vknn/ops/maxpool.h"

#include <cstdint>

namespace vknn::pool2d {

struct Push {  // mirrors shaders/common/maxpool_window.glsl
  uint32_t planes;  // N*C
  uint32_t H, W, OH, OW;
  uint32_t ph, pw;  // top, left padding
  uint32_t pb, pr;  // bottom, right padding
  uint32_t flags;
};
static_assert(sizeof(Push) == 40);

inline Push make_push(const Pool2dParams& p, const Shape& x, const Shape& y, uint32_t flags) {
  Push push{};
  push.planes = uint32_t(x[0] * x[1]);
  push.H = uint32_t(x[2]), push.W = uint32_t(x[3]);
  push.OH = uint32_t(y[2]), push.OW = uint32_t(y[3]);
  push.ph = uint32_t(p.pad_h), push.pw = uint32_t(p.pad_w);
  push.pb = uint32_t(p.pad_end_h()), push.pr = uint32_t(p.pad_end_w());
  push.flags = flags;
  return push;
}

// One invocation per element of a (w, h) plane, the workgroup's z picking the (n, c) plane.
// The kernel, stride and dilation are specialization constants 2..7 (see maxpool_window.glsl).
inline void dispatch_planes(CommandList& cl, ShaderId shader, const Pool2dParams& p,
                            std::initializer_list<Binding> bindings, const Push& push, uint32_t w, uint32_t h) {
  const LocalSize2d l = cl.context().profile().plane_local;
  const uint32_t spec[] = {l.x,
                           l.y,
                           uint32_t(p.kernel_h),
                           uint32_t(p.kernel_w),
                           uint32_t(p.stride_h),
                           uint32_t(p.stride_w),
                           uint32_t(p.dilation_h),
                           uint32_t(p.dilation_w)};
  cl.dispatch(shader, spec, bindings, push, groups_for(w, l.x), groups_for(h, l.y), push.planes);
}

}  // namespace vknn::pool2d
