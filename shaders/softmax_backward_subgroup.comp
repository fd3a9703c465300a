#version 450
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_arithmetic : require
// Backward of the softmax over rows of K contiguous elements, one subgroup per row, as
// softmax_forward_subgroup.comp; the math is softmax_backward.comp's:
//   softmax_backward_subgroup:      dx_k = y_k * (dy_k - sum_j dy_j y_j)
//   log_softmax_backward_subgroup (LOG_SOFTMAX): dx_k = dy_k - exp(y_k) * sum_j dy_j
// (flags & 1: dx += instead of dx =). Specialization: 0 = local size x (a multiple of the
// subgroup size). Dispatch: min(ceil(rows / subgroups per workgroup), 65535) workgroups; the
// grid strides over further rows.
layout(local_size_x_id = 0) in;

layout(binding = 0) readonly buffer Y_ { float y[]; };    // (rows, K), the forward's output
layout(binding = 1) readonly buffer DY_ { float dy[]; };  // (rows, K)
layout(binding = 2) buffer DX_ { float dx[]; };           // (rows, K)
layout(push_constant) uniform Params {
  uint rows;   // outer
  uint k;      // the softmax axis' extent K
  uint inner;  // 1
  uint flags;  // 1: accumulate
} p;

void main() {
  const uint lanes = subgroupAdd(1u), lane = subgroupExclusiveAdd(1u);
  const uint stride = gl_NumWorkGroups.x * gl_NumSubgroups;
  const bool accumulate = (p.flags & 1u) != 0u;
  for (uint r = gl_WorkGroupID.x * gl_NumSubgroups + gl_SubgroupID; r < p.rows; r += stride) {
    const uint base = r * p.k;
    float d = 0.0;
    for (uint j = lane; j < p.k; j += lanes) {
#ifdef LOG_SOFTMAX
      d += dy[base + j];
#else
      d += dy[base + j] * y[base + j];
#endif
    }
    d = subgroupAdd(d);
    for (uint j = lane; j < p.k; j += lanes) {
      const uint e = base + j;
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
