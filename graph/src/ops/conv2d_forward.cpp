#include "vknn/ops/conv2d.h"
#include "vknn/ops/add.h"
#include "vknn/ops/matmul.h"

#include "autotune.h"
#include "conv2d_internal.h"
#include "conv2d_winograd.h"

#include <algorithm>

namespace vknn {
using namespace conv2d_detail;

namespace {

// A 1x1 convolution with stride 1, no padding and one group is, per image n, the plain GEMM
//   Y[n](K, H*W) = W(K, C) * X[n](C, H*W)
// over contiguous planes: it runs on the matmul kernels, with the bias and ReLU in their
// epilogue and the residual as the accumulated C (copied into y first). Only when the batch is
// one binding (no chunks: the matmul kernels take no element offsets).
bool use_gemm(const DeviceProfile& profile, const Conv2dParams& p, const Dims& d, int64_t chunk) {
  return profile.conv_1x1_gemm && d.R == 1 && d.S == 1 && p.stride_h == 1 && p.stride_w == 1 && p.pad_h == 0 &&
         p.pad_w == 0 && d.G == 1 && chunk == d.N;
}

Status record_conv2d_forward_gemm(CommandList& cl, const Conv2dParams& p, const Dims& d, const TensorView& x,
                                  const TensorView& w, const TensorView* bias, const TensorView& y,
                                  const TensorView* residual) {
  const uint32_t hw = uint32_t(d.H * d.W);
  MatmulDesc m;
  m.M = uint32_t(d.K), m.N = hw, m.K = uint32_t(d.C), m.batch = uint32_t(d.N);
  m.a_m = uint32_t(d.C), m.a_k = 1;                                 // w (K, C)
  m.b_k = hw, m.b_n = 1, m.b_batch = uint32_t(d.C) * hw;            // x (N, C, H*W)
  m.c_m = hw, m.c_n = 1, m.c_batch = uint32_t(d.K) * hw;            // y (N, K, H*W)
  m.bias = bias ? MatmulDesc::Bias::per_row : MatmulDesc::Bias::none;
  m.relu = p.relu;
  m.accumulate = residual != nullptr;
  if (residual) cl.copy(range(*residual), range(y));
  return record_matmul(cl, m, range(w), range(x), bias ? range(*bias) : BufferRef{}, range(y));
}

}  // namespace

namespace {

// The ways a forward convolution runs.
enum class ForwardPath { register_blocked, shared_tiled, gemm, winograd_f2, winograd_f4 };
const char* forward_path_name(ForwardPath f) {
  switch (f) {
    case ForwardPath::gemm: return "gemm";
    case ForwardPath::register_blocked: return "register";
    case ForwardPath::winograd_f2: return "winograd_f2";
    case ForwardPath::winograd_f4: return "winograd_f4";
    default: return "shared";
  }
}
int path_tile(ForwardPath f) { return f == ForwardPath::winograd_f2 ? 2 : f == ForwardPath::winograd_f4 ? 4 : 0; }
ForwardPath winograd_path(int tile) { return tile == 4 ? ForwardPath::winograd_f4 : ForwardPath::winograd_f2; }

// The Winograd tiles (2, 4) whose workspace fits in `workspace` bytes, for a layer Winograd
// computes in one chunk of images (conv2d_winograd.h).
uint64_t winograd_bytes(const DeviceCaps& caps, const Dims& d, int tile) {
  auto bytes = winograd_workspace_bytes(caps, tile, Shape{d.N, d.C, d.H, d.W}, Shape{d.K, d.C, 3, 3}, y_shape(d));
  return bytes.ok() ? *bytes : UINT64_MAX;
}
std::vector<int> winograd_tiles(const DeviceCaps& caps, const Conv2dParams& p, const Dims& d, int64_t chunk,
                                uint64_t workspace) {
  std::vector<int> tiles;
  if (chunk != d.N || !winograd_shaped(p, Shape{d.K, d.Cg(), d.R, d.S})) return tiles;
  for (int t : {2, 4})
    if (winograd_bytes(caps, d, t) <= workspace) tiles.push_back(t);
  return tiles;
}

// The autotuner's key of a forward; a layer whose candidates include Winograd has its own
// (a choice stored before those candidates existed is timed again).
std::string forward_key(const Conv2dParams& p, const Dims& d, bool has_bias, bool has_residual, bool winograd) {
  return fmt::format("conv2d_forward x({},{},{},{}) w({},{},{},{}) {}{}{}{}{}", d.N, d.C, d.H, d.W, d.K, d.Cg(), d.R,
                     d.S, describe(p), has_bias ? " bias" : "", p.relu ? " relu" : "", has_residual ? " residual" : "",
                     winograd ? " winograd" : "");
}

bool gemm_shaped(const Conv2dParams& p, const Dims& d, int64_t chunk) {
  return d.R == 1 && d.S == 1 && p.stride_h == 1 && p.stride_w == 1 && p.pad_h == 0 && p.pad_w == 0 && d.G == 1 &&
         chunk == d.N;
}

int64_t forward_loop_iterations(ForwardPath f, const Dims& d) {
  return f == ForwardPath::gemm || path_tile(f) ? d.C
         : f == ForwardPath::register_blocked    ? d.Cg() * (d.R + 1)
                                                 : 2 * d.Cg() * d.R * d.S;
}

Status record_forward_path(CommandList& cl, ForwardPath path, const Conv2dParams& p, const Dims& d, int64_t chunk,
                           const TensorView& x, const TensorView& w, const TensorView* bias, const TensorView& y,
                           const TensorView* residual, const BufferRef& workspace) {
  const DeviceCaps& caps = cl.context().caps();
  const DeviceProfile& profile = cl.context().profile();
  if (path == ForwardPath::gemm) return record_conv2d_forward_gemm(cl, p, d, x, w, bias, y, residual);
  if (path_tile(path)) return record_conv2d_forward_winograd(cl, path_tile(path), x, w, bias, y, residual, p, workspace);
  const BufferRef bias_ref = bias ? range(*bias) : range(w);  // an unused binding still needs a buffer
  for (int64_t n0 = 0; n0 < d.N; n0 += chunk) {
    Dims dc = d;
    dc.N = std::min(chunk, d.N - n0);
    const Slice xs = slice(x, n0, dc.N, offset_alignment(caps)), ys = slice(y, n0, dc.N, offset_alignment(caps));
    // An absent residual binds the weights (an unused binding still needs a buffer).
    const Slice rs = residual ? slice(*residual, n0, dc.N, offset_alignment(caps)) : Slice{range(w), 0};
    Conv2dPush push = make_push(dc, p, (bias ? kBias : 0) | (p.relu ? kRelu : 0) | (residual ? kResidual : 0));
    push.x_off = xs.off, push.y_off = ys.off, push.r_off = rs.off;
    if (y.is_channel_slice()) push.y_channels = uint32_t(y.parent_channels), push.y_channel0 = uint32_t(y.channel_offset);
    if (path == ForwardPath::register_blocked) {
      const uint32_t tk = channel_block(d.Kg()), tp = pixel_block(d.OW);
      const int64_t segments = dc.N * d.OH * ((d.OW + tp - 1) / tp);
      const uint32_t lx = profile.register_local(segments);
      const uint32_t spec[] = {lx, profile.subgroup_size, uint32_t(d.S), uint32_t(p.stride_w), tk, tp};
      cl.dispatch(x.dtype == DType::f16 ? ShaderId::conv2d_forward_register_f16 : ShaderId::conv2d_forward_register, spec,
                  {{xs.ref, Access::read},
                   {range(w), Access::read},
                   {bias_ref, Access::read},
                   {ys.ref, Access::write},
                   {rs.ref, Access::read}},
                  push, groups_for(segments, lx), groups_for(d.Kg(), tk), uint32_t(d.G));
    } else {
      cl.dispatch(ShaderId::conv2d_forward_shared, {},
                  {{xs.ref, Access::read},
                   {range(w), Access::read},
                   {bias_ref, Access::read},
                   {ys.ref, Access::write},
                   {rs.ref, Access::read}},
                  push, groups_for(dc.N * d.OH * d.OW, kTile), groups_for(d.Kg(), kTile), uint32_t(d.G));
    }
  }
  return {};
}

// The forward's path on this device: the profile's (use_gemm, use_register), or, with the
// autotuner on and nothing asked for explicitly (p.variant, VKNN_CONV, VKNN_CONV1X1 each fix
// their part), the fastest of the candidates, timed on scratch buffers at the shape's first use.
// A y that is a channel slice rules the GEMM out (the matmul kernels write contiguous planes).
// Winograd (a requested tile, VKNN_CONV3X3's, or a tuner's candidate) needs `workspace` bytes
// of scratch; an explicit request without them is refused, the others fall back to direct.
Result<ForwardPath> forward_path(Context& ctx, const Conv2dParams& p, const Dims& d, int64_t chunk, bool has_bias,
                                 bool has_residual, bool y_slice, uint64_t workspace, bool half) {
  const DeviceProfile& profile = ctx.profile();
  // fp16 storage has a register-blocked variant only (conv2d_forward_register_f16).
  if (half) {
    if (winograd_tile(p.variant))
      return make_error(Errc::unsupported, "conv2d_forward: Winograd has no fp16 variant; got {}", describe(p));
    if (!profile.subgroup_broadcast)
      return make_error(Errc::unsupported,
                        "conv2d_forward: fp16 tensors need the register-blocked kernel, which needs subgroup broadcast");
    return ForwardPath::register_blocked;
  }
  const std::vector<int> tiles = winograd_tiles(ctx.caps(), p, d, chunk, workspace);
  auto has_tile = [&](int t) { return std::find(tiles.begin(), tiles.end(), t) != tiles.end(); };
  if (const int t = winograd_tile(p.variant)) {
    if (has_tile(t)) return winograd_path(t);
    return make_error(Errc::invalid_argument,
                      "conv2d_forward: Winograd F({},3) needs a 3x3 kernel, stride 1, groups 1, a batch in one binding "
                      "and the workspace of conv2d_forward_workspace_bytes ({} bytes given); got x ({},{},{},{}), "
                      "w ({},{},{},{}), {}",
                      t, workspace, d.N, d.C, d.H, d.W, d.K, d.Cg(), d.R, d.S, describe(p));
  }
  if (const int t = winograd_forced_tile(profile); t > 0 && has_tile(t)) return winograd_path(t);
  const ForwardPath fixed = !y_slice && use_gemm(profile, p, d, chunk) ? ForwardPath::gemm
                            : use_register(profile, p)     ? ForwardPath::register_blocked
                                                           : ForwardPath::shared_tiled;
  TuneTable* table = profile.tuner();
  if (!table || fixed == ForwardPath::gemm || p.variant != Conv2dVariant::automatic ||
      profile.is_forced(KernelClass::conv))
    return fixed;
  std::vector<ForwardPath> paths;
  if (!y_slice && gemm_shaped(p, d, chunk) && !profile.conv_1x1_explicit) paths.push_back(ForwardPath::gemm);
  if (profile.subgroup_broadcast) paths.push_back(ForwardPath::register_blocked);
  paths.push_back(ForwardPath::shared_tiled);
  if (!profile.conv_3x3_explicit)
    for (int t : tiles) paths.push_back(winograd_path(t));
  std::erase_if(paths, [&](ForwardPath f) { return !profile.loop_fits(forward_loop_iterations(f, d)); });
  if (paths.size() <= 1) return fixed;

  // The key names the candidates the shape has, whatever workspace this call was given.
  const bool shaped = !winograd_tiles(ctx.caps(), p, d, chunk, UINT64_MAX).empty();
  const std::string key = forward_key(p, d, has_bias, has_residual, shaped && !profile.conv_3x3_explicit);
  std::vector<TuneCandidate> candidates;
  std::vector<Buffer> scratch;
  const Shape xs{d.N, d.C, d.H, d.W}, ws{d.K, d.Cg(), d.R, d.S}, ys{d.N, d.K, d.OH, d.OW}, bs{d.K};
  auto view = [&](size_t i, const Shape& s) { return TensorView{scratch[i].ref(0, s.bytes()), s}; };
  const std::optional<std::string> stored = table->find(key);
  const bool known = stored && std::any_of(paths.begin(), paths.end(),
                                           [&](ForwardPath f) { return *stored == forward_path_name(f); });
  if (!known) {  // the candidates will be timed, on x, w, y, bias, residual and a workspace
    for (const Shape* s : {&xs, &ws, &ys, &bs, &ys}) {
      VKNN_ASSIGN(Buffer b, tune_scratch(ctx, s->bytes()));
      scratch.push_back(std::move(b));
    }
    if (!tiles.empty() && !profile.conv_3x3_explicit) {
      uint64_t need = 0;
      for (int t : tiles) need = std::max(need, winograd_bytes(ctx.caps(), d, t));
      VKNN_ASSIGN(Buffer b, tune_scratch(ctx, need));
      scratch.push_back(std::move(b));
    }
  }
  for (ForwardPath f : paths)
    candidates.push_back({forward_path_name(f), [&, f](CommandList& cl) {
                            const TensorView x = view(0, xs), w = view(1, ws), y = view(2, ys), b = view(3, bs),
                                             r = view(4, ys);
                            const BufferRef scratch_ws = path_tile(f) ? scratch[5].ref() : BufferRef{};
                            return record_forward_path(cl, f, p, d, chunk, x, w, has_bias ? &b : nullptr, y,
                                                       has_residual ? &r : nullptr, scratch_ws);
                          }});
  VKNN_ASSIGN(const size_t best, tuned_choice(ctx, *table, key, candidates));
  return paths[best];
}

}  // namespace

Status record_conv2d_forward(CommandList& cl, const Conv2dParams& p, const TensorView& x, const TensorView& w,
                             const TensorView* bias, const TensorView& y, const TensorView* residual,
                             const BufferRef& workspace) {
  constexpr const char* op = "conv2d_forward";
  const std::string context = fmt::format("x {}, w {}, bias {}, y {}, residual {}, {}", x.str(), w.str(),
                                          shape_or_none(bias), y.str(), shape_or_none(residual), describe(p));
  VKNN_ASSIGN(const Dims d, check_dims(op, p, x.shape, w.shape, "x", "w", context));
  VKNN_TRY(check_positive(op, "x", x));
  VKNN_TRY(check_positive(op, "w", w));
  VKNN_TRY(check_contiguous(op, "x", x));
  VKNN_TRY(check_contiguous(op, "w", w));
  if (bias) VKNN_TRY(check_operand(op, "bias", *bias, Shape{d.K}, context));
  if (bias) VKNN_TRY(check_contiguous(op, "bias", *bias));
  VKNN_TRY(check_operand(op, "y", y, y_shape(d), context));  // y alone may be a channel slice
  if (residual) {
    VKNN_TRY(check_operand(op, "residual", *residual, y_shape(d), context));
    VKNN_TRY(check_contiguous(op, "residual", *residual));
    // Each invocation reads the residual where it writes y, but other invocations write
    // meanwhile: only separate memory is safe.
    if (range(*residual).overlaps(range(y)))
      return make_error(Errc::invalid_argument, "{}: the residual overlaps y ({})", op, context);
  }
  VKNN_ASSIGN(const bool half, detail::half_storage(op, cl.context(),
                                                    {{"x", &x}, {"w", &w}, {"bias", bias}, {"y", &y}, {"residual", residual}}));
  VKNN_ASSIGN(const int64_t chunk, images_per_chunk(op, cl.context().caps(), d.N,
                                                    {x.bytes() / d.N, y.spanned_bytes() / d.N}, {w.bytes()}, context));
  VKNN_ASSIGN(const ForwardPath path, forward_path(cl.context(), p, d, chunk, bias != nullptr, residual != nullptr,
                                                   y.is_channel_slice(), workspace.valid() ? workspace.size : 0, half));
  if (path_tile(path))
    for (const TensorView* t : {&x, &w, bias, &y, residual})
      if (t && workspace.overlaps(range(*t)))
        return make_error(Errc::invalid_argument, "{}: the workspace overlaps an operand ({})", op, context);
  // Loop iterations: the GEMM's over C, the register kernel's channel and row loops, the
  // shared one's chunks.
  VKNN_TRY(check_loop_budget(op, cl.context().profile(), forward_loop_iterations(path, d), context));
  return record_forward_path(cl, path, p, d, chunk, x, w, bias, y, residual, workspace);
}

Result<uint64_t> conv2d_forward_workspace_bytes(const Context& ctx, const Conv2dParams& p, const Shape& x,
                                                const Shape& w, bool has_bias, bool has_residual) {
  constexpr const char* op = "conv2d_forward";
  const std::string context = fmt::format("x {}, w {}, {}", x.str(), w.str(), describe(p));
  VKNN_ASSIGN(const Dims d, check_dims(op, p, x, w, "x", "w", context));
  VKNN_ASSIGN(const int64_t chunk,
              images_per_chunk(op, ctx.caps(), d.N, {x.bytes() / d.N, y_shape(d).bytes() / d.N}, {w.bytes()}, context));
  const DeviceProfile& profile = ctx.profile();
  const std::vector<int> tiles = winograd_tiles(ctx.caps(), p, d, chunk, UINT64_MAX);
  auto bytes_of = [&](int t) {
    return std::find(tiles.begin(), tiles.end(), t) != tiles.end() ? winograd_bytes(ctx.caps(), d, t) : uint64_t(0);
  };
  if (const int t = winograd_tile(p.variant)) return bytes_of(t);
  if (tiles.empty()) return uint64_t(0);
  if (profile.conv_3x3_explicit) return bytes_of(profile.conv_3x3_winograd);
  // The tuner may take either tile: what it stored, or the larger until it has timed them.
  const TuneTable* table = profile.tuner();
  if (!table || p.variant != Conv2dVariant::automatic || profile.is_forced(KernelClass::conv)) return uint64_t(0);
  if (auto stored = table->find(forward_key(p, d, has_bias, has_residual, true)))
    return *stored == "winograd_f2" ? bytes_of(2) : *stored == "winograd_f4" ? bytes_of(4) : uint64_t(0);
  return std::max(bytes_of(2), bytes_of(4));
}

Result<std::string> conv2d_forward_choice(Context& ctx, const Conv2dParams& p, const Shape& x, const Shape& w,
                                          bool has_bias, bool has_residual) {
  constexpr const char* op = "conv2d_forward";
  const std::string context = fmt::format("x {}, w {}, {}", x.str(), w.str(), describe(p));
  VKNN_ASSIGN(const Dims d, check_dims(op, p, x, w, "x", "w", context));
  VKNN_ASSIGN(const int64_t chunk,
              images_per_chunk(op, ctx.caps(), d.N, {x.bytes() / d.N, y_shape(d).bytes() / d.N}, {w.bytes()}, context));
  VKNN_ASSIGN(const uint64_t workspace, conv2d_forward_workspace_bytes(ctx, p, x, w, has_bias, has_residual));
  VKNN_ASSIGN(const ForwardPath path, forward_path(ctx, p, d, chunk, has_bias, has_residual, false, workspace, false));
  return std::string(forward_path_name(path));
}

}  // namespace vknn
