#version 450
// y = a (op) b with NumPy broadcasting, op = OP (+, -, *, /); BIN_ACCUMULATE: y += a op b.
// One invocation per element of y.
// Specialization: 0 = local size x, 1 = OP. Dispatch: ceil(count / local).
layout(local_size_x_id = 0) in;

layout(binding = 0) readonly buffer A_ { float a[]; };  // a's shape (broadcasts to y's)
layout(binding = 1) readonly buffer B_ { float b[]; };  // b's shape
layout(binding = 2) buffer Y_ { float y[]; };           // (count)
#include "binary.glsl"

float apply(float u, float v) {
  if (OP == BIN_ADD) return u + v;
  if (OP == BIN_SUB) return u - v;
  if (OP == BIN_MUL) return u * v;
  return u / v;
}

void main() {
  const uint i = gl_GlobalInvocationID.x;
  if (i >= p.count) return;
  uint ia = i, ib = i;
  if ((p.flags & BIN_SAME) == 0u) {
    ia = 0u;
    ib = 0u;
    uint rest = i;
    for (int d = 5; d >= 0; --d) {
      const uint c = rest % p.dims[d];
      rest /= p.dims[d];
      ia += c * p.sa[d];
      ib += c * p.sb[d];
    }
  }
  float v = apply(a[ia], b[ib]);
  if ((p.flags & BIN_ACCUMULATE) != 0u) v += y[i];
  y[i] = v;
}
