#version 450
// Batched matmul for GPUs: a 64x64 tile of C per 256-invocation workgroup, K staged
// through shared memory 16 at a time, each invocation holding a 4x4 block in registers.
// See matmul_push.glsl for the math. Dispatch: (ceil(N/64), ceil(M/64), batches).
layout(local_size_x = 16, local_size_y = 16) in;
#define BM 64
#define BN 64
#define BK 16
#define TM 4
#define TN 4

layout(binding = 0) readonly buffer A_ { float a[]; };
layout(binding = 1) readonly buffer B_ { float b[]; };
layout(binding = 2) readonly buffer Bias_ { float bias[]; };
layout(binding = 3) buffer C_ { float c[]; };
#include "matmul_push.glsl"

shared float As[BK][BM + 1];  // +1 avoids bank conflicts on the transposed store
shared float Bs[BK][BN + 1];

void main() {
  const uint z = gl_WorkGroupID.z;
  const uint tile_m = gl_WorkGroupID.y * BM, tile_n = gl_WorkGroupID.x * BN;
  const uint tx = gl_LocalInvocationID.x, ty = gl_LocalInvocationID.y;
  const uint tid = ty * 16 + tx;

  float acc[TM][TN];
  for (uint i = 0; i < TM; ++i)
    for (uint j = 0; j < TN; ++j) acc[i][j] = 0.0;

  for (uint k0 = 0; k0 < p.K; k0 += BK) {
    // 256 invocations load 64x16 of A and 16x64 of B: 4 elements each.
    for (uint e = tid; e < BM * BK; e += 256) {
      const uint mm = e / BK, kk = e % BK;
      const uint m = tile_m + mm, k = k0 + kk;
      As[kk][mm] = (m < p.M && k < p.K) ? a[z * p.a_batch + m * p.a_m + k * p.a_k] : 0.0;
    }
    for (uint e = tid; e < BN * BK; e += 256) {
      const uint kk = e / BN, nn = e % BN;
      const uint n = tile_n + nn, k = k0 + kk;
      Bs[kk][nn] = (n < p.N && k < p.K) ? b[z * p.b_batch + k * p.b_k + n * p.b_n] : 0.0;
    }
    barrier();
    for (uint kk = 0; kk < BK; ++kk) {
      float av[TM];
      float bv[TN];
      for (uint i = 0; i < TM; ++i) av[i] = As[kk][ty * TM + i];
      for (uint j = 0; j < TN; ++j) bv[j] = Bs[kk][tx * TN + j];
      for (uint i = 0; i < TM; ++i)
        for (uint j = 0; j < TN; ++j) acc[i][j] = fma(av[i], bv[j], acc[i][j]);
    }
    barrier();
  }

  for (uint i = 0; i < TM; ++i) {
    const uint m = tile_m + ty * TM + i;
    if (m >= p.M) break;
    for (uint j = 0; j < TN; ++j) {
      const uint n = tile_n + tx * TN + j;
      if (n >= p.N) break;
      c[z * p.c_batch + m * p.c_m + n * p.c_n] = matmul_epilogue(acc[i][j], m, n, z);
    }
  }
}
