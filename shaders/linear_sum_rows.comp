#version 450
// Sum over rows (the bias gradient): out[c] (+)= sum_{n < outer} sum_{i < inner} x[(n*channels + c)*inner + i].
// (N,OUT) -> (OUT) for linear's db (inner = 1); (N,C,H,W) -> (C) for a convolution's
// (inner = H*W). One invocation per channel, rows in order (deterministic); each row's inner
// run is summed on its own first, so the float error grows with outer + inner, not their product.
// Specialization: 0 = local size x. Dispatch: ceil(channels / local).
layout(local_size_x_id = 0) in;

layout(binding = 0) readonly buffer X_ { float x[]; };  // (outer, channels, inner)
layout(binding = 1) buffer Out_ { float o[]; };         // (channels)
#include "linear_push.glsl"

void main() {
  const uint c = gl_GlobalInvocationID.x;
  if (c >= p.channels) return;
  float total = 0.0;
  for (uint n = 0u; n < p.outer; ++n) {
    const uint base = (n * p.channels + c) * p.inner;
    float run = 0.0;
    for (uint i = 0u; i < p.inner; ++i) run += x[base + i];
    total += run;
  }
  if ((p.flags & SUM_ACCUMULATE) != 0u) total += o[c];
  o[c] = total;
}
