// Push block of linear_sum_rows.comp; mirrored by SumRowsPush in graph/src/ops/linear.cpp.
#define SUM_ACCUMULATE 1u  // out += instead of out =
layout(push_constant) uniform Push {
  uint outer;     // rows summed over: N
  uint channels;  // outputs: C
  uint inner;     // contiguous elements per (row, channel) summed too: 1 for (N,C), H*W for (N,C,H,W)
  uint flags;
} p;
