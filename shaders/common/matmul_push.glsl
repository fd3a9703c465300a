// Push block shared by the matmul variants; mirrored by MatmulPush in graph/src/ops/matmul.cpp.
// C[z] (M,N) = act(alpha * A[z](M,K) · B[z](K,N) + bias + (accumulate ? C[z] : 0)), with
// element strides so that transposed operands need no copy:
//   A(m,k) = a[z*a_batch + m*a_m + k*a_k], B(k,n) = b[z*b_batch + k*b_k + n*b_n],
//   C(m,n) = c[z*c_batch + m*c_m + n*c_n].
#define MATMUL_BIAS_ROW 1u     // bias[m] added to row m
#define MATMUL_BIAS_COL 2u     // bias[n] added to column n
#define MATMUL_RELU 4u         // max(., 0) in the epilogue
#define MATMUL_ACCUMULATE 8u   // add the existing C
layout(push_constant) uniform Push {
  uint M, N, K;
  uint a_m, a_k, b_k, b_n, c_m, c_n;
  uint a_batch, b_batch, c_batch;
  uint bias_batch;  // bias offset per z (grouped convolution)
  uint flags;
  float alpha;
} p;

float matmul_epilogue(float acc, uint m, uint n, uint z) {
  float v = p.alpha * acc;
  if ((p.flags & MATMUL_BIAS_ROW) != 0u) v += bias[z * p.bias_batch + m];
  if ((p.flags & MATMUL_BIAS_COL) != 0u) v += bias[z * p.bias_batch + n];
  uint ci = z * p.c_batch + m * p.c_m + n * p.c_n;
  if ((p.flags & MATMUL_ACCUMULATE) != 0u) v += c[ci];
  if ((p.flags & MATMUL_RELU) != 0u) v = max(v, 0.0);
  return v;
}
