#version 450
// Backward of the softmax over K along one axis, from the forward's output y (a tensor viewed
// as (outer, K, inner), as in softmax_forward.comp):
//   softmax_backward:      dx_k = y_k * (dy_k - sum_j dy_j y_j)
//   log_softmax_backward (LOG_SOFTMAX): dx_k = dy_k - exp(y_k) * sum_j dy_j
// (flags & 1: dx += instead of dx =). One invocation per row, as the forward.
// Specialization: 0 = local size x. Dispatch: min(ceil(rows / local), 65535) workgroups; the
// grid strides over further rows.
layout(local_size_x_id = 0) in;

layout(binding = 0) readonly buffer Y_ { float y[]; };    // (outer, K, inner), the forward's output
layout(binding = 1) readonly buffer DY_ { float dy[]; };  // (outer, K, inner)
layout(binding = 2) buffer DX_ { float dx[]; };           // (outer, K, inner)
layout(push_constant) uniform Params {
  uint rows;   // outer * inner
  uint k;      // the softmax axis' extent K
  uint inner;  // the stride between a row's elements
  uint flags;  // 1: accumulate
} p;

void main() {
  const uint stride = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
  const bool accumulate = (p.flags & 1u) != 0u;
  for (uint r = gl_GlobalInvocationID.x; r < p.rows; r += stride) {
    const uint o = r / p.inner;
    const uint base = o * p.k * p.inner + (r - o * p.inner);
    float d = 0.0;
    for (uint j = 0; j < p.k; ++j) {
      const uint e = base + j * p.inner;
#ifdef LOG_SOFTMAX
      d += dy[e];
#else
      d += dy[e] * y[e];
#endif
    }
    for (uint j = 0; j < p.k; ++j) {
      const uint e = base + j * p.inner;
#ifdef LOG_SOFTMAX
      float g = dy[e] - exp(y[e]) * d;
#else
      float g = y[e] * (dy[e] - d);
#endif
      if (accumulate) g += dx[e];
      dx[e] = g;
    }
  }
}
