#version 450
// Gradient of one operand of y = a (op) b, summed over the elements of y it broadcast to:
//   da[j] = sum_{k -> j} dy[k] * dy/da,   dy/da = 1, 1, b, 1/b     (+, -, *, /)
//   db[j] = sum_{k -> j} dy[k] * dy/db,   dy/db = 1, -1, a, -a/b^2
// (BIN_TARGET_B picks db.) One invocation per element of the target; a pass sums broadcast
// elements [r_begin, r_end) (the host splits long sums into passes that fit the driver's loop
// limit; every pass but the first, or all with BIN_ACCUMULATE, adds to the target).
// Specialization: 0 = local size x, 1 = OP. Dispatch: ceil(count / local).
layout(local_size_x_id = 0) in;

layout(binding = 0) readonly buffer A_ { float a[]; };    // a's shape
layout(binding = 1) readonly buffer B_ { float b[]; };    // b's shape
layout(binding = 2) readonly buffer DY_ { float dy[]; };  // y's shape
layout(binding = 3) buffer DX_ { float dx[]; };           // the target's shape, (count)
#include "binary.glsl"

void main() {
  const uint j = gl_GlobalInvocationID.x;
  if (j >= p.count) return;
  const bool tb = (p.flags & BIN_TARGET_B) != 0u;
  // j's coordinates in the target's dims, and their place in y where the target does not broadcast.
  uint cj[6];
  uint rest = j;
  for (int d = 5; d >= 0; --d) {
    cj[d] = rest % p.tdims[d];
    rest /= p.tdims[d];
  }
  const float t = tb ? b[j] : a[j];
  float sum = 0.0;
  for (uint r = p.r_begin; r < p.r_end; ++r) {
    uint rr = r, k = 0u, stride = 1u, io = 0u;
    for (int d = 5; d >= 0; --d) {
      uint c = cj[d];
      if (p.tdims[d] != p.dims[d]) {
        c = rr % p.dims[d];
        rr /= p.dims[d];
      }
      k += c * stride;
      stride *= p.dims[d];
      io += c * p.sa[d];
    }
    const float g = dy[k];
    if (OP == BIN_ADD) sum += g;
    else if (OP == BIN_SUB) sum += tb ? -g : g;
    else if (OP == BIN_MUL) sum += g * (tb ? a[io] : b[io]);
    else sum += tb ? -g * a[io] / (t * t) : g / b[io];
  }
  if ((p.flags & BIN_ACCUMULATE) != 0u) sum += dx[j];
  dx[j] = sum;
}
