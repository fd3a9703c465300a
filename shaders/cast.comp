#version 450
// Element type conversion: y[i] = x[i]. Narrowing to fp16 rounds to a nearby binary16 value
// (Vulkan leaves the rounding mode of OpFConvert to the implementation: nearest-even or toward
// zero); values beyond its range become infinities. Widening to fp32 is exact.
// Variants (shaders/CMakeLists.txt): cast_to_f16 (CAST_TO_F16): x fp32, y fp16;
// cast_to_f32 (CAST_TO_F32): x fp16, y fp32. Both need storageBuffer16BitAccess.
// Specialization: 0 = local size x. Dispatch: ceil(count / local).
#extension GL_EXT_shader_16bit_storage : require
layout(local_size_x_id = 0) in;

#ifdef CAST_TO_F16
layout(binding = 0) readonly buffer X_ { float x[]; };        // (count)
layout(binding = 1) writeonly buffer Y_ { float16_t y[]; };   // (count)
#define CONVERT(v) float16_t(v)
#else
layout(binding = 0) readonly buffer X_ { float16_t x[]; };    // (count)
layout(binding = 1) writeonly buffer Y_ { float y[]; };       // (count)
#define CONVERT(v) float(v)
#endif
layout(push_constant) uniform Push {
  uint count;
} p;

void main() {
  const uint i = gl_GlobalInvocationID.x;
  if (i >= p.count) return;
  y[i] = CONVERT(x[i]);
}
