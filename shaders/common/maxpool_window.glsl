// Specialization constants, push block and window arithmetic shared by the 2-D pooling
// shaders (maxpool_*, avgpool_*); the push block is mirrored by Pool2dPush in
// graph/src/ops/maxpool.cpp and graph/src/ops/avgpool.cpp.
// The kernel and stride are specialization constants (2..5), so that window loops unroll
// and the divisions by the stride become multiplications (integer division is scalar, and
// slow, on CPU drivers); a network has only a handful of pooling geometries.
// Output size per dimension: OH = floor((H + 2*pad_h - kernel_h) / stride_h) + 1, or with
// ceil mode rounded up (vknn/ops/maxpool.h); the shaders take OH, OW as given. Window
// (oh, ow) covers input rows oh*stride_h - pad_h .. + kernel_h - 1 (and columns alike);
// rows outside 0..H-1 are padding, and in ceil mode a last window may also reach past
// H + pad_h (never starting there, so it always holds an input row).
#define POOL_ACCUMULATE 1u         // backward: dx += gradient
#define POOL_COUNT_INCLUDE_PAD 2u  // avgpool: divide by kh*kw (else by the in-bounds count)
layout(constant_id = 2) const uint KH = 1;  // kernel_h
layout(constant_id = 3) const uint KW = 1;  // kernel_w
layout(constant_id = 4) const uint SH = 1;  // stride_h
layout(constant_id = 5) const uint SW = 1;  // stride_w
layout(push_constant) uniform Push {
  uint planes;  // N*C
  uint H, W, OH, OW;
  uint ph, pw;  // padding (at most half the kernel)
  uint flags;
} p;

// Windows that can cover one input index along a dimension: ceil(kernel / stride).
const uint COVER_H = (KH + SH - 1u) / SH;
const uint COVER_W = (KW + SW - 1u) / SW;

// The in-bounds part [lo, hi) of window `o` along one dimension.
void pool_window(uint o, uint stride, uint pad, uint k, uint len, out uint lo, out uint hi) {
  const int start = int(o * stride) - int(pad);
  lo = uint(max(start, 0));
  hi = uint(min(start + int(k), int(len)));
}

// avgpool's count_include_pad divisor along one dimension: the window clipped to the padded
// input [-pad, len + pad), which is the whole kernel except for ceil mode's last windows
// (PyTorch's avg_pool2d).
uint pool_padded_extent(uint o, uint stride, uint pad, uint k, uint len) {
  const int start = int(o * stride) - int(pad);
  return uint(min(start + int(k), int(len + pad)) - start);
}

// The windows [lo, hi] along one dimension that cover input index `i` (empty when lo > hi).
void pool_covering(uint i, uint stride, uint pad, uint k, uint out_len, out uint lo, out uint hi) {
  const uint ip = i + pad;
  lo = ip >= k ? (ip - k) / stride + 1u : 0u;
  hi = min(ip / stride, out_len - 1u);
}
