#version 450
// A channel slice copy between (N,C,H,W) tensors, the building block of concat and split:
//   dst[n*dst_stride + dst_offset + j] (+)= src[n*src_stride + src_offset + j], j < cols.
// Concat copies each input into its channel slice of the output; split (and concat's
// backward) copies each slice out; CONCAT_ACCUMULATE adds instead (summed gradients).
// Specialization: 0 = local size x. Dispatch: (ceil(cols / local), rows): the image is the
// workgroup's y, so no invocation divides.
layout(local_size_x_id = 0) in;

layout(binding = 0) readonly buffer Src_ { float src[]; };  // (N, C_src, H, W)
layout(binding = 1) buffer Dst_ { float dst[]; };           // (N, C_dst, H, W)
#include "concat_push.glsl"

void main() {
  const uint j = gl_GlobalInvocationID.x;
  if (j >= p.cols) return;
  const uint n = gl_WorkGroupID.y;
  const uint d = n * p.dst_stride + p.dst_offset + j;
  float v = src[n * p.src_stride + p.src_offset + j];
  if ((p.flags & CONCAT_ACCUMULATE) != 0u) v += dst[d];
  dst[d] = v;
}
