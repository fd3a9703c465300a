#include "vknn/ops/conv2d.h"
#include "vknn/ops/add.h"
#include "vknn/ops/matmul.h"
#include "vknn/ops/relu.h"

#include "autotune.h"
#include "conv2d_winograd.h"

#include <algorithm>

namespace vknn {
namespace {

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

std::string describe(const Conv2dParams& p) {
  return fmt::format("stride ({},{}), pad ({},{}), groups {}", p.stride_h, p.stride_w, p.pad_h, p.pad_w, p.groups);
}

// Checks everything about x's and w's shapes and the params; returns the sizes.
// x is x or dx, w is w or dw: `xname` and `wname` say which. `shapes` describes every
// operand and the params, for the messages.
Result<Dims> check_dims(const char* op, const Conv2dParams& p, const Shape& x, const Shape& w, const char* xname,
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

Shape y_shape(const Dims& d) { return Shape{d.N, d.K, d.OH, d.OW}; }

Conv2dPush make_push(const Dims& d, const Conv2dParams& p, uint32_t flags) {
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

Slice slice(const TensorView& t, int64_t n0, int64_t n, uint64_t align) {
  const uint64_t per = t.spanned_bytes() / uint64_t(t.shape[0]);
  const uint64_t begin = uint64_t(n0) * per, start = begin / align * align;
  return {t.buffer.sub(start, begin - start + uint64_t(n) * per), uint32_t((begin - start) / dtype_bytes(t.dtype))};
}

uint64_t binding_limit(const DeviceCaps& caps) {
  return caps.max_storage_buffer_range ? caps.max_storage_buffer_range : uint64_t(UINT32_MAX);
}
uint64_t offset_alignment(const DeviceCaps& caps) {
  return std::max<uint64_t>(4, caps.min_storage_buffer_offset_alignment);
}

// Images per chunk: all N when every tensor fits one binding. `per_image` are the bytes
// per image of the batched operands, `whole` the bytes of the others (weights, bias).
Result<int64_t> images_per_chunk(const char* op, const DeviceCaps& caps, int64_t N,
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
Status check_operand(const char* op, const char* name, const TensorView& t, const Shape& want,
                     const std::string& context) {
  if (t.shape != want)
    return make_error(Errc::invalid_argument, "{}: {} has shape {}, expected {}; got {}", op, name, t.str(), want.str(),
                      context);
  return check_positive(op, name, t);
}

std::string shape_or_none(const TensorView* t) { return t ? t->str() : std::string("none"); }

// Register-kernel block sizes: 16 channels (8 when there are fewer), up to 8 pixels along a row.
uint32_t channel_block(int64_t channels) { return channels <= 8 ? 8u : 16u; }
// The narrowest block that covers a row in as few blocks of at most 8 as possible: 13 -> 7
// (two blocks of 7 waste 1 column where two of 8 waste 3), 27 -> 7, 56 -> 8.
uint32_t pixel_block(int64_t width) {
  const int64_t blocks = (width + 7) / 8;
  return uint32_t((width + blocks - 1) / blocks);
}

bool use_register(const DeviceProfile& profile, const Conv2dParams& p) {
  return resolve_conv2d_variant(profile, p.variant) == Conv2dVariant::register_blocked;
}

// The loops of the forward and backward-data kernels run over channels and kernel rows:
// refuse layers so wide that the driver would cut the loops short (DeviceProfile::loop_limit).
Status check_loop_budget(const char* op, const DeviceProfile& profile, int64_t iterations,
                         const std::string& context) {
  if (!profile.loop_fits(iterations))
    return make_error(Errc::unsupported, "{}: {} loop iterations per invocation, more than this driver runs ({})", op,
                      iterations, context);
  return {};
}

// How the weight gradient is split over output rows.
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

Conv2dVariant resolve_conv2d_variant(const DeviceProfile& profile, Conv2dVariant requested) {
  if (winograd_tile(requested)) requested = Conv2dVariant::automatic;  // a forward path only
  if (requested == Conv2dVariant::automatic)
    requested = profile.family(KernelClass::conv) == KernelFamily::register_blocked ? Conv2dVariant::register_blocked
                                                                                    : Conv2dVariant::shared_tiled;
  // The register kernels broadcast within subgroups; without that they cannot run.
  if (requested == Conv2dVariant::register_blocked && !profile.subgroup_broadcast)
    requested = Conv2dVariant::shared_tiled;
  return requested;
}

Result<Shape> conv2d_output_shape(const Conv2dParams& p, const Shape& x, const Shape& w) {
  VKNN_ASSIGN(const Dims d,
              check_dims("conv2d", p, x, w, "x", "w", fmt::format("x {}, w {}, {}", x.str(), w.str(), describe(p))));
  return y_shape(d);
}

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

Status record_conv2d_backward_data(CommandList& cl, const Conv2dParams& p, const TensorView& dy, const TensorView& w,
                                   const TensorView& dx, bool accumulate) {
  constexpr const char* op = "conv2d_backward_data";
  const std::string context = fmt::format("dy {}, w {}, dx {}, {}", dy.str(), w.str(), dx.str(), describe(p));
  VKNN_ASSIGN(const Dims d, check_dims(op, p, dx.shape, w.shape, "dx", "w", context));
  VKNN_TRY(check_positive(op, "dx", dx));
  VKNN_TRY(check_positive(op, "w", w));
  VKNN_TRY(check_operand(op, "dy", dy, y_shape(d), context));
  VKNN_TRY(check_contiguous(op, "dy", dy));
  VKNN_TRY(check_contiguous(op, "dx", dx));
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

// ---------------------------------------------------------------------------- graph node

namespace {

struct Conv2dBackwardNode final : OpNode {
  Conv2dParams p;
  bool data = true, has_bias = false, accumulate = false;
  const char* type() const override { return data ? "conv2d_backward_data" : "conv2d_backward_weight"; }
  // data: in dy, w -> dx. weight: in x, dy -> dw[, db]
  Status record(CommandList& cl, const NodeIO& io) const override {
    if (data) return record_conv2d_backward_data(cl, p, io.in[0], io.in[1], io.out[0], accumulate);
    return record_conv2d_backward_weight(cl, p, io.in[0], io.in[1], io.out[0], has_bias ? &io.out[1] : nullptr,
                                         io.workspace, accumulate);
  }
  // The weight gradient's split reduction needs scratch, planned by the executor.
  Result<uint64_t> workspace_bytes(const Context& ctx, const Graph& g, const Node& n) const override {
    if (data) return uint64_t(0);
    return conv2d_backward_weight_workspace_bytes(ctx, p, g.shape(n.inputs[0]), g.shape(n.outputs[0]));
  }
  double flops(const Graph& g, const Node& n) const override {
    const Shape& w = g.shape(data ? n.inputs[1] : n.outputs[0]);
    const Shape& dy = g.shape(data ? n.inputs[0] : n.inputs[1]);
    return 2.0 * double(dy.numel()) * double(w[1] * w[2] * w[3]);
  }
};

struct Conv2dNode final : OpNode {
  Conv2dParams p;
  bool has_bias = false, has_residual = false;
  const char* type() const override { return "conv2d"; }
  bool half_storage() const override { return true; }
  // in: x, w[, b][, residual]; out: y
  Status record(CommandList& cl, const NodeIO& io) const override {
    return record_conv2d_forward(cl, p, io.in[0], io.in[1], has_bias ? &io.in[2] : nullptr, io.out[0],
                                 has_residual ? &io.in[has_bias ? 3 : 2] : nullptr, io.workspace);
  }
  // The Winograd path's scratch, planned by the executor.
  Result<uint64_t> workspace_bytes(const Context& ctx, const Graph& g, const Node& n) const override {
    return conv2d_forward_workspace_bytes(ctx, p, g.shape(n.inputs[0]), g.shape(n.inputs[1]), has_bias, has_residual);
  }
  // Its register and shared kernels write y at a channel offset within a wider tensor.
  bool writes_channel_slice(const Node&) const override { return true; }
  Status backward(BackwardBuilder& b) const override {
    // Only the inference optimizer makes such nodes, and its graphs are never trained.
    if (has_residual)
      return make_error(Errc::unsupported, "conv2d '{}' has a fused residual add (an inference rewrite), which has no backward",
                        b.node().name);
    TensorId dy = b.grad_output(0);
    if (!dy.valid()) return {};
    if (p.relu) {
      TensorId masked = b.temp("relu_grad", b.graph().shape(dy));
      b.add_node("relu", make_relu_backward_node(false), {b.output(0), dy}, {masked});
      dy = masked;
    }
    Conv2dParams q = p;
    q.relu = false;
    if (b.needs_grad(1)) {
      auto dw = b.grad_input(1);
      auto node = std::make_shared<Conv2dBackwardNode>();
      node->p = q;
      node->data = false;
      node->accumulate = dw.accumulate;
      std::vector<TensorId> outs = {dw.tensor};
      if (has_bias && b.needs_grad(2)) {
        auto db = b.grad_input(2);
        VKNN_GRAPH_CHECK(b.graph(), db.accumulate == dw.accumulate, "conv2d '{}': weight and bias gradients out of step",
                         b.node().name);
        outs.push_back(db.tensor);
        node->has_bias = true;
      }
      b.add_node("weight", node, {b.input(0), dy}, outs);
    }
    if (b.needs_grad(0)) {
      auto dx = b.grad_input(0);
      auto node = std::make_shared<Conv2dBackwardNode>();
      node->p = q;
      node->data = true;
      node->accumulate = dx.accumulate;
      b.add_node("data", node, {dy, b.input(1)}, {dx.tensor});
    }
    return {};
  }
  double flops(const Graph& g, const Node& n) const override {
    const Shape& w = g.shape(n.inputs[1]);
    return 2.0 * double(g.shape(n.outputs[0]).numel()) * double(w[1] * w[2] * w[3]);
  }
};

}  // namespace

TensorId conv2d(Graph& g, TensorId x, TensorId w, TensorId bias, const Conv2dParams& p, const std::string& name) {
  if (!g.accepts({x, w}, name) || (bias.valid() && !g.accepts({bias}, name))) return {};
  auto shape = conv2d_output_shape(p, g.shape(x), g.shape(w));
  VKNN_GRAPH_CHECK(g, shape.ok(), "conv2d '{}' on '{}' with '{}': {}", name, g.desc(x).name, g.desc(w).name,
                   shape.ok() ? "" : shape.error().message);
  if (bias.valid())
    VKNN_GRAPH_CHECK(g, g.shape(bias) == Shape{g.shape(w)[0]}, "conv2d '{}': bias '{}' {} should be ({})", name,
                     g.desc(bias).name, g.shape(bias).str(), g.shape(w)[0]);
  const std::string n = g.unique_name(name);
  TensorId y = g.tensor(n, *shape, Role::activation);
  auto node = std::make_shared<Conv2dNode>();
  node->p = p;
  node->has_bias = bias.valid();
  std::vector<TensorId> ins = {x, w};
  if (bias.valid()) ins.push_back(bias);
  g.add_node(n, node, ins, {y});
  return y;
}

std::shared_ptr<const OpNode> make_conv2d_node(const Conv2dParams& p, bool has_bias, bool has_residual) {
  auto node = std::make_shared<Conv2dNode>();
  node->p = p;
  node->has_bias = has_bias;
  node->has_residual = has_residual;
  return node;
}

bool conv2d_has_residual(const Node& n) {
  const auto* c = dynamic_cast<const Conv2dNode*>(n.op.get());
  return c && c->has_residual;
}

const Conv2dParams* conv2d_params(const Node& n) {
  const auto* c = dynamic_cast<const Conv2dNode*>(n.op.get());
  return c ? &c->p : nullptr;
}

}  // namespace vknn
