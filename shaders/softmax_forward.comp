#version 450
// Softmax over K along one axis of x viewed as (outer, K, inner), stably (m = the row's maximum):
//   softmax_forward:      y_k = exp(x_k - m) / s,   s = sum_j exp(x_j - m)
//   log_softmax_forward (LOG_SOFTMAX): y_k = (x_k - m) - log(s)
// One invocation per row r = o * inner + i, whose elements lie at o * K * inner + i + k * inner:
// neighbouring invocations read neighbouring elements when inner > 1 (a channel softmax).
// Specialization: 0 = local size x. Dispatch: min(ceil(rows / local), 65535) workgroups; the
// grid strides over further rows.
layout(local_size_x_id = 0) in;

layout(binding = 0) readonly buffer X_ { float x[]; };   // (outer, K, inner)
layout(binding = 1) writeonly buffer Y_ { float y[]; };  // (outer, K, inner)
layout(push_constant) uniform Params {
  uint rows;   // outer * inner
  uint k;      // the softmax axis' extent K
  uint inner;  // the stride between a row's elements
  uint flags;  // unused by the forward
} p;

void main() {
  const uint stride = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
  for (uint r = gl_GlobalInvocationID.x; r < p.rows; r += stride) {
    const uint o = r / p.inner;
    const uint base = o * p.k * p.inner + (r - o * p.inner);
    float m = x[base];
    for (uint j = 1; j < p.k; ++j) m = max(m, x[base + j * p.inner]);
    float s = 0.0;
    for (uint j = 0; j < p.k; ++j) s += exp(x[base + j * p.inner] - m);
#ifdef LOG_SOFTMAX
    const float log_s = log(s);
    for (uint j = 0; j < p.k; ++j) y[base + j * p.inner] = (x[base + j * p.inner] - m) - log_s;
#else
    const float inv_s = 1.0 / s;
    for (uint j = 0; j < p.k; ++j) y[base + j * p.inner] = exp(x[base + j * p.inner] - m) * inv_s;
#endif
  }
}
