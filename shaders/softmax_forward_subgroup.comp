#version 450
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_arithmetic : require
// Softmax over rows of K contiguous elements (x viewed as (rows, K), inner = 1), one subgroup
// per row: the lanes stride along the row and reduce with subgroupMax and subgroupAdd, so a
// few long rows (a classifier's (N,1000) output) still spread over the lanes, and neighbouring
// lanes read neighbouring elements. The math is softmax_forward.comp's:
//   softmax_forward_subgroup:      y_k = exp(x_k - m) / s,   s = sum_j exp(x_j - m)
//   log_softmax_forward_subgroup (LOG_SOFTMAX): y_k = (x_k - m) - log(s)
// The lane count and index come from subgroupAdd over the active lanes, so a subgroup that is
// not full still covers its row. Specialization: 0 = local size x (a multiple of the subgroup
// size). Dispatch: min(ceil(rows / subgroups per workgroup), 65535) workgroups; the grid
// strides over further rows.
layout(local_size_x_id = 0) in;

layout(binding = 0) readonly buffer X_ { float x[]; };   // (rows, K)
layout(binding = 1) writeonly buffer Y_ { float y[]; };  // (rows, K)
layout(push_constant) uniform Params {
  uint rows;   // outer
  uint k;      // the softmax axis' extent K
  uint inner;  // 1
  uint flags;  // unused by the forward
} p;

void main() {
  const uint lanes = subgroupAdd(1u), lane = subgroupExclusiveAdd(1u);
  const uint stride = gl_NumWorkGroups.x * gl_NumSubgroups;
  for (uint r = gl_WorkGroupID.x * gl_NumSubgroups + gl_SubgroupID; r < p.rows; r += stride) {
    const uint base = r * p.k;
    float m = uintBitsToFloat(0xff800000u);  // -inf
    for (uint j = lane; j < p.k; j += lanes) m = max(m, x[base + j]);
    m = subgroupMax(m);
    float s = 0.0;
    for (uint j = lane; j < p.k; j += lanes) s += exp(x[base + j] - m);
    s = subgroupAdd(s);
#ifdef LOG_SOFTMAX
    const float log_s = log(s);
    for (uint j = lane; j < p.k; j += lanes) y[base + j] = (x[base + j] - m) - log_s;
#else
    const float inv_s = 1.0 / s;
    for (uint j = lane; j < p.k; j += lanes) y[base + j] = exp(x[base + j] - m) * inv_s;
#endif
  }
}
