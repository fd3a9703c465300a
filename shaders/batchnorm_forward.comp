#version 450
// Batch normalization forward, one workgroup per channel c (M = N*H*W elements):
//   training:  mean = sum x / M, var = sum (x - mean)^2 / M (two passes, biased),
//              invstd = 1 / sqrt(var + eps); save_mean[c] = mean, save_invstd[c] = invstd;
//              running_mean = (1-m)*running_mean + m*mean,
//              running_var  = (1-m)*running_var  + m*var*unbias (unbias = M/(M-1); 1 if M == 1 or
//              the running variance is ONNX's biased one)
//   inference: mean = running_mean[c], invstd = 1 / sqrt(running_var[c] + eps);
//              saved as above when BN_SAVE (for an inference backward)
//   BN_GIVEN (training, synchronized over processes): mean = given[c], var = given[C + c] and
//              the running variance takes given[2C + c] (unbiased over the whole batch)
//   y = gamma[c] * (x - mean) * invstd + beta[c], then max(y, 0) when BN_RELU.
// Each invocation keeps fp32 partial sums in registers over a strided share of the channel,
// then a workgroup tree sums them (batchnorm_reduce.glsl).
// Variant batchnorm_forward_f16 (VKNN_F16): x and y are fp16 in memory (storage.glsl); the
// statistics, their sums and the per-channel tensors stay fp32.
// Specialization: 0 = local size x (a power of two). Dispatch: (C, 1, 1).
#include "storage.glsl"
layout(local_size_x_id = 0) in;

layout(binding = 0) readonly buffer X_ { STORE_T x[]; };             // (N,C,H,W)
layout(binding = 1) readonly buffer Gamma_ { float gamma[]; };       // (C)
layout(binding = 2) readonly buffer Beta_ { float beta[]; };         // (C)
layout(binding = 3) buffer RunningMean_ { float running_mean[]; };   // (C), updated when training
layout(binding = 4) buffer RunningVar_ { float running_var[]; };     // (C), updated when training
layout(binding = 5) writeonly buffer Y_ { STORE_T y[]; };            // (N,C,H,W)
layout(binding = 6) writeonly buffer SaveMean_ { float save_mean[]; };     // (C)
layout(binding = 7) writeonly buffer SaveInvstd_ { float save_invstd[]; }; // (C)
layout(binding = 8) readonly buffer Given_ { float given[]; };             // (3,C) with BN_GIVEN; any buffer otherwise
#include "batchnorm_push.glsl"
#include "batchnorm_reduce.glsl"

void main() {
  const uint c = gl_WorkGroupID.x;
  const uint l = gl_LocalInvocationID.x;
  const uint L = gl_WorkGroupSize.x;
  float mean, invstd;
  if ((p.flags & (BN_TRAINING | BN_GIVEN)) == (BN_TRAINING | BN_GIVEN)) {
    mean = given[c];
    invstd = 1.0 / sqrt(given[p.C + c] + p.eps);
    if (l == 0u) {
      save_mean[c] = mean;
      save_invstd[c] = invstd;
      running_mean[c] = (1.0 - p.momentum) * running_mean[c] + p.momentum * mean;
      running_var[c] = (1.0 - p.momentum) * running_var[c] + p.momentum * given[2u * p.C + c];
    }
  } else if ((p.flags & BN_TRAINING) != 0u) {
    float s = 0.0;
    for (uint n = 0; n < p.N; ++n) {
      const uint base = (n * p.C + c) * p.HW;
      for (uint e = l; e < p.HW; e += L) s += float(x[base + e]);
    }
    mean = bn_workgroup_sum2(s, 0.0).x * p.inv_m;
    float q = 0.0;
    for (uint n = 0; n < p.N; ++n) {
      const uint base = (n * p.C + c) * p.HW;
      for (uint e = l; e < p.HW; e += L) {
        const float d = float(x[base + e]) - mean;
        q = fma(d, d, q);
      }
    }
    const float var = bn_workgroup_sum2(q, 0.0).x * p.inv_m;
    invstd = 1.0 / sqrt(var + p.eps);
    if (l == 0u) {
      save_mean[c] = mean;
      save_invstd[c] = invstd;
      running_mean[c] = (1.0 - p.momentum) * running_mean[c] + p.momentum * mean;
      running_var[c] = (1.0 - p.momentum) * running_var[c] + p.momentum * var * p.unbias;
    }
  } else {
    mean = running_mean[c];
    invstd = 1.0 / sqrt(running_var[c] + p.eps);
    if (l == 0u && (p.flags & BN_SAVE) != 0u) {
      save_mean[c] = mean;
      save_invstd[c] = invstd;
    }
  }
  const float g = gamma[c], b = beta[c];
  const bool relu = (p.flags & BN_RELU) != 0u;
  for (uint n = 0; n < p.N; ++n) {
    const uint base = (n * p.C + c) * p.HW;
    for (uint e = l; e < p.HW; e += L) {
      float v = fma(g, (float(x[base + e]) - mean) * invstd, b);
      if (relu) v = max(v, 0.0);
      y[base + e] = TO_STORE(v);
    }
  }
}
