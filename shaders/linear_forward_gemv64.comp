#version 450
// linear_forward_gemv.comp with x and W read as 64-bit elements (float pairs; IN even,
// bindings 8-byte aligned; needs shaderInt64). lavapipe loads a storage-buffer element one
// lane and one 32- or 64-bit element at a time (Mesa 22.3 gallivm, emit_load_mem in
// lp_bld_nir_soa.c), so 64-bit elements halve its loads. Push: in_elems = IN / 2.
#extension GL_EXT_shader_explicit_arithmetic_types_int64 : require
#define GEMV_WIDE 1
#include "linear_gemv_body.glsl"
