#version 450
// Bandwidth probe with 64-bit elements: dst[i] = src[i] for i < count, two 64-bit elements
// (16 bytes) per invocation. The same bytes as probe_copy.comp in half the element loads:
// drivers that load a storage-buffer element at a time per lane (Mesa gallivm) may move
// more per load. Needs shaderInt64. Bytes moved: 2 * 16 * count.
// Specialization: 0 = local size x. Dispatch: ceil(count / local).
#extension GL_EXT_shader_explicit_arithmetic_types_int64 : require
layout(local_size_x_id = 0) in;

layout(binding = 0) readonly buffer Src_ { u64vec2 src[]; };  // (count)
layout(binding = 1) writeonly buffer Dst_ { u64vec2 dst[]; }; // (count)
layout(push_constant) uniform Params { uint count; } p;

void main() {
  const uint i = gl_GlobalInvocationID.x;
  if (i >= p.count) return;
  dst[i] = src[i];
}
