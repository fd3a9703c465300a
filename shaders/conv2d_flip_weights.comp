#version 450
// The weights of a convolution's transposed form, for the backward data of a stride-1 layer
// with one group run as a forward convolution of dy (conv2d_backward.cpp):
//   wt[c, k, R-1-r, S-1-s] = w[k, c, r, s],   w (K,C,R,S) -> wt (C,K,R,S)
// with p.K, p.Cg (= C), p.R, p.S. One invocation per element of w.
// Specialization: 0 = local size x. Dispatch: ceil(K*C*R*S / LX).
layout(local_size_x_id = 0) in;

layout(binding = 0) readonly buffer Wt_ { float w[]; };    // (K,C,R,S)
layout(binding = 1) writeonly buffer Wf_ { float wt[]; };  // (C,K,R,S)
#include "conv2d_push.glsl"

void main() {
  const uint i = gl_GlobalInvocationID.x, RS = p.R * p.S;
  if (i >= p.K * p.Cg * RS) return;
  const uint k = i / (p.Cg * RS), c = (i / RS) % p.Cg, r = (i % RS) / p.S, s = i % p.S;
  wt[(c * p.K + k) * RS + (p.R - 1 - r) * p.S + (p.S - 1 - s)] = w[i];
}
