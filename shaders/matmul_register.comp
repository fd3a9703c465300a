#version 450
// Batched matmul, register-blocked: each invocation accumulates a TM x TN block of
// outer products in registers, with no shared memory. This is the fast shape for CPU
// drivers (lavapipe runs invocations as SIMD lanes; barrier() there costs a thread
// switch), see matmul_push.glsl for the math.
// Specialization: 0,1 = local size x,y. Dispatch: (ceil(N/TN)/lx, ceil(M/TM)/ly, batches).
layout(local_size_x_id = 0, local_size_y_id = 1) in;
#define TM 8
#define TN 8

layout(binding = 0) readonly buffer A_ { float a[]; };
layout(binding = 1) readonly buffer B_ { float b[]; };
layout(binding = 2) readonly buffer Bias_ { float bias[]; };
layout(binding = 3) buffer C_ { float c[]; };
#include "matmul_push.glsl"

void main() {
  const uint z = gl_WorkGroupID.z;
  const uint m0 = gl_GlobalInvocationID.y * TM;
  const uint n0 = gl_GlobalInvocationID.x * TN;
  if (m0 >= p.M || n0 >= p.N) return;

  // Rows and columns past the edge read a clamped (valid) element and are never stored.
  uint arow[TM];
  uint bcol[TN];
  for (uint i = 0; i < TM; ++i) arow[i] = z * p.a_batch + min(m0 + i, p.M - 1) * p.a_m;
  for (uint j = 0; j < TN; ++j) bcol[j] = z * p.b_batch + min(n0 + j, p.N - 1) * p.b_n;

  float acc[TM][TN];
  for (uint i = 0; i < TM; ++i)
    for (uint j = 0; j < TN; ++j) acc[i][j] = 0.0;

  for (uint k = 0; k < p.K; ++k) {
    float av[TM];
    float bv[TN];
    for (uint i = 0; i < TM; ++i) av[i] = a[arow[i] + k * p.a_k];
    for (uint j = 0; j < TN; ++j) bv[j] = b[bcol[j] + k * p.b_k];
    for (uint i = 0; i < TM; ++i)
      for (uint j = 0; j < TN; ++j) acc[i][j] = fma(av[i], bv[j], acc[i][j]);
  }

  for (uint i = 0; i < TM; ++i) {
    const uint m = m0 + i;
    if (m >= p.M) break;
    for (uint j = 0; j < TN; ++j) {
      const uint n = n0 + j;
      if (n >= p.N) break;
      c[z * p.c_batch + m * p.c_m + n * p.c_n] = matmul_epilogue(acc[i][j], m, n, z);
    }
  }
}
