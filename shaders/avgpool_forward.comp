#version 450
// 2-D average pooling (see maxpool_window.glsl for the geometry): y = (sum of the window's
// in-bounds elements) / divisor, divisor = the window's size within the padded input when
// count_include_pad (padding counts as zeros: kh*kw but for ceil mode's last windows), else
// the number of in-bounds elements.
// Specialization: 0, 1 = local size x, y; 2..5 = kernel and stride (maxpool_window.glsl); the
// dilation (6, 7) is 1 (the op refuses others).
// Dispatch: (ceil(OW / lx), ceil(OH / ly), N*C).
layout(local_size_x_id = 0, local_size_y_id = 1) in;

layout(binding = 0) readonly buffer X_ { float x[]; };   // (N,C,H,W)
layout(binding = 1) writeonly buffer Y_ { float y[]; };  // (N,C,OH,OW)
#include "maxpool_window.glsl"

void main() {
  const uint ow = gl_GlobalInvocationID.x, oh = gl_GlobalInvocationID.y;
  if (ow >= p.OW || oh >= p.OH) return;
  const uint plane = gl_WorkGroupID.z;
  const uint i = (plane * p.OH + oh) * p.OW + ow;
  uint h0, h1, w0, w1;
  pool_window(oh, SH, p.ph, KH, p.H, h0, h1);
  pool_window(ow, SW, p.pw, KW, p.W, w0, w1);
  const int hs = int(oh * SH) - int(p.ph), ws = int(ow * SW) - int(p.pw);
  const uint base = plane * p.H * p.W;
  float s = 0.0;
  for (uint kh = 0; kh < KH; ++kh) {  // constant trip counts: unrolled
    const int h = hs + int(kh);
    if (h < 0 || h >= int(p.H)) continue;
    for (uint kw = 0; kw < KW; ++kw) {
      const int w = ws + int(kw);
      if (w < 0 || w >= int(p.W)) continue;
      s += x[base + uint(h) * p.W + uint(w)];
    }
  }
  const uint count = (p.flags & POOL_COUNT_INCLUDE_PAD) != 0u
                         ? pool_padded_extent(oh, SH, p.ph, p.pb, KH, p.H) * pool_padded_extent(ow, SW, p.pw, p.pr, KW, p.W)
                         : (h1 - h0) * (w1 - w0);
  y[i] = s / float(count);
}
