#version 450
// Strided identity with zero-padded channels (ResNet option-A shortcut):
//   y[n,c,h,w] = x[n, c - offset, h*stride, w*stride] for offset <= c < offset + C, else 0.
// Specialization: 0 = local size x. Dispatch: (ceil(HO*WO / local), CO, N): one invocation
// per output element, a workgroup row per output plane.
layout(local_size_x_id = 0) in;

layout(binding = 0) readonly buffer X_ { float x[]; };   // (N,C,H,W)
layout(binding = 1) writeonly buffer Y_ { float y[]; };  // (N,CO,HO,WO)
#include "channel_pad_push.glsl"

void main() {
  const uint hw = gl_GlobalInvocationID.x;
  if (hw >= p.HO * p.WO) return;
  const uint co = gl_WorkGroupID.y, n = gl_WorkGroupID.z;
  float v = 0.0;
  if (co >= p.offset && co - p.offset < p.C) {
    const uint h = (hw / p.WO) * p.stride, w = (hw % p.WO) * p.stride;
    v = x[((n * p.C + (co - p.offset)) * p.H + h) * p.W + w];
  }
  y[(n * p.CO + co) * (p.HO * p.WO) + hw] = v;
}
