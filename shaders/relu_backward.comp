#version 450
// ReLU backward from the forward's output: dx = dy * [y > 0] (the same as [x > 0], and it
// lets the forward overwrite x). flags & RELU_ACCUMULATE: dx += instead of dx =.
// Variant relu_backward_inplace (RELU_IN_PLACE, shaders/CMakeLists.txt): g = g * [y > 0],
// where g holds dy on entry and dx on exit (binding 1; there is no binding 2).
// Variants relu_backward_f16 and relu_backward_inplace_f16 (VKNN_F16): y, the saved forward
// output, is fp16 in memory (storage.glsl); the gradients stay fp32. fp16 keeps the sign and
// zero of y, so the mask is the one the fp32 value would give.
// Specialization: 0 = local size x. Dispatch: ceil(count / local).
#include "storage.glsl"
layout(local_size_x_id = 0) in;

layout(binding = 0) readonly buffer Y_ { STORE_T y[]; }; // (count), the forward's output
#ifdef RELU_IN_PLACE
layout(binding = 1) buffer G_ { float g[]; };            // (count): dy in, dx out
#else
layout(binding = 1) readonly buffer DY_ { float dy[]; }; // (count)
layout(binding = 2) buffer DX_ { float dx[]; };          // (count)
#endif
#include "relu_push.glsl"

void main() {
  const uint i = gl_GlobalInvocationID.x;
  if (i >= p.count) return;
#ifdef RELU_IN_PLACE
  if (!(float(y[i]) > 0.0)) g[i] = 0.0;
#else
  float g = float(y[i]) > 0.0 ? dy[i] : 0.0;
  if ((p.flags & RELU_ACCUMULATE) != 0u) g += dx[i];
  dx[i] = g;
#endif
}
