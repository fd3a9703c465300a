#version 450
// Sums the split partial sums of conv2d_backward_weight_*: dw[i] = sum_{t < splits} part[t][i]
// (+ dw[i] when CONV_ACCUMULATE), for i < K*Cg*R*S. Push block: conv2d_push.glsl.
// Specialization: 0 = local size x. Dispatch: (ceil(K*Cg*R*S / local size)).
layout(local_size_x_id = 0) in;
layout(binding = 0) readonly buffer Part_ { float part[]; };  // (splits, K, Cg, R, S)
layout(binding = 1) buffer Dw_ { float dw[]; };               // (K, Cg, R, S)
#include "conv2d_push.glsl"

void main() {
  const uint count = p.K * p.Cg * p.R * p.S;
  const uint i = gl_GlobalInvocationID.x;
  if (i >= count) return;
  float sum = (p.flags & CONV_ACCUMULATE) != 0u ? dw[i] : 0.0;
  for (uint t = 0; t < p.splits; ++t) sum += part[t * count + i];
  dw[i] = sum;
}
