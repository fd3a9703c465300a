#version 450
// Dropout, forward and backward alike (the mask is recomputed, never stored):
//   keep = philox_uniform(counter = {base + i, step, 0, 0}, key = {seed_lo, seed_hi}) >= rate
//   out (+)= keep ? in * scale : 0, scale = 1 / (1 - rate)
// forward: in = x, out = y; backward: in = dy, out = dx. Not training: out (+)= in.
// With DROPOUT_STEP_BUFFER, step and training come from the StepParams buffer (binding 2,
// vknn/graph/graph.h: words 0 step, 1 seed_lo, 2 seed_hi, 5 training) and its seed is XORed
// into the push block's (a per-layer salt), so a recorded command list draws a new mask
// every step; otherwise all come from the push block.
// Specialization: 0 = local size x. Dispatch: ceil(count / local).
layout(local_size_x_id = 0) in;

layout(binding = 0) readonly buffer In_ { float src[]; };   // (count)
layout(binding = 1) buffer Out_ { float dst[]; };           // (count)
layout(binding = 2) readonly buffer Step_ { uint st[]; };   // StepParams, or a stand-in
#include "dropout_push.glsl"
#include "philox.glsl"

void main() {
  const uint i = gl_GlobalInvocationID.x;
  if (i >= p.count) return;
  uint step = p.step;
  uvec2 key = uvec2(p.seed_lo, p.seed_hi);
  bool training = (p.flags & DROPOUT_TRAINING) != 0u;
  if ((p.flags & DROPOUT_STEP_BUFFER) != 0u) {
    step = st[0];
    key ^= uvec2(st[1], st[2]);  // the run's seed, salted with the layer's
    training = training && st[5] != 0u;
  }
  float v = src[i];
  if (training) v = dropout_uniform(p.base + i, step, key) >= p.rate ? v * p.scale : 0.0;
  if ((p.flags & DROPOUT_ACCUMULATE) != 0u) v += dst[i];
  dst[i] = v;
}
