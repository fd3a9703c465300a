// Broadcasting binary ops (vknn/ops/binary.h), shared by binary_forward and binary_backward;
// BinaryPush in graph/src/ops/binary.cpp mirrors the push block. Shapes arrive padded on the
// left to rank 6 with adjacent dims of the same broadcast pattern merged; a dim an operand
// broadcasts has stride 0 there.
#define BIN_ADD 0u
#define BIN_SUB 1u
#define BIN_MUL 2u
#define BIN_DIV 3u
#define BIN_ACCUMULATE 1u  // y (forward) or the gradient (backward) += instead of =
#define BIN_SAME 2u        // forward: a, b and y share one shape (no index arithmetic)
#define BIN_TARGET_B 4u    // backward: the gradient of b, else of a
layout(constant_id = 1) const uint OP = 0;
layout(push_constant) uniform Push {
  uint count;        // forward: elements of y; backward: elements of the gradient target
  uint flags;
  uint r_begin;      // backward: this pass sums over broadcast elements [r_begin, r_end)
  uint r_end;
  uint dims[6];      // y's dims
  uint tdims[6];     // backward: the target's dims (1 where it broadcasts); forward: unused
  uint sa[6];        // forward: a's strides over y's coordinates; backward: the other operand's
  uint sb[6];        // forward: b's strides; backward: unused
} p;
