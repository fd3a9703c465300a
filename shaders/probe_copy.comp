#version 450
// Bandwidth probe: dst[i] = src[i] for i < count, one vec4 (16 bytes) per invocation, so
// every byte is read once and written once. Bytes moved: 2 * 16 * count.
// Specialization: 0 = local size x. Dispatch: ceil(count / local).
layout(local_size_x_id = 0) in;

layout(binding = 0) readonly buffer Src_ { vec4 src[]; };  // (count)
layout(binding = 1) writeonly buffer Dst_ { vec4 dst[]; }; // (count)
layout(push_constant) uniform Params { uint count; } p;

void main() {
  const uint i = gl_GlobalInvocationID.x;
  if (i >= p.count) return;
  dst[i] = src[i];
}
