#version 450
// Matmul where B and C are contiguous along N (b_n = c_n = 1) and either M or K is small:
// the batch-1 fully connected backward to data (dx = dy·W) and the weight gradient's outer
// product (dW = dyᵀ·x with K = batch). One invocation per column n: neighbouring lanes read
// and write neighbouring floats, while the A element of each (m, k) is the same for every
// lane. Rows are walked inside the invocation. See matmul_push.glsl for the math.
// Specialization: 0 = local size x. Dispatch: (ceil(N/local), 1, batches).
layout(local_size_x_id = 0) in;

layout(binding = 0) readonly buffer A_ { float a[]; };
layout(binding = 1) readonly buffer B_ { float b[]; };
layout(binding = 2) readonly buffer Bias_ { float bias[]; };
layout(binding = 3) buffer C_ { float c[]; };
#include "matmul_push.glsl"

void main() {
  const uint z = gl_WorkGroupID.z;
  const uint n = gl_GlobalInvocationID.x;
  if (n >= p.N) return;
  const uint bcol = z * p.b_batch + n;
  for (uint m = 0; m < p.M; ++m) {
    const uint arow = z * p.a_batch + m * p.a_m;
    float acc = 0.0;
    for (uint k = 0; k < p.K; ++k) acc = fma(a[arow + k * p.a_k], b[bcol + k * p.b_k], acc);
    c[z * p.c_batch + m * p.c_m + n] = matmul_epilogue(acc, m, n, z);
  }
}
