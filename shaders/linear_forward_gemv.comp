#version 450
// Fully connected forward at small batch, a matrix-vector product per batch row:
//   y[m, o] = act(sum_i x[m, i] * W[o, i] + bias[o]),  m < NB <= 8, o < out.
// Memory-bound: every weight is read once, so the kernel is shaped around the loads. Each
// workgroup owns TO = 8 consecutive outputs; its 64 lanes stride over IN, so neighbouring
// lanes read neighbouring floats of a weight row (coalesced on GPUs) and each x element
// loaded serves 8 weight rows; the 64 partial sums of each output are added in shared
// memory in a fixed order. linear_forward_gemv64.comp is the same with 64-bit loads.
// Specialization: 0 = NB, the batch rows (1..8), so every loop has constant bounds.
// Bindings: x (NB, IN), W (out, IN), bias (out) read when flagged, y with row stride
// y_stride (a slice of output columns writes into the full y). Push: linear_gemv_push.glsl.
// Dispatch: (ceil(out / 8), 1, 1).
#include "linear_gemv_body.glsl"
