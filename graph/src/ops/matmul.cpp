#include "vknn/ops/matmul.h"


namespace vknn {
namespace {

struct MatmulPush {  // mirrors shaders/common/matmul_push.glsl
  uint32_t M, N, K;
  uint32_t a_m, a_k, b_k, b_n, c_m, c_n;
  uint32_t a_batch, b_batch, c_batch, bias_batch;
  uint32_t flags;
  float alpha;
};
static_assert(sizeof(MatmulPush) == 60);

constexpr uint32_t kBiasRow = 1, kBiasCol = 2, kRelu = 4, kAccumulate = 8;

// Largest element index touched, plus one.
uint64_t extent(uint32_t batch, uint32_t bstride, uint32_t rows, uint32_t rstride, uint32_t cols, uint32_t cstride) {
  return uint64_t(batch - 1) * bstride + uint64_t(rows - 1) * rstride + uint64_t(cols - 1) * cstride + 1;
}

}  // namespace

MatmulVariant resolve_matmul_variant(const DeviceProfile& profile, MatmulVariant requested) {
  if (requested != MatmulVariant::automatic) return requested;
  return profile.family(KernelClass::matmul) == KernelFamily::register_blocked ? MatmulVariant::register_blocked
                                                                               : MatmulVariant::shared_tiled;
}

MatmulVariant choose_matmul_variant(const DeviceProfile& profile, const MatmulDesc& d) {
  if (d.variant != MatmulVariant::automatic) return d.variant;
  // A forced family (VKNN_MATMUL) is for testing that family's kernels: use it everywhere.
  if (!profile.is_forced(KernelClass::matmul)) {
    if (d.M <= 4 && d.a_k == 1 && d.b_k == 1) return MatmulVariant::rows_dot;
    // Rows walked inside one invocation: worth it while M*K stays small per column (past
    // about 60000 the tiled kernels win), and only within the driver's loop limit.
    const int64_t walked = int64_t(d.M) * (int64_t(d.K) + 1);
    if (d.b_n == 1 && d.c_n == 1 && (d.M <= 4 || d.K <= 8) && walked <= 60000 && profile.loop_fits(walked))
      return MatmulVariant::columns;
  }
  return resolve_matmul_variant(profile, MatmulVariant::automatic);
}

ShaderId matmul_shader(MatmulVariant variant) {
  switch (variant) {
    case MatmulVariant::rows_dot: return ShaderId::matmul_rows_dot;
    case MatmulVariant::columns: return ShaderId::matmul_columns;
    case MatmulVariant::register_blocked: return ShaderId::matmul_register;
    default: return ShaderId::matmul_shared;
  }
}

Status record_matmul(CommandList& cl, const MatmulDesc& d, const BufferRef& a, const BufferRef& b,
                     const BufferRef& bias, const BufferRef& c) {
  if (d.M == 0 || d.N == 0 || d.K == 0 || d.batch == 0)
    return make_error(Errc::invalid_argument, "matmul: sizes M={} N={} K={} batch={} must be positive", d.M, d.N, d.K,
                      d.batch);
  auto fits = [](const char* name, const BufferRef& r, uint64_t elems) -> Status {
    if (!r.valid() || r.size < elems * 4)
      return make_error(Errc::invalid_argument, "matmul: operand {} needs {} floats, its buffer range holds {}", name,
                        elems, r.size / 4);
    return {};
  };
  VKNN_TRY(fits("A", a, extent(d.batch, d.a_batch, d.M, d.a_m, d.K, d.a_k)));
  VKNN_TRY(fits("B", b, extent(d.batch, d.b_batch, d.K, d.b_k, d.N, d.b_n)));
  VKNN_TRY(fits("C", c, extent(d.batch, d.c_batch, d.M, d.c_m, d.N, d.c_n)));
  uint32_t flags = 0;
  if (d.bias == MatmulDesc::Bias::per_row) {
    flags |= kBiasRow;
    VKNN_TRY(fits("bias", bias, uint64_t(d.batch - 1) * d.bias_batch + d.M));
  } else if (d.bias == MatmulDesc::Bias::per_column) {
    flags |= kBiasCol;
    VKNN_TRY(fits("bias", bias, uint64_t(d.batch - 1) * d.bias_batch + d.N));
  }
  if (d.relu) flags |= kRelu;
  if (d.accumulate) flags |= kAccumulate;
  MatmulPush push{d.M, d.N, d.K, d.a_m, d.a_k, d.b_k, d.b_n, d.c_m, d.c_n,
                  d.a_batch, d.b_batch, d.c_batch, d.bias_batch, flags, d.alpha};
  // An unused bias binding still needs a valid descriptor; A is read-only anyway.
  const BufferRef bias_ref = d.bias == MatmulDesc::Bias::none ? a : bias;
  const Access c_access = d.accumulate ? Access::read_write : Access::write;
  const MatmulVariant variant = choose_matmul_variant(cl.context().profile(), d);
  if (variant == MatmulVariant::rows_dot && (d.M > 4 || d.a_k != 1 || d.b_k != 1))
    return make_error(Errc::invalid_argument, "matmul: rows_dot needs M <= 4 and A, B contiguous along K");
  if (variant == MatmulVariant::columns && (d.b_n != 1 || d.c_n != 1))
    return make_error(Errc::invalid_argument, "matmul: columns needs B and C contiguous along N");
  const std::initializer_list<Binding> bindings = {
      {a, Access::read}, {b, Access::read}, {bias_ref, Access::read}, {c, c_access}};
  switch (variant) {
    case MatmulVariant::rows_dot:
      cl.dispatch(matmul_shader(variant), {}, bindings, push, groups_for(d.N, 8), 1, d.batch);
      break;
    case MatmulVariant::columns: {
      static const uint32_t spec[] = {64};
      cl.dispatch(matmul_shader(variant), spec, bindings, push, groups_for(d.N, 64), 1, d.batch);
      break;
    }
    case MatmulVariant::register_blocked: {
      static const uint32_t spec[] = {8, 8};  // 8x8 invocations, each an 8x8 block: a 64x64 tile
      cl.dispatch(matmul_shader(variant), spec, bindings, push, groups_for(d.N, 64), groups_for(d.M, 64), d.batch);
      break;
    }
    default:
      cl.dispatch(matmul_shader(variant), {}, bindings, push, groups_for(d.N, 64), groups_for(d.M, 64), d.batch);
      break;
  }
  return {};
}

}  // namespace vknn
