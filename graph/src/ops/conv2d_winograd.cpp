#include "conv2d_winograd.h"

#include <algorithm>

namespace vknn {
namespace {

struct WinogradPush {  // mirrors shaders/common/conv2d_winograd.glsl
  uint32_t N, C, H, W;
  uint32_t K, OH, OW;
  uint32_t pad_h, pad_w;
  uint32_t TH, TW, P, Pp, Kp;
  uint32_t flags;
  uint32_t y_channels, y_channel0;
};
static_assert(sizeof(WinogradPush) == 68);
static_assert(sizeof(WinogradPush) <= kMaxPushConstantBytes);

constexpr uint32_t kBias = 1, kRelu = 2, kResidual = 4;

// The GEMM's register block: TK output channels x TP tiles per invocation (multiples of 4).
// Measured on lavapipe (ResNet-50's 3x3 layers at batch 8, F(4,3)): 16x16 ran in 0.6-0.8x
// the time of 8x8, 8x16 and 16x8 in between, 32x4 slower than 8x8; 32x16 and 16x32 within the
// noise of 16x16. Layers with fewer than 16 tiles (7x7 images at batch 1) take TP = the tiles
// rounded up to 4, so that the GEMM does not multiply padding.
constexpr uint32_t kTK = 16, kTP = 16;
uint32_t gemm_tp(uint64_t tiles) { return tiles >= kTP ? kTP : uint32_t((tiles + 3) / 4 * 4); }

uint64_t round_up(uint64_t v, uint64_t m) { return (v + m - 1) / m * m; }

// Sizes and the workspace's layout: U, then V, then M, each at an aligned offset.
struct Plan {
  uint32_t WT = 0;  // transformed values per tile
  uint32_t tp = 0;  // the GEMM's tiles per invocation
  WinogradPush push{};
  uint64_t u_bytes = 0, v_bytes = 0, m_bytes = 0;
  uint64_t v_off = 0, m_off = 0, total = 0;
};

Plan make_plan(const DeviceCaps& caps, int tile, const Shape& x, const Shape& w, const Shape& y) {
  Plan pl;
  const uint64_t m = uint64_t(tile), wa = m + 2;
  pl.WT = uint32_t(wa * wa);
  WinogradPush& p = pl.push;
  p.N = uint32_t(x[0]), p.C = uint32_t(x[1]), p.H = uint32_t(x[2]), p.W = uint32_t(x[3]);
  p.K = uint32_t(w[0]), p.OH = uint32_t(y[2]), p.OW = uint32_t(y[3]);
  p.TH = uint32_t((y[2] + tile - 1) / tile), p.TW = uint32_t((y[3] + tile - 1) / tile);
  p.P = p.N * p.TH * p.TW;
  pl.tp = gemm_tp(p.P);
  p.Pp = uint32_t(round_up(p.P, pl.tp)), p.Kp = uint32_t(round_up(p.K, kTK));
  p.y_channels = p.K, p.y_channel0 = 0;
  pl.u_bytes = uint64_t(pl.WT) * p.C * p.Kp * 4;
  pl.v_bytes = uint64_t(pl.WT) * p.C * p.Pp * 4;
  pl.m_bytes = uint64_t(pl.WT) * p.Kp * p.Pp * 4;
  const uint64_t align = std::max<uint64_t>(16, caps.min_storage_buffer_offset_alignment);
  pl.v_off = round_up(pl.u_bytes, align);
  pl.m_off = round_up(pl.v_off + pl.v_bytes, align);
  pl.total = pl.m_off + pl.m_bytes;
  return pl;
}

}  // namespace

int winograd_tile(Conv2dVariant v) {
  return v == Conv2dVariant::winograd_f2 ? 2 : v == Conv2dVariant::winograd_f4 ? 4 : 0;
}

Conv2dVariant winograd_variant(int tile) { return tile == 4 ? Conv2dVariant::winograd_f4 : Conv2dVariant::winograd_f2; }

bool winograd_shaped(const Conv2dParams& p, const Shape& w) {
  return w.rank() == 4 && w[2] == 3 && w[3] == 3 && p.stride_h == 1 && p.stride_w == 1 && p.groups == 1;
}

int winograd_forced_tile(const DeviceProfile& profile) {
  if (!profile.conv_3x3_explicit) return -1;
  return profile.conv_3x3_winograd;
}

Result<uint64_t> winograd_workspace_bytes(const DeviceCaps& caps, int tile, const Shape& x, const Shape& w,
                                          const Shape& y) {
  const Plan pl = make_plan(caps, tile, x, w, y);
  const uint64_t limit = caps.max_storage_buffer_range ? caps.max_storage_buffer_range : uint64_t(UINT32_MAX);
  for (uint64_t b : {pl.u_bytes, pl.v_bytes, pl.m_bytes, x.bytes(), y.bytes()})
    if (b > limit)
      return make_error(Errc::unsupported,
                        "conv2d_forward (Winograd F({},3)): x {}, w {}: a buffer of {} bytes exceeds the device's "
                        "storage-buffer range of {}",
                        tile, x.str(), w.str(), b, limit);
  return pl.total;
}

Status record_conv2d_forward_winograd(CommandList& cl, int tile, const TensorView& x, const TensorView& w,
                                      const TensorView* bias, const TensorView& y, const TensorView* residual,
                                      const Conv2dParams& p, const BufferRef& workspace) {
  const DeviceProfile& profile = cl.context().profile();
  Plan pl = make_plan(cl.context().caps(), tile, x.shape, w.shape, y.shape);
  WinogradPush& push = pl.push;
  push.pad_h = uint32_t(p.pad_h), push.pad_w = uint32_t(p.pad_w);
  push.flags = (bias ? kBias : 0) | (p.relu ? kRelu : 0) | (residual ? kResidual : 0);
  if (y.is_channel_slice()) push.y_channels = uint32_t(y.parent_channels), push.y_channel0 = uint32_t(y.channel_offset);
  const BufferRef u = workspace.sub(0, pl.u_bytes), v = workspace.sub(pl.v_off, pl.v_bytes),
                  m = workspace.sub(pl.m_off, pl.m_bytes);
  const bool f4 = tile == 4;

  const int64_t weights = int64_t(push.C) * (push.Kp / 4);
  uint32_t lx = profile.register_local(weights);
  cl.dispatch(f4 ? ShaderId::conv2d_winograd_weights_f4 : ShaderId::conv2d_winograd_weights_f2, {&lx, 1},
              {{range(w), Access::read}, {u, Access::write}}, push, groups_for(weights, lx));

  const int64_t inputs = int64_t(push.C) * (push.Pp / 4);
  lx = profile.register_local(inputs);
  cl.dispatch(f4 ? ShaderId::conv2d_winograd_input_f4 : ShaderId::conv2d_winograd_input_f2, {&lx, 1},
              {{range(x), Access::read}, {v, Access::write}}, push, groups_for(inputs, lx));

  const int64_t blocks = int64_t(push.Kp / kTK) * (push.Pp / pl.tp);
  const uint32_t gemm_spec[] = {profile.register_local(blocks), kTK, pl.tp};
  cl.dispatch(ShaderId::conv2d_winograd_gemm, gemm_spec, {{u, Access::read}, {v, Access::read}, {m, Access::write}},
              push, groups_for(blocks, gemm_spec[0]), 1, pl.WT);

  const int64_t outputs = int64_t(push.K) * (push.Pp / 4);
  lx = profile.register_local(outputs);
  // Absent operands bind the weights (an unused binding still needs a buffer).
  cl.dispatch(f4 ? ShaderId::conv2d_winograd_output_f4 : ShaderId::conv2d_winograd_output_f2, {&lx, 1},
              {{m, Access::read},
               {bias ? range(*bias) : range(w), Access::read},
               {range(y), Access::write},
               {residual ? range(*residual) : range(w), Access::read}},
              push, groups_for(outputs, lx));
  return {};
}

}  // namespace vknn
