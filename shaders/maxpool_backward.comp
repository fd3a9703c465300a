#version 450
// Max pooling backward as a gather over dx (no atomics): dx[n,c,ih,iw] = sum of dy over
// the windows that cover (ih,iw) and whose stored argmax is ih*W+iw. Optional accumulate.
// The windows spanning (ih,iw) are checked; argmax tells whether one of them took it (so a
// dilated window that steps over it never matches, and an empty window's -1 matches nothing).
// Specialization: 0, 1 = local size x, y; 2..7 = kernel, stride, dilation (maxpool_window.glsl).
// Dispatch: (ceil(W / lx), ceil(H / ly), N*C).
layout(local_size_x_id = 0, local_size_y_id = 1) in;

layout(binding = 0) readonly buffer Arg_ { int argmax[]; };  // (N,C,OH,OW) from the forward
layout(binding = 1) readonly buffer DY_ { float dy[]; };     // (N,C,OH,OW)
layout(binding = 2) buffer DX_ { float dx[]; };              // (N,C,H,W), read when accumulating
#include "maxpool_window.glsl"

void main() {
  const uint iw = gl_GlobalInvocationID.x, ih = gl_GlobalInvocationID.y;
  if (iw >= p.W || ih >= p.H) return;
  const uint plane = gl_WorkGroupID.z;
  const uint i = (plane * p.H + ih) * p.W + iw;
  uint oh0, oh1, ow0, ow1;
  pool_covering(ih, SH, p.ph, EH, p.OH, oh0, oh1);
  pool_covering(iw, SW, p.pw, EW, p.OW, ow0, ow1);
  const int me = int(ih * p.W + iw);
  const uint base = plane * p.OH * p.OW;
  float g = 0.0;
  for (uint a = 0; a < COVER_H; ++a) {  // constant trip counts: unrolled
    const uint oh = oh0 + a;
    if (oh > oh1) break;
    for (uint b = 0; b < COVER_W; ++b) {
      const uint ow = ow0 + b;
      if (ow > ow1) break;
      const uint o = base + oh * p.OW + ow;
      if (argmax[o] == me) g += dy[o];
    }
  }
  if ((p.flags & POOL_ACCUMULATE) != 0u) g += dx[i];
  dx[i] = g;
}
