// The helpers shared by conv2d's translation units: conv2d_forward.cpp (the forward paths),
// conv2d_backward.cpp (data and weight gradients) and conv2d.cpp (the graph nodes): the push
// constants the shaders share, shape checks, chunking of batches that exceed one binding, and
// the register kernels' block sizes.
#pragma once

#include "vknn/ops/conv2d.h"

#include <algorithm>
#include <string>

namespace vknn::conv2d_detail {

struct Conv2dPush {  // mirrors shaders/common/conv2d_push.glsl
  uint32_t N, C, H, W;
  uint32_t K, R, S, OH, OW;
  uint32_t stride_h, stride_w, pad_h, pad_w;
  uint32_t Cg, Kg;
  uint32_t flags;
  uint32_t split_rows, splits;
  uint32_t phase_h, phase_w, taps_h, taps_w;
  uint32_t x_off, y_off;
  uint32_t r_off;
  uint32_t range_begin, range_end;
  uint32_t y_channels, y_channel0;
};
static_assert(sizeof(Conv2dPush) == 116);
static_assert(sizeof(Conv2dPush) <= kMaxPushConstantBytes);

constexpr uint32_t kBias = 1, kRelu = 2, kAccumulate = 4, kResidual = 8;

// Shared-memory kernels: 64x64 output tiles (see the shaders).
constexpr uint32_t kTile = 64;

struct Dims {
  int64_t N, C, H, W, K, R, S, OH, OW, G;
  int64_t Cg() const { return C / G; }
  int64_t Kg() const { return K / G; }
};

inline std::string describe(const Conv2dParams& p) {
  return fmt::format("stride ({},{}), pad ({},{}), groups {}", p.stride_h, p.stride_w, p.pad_h, p.pad_w, p.groups);
}

// Checks everything about x's and w's shapes and the params; returns the sizes.
// x is x or dx, w is w or dw: `xname` and `wname` say which. `shapes` describes every
// operand and the params, for the messages.
inline Result<Dims> check_dims(const char* op, const Conv2dParams& p, const Shape& x, const Shape& w, const char* xname,
                        const char* wname, const std::string& shapes) {
  if (x.rank() != 4 || w.rank() != 4)
    return make_error(Errc::invalid_argument, "{}: {} and {} must have rank 4, (N,C,H,W) and (K,C/groups,R,S); got {}",
                      op, xname, wname, shapes);
  for (size_t i = 0; i < 4; ++i)
    if (x[i] <= 0 || w[i] <= 0)
      return make_error(Errc::invalid_argument, "{}: sizes must be positive; got {}", op, shapes);
  if (p.stride_h <= 0 || p.stride_w <= 0)
    return make_error(Errc::invalid_argument, "{}: strides must be positive; got {}", op, shapes);
  if (p.pad_h < 0 || p.pad_w < 0)
    return make_error(Errc::invalid_argument, "{}: padding must not be negative; got {}", op, shapes);
  Dims d{x[0], x[1], x[2], x[3], w[0], w[2], w[3], 0, 0, p.groups};
  if (p.groups <= 0 || d.C % p.groups != 0 || d.K % p.groups != 0)
    return make_error(Errc::invalid_argument, "{}: groups must divide C={} and K={}; got {}", op, d.C, d.K, shapes);
  if (w[1] != d.C / p.groups)
    return make_error(Errc::invalid_argument, "{}: {} must have C/groups = {} input channels; got {}", op, wname,
                      d.C / p.groups, shapes);
  if (d.R > d.H + 2 * int64_t(p.pad_h) || d.S > d.W + 2 * int64_t(p.pad_w))
    return make_error(Errc::invalid_argument, "{}: kernel {}x{} is larger than the padded input {}x{}; got {}", op, d.R,
                      d.S, d.H + 2 * int64_t(p.pad_h), d.W + 2 * int64_t(p.pad_w), shapes);
  d.OH = (d.H + 2 * int64_t(p.pad_h) - d.R) / p.stride_h + 1;
  d.OW = (d.W + 2 * int64_t(p.pad_w) - d.S) / p.stride_w + 1;
  // The shaders index with 32-bit (partly signed) integers.
  constexpr int64_t kMax = int64_t(1) << 30;
  if (x.numel() >= kMax || w.numel() >= kMax || d.N * d.K * d.OH * d.OW >= kMax || d.H + p.pad_h >= (1 << 20) ||
      d.W + p.pad_w >= (1 << 20) || p.stride_h >= (1 << 20) || p.stride_w >= (1 << 20))
    return make_error(Errc::invalid_argument, "{}: tensors of 2^30 or more elements are not supported; got {}", op,
                      shapes);
  return d;
}

inline Shape y_shape(const Dims& d) { return Shape{d.N, d.K, d.OH, d.OW}; }

inline Conv2dPush make_push(const Dims& d, const Conv2dParams& p, uint32_t flags) {
  Conv2dPush push{};
  push.N = uint32_t(d.N), push.C = uint32_t(d.C), push.H = uint32_t(d.H), push.W = uint32_t(d.W);
  push.K = uint32_t(d.K), push.R = uint32_t(d.R), push.S = uint32_t(d.S), push.OH = uint32_t(d.OH);
  push.OW = uint32_t(d.OW);
  push.stride_h = uint32_t(p.stride_h), push.stride_w = uint32_t(p.stride_w);
  push.pad_h = uint32_t(p.pad_h), push.pad_w = uint32_t(p.pad_w);
  push.Cg = uint32_t(d.Cg()), push.Kg = uint32_t(d.Kg());
  push.flags = flags;
  push.split_rows = uint32_t(d.N * d.OH), push.splits = 1;
  push.y_channels = uint32_t(d.K), push.y_channel0 = 0;
  return push;
}

// Exactly the tensor's bytes, so that hazard tracking sees no more than the op touches.
// Large batches run in chunks of images so that every bound range fits the device's
// storage-buffer range. A chunk's range of a per-image tensor starts at an aligned offset at
// or before its first image; the shaders add the element offset (x_off, y_off). A channel
// slice's images are its parent's (the forward's y_channels, y_channel0 locate it within).
struct Slice {
  BufferRef ref;
  uint32_t off = 0;
};

inline Slice slice(const TensorView& t, int64_t n0, int64_t n, uint64_t align) {
  const uint64_t per = t.spanned_bytes() / uint64_t(t.shape[0]);
  const uint64_t begin = uint64_t(n0) * per, start = begin / align * align;
  return {t.buffer.sub(start, begin - start + uint64_t(n) * per), uint32_t((begin - start) / dtype_bytes(t.dtype))};
}

inline uint64_t binding_limit(const DeviceCaps& caps) {
  return caps.max_storage_buffer_range ? caps.max_storage_buffer_range : uint64_t(UINT32_MAX);
}
inline uint64_t offset_alignment(const DeviceCaps& caps) {
  return std::max<uint64_t>(4, caps.min_storage_buffer_offset_alignment);
}

// Images per chunk: all N when every tensor fits one binding. `per_image` are the bytes
// per image of the batched operands, `whole` the bytes of the others (weights, bias).
inline Result<int64_t> images_per_chunk(const char* op, const DeviceCaps& caps, int64_t N,
                                 std::initializer_list<uint64_t> per_image, std::initializer_list<uint64_t> whole,
                                 const std::string& context) {
  const uint64_t limit = binding_limit(caps), align = offset_alignment(caps);
  for (uint64_t b : whole)
    if (b > limit)
      return make_error(Errc::unsupported,
                        "{}: a weight of {} bytes exceeds the device's storage-buffer range of {} ({})", op, b, limit,
                        context);
  uint64_t largest = 0;
  for (uint64_t b : per_image) largest = std::max(largest, b);
  if (largest * uint64_t(N) <= limit) return N;
  if (largest + align > limit)
    return make_error(Errc::unsupported,
                      "{}: one image needs {} bytes, more than the device's storage-buffer range of {} ({})", op,
                      largest, limit, context);
  return int64_t((limit - align) / largest);
}

// `t` must have shape `want`; the message names every operand.
inline Status check_operand(const char* op, const char* name, const TensorView& t, const Shape& want,
                     const std::string& context) {
  if (t.shape != want)
    return make_error(Errc::invalid_argument, "{}: {} has shape {}, expected {}; got {}", op, name, t.str(), want.str(),
                      context);
  return check_positive(op, name, t);
}

inline std::string shape_or_none(const TensorView* t) { return t ? t->str() : std::string("none"); }

// Register-kernel block sizes: 16 channels (8 when there are fewer), up to 8 pixels along a row.
inline uint32_t channel_block(int64_t channels) { return channels <= 8 ? 8u : 16u; }
// The narrowest block that covers a row in as few blocks of at most 8 as possible: 13 -> 7
// (two blocks of 7 waste 1 column where two of 8 waste 3), 27 -> 7, 56 -> 8.
inline uint32_t pixel_block(int64_t width) {
  const int64_t blocks = (width + 7) / 8;
  return uint32_t((width + blocks - 1) / blocks);
}

inline bool use_register(const DeviceProfile& profile, const Conv2dParams& p) {
  return resolve_conv2d_variant(profile, p.variant) == Conv2dVariant::register_blocked;
}

// The loops of the forward and backward-data kernels run over channels and kernel rows:
// refuse layers so wide that the driver would cut the loops short (DeviceProfile::loop_limit).
inline Status check_loop_budget(const char* op, const DeviceProfile& profile, int64_t iterations,
                         const std::string& context) {
  if (!profile.loop_fits(iterations))
    return make_error(Errc::unsupported, "{}: {} loop iterations per invocation, more than this driver runs ({})", op,
                      iterations, context);
  return {};
}

}  // namespace vknn::conv2d_detail
