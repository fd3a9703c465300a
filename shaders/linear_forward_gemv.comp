#version 450
// Fully connected forward at small batch, a matrix-vector product per batch row:
//   y[m, o] = act(sum_i x[m, i] * W[o, i] + bias[o]),  m < NB <= 8, o < out.
// Memory-bound: every weight is read once, so the kernel is shaped around the loads. Each
// workgroup owns TO = 8 consecutive outputs; its 64 lanes stride over IN, so neighbouring
// lanes read neighbouring floats of a weight row (coalesced on GPUs) and each x element
// loaded serves 8 weight rows; the 64 partial sums of each output are added in shared
// memory in a fixed order.
// Variant linear_forward_gemv64 (GEMV_WIDE, shaders/CMakeLists.txt): x and W read as 64-bit
// elements (float pairs; IN even, bindings 8-byte aligned; needs shaderInt64). lavapipe loads
// a storage-buffer element one lane and one 32- or 64-bit element at a time (Mesa 22.3
// gallivm, emit_load_mem in lp_bld_nir_soa.c), so 64-bit elements halve its loads; its push
// has in_elems = IN / 2.
// Specialization: 0 = NB, the batch rows (1..8), so every loop has constant bounds.
// Bindings: x (NB, IN), W (out, IN), bias (out) read when flagged, y with row stride
// y_stride (a slice of output columns writes into the full y). Push: linear_gemv_push.glsl.
// Dispatch: (ceil(out / 8), 1, 1).
#ifdef GEMV_WIDE
#extension GL_EXT_shader_explicit_arithmetic_types_int64 : require
#endif
layout(local_size_x = 64) in;
layout(constant_id = 0) const uint NB = 1;  // batch rows, 1..8
#define MAXNB 8
#define TO 8

#ifdef GEMV_WIDE  // the including shader enables GL_EXT_shader_explicit_arithmetic_types_int64
#define ELEM uint64_t
#define ELEM_FLOATS 2
vec2 unpack_elem(uint64_t v) { return uintBitsToFloat(unpackUint2x32(v)); }
#else
#define ELEM float
#define ELEM_FLOATS 1
vec2 unpack_elem(float v) { return vec2(v, 0.0); }
#endif

layout(binding = 0) readonly buffer X_ { ELEM x[]; };         // (NB, IN / ELEM_FLOATS)
layout(binding = 1) readonly buffer W_ { ELEM w[]; };         // (out, IN / ELEM_FLOATS)
layout(binding = 2) readonly buffer Bias_ { float bias[]; };  // (out)
layout(binding = 3) writeonly buffer Y_ { float y[]; };       // (NB, y_stride)
#include "linear_gemv_push.glsl"

shared float partial[64][MAXNB * TO + 1];

void main() {
  const uint o0 = gl_WorkGroupID.x * TO;
  const uint lane = gl_LocalInvocationID.x;
  float acc[MAXNB][TO];
  for (uint m = 0; m < NB; ++m)
    for (uint j = 0; j < TO; ++j) acc[m][j] = 0.0;
  uint wrow[TO];
  for (uint j = 0; j < TO; ++j) wrow[j] = min(o0 + j, p.out_count - 1) * p.in_elems;

  for (uint k = lane; k < p.in_elems; k += 64) {
    vec2 wv[TO];
    for (uint j = 0; j < TO; ++j) wv[j] = unpack_elem(w[wrow[j] + k]);
    for (uint m = 0; m < NB; ++m) {
      const vec2 xv = unpack_elem(x[m * p.in_elems + k]);
      for (uint j = 0; j < TO; ++j) {
        acc[m][j] = fma(xv.x, wv[j].x, acc[m][j]);
#ifdef GEMV_WIDE
        acc[m][j] = fma(xv.y, wv[j].y, acc[m][j]);
#endif
      }
    }
  }
  for (uint m = 0; m < NB; ++m)
    for (uint j = 0; j < TO; ++j) partial[lane][m * TO + j] = acc[m][j];
  barrier();
  // Lane i < NB*TO adds output i's 64 partial sums, in lane order.
  if (lane < NB * TO) {
    const uint m = lane / TO, o = o0 + lane % TO;
    if (o < p.out_count) {
      float s = 0.0;
      for (uint l = 0; l < 64; ++l) s += partial[l][lane];
      if ((p.flags & GEMV_BIAS) != 0u) s += bias[o];
      if ((p.flags & GEMV_RELU) != 0u) s = max(s, 0.0);
      y[m * p.y_stride + o] = s;
    }
  }
}
