#include "vknn/ops/conv2d.h"

#include "conv2d_internal.h"
#include "conv2d_winograd.h"

#include <algorithm>
#include <optional>

namespace vknn {
using namespace conv2d_detail;

namespace {

struct WeightPlan {
  bool reg = false;
  uint32_t lx = 0, tk = 0, rb = 0, to = 0;
  uint32_t gx = 0, gy = 0;
  uint32_t split_rows = 0, splits = 1;
  uint64_t workspace_bytes = 0;
};

WeightPlan plan_backward_weight(const DeviceCaps& caps, const DeviceProfile& profile, const Conv2dParams& p,
                                const Dims& d) {
  WeightPlan plan;
  plan.reg = use_register(profile, p);
  int64_t target = 0;  // workgroups that keep the device busy
  if (plan.reg) {
    plan.tk = channel_block(d.Kg());
    // Filter rows per invocation: about 8-16 sums per output channel (measured on lavapipe).
    plan.rb = d.S == 1 ? 8u : d.S == 2 ? 6u : d.S <= 5 ? 3u : 1u;
    plan.to = std::min(4u, pixel_block(d.OW));
    const int64_t items = (d.Cg() * d.R + plan.rb - 1) / plan.rb;
    plan.lx = profile.register_local(items);
    plan.gx = groups_for(items, plan.lx);
    plan.gy = groups_for(d.Kg(), plan.tk);
    target = 32;
  } else {
    plan.gx = groups_for(d.Cg() * d.R * d.S, kTile);
    plan.gy = groups_for(d.Kg(), kTile);
    target = 512;
  }
  // Split the N*OH output rows when there are too few workgroups otherwise, keeping at
  // least ~1024 (CPU) or ~256 (GPU) pixels per split, ...
  const int64_t rows = d.N * d.OH;
  const int64_t base = int64_t(plan.gx) * plan.gy * d.G;
  const int64_t min_rows = std::max<int64_t>(1, ((plan.reg ? 1024 : 256) + d.OW - 1) / d.OW);
  // ... and the partial sums within one binding, ...
  const int64_t max_splits = std::max<int64_t>(
      1, std::min<int64_t>(rows / min_rows, int64_t(binding_limit(caps) / uint64_t(d.K * d.Cg() * d.R * d.S * 4))));
  // ... and few enough loop iterations per invocation (DeviceProfile::loop_budget).
  const int64_t per_row = plan.reg ? (d.OW + plan.to - 1) / plan.to + 1 : (d.OW + 15) / 16 * 32;
  const int64_t budget = profile.loop_budget;
  const int64_t loop_splits = (rows * per_row + budget - 1) / budget;
  const int64_t splits =
      std::clamp<int64_t>(std::max((target + base - 1) / base, loop_splits), 1, std::max(max_splits, loop_splits));
  plan.split_rows = uint32_t((rows + splits - 1) / splits);
  plan.splits = uint32_t((rows + plan.split_rows - 1) / plan.split_rows);
  if (plan.splits > 1) plan.workspace_bytes = uint64_t(plan.splits) * uint64_t(d.K * d.Cg() * d.R * d.S) * 4;
  return plan;
}

}  // namespace

namespace {

// A stride-1 layer with one group has as its backward data the forward convolution of dy with
// the transposed weights, flipped in space and with the padding R-1-pad:
//   dx[n, c, ih, iw] = sum_{k, r, s} wt[c, k, r, s] * dy[n, k, ih - (R-1-pad_h) + r, iw - (S-1-pad_w) + s],
//   wt[c, k, r, s] = w[k, c, R-1-r, S-1-s]
// For 3x3 layers that forward may run as Winograd (conv2d_winograd.h), which the direct
// backward kernels do not have: this path runs where the forward of the transposed layer
// would take Winograd on this device (the tuner's choice for that shape, VKNN_CONV3X3, or a
// Winograd variant in p.variant). Its workspace holds wt, the forward's scratch and, when
// accumulating, the new dx (the forward adds the old one as its residual, which must not
// overlap its output), copied into dx afterwards.
struct AsForward {
  Conv2dParams q;  // the transposed layer, its variant the Winograd tile
  Shape wt;        // (C, K, R, S)
  uint64_t wt_bytes = 0, forward_bytes = 0, temp_bytes = 0;  // each rounded up to the offset alignment
  uint64_t bytes() const { return wt_bytes + forward_bytes + temp_bytes; }
};

uint64_t aligned(uint64_t bytes, const DeviceCaps& caps) {
  const uint64_t a = offset_alignment(caps);
  return (bytes + a - 1) / a * a;
}

// The transposed layer's plan where the path applies to this layer, at the forward's tile
// `variant` (a Winograd one, or automatic: the larger workspace of the two the tuner may take).
std::optional<AsForward> as_forward_plan(const Context& ctx, const Conv2dParams& p, const Dims& d, bool accumulate,
                                         Conv2dVariant variant) {
  const bool asked = p.variant == Conv2dVariant::automatic || winograd_tile(p.variant) != 0;
  if (!asked || d.G != 1 || p.stride_h != 1 || p.stride_w != 1 || p.pad_h >= d.R || p.pad_w >= d.S) return {};
  AsForward a;
  a.q = p;
  a.q.pad_h = uint32_t(d.R - 1 - p.pad_h), a.q.pad_w = uint32_t(d.S - 1 - p.pad_w);
  a.q.relu = false;
  a.q.variant = variant;
  a.wt = Shape{d.C, d.K, d.R, d.S};
  if (!winograd_shaped(a.q, a.wt)) return {};
  auto fwd = conv2d_forward_workspace_bytes(ctx, a.q, y_shape(d), a.wt, false, accumulate);
  if (!fwd.ok() || *fwd == 0) return {};
  a.wt_bytes = aligned(a.wt.bytes(), ctx.caps());
  a.forward_bytes = aligned(*fwd, ctx.caps());
  a.temp_bytes = accumulate ? aligned(Shape{d.N, d.C, d.H, d.W}.bytes(), ctx.caps()) : 0;
  return a;
}

// The plan to record now: where the forward of the transposed layer takes Winograd on this
// device (timing it first where the tuner has not) and the workspace holds its bytes.
Result<std::optional<AsForward>> as_forward_choice(Context& ctx, const Conv2dParams& p, const Dims& d,
                                                   bool accumulate, uint64_t workspace) {
  const std::optional<AsForward> any = as_forward_plan(ctx, p, d, accumulate, winograd_tile(p.variant) ? p.variant
                                                                                        : Conv2dVariant::automatic);
  if (!any || any->bytes() > workspace) return std::optional<AsForward>{};
  VKNN_ASSIGN(const std::string path, conv2d_forward_choice(ctx, any->q, y_shape(d), any->wt, false, accumulate));
  const Conv2dVariant v = path == "winograd_f2"   ? Conv2dVariant::winograd_f2
                          : path == "winograd_f4" ? Conv2dVariant::winograd_f4
                                                  : Conv2dVariant::automatic;
  if (v == Conv2dVariant::automatic) return std::optional<AsForward>{};
  std::optional<AsForward> a = as_forward_plan(ctx, p, d, accumulate, v);
  if (!a || a->bytes() > workspace) return std::optional<AsForward>{};
  return a;
}

Status record_backward_data_as_forward(CommandList& cl, const AsForward& a, const Dims& d, const TensorView& dy,
                                       const TensorView& w, const TensorView& dx, bool accumulate,
                                       const BufferRef& workspace) {
  const TensorView wt{workspace.sub(0, a.wt.bytes()), a.wt};
  const BufferRef fwd = workspace.sub(a.wt_bytes, a.forward_bytes);
  Conv2dPush push = make_push(d, a.q, 0);
  const uint32_t lx = cl.context().profile().elementwise_local;
  cl.dispatch(ShaderId::conv2d_flip_weights, {&lx, 1}, {{range(w), Access::read}, {wt.buffer, Access::write}}, push,
              groups_for(w.shape.numel(), lx));
  if (!accumulate) return record_conv2d_forward(cl, a.q, dy, wt, nullptr, dx, nullptr, fwd);
  const TensorView fresh{workspace.sub(a.wt_bytes + a.forward_bytes, dx.bytes()), dx.shape};
  VKNN_TRY(record_conv2d_forward(cl, a.q, dy, wt, nullptr, fresh, &dx, fwd));
  cl.copy(fresh.buffer, range(dx));
  return {};
}

}  // namespace

Result<uint64_t> conv2d_backward_data_workspace_bytes(const Context& ctx, const Conv2dParams& p, const Shape& x,
                                                      const Shape& w, bool accumulate) {
  constexpr const char* op = "conv2d_backward_data";
  const std::string context = fmt::format("dx {}, w {}, {}", x.str(), w.str(), describe(p));
  VKNN_ASSIGN(const Dims d, check_dims(op, p, x, w, "dx", "w", context));
  const auto a = as_forward_plan(ctx, p, d, accumulate,
                                 winograd_tile(p.variant) ? p.variant : Conv2dVariant::automatic);
  return a ? a->bytes() : uint64_t(0);
}

Result<std::string> conv2d_backward_data_choice(Context& ctx, const Conv2dParams& p, const Shape& x, const Shape& w,
                                                bool accumulate) {
  constexpr const char* op = "conv2d_backward_data";
  const std::string context = fmt::format("dx {}, w {}, {}", x.str(), w.str(), describe(p));
  VKNN_ASSIGN(const Dims d, check_dims(op, p, x, w, "dx", "w", context));
  VKNN_ASSIGN(const uint64_t bytes, conv2d_backward_data_workspace_bytes(ctx, p, x, w, accumulate));
  VKNN_ASSIGN(const std::optional<AsForward> a, as_forward_choice(ctx, p, d, accumulate, bytes));
  if (a) return std::string(a->q.variant == Conv2dVariant::winograd_f4 ? "winograd_f4" : "winograd_f2");
  return std::string(use_register(ctx.profile(), p) ? "register" : "shared");
}

Status record_conv2d_backward_data(CommandList& cl, const Conv2dParams& p, const TensorView& dy, const TensorView& w,
                                   const TensorView& dx, bool accumulate, const BufferRef& workspace) {
  constexpr const char* op = "conv2d_backward_data";
  const std::string context = fmt::format("dy {}, w {}, dx {}, {}", dy.str(), w.str(), dx.str(), describe(p));
  VKNN_ASSIGN(const Dims d, check_dims(op, p, dx.shape, w.shape, "dx", "w", context));
  VKNN_TRY(check_positive(op, "dx", dx));
  VKNN_TRY(check_positive(op, "w", w));
  VKNN_TRY(check_operand(op, "dy", dy, y_shape(d), context));
  VKNN_TRY(check_contiguous(op, "dy", dy));
  VKNN_TRY(check_contiguous(op, "dx", dx));
  if (dy.dtype == DType::f32 && w.dtype == DType::f32 && dx.dtype == DType::f32 && !w.is_channel_slice()) {
    VKNN_ASSIGN(const std::optional<AsForward> a,
                as_forward_choice(cl.context(), p, d, accumulate, workspace.valid() ? workspace.size : 0));
    if (a) {
      for (const TensorView* t : {&dy, &w, &dx})
        if (workspace.sub(0, a->bytes()).overlaps(range(*t)))
          return make_error(Errc::invalid_argument, "{}: the workspace overlaps an operand ({})", op, context);
      return record_backward_data_as_forward(cl, *a, d, dy, w, dx, accumulate, workspace);
    }
  }
  const DeviceCaps& caps = cl.context().caps();
  const DeviceProfile& profile = cl.context().profile();
  VKNN_ASSIGN(const int64_t chunk, images_per_chunk(op, caps, d.N, {dx.shape.bytes() / d.N, dy.shape.bytes() / d.N},
                                                    {w.shape.bytes()}, context));
  const bool reg = use_register(profile, p);
  VKNN_TRY(check_loop_budget(op, profile, reg ? d.Kg() * (d.R + 1) : 2 * d.Kg() * d.R * d.S, context));

  const Access dx_access = accumulate ? Access::read_write : Access::write;
  const int64_t sh = p.stride_h, sw = p.stride_w;
  for (int64_t n0 = 0; n0 < d.N; n0 += chunk) {
    Dims dc = d;
    dc.N = std::min(chunk, d.N - n0);
    const Slice dxs = slice(dx, n0, dc.N, offset_alignment(caps)), dys = slice(dy, n0, dc.N, offset_alignment(caps));
    Conv2dPush push = make_push(dc, p, accumulate ? kAccumulate : 0);
    push.x_off = dxs.off, push.y_off = dys.off;
    if (reg) {
      // One dispatch per phase: the dx pixels that see the same kernel taps.
      const uint32_t tc = channel_block(d.Cg());
      for (int64_t a = 0; a < sh; ++a)
        for (int64_t b = 0; b < sw; ++b) {
          const int64_t ih_first = (a - p.pad_h % sh + sh) % sh, iw_first = (b - p.pad_w % sw + sw) % sw;
          const int64_t rows = ih_first < d.H ? (d.H - ih_first + sh - 1) / sh : 0;
          const int64_t cols = iw_first < d.W ? (d.W - iw_first + sw - 1) / sw : 0;
          if (rows == 0 || cols == 0) continue;
          push.phase_h = uint32_t(a), push.phase_w = uint32_t(b);
          push.taps_h = uint32_t(a < d.R ? (d.R - a + sh - 1) / sh : 0);
          push.taps_w = uint32_t(b < d.S ? (d.S - b + sw - 1) / sw : 0);
          if (push.taps_w == 0) push.taps_h = 0;  // no taps: dx = 0 (or unchanged)
          const uint32_t tp = pixel_block(cols);
          const int64_t segments = dc.N * rows * ((cols + tp - 1) / tp);
          const uint32_t lx = profile.register_local(segments);
          const uint32_t spec[] = {lx, profile.subgroup_size, std::max(push.taps_w, 1u), tc, tp};
          cl.dispatch(ShaderId::conv2d_backward_data_register, spec,
                      {{dys.ref, Access::read}, {range(w), Access::read}, {dxs.ref, dx_access}}, push,
                      groups_for(segments, lx), groups_for(d.Cg(), tc), uint32_t(d.G));
        }
    } else {
      // Every phase in one dispatch (z = phase * groups + g), sized for the largest phase.
      const int64_t pixels = dc.N * ((d.H + sh - 1) / sh) * ((d.W + sw - 1) / sw);
      cl.dispatch(ShaderId::conv2d_backward_data_shared, {},
                  {{dys.ref, Access::read}, {range(w), Access::read}, {dxs.ref, dx_access}}, push,
                  groups_for(pixels, kTile), groups_for(d.Cg(), kTile), uint32_t(d.G * sh * sw));
    }
  }
  return {};
}

namespace {

// The batch chunking and split plan of a weight gradient.
struct WeightChunks {
  int64_t chunk = 0;  // images per chunk
  WeightPlan plan;    // of a full chunk (later chunks are no larger)
};

Result<WeightChunks> plan_weight_chunks(const char* op, const DeviceCaps& caps, const DeviceProfile& profile,
                                        const Conv2dParams& p, const Dims& d, const std::string& context) {
  WeightChunks wc;
  VKNN_ASSIGN(wc.chunk,
              images_per_chunk(op, caps, d.N, {uint64_t(d.C * d.H * d.W * 4), uint64_t(d.K * d.OH * d.OW * 4)},
                               {uint64_t(d.K * d.Cg() * d.R * d.S * 4)}, context));
  Dims dc = d;
  dc.N = std::min(wc.chunk, d.N);
  wc.plan = plan_backward_weight(caps, profile, p, dc);
  return wc;
}

}  // namespace

Result<uint64_t> conv2d_backward_weight_workspace_bytes(const Context& ctx, const Conv2dParams& p, const Shape& x,
                                                        const Shape& w) {
  constexpr const char* op = "conv2d_backward_weight";
  const std::string context = fmt::format("x {}, dw {}, {}", x.str(), w.str(), describe(p));
  VKNN_ASSIGN(const Dims d, check_dims(op, p, x, w, "x", "dw", context));
  VKNN_ASSIGN(const WeightChunks wc, plan_weight_chunks(op, ctx.caps(), ctx.profile(), p, d, context));
  return wc.plan.workspace_bytes;
}

Status record_conv2d_backward_weight(CommandList& cl, const Conv2dParams& p, const TensorView& x, const TensorView& dy,
                                     const TensorView& dw, const TensorView* db, const BufferRef& workspace,
                                     bool accumulate) {
  constexpr const char* op = "conv2d_backward_weight";
  const std::string context =
      fmt::format("x {}, dy {}, dw {}, db {}, {}", x.str(), dy.str(), dw.str(), shape_or_none(db), describe(p));
  VKNN_ASSIGN(const Dims d, check_dims(op, p, x.shape, dw.shape, "x", "dw", context));
  VKNN_TRY(check_positive(op, "x", x));
  VKNN_TRY(check_positive(op, "dw", dw));
  VKNN_TRY(check_operand(op, "dy", dy, y_shape(d), context));
  if (db) VKNN_TRY(check_operand(op, "db", *db, Shape{d.K}, context));
  VKNN_TRY(check_contiguous(op, "x", x));
  VKNN_TRY(check_contiguous(op, "dy", dy));
  const DeviceCaps& caps = cl.context().caps();
  const DeviceProfile& profile = cl.context().profile();
  VKNN_ASSIGN(const WeightChunks wc, plan_weight_chunks(op, caps, profile, p, d, context));
  if (wc.plan.workspace_bytes > 0) {
    if (!workspace.valid() || workspace.size < wc.plan.workspace_bytes)
      return make_error(Errc::invalid_argument, "{}: the workspace must hold {} bytes, got {} ({})", op,
                        wc.plan.workspace_bytes, workspace.valid() ? workspace.size : 0, context);
    const BufferRef part = workspace.sub(0, wc.plan.workspace_bytes);
    for (const TensorView* t : {&x, &dy, &dw, db})
      if (t && part.overlaps(range(*t)))
        return make_error(Errc::invalid_argument, "{}: the workspace overlaps an operand ({})", op, context);
  }

  for (int64_t n0 = 0; n0 < d.N; n0 += wc.chunk) {
    Dims dc = d;
    dc.N = std::min(wc.chunk, d.N - n0);
    const bool acc = accumulate || n0 > 0;  // later chunks add to the earlier ones
    const WeightPlan plan = plan_backward_weight(caps, profile, p, dc);
    const Slice xs = slice(x, n0, dc.N, offset_alignment(caps)), dys = slice(dy, n0, dc.N, offset_alignment(caps));
    Conv2dPush push = make_push(dc, p, acc ? kAccumulate : 0);
    push.x_off = xs.off, push.y_off = dys.off;
    push.split_rows = plan.split_rows, push.splits = plan.splits;
    const bool split = plan.splits > 1;
    const BufferRef out = split ? workspace.sub(0, plan.workspace_bytes) : range(dw);
    const Access out_access = split ? Access::write : acc ? Access::read_write : Access::write;
    const uint32_t gz = uint32_t(d.G) * plan.splits;
    if (plan.reg) {
      const uint32_t spec[] = {plan.lx, profile.subgroup_size, uint32_t(d.S), uint32_t(p.stride_w), plan.tk, plan.rb,
                               plan.to};
      cl.dispatch(ShaderId::conv2d_backward_weight_register, spec,
                  {{xs.ref, Access::read}, {dys.ref, Access::read}, {out, out_access}}, push, plan.gx, plan.gy, gz);
    } else {
      cl.dispatch(ShaderId::conv2d_backward_weight_shared, {},
                  {{xs.ref, Access::read}, {dys.ref, Access::read}, {out, out_access}}, push, plan.gx, plan.gy, gz);
    }
    if (split) {
      const uint32_t spec[] = {profile.loop_local};
      cl.dispatch(ShaderId::conv2d_split_reduce, spec,
                  {{out, Access::read}, {range(dw), acc ? Access::read_write : Access::write}}, push,
                  groups_for(d.K * d.Cg() * d.R * d.S, spec[0]));
    }
    if (db) {
      // Passes over at most loop_budget values per invocation, each adding to db.
      const uint32_t spec[] = {profile.reduction_local};
      const int64_t values = dc.N * d.OH * d.OW, per_pass = int64_t(profile.loop_budget) * spec[0];
      for (int64_t v0 = 0; v0 < values; v0 += per_pass) {
        const bool add = acc || v0 > 0;
        Conv2dPush bp = push;
        bp.flags = add ? kAccumulate : 0;
        bp.range_begin = uint32_t(v0), bp.range_end = uint32_t(std::min(values, v0 + per_pass));
        cl.dispatch(ShaderId::conv2d_bias_grad, spec,
                    {{dys.ref, Access::read}, {range(*db), add ? Access::read_write : Access::write}}, bp,
                    uint32_t(d.K));
      }
    }
  }
  return {};
}

}  // namespace vknn
