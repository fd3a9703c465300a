#version 450
// Batch normalization inference forward, elementwise (no statistics to reduce):
//   y = gamma[c] * (x - running_mean[c]) / sqrt(running_var[c] + eps) + beta[c],
//   then max(y, 0) when BN_RELU. Same arithmetic as batchnorm_forward.comp's inference path.
// Specialization: 0 = local size x. Dispatch: (ceil(H*W / local), C, N): the channel is
// the workgroup's y, so its statistics are uniform and no invocation divides.
// Variant batchnorm_inference_f16 (VKNN_F16): x and y are fp16 in memory (storage.glsl); the
// per-channel tensors stay fp32.
#include "storage.glsl"
layout(local_size_x_id = 0) in;

layout(binding = 0) readonly buffer X_ { STORE_T x[]; };                    // (N,C,H,W)
layout(binding = 1) readonly buffer Gamma_ { float gamma[]; };              // (C)
layout(binding = 2) readonly buffer Beta_ { float beta[]; };                // (C)
layout(binding = 3) readonly buffer RunningMean_ { float running_mean[]; }; // (C)
layout(binding = 4) readonly buffer RunningVar_ { float running_var[]; };   // (C)
layout(binding = 5) writeonly buffer Y_ { STORE_T y[]; };                   // (N,C,H,W)
#include "batchnorm_push.glsl"

void main() {
  const uint hw = gl_GlobalInvocationID.x;
  if (hw >= p.HW) return;
  const uint c = gl_WorkGroupID.y;
  const uint i = (gl_WorkGroupID.z * p.C + c) * p.HW + hw;
  const float invstd = 1.0 / sqrt(running_var[c] + p.eps);
  float v = fma(gamma[c], (float(x[i]) - running_mean[c]) * invstd, beta[c]);
  if ((p.flags & BN_RELU) != 0u) v = max(v, 0.0);
  y[i] = TO_STORE(v);
}
