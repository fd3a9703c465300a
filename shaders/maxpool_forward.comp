#version 450
// 2-D max pooling (see maxpool_window.glsl for the geometry): y = max over the window's
// in-bounds elements; padding never wins (it acts as -inf). Ties: the FIRST maximum in
// row-major window order wins. argmax = ih*W + iw of the winner in its (n,c) plane, for
// the backward. A NaN in the window wins (and propagates), like PyTorch. Taps are DH, DW
// apart (dilation); a window with no input element (only dilated ones) gives -inf, argmax -1.
// Specialization: 0, 1 = local size x, y; 2..7 = kernel, stride, dilation (maxpool_window.glsl).
// Dispatch: (ceil(OW / lx), ceil(OH / ly), N*C).
// Variant maxpool_forward_f16 (VKNN_F16): x and y are fp16 in memory (storage.glsl).
#include "storage.glsl"
layout(local_size_x_id = 0, local_size_y_id = 1) in;

layout(binding = 0) readonly buffer X_ { STORE_T x[]; };          // (N,C,H,W)
layout(binding = 1) writeonly buffer Y_ { STORE_T y[]; };         // (N,C,OH,OW)
layout(binding = 2) writeonly buffer Arg_ { int argmax[]; };    // (N,C,OH,OW), int32
#include "maxpool_window.glsl"

void main() {
  const uint ow = gl_GlobalInvocationID.x, oh = gl_GlobalInvocationID.y;
  if (ow >= p.OW || oh >= p.OH) return;
  const uint plane = gl_WorkGroupID.z;
  const uint i = (plane * p.OH + oh) * p.OW + ow;
  const int h0 = int(oh * SH) - int(p.ph), w0 = int(ow * SW) - int(p.pw);
  const uint base = plane * p.H * p.W;
  int best_i = -1;
  float best = uintBitsToFloat(0xff800000u);  // -inf: what a window without input element gives
  for (uint kh = 0; kh < KH; ++kh) {  // constant trip counts: unrolled
    const int h = h0 + int(kh * DH);
    if (h < 0 || h >= int(p.H)) continue;
    for (uint kw = 0; kw < KW; ++kw) {
      const int w = w0 + int(kw * DW);
      if (w < 0 || w >= int(p.W)) continue;
      const int e = h * int(p.W) + w;
      const float v = float(x[base + uint(e)]);
      if (best_i < 0 || v > best || (isnan(v) && !isnan(best))) {
        best = v;
        best_i = e;
      }
    }
  }
  y[i] = TO_STORE(best);
  argmax[i] = best_i;
}
