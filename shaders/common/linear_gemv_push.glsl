// Push block of linear_forward_gemv.comp; mirrored by GemvPush in graph/src/ops/linear.cpp.
#define GEMV_BIAS 1u  // add bias[o]
#define GEMV_RELU 2u  // max(., 0) after the bias
layout(push_constant) uniform Push {
  uint in_elems;   // elements per row of x and W: IN, or IN / 2 with 64-bit elements
  uint out_count;  // output columns of this dispatch (a slice of OUT)
  uint y_stride;   // OUT: the row stride of y
  uint flags;
} p;
