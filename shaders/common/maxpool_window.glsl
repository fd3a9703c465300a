// Specialization constants, push block and window arithmetic shared by the 2-D pooling
// shaders (maxpool_*, avgpool_*); the push block is mirrored by Pool2dPush in
// graph/src/ops/maxpool.cpp and graph/src/ops/avgpool.cpp.
// The kernel, stride and dilation are specialization constants (2..7), so that window loops
// unroll and the divisions by the stride become multiplications (integer division is scalar,
// and slow, on CPU drivers); a network has only a handful of pooling geometries.
// Output size per dimension: OH = floor((H + pad_top + pad_bottom - extent_h) / stride_h) + 1,
// extent_h = DH*(KH-1)+1, or with ceil mode rounded up (vknn/ops/maxpool.h); the shaders take
// OH, OW as given. Window (oh, ow) covers input rows oh*stride_h - pad_top + r*DH, r < KH
// (and columns alike); rows outside 0..H-1 are padding, and in ceil mode a last window may
// also reach past H + pad_bottom (never starting at or past H, so without dilation it always
// holds an input row; pads are below the kernel, so every other window does too).
#define POOL_ACCUMULATE 1u         // backward: dx += gradient
#define POOL_COUNT_INCLUDE_PAD 2u  // avgpool: divide by kh*kw (else by the in-bounds count)
layout(constant_id = 2) const uint KH = 1;  // kernel_h
layout(constant_id = 3) const uint KW = 1;  // kernel_w
layout(constant_id = 4) const uint SH = 1;  // stride_h
layout(constant_id = 5) const uint SW = 1;  // stride_w
layout(constant_id = 6) const uint DH = 1;  // dilation_h (max pooling only)
layout(constant_id = 7) const uint DW = 1;  // dilation_w
layout(push_constant) uniform Push {
  uint planes;  // N*C
  uint H, W, OH, OW;
  uint ph, pw;  // top, left padding (below the kernel)
  uint pb, pr;  // bottom, right padding (below the kernel)
  uint flags;
} p;

// Rows (columns) one window spans, and the windows that can cover one input index along a
// dimension: ceil(extent / stride).
const uint EH = DH * (KH - 1u) + 1u;
const uint EW = DW * (KW - 1u) + 1u;
const uint COVER_H = (EH + SH - 1u) / SH;
const uint COVER_W = (EW + SW - 1u) / SW;

// The in-bounds part [lo, hi) of window `o` along one dimension.
void pool_window(uint o, uint stride, uint pad, uint k, uint len, out uint lo, out uint hi) {
  const int start = int(o * stride) - int(pad);
  lo = uint(max(start, 0));
  hi = uint(min(start + int(k), int(len)));
}

// avgpool's count_include_pad divisor along one dimension: the window clipped to the padded
// input [-pad, len + pad_end), which is the whole kernel except for ceil mode's last windows
// (PyTorch's avg_pool2d; ONNX's AveragePool alike with asymmetric pads).
uint pool_padded_extent(uint o, uint stride, uint pad, uint pad_end, uint k, uint len) {
  const int start = int(o * stride) - int(pad);
  return uint(min(start + int(k), int(len + pad_end)) - start);
}

// The windows [lo, hi] along one dimension whose span (`extent` long) covers input index `i`
// (empty when lo > hi); with dilation, a window may span i without a tap on it.
void pool_covering(uint i, uint stride, uint pad, uint extent, uint out_len, out uint lo, out uint hi) {
  const uint ip = i + pad;
  lo = ip >= extent ? (ip - extent) / stride + 1u : 0u;
  hi = min(ip / stride, out_len - 1u);
}
