#version 450
// Constant padding and cropping of C, H and W as a gather, used by the forward and (with the
// counts negated and value 0) by the backward (vknn/ops/pad.h):
//   out[n, c, h, w] (+)= in[n, c - begin_c, h - begin_h, w - begin_w] where inside in, else value
// The backward records it reading dy and writing dx with -begin (the crop of the padding).
// Specialization: 0 = local size x. Dispatch: (ceil(HO*WO / local), CO, N): one invocation
// per output element, a workgroup row per output plane; no loops, no shared memory.
layout(local_size_x_id = 0) in;

layout(binding = 0) readonly buffer In_ { float x[]; };  // (N,C,H,W)
layout(binding = 1) buffer Out_ { float y[]; };          // (N,CO,HO,WO), read when accumulating
layout(push_constant) uniform Push {  // mirrors PadPush in graph/src/ops/pad.cpp
  uint C, H, W;     // in
  uint CO, HO, WO;  // out
  int begin_c, begin_h, begin_w;  // out index - in index; negative: a crop
  float value;                    // outside in
  uint flags;                     // 1 = accumulate
} p;

void main() {
  const uint hw = gl_GlobalInvocationID.x;
  if (hw >= p.HO * p.WO) return;
  const uint co = gl_WorkGroupID.y, n = gl_WorkGroupID.z;
  const int c = int(co) - p.begin_c, h = int(hw / p.WO) - p.begin_h, w = int(hw % p.WO) - p.begin_w;
  float v = p.value;
  if (c >= 0 && c < int(p.C) && h >= 0 && h < int(p.H) && w >= 0 && w < int(p.W))
    v = x[((n * p.C + uint(c)) * p.H + uint(h)) * p.W + uint(w)];
  const uint o = (n * p.CO + co) * (p.HO * p.WO) + hw;
  if ((p.flags & 1u) != 0u) v += y[o];
  y[o] = v;
}
