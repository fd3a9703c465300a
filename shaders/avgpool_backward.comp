#version 450
// Average pooling backward as a gather over dx: dx[n,c,ih,iw] = sum over the windows that
// cover (ih,iw) of dy / divisor(window), the divisor as in avgpool_forward.comp.
// Optional accumulate.
// Specialization: 0, 1 = local size x, y; 2..5 = kernel and stride (maxpool_window.glsl); the
// dilation (6, 7) is 1 (the op refuses others).
// Dispatch: (ceil(W / lx), ceil(H / ly), N*C).
layout(local_size_x_id = 0, local_size_y_id = 1) in;

layout(binding = 0) readonly buffer DY_ { float dy[]; };  // (N,C,OH,OW)
layout(binding = 1) buffer DX_ { float dx[]; };           // (N,C,H,W), read when accumulating
#include "maxpool_window.glsl"

void main() {
  const uint iw = gl_GlobalInvocationID.x, ih = gl_GlobalInvocationID.y;
  if (iw >= p.W || ih >= p.H) return;
  const uint plane = gl_WorkGroupID.z;
  const uint i = (plane * p.H + ih) * p.W + iw;
  uint oh0, oh1, ow0, ow1;
  pool_covering(ih, SH, p.ph, KH, p.OH, oh0, oh1);
  pool_covering(iw, SW, p.pw, KW, p.OW, ow0, ow1);
  const bool include_pad = (p.flags & POOL_COUNT_INCLUDE_PAD) != 0u;
  const uint base = plane * p.OH * p.OW;
  float g = 0.0;
  for (uint a = 0; a < COVER_H; ++a) {  // constant trip counts: unrolled
    const uint oh = oh0 + a;
    if (oh > oh1) break;
    uint h0, h1;
    pool_window(oh, SH, p.ph, KH, p.H, h0, h1);
    for (uint b = 0; b < COVER_W; ++b) {
      const uint ow = ow0 + b;
      if (ow > ow1) break;
      uint w0, w1;
      pool_window(ow, SW, p.pw, KW, p.W, w0, w1);
      const uint count = include_pad ? pool_padded_extent(oh, SH, p.ph, p.pb, KH, p.H) * pool_padded_extent(ow, SW, p.pw, p.pr, KW, p.W)
                                     : (h1 - h0) * (w1 - w0);
      g += dy[base + oh * p.OW + ow] / float(count);
    }
  }
  if ((p.flags & POOL_ACCUMULATE) != 0u) g += dx[i];
  dx[i] = g;
}
