#version 450
// db[k] = sum_{n, oh, ow} dy[n, k, oh, ow] (+ db[k] when CONV_ACCUMULATE) over the flat
// (n, oh, ow) values [p.range_begin, p.range_end) of this pass. One workgroup per output
// channel: its invocations stride over the values, then a tree in shared memory adds them
// up. Push block: conv2d_push.glsl.
// Specialization: 0 = local size x (a power of two, at most 256). Dispatch: (K).
layout(local_size_x_id = 0) in;
layout(binding = 0) readonly buffer Dy_ { float dy[]; };  // (N,K,OH,OW)
layout(binding = 1) buffer Db_ { float db[]; };           // (K)
#include "conv2d_push.glsl"

shared float partial[256];

void main() {
  const uint k = gl_WorkGroupID.x, lid = gl_LocalInvocationID.x, L = gl_WorkGroupSize.x;
  const uint OHW = p.OH * p.OW;
  float sum = 0.0;
  for (uint v = p.range_begin + lid; v < p.range_end; v += L) sum += dy[p.y_off + (v / OHW * p.K + k) * OHW + v % OHW];
  partial[lid] = sum;
  barrier();
  for (uint half_ = L / 2; half_ > 0; half_ /= 2) {
    if (lid < half_) partial[lid] += partial[lid + half_];
    barrier();
  }
  if (lid == 0) db[k] = ((p.flags & CONV_ACCUMULATE) != 0u ? db[k] : 0.0) + partial[0];
}
