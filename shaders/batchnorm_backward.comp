#version 450
// Batch normalization backward, one workgroup per channel c (M = N*H*W elements), with the
// statistics the forward saved (training: batch mean/invstd; inference: running ones):
//   g = dy, or dy masked by y > 0 when BN_RELU (the forward fused a ReLU)
//   xhat = (x - mean) * invstd
//   dbeta[c] = sum g, dgamma[c] = sum g * xhat       (+= when BN_ACCUMULATE_PARAMS)
//   training:  dx = gamma * invstd * (g - dbeta/M - xhat * dgamma/M)
//   inference: dx = gamma * invstd * g                (+= when BN_ACCUMULATE_DX)
// dx uses this call's sums, never the accumulated dgamma/dbeta.
// BN_GIVEN (training, synchronized over processes): dx takes dbeta/M and dgamma/M of the
// whole batch from given[c] and given[C + c]; dgamma and dbeta stay this process's sums
// (the gradient all-reduce averages them like any parameter gradient).
// Variant batchnorm_backward_f16 (VKNN_F16): x and y, the saved forward tensors, are fp16 in
// memory (storage.glsl); the gradients, the statistics and the sums stay fp32.
// Specialization: 0 = local size x (a power of two). Dispatch: (C, 1, 1).
#include "storage.glsl"
layout(local_size_x_id = 0) in;

layout(binding = 0) readonly buffer X_ { STORE_T x[]; };                 // (N,C,H,W)
layout(binding = 1) readonly buffer Gamma_ { float gamma[]; };           // (C)
layout(binding = 2) readonly buffer SaveMean_ { float save_mean[]; };    // (C)
layout(binding = 3) readonly buffer SaveInvstd_ { float save_invstd[]; };// (C)
layout(binding = 4) readonly buffer Y_ { STORE_T y[]; };                 // (N,C,H,W); any buffer without BN_RELU
layout(binding = 5) readonly buffer DY_ { float dy[]; };                 // (N,C,H,W)
layout(binding = 6) buffer DX_ { float dx[]; };                          // (N,C,H,W)
layout(binding = 7) buffer DGamma_ { float dgamma[]; };                  // (C)
layout(binding = 8) buffer DBeta_ { float dbeta[]; };                    // (C)
layout(binding = 9) readonly buffer Given_ { float given[]; };           // (2,C) with BN_GIVEN; any buffer otherwise
#include "batchnorm_push.glsl"
#include "batchnorm_reduce.glsl"

void main() {
  const uint c = gl_WorkGroupID.x;
  const uint l = gl_LocalInvocationID.x;
  const uint L = gl_WorkGroupSize.x;
  const float mean = save_mean[c], invstd = save_invstd[c];
  const bool relu = (p.flags & BN_RELU) != 0u;
  float sg = 0.0, sgx = 0.0;
  for (uint n = 0; n < p.N; ++n) {
    const uint base = (n * p.C + c) * p.HW;
    for (uint e = l; e < p.HW; e += L) {
      const uint i = base + e;
      float g = dy[i];
      if (relu && !(float(y[i]) > 0.0)) g = 0.0;
      sg += g;
      sgx = fma(g, (float(x[i]) - mean) * invstd, sgx);
    }
  }
  const vec2 sums = bn_workgroup_sum2(sg, sgx);
  const float db = sums.x, dg = sums.y;
  if (l == 0u) {
    const bool acc = (p.flags & BN_ACCUMULATE_PARAMS) != 0u;
    dgamma[c] = acc ? dgamma[c] + dg : dg;
    dbeta[c] = acc ? dbeta[c] + db : db;
  }
  const float a = gamma[c] * invstd;
  const bool training = (p.flags & BN_TRAINING) != 0u;
  const bool given_means = training && (p.flags & BN_GIVEN) != 0u;
  const float mb = given_means ? given[c] : training ? db * p.inv_m : 0.0;
  const float mg = given_means ? given[p.C + c] : training ? dg * p.inv_m : 0.0;
  const bool acc_dx = (p.flags & BN_ACCUMULATE_DX) != 0u;
  for (uint n = 0; n < p.N; ++n) {
    const uint base = (n * p.C + c) * p.HW;
    for (uint e = l; e < p.HW; e += L) {
      const uint i = base + e;
      float g = dy[i];
      if (relu && !(float(y[i]) > 0.0)) g = 0.0;
      const float xhat = (float(x[i]) - mean) * invstd;
      float v = a * (g - mb - xhat * mg);
      if (acc_dx) v += dx[i];
      dx[i] = v;
    }
  }
}
