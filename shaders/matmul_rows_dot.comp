#version 450
// Matmul for a few rows (M <= 4) with A and B both contiguous along K (a_k = b_k = 1): the
// batch-1 fully connected forward, y = x·Wᵀ. Each workgroup computes 8 consecutive columns
// n for every row m; its 64 invocations stride over K, so neighbouring lanes read
// neighbouring floats of the same weight row (a vector load on CPU drivers, coalesced on
// GPUs), and every x element loaded is reused for 8 weight rows. The 64 partial sums are
// then added in shared memory. See matmul_push.glsl for the math.
// Dispatch: (ceil(N/8), 1, batches).
layout(local_size_x = 64) in;
#define MAXM 4
#define TN 8

layout(binding = 0) readonly buffer A_ { float a[]; };
layout(binding = 1) readonly buffer B_ { float b[]; };
layout(binding = 2) readonly buffer Bias_ { float bias[]; };
layout(binding = 3) buffer C_ { float c[]; };
#include "matmul_push.glsl"

shared float partial[64][MAXM * TN + 1];

void main() {
  const uint z = gl_WorkGroupID.z;
  const uint n0 = gl_WorkGroupID.x * TN;
  const uint lane = gl_LocalInvocationID.x;
  float acc[MAXM][TN];
  for (uint m = 0; m < MAXM; ++m)
    for (uint j = 0; j < TN; ++j) acc[m][j] = 0.0;
  uint brow[TN];
  for (uint j = 0; j < TN; ++j) brow[j] = z * p.b_batch + min(n0 + j, p.N - 1) * p.b_n;
  uint arow[MAXM];
  for (uint m = 0; m < MAXM; ++m) arow[m] = z * p.a_batch + min(m, p.M - 1) * p.a_m;

  for (uint k = lane; k < p.K; k += 64) {
    float bv[TN];
    for (uint j = 0; j < TN; ++j) bv[j] = b[brow[j] + k];
    for (uint m = 0; m < MAXM; ++m) {
      if (m >= p.M) break;
      const float av = a[arow[m] + k];
      for (uint j = 0; j < TN; ++j) acc[m][j] = fma(av, bv[j], acc[m][j]);
    }
  }
  for (uint m = 0; m < MAXM; ++m)
    for (uint j = 0; j < TN; ++j) partial[lane][m * TN + j] = acc[m][j];
  barrier();
  // Lane i < MAXM*TN adds up output i's 64 partial sums, in a fixed order.
  if (lane < MAXM * TN) {
    const uint m = lane / TN, n = n0 + lane % TN;
    if (m < p.M && n < p.N) {
      float s = 0.0;
      for (uint l = 0; l < 64; ++l) s += partial[l][lane];
      c[z * p.c_batch + m * p.c_m + n * p.c_n] = matmul_epilogue(s, m, n, z);
    }
  }
}
