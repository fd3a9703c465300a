#include "vknn/ops/matmul.h"

#include "vknn/ops/add.h"
#include "vknn/ops/linear.h"

#include <algorithm>

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

// ---------------------------------------------------------------------------- graph op

namespace {

// The sizes of one matmul node: y[z](M,N) = alpha * op(a[z])(M,K) · op(b[z])(K,N), z < Z; an
// operand shared over z (its batch dims all 1 while Z > 1) has batch stride 0.
struct Plan {
  uint32_t M = 0, N = 0, K = 0, Z = 1;
  bool a_shared = false, b_shared = false;
  Shape y;
};

Result<Plan> make_plan(const char* op, const MatmulNodeParams& p, const Shape& a, const Shape& b) {
  if (a.rank() < 2 || b.rank() < 2)
    return make_error(Errc::invalid_argument, "{}: a {} and b {} must have at least 2 dims (matrices)", op, a.str(),
                      b.str());
  for (const Shape* s : {&a, &b})
    for (int64_t d : s->dims)
      if (d < 1) return make_error(Errc::invalid_argument, "{}: a {} or b {} has an empty dim", op, a.str(), b.str());
  const size_t ra = a.rank(), rb = b.rank();
  const int64_t m = p.trans_a ? a[ra - 1] : a[ra - 2], ka = p.trans_a ? a[ra - 2] : a[ra - 1];
  const int64_t kb = p.trans_b ? b[rb - 1] : b[rb - 2], n = p.trans_b ? b[rb - 2] : b[rb - 1];
  if (ka != kb)
    return make_error(Errc::invalid_argument, "{}: a {}{} and b {}{} disagree on K ({} vs {})", op, a.str(),
                      p.trans_a ? " (transposed)" : "", b.str(), p.trans_b ? " (transposed)" : "", ka, kb);
  // Batch dims, right-aligned; each operand's are the output's or all 1.
  const size_t rz = std::max(ra, rb) - 2;
  std::vector<int64_t> za(rz, 1), zb(rz, 1), zy(rz, 1);
  std::copy(a.dims.begin(), a.dims.end() - 2, za.begin() + ptrdiff_t(rz - (ra - 2)));
  std::copy(b.dims.begin(), b.dims.end() - 2, zb.begin() + ptrdiff_t(rz - (rb - 2)));
  int64_t na = 1, nb = 1, nz = 1;
  for (size_t i = 0; i < rz; ++i) {
    if (za[i] != zb[i] && za[i] != 1 && zb[i] != 1)
      return make_error(Errc::invalid_argument, "{}: the batch dims of a {} and b {} do not broadcast", op, a.str(),
                        b.str());
    zy[i] = std::max(za[i], zb[i]);
    na *= za[i], nb *= zb[i], nz *= zy[i];
  }
  if ((na != 1 && za != zy) || (nb != 1 && zb != zy))
    return make_error(Errc::invalid_argument,
                      "{}: a {} and b {} broadcast only part of their batch dims; vknn takes equal batch dims or "
                      "one operand without any",
                      op, a.str(), b.str());
  const int64_t limit = int64_t(1) << 31;
  if (nz * m * std::max(n, ka) >= limit || a.numel() >= limit || b.numel() >= limit || nz * ka * n >= limit)
    return make_error(Errc::invalid_argument, "{}: a {} and b {} are too large (2^31 elements)", op, a.str(), b.str());
  Plan pl;
  pl.M = uint32_t(m), pl.N = uint32_t(n), pl.K = uint32_t(ka), pl.Z = uint32_t(nz);
  pl.a_shared = nz > 1 && na == 1;
  pl.b_shared = nz > 1 && nb == 1;
  zy.push_back(m);
  zy.push_back(n);
  pl.y = Shape(std::move(zy));
  return pl;
}

// Element strides of the stored operands: A(m,k) = a[m*am + k*ak], B(k,n) = b[k*bk + n*bn].
struct Strides {
  uint32_t am, ak, bk, bn;
};
Strides operand_strides(const MatmulNodeParams& p, const Plan& l) {
  return {p.trans_a ? 1 : l.K, p.trans_a ? l.M : 1, p.trans_b ? 1 : l.N, p.trans_b ? l.K : 1};
}

// Whether the gradient of an operand shared over z is computed per z into scratch and summed
// afterwards. The gradient of a shared b with an untransposed, batched a is one product
// instead: op(a) laid out as (Z*M,K) and dy as (Z*M,N).
bool summed(const MatmulNodeParams& p, const Plan& l, MatmulPass pass) {
  if (pass == MatmulPass::backward_a) return l.a_shared;
  if (pass == MatmulPass::backward_b) return l.b_shared && p.trans_a;
  return false;
}

MatmulDesc pass_desc(const MatmulNodeParams& p, const Plan& l, MatmulPass pass) {
  const Strides s = operand_strides(p, l);
  const uint32_t a_batch = l.a_shared ? 0 : l.M * l.K, b_batch = l.b_shared ? 0 : l.K * l.N, y_batch = l.M * l.N;
  MatmulDesc d;
  d.alpha = p.alpha, d.variant = p.variant, d.batch = l.Z;
  switch (pass) {
    case MatmulPass::forward:
    case MatmulPass::backward_c:  // not a product of a and b (c_desc): the forward's for completeness
      d.M = l.M, d.N = l.N, d.K = l.K;
      d.a_m = s.am, d.a_k = s.ak, d.a_batch = a_batch;
      d.b_k = s.bk, d.b_n = s.bn, d.b_batch = b_batch;
      d.c_m = l.N, d.c_n = 1, d.c_batch = y_batch;
      break;
    case MatmulPass::backward_a:  // op(a)'(M,K) = dy(M,N) · op(b)ᵀ(N,K), written through a's strides
      d.M = l.M, d.N = l.K, d.K = l.N;
      d.a_m = l.N, d.a_k = 1, d.a_batch = y_batch;
      d.b_k = s.bn, d.b_n = s.bk, d.b_batch = b_batch;
      d.c_m = s.am, d.c_n = s.ak, d.c_batch = l.M * l.K;  // per z: into scratch when a is shared
      break;
    case MatmulPass::backward_b:  // op(b)'(K,N) = op(a)ᵀ(K,M) · dy(M,N), written through b's strides
      d.M = l.K, d.N = l.N, d.K = l.M;
      d.a_m = s.ak, d.a_k = s.am, d.a_batch = a_batch;
      d.b_k = l.N, d.b_n = 1, d.b_batch = y_batch;
      d.c_m = s.bk, d.c_n = s.bn, d.c_batch = l.K * l.N;
      if (l.b_shared && !p.trans_a) d.K = l.Z * l.M, d.batch = 1;  // sum over z inside the product
      break;
  }
  return d;
}

Status check_binding(const CommandList& cl, const char* op, const char* name, const TensorView& t) {
  if (uint64_t(t.numel()) > detail::max_binding_floats(cl.context()))
    return make_error(Errc::invalid_argument, "{}: {} {} is larger than one storage-buffer binding ({} floats)", op, name,
                      t.str(), detail::max_binding_floats(cl.context()));
  return {};
}

// One backward pass into `grad`: a single product, or per z into scratch then summed over z.
Status record_grad(CommandList& cl, const char* op, const MatmulNodeParams& p, const Plan& l, MatmulPass pass,
                   const BufferRef& first, const BufferRef& second, const TensorView& grad, bool accumulate,
                   const BufferRef& workspace) {
  MatmulDesc d = pass_desc(p, l, pass);
  if (!summed(p, l, pass)) {
    d.accumulate = accumulate;
    return record_matmul(cl, d, first, second, {}, range(grad));
  }
  const uint64_t per_z = uint64_t(grad.numel()), floats = per_z * l.Z;
  if (!workspace.valid() || workspace.size < floats * 4)
    return make_error(Errc::invalid_argument, "{}: {} is shared over {} batches and needs {} floats of workspace", op,
                      grad.str(), l.Z, floats);
  if (workspace.overlaps(range(grad)))
    return make_error(Errc::invalid_argument, "{}: the workspace overlaps {}", op, grad.str());
  const BufferRef scratch = workspace.sub(0, floats * 4);
  VKNN_TRY(record_matmul(cl, d, first, second, {}, scratch));
  const TensorView rows{.buffer = scratch, .shape = Shape{int64_t(l.Z), int64_t(per_z)}};
  const TensorView out{.buffer = grad.buffer, .shape = Shape{int64_t(per_z)}};
  return record_sum_rows(cl, rows, out, accumulate);
}

// Element strides of c broadcast to (M,N): C(m,n) = c[m*cm + n*cn], 0 along a repeated dim.
struct CStrides {
  uint32_t cm = 0, cn = 0;
};

Result<CStrides> c_strides(const char* op, const Shape& a, const Shape& b, const Plan& l, const Shape& c) {
  if (a.rank() != 2 || b.rank() != 2)
    return make_error(Errc::invalid_argument, "{}: c {} needs 2-D a and b, not {} and {}", op, c.str(), a.str(),
                      b.str());
  const int64_t c0 = c.rank() == 2 ? c[0] : 1, c1 = c.rank() >= 1 ? c[c.rank() - 1] : 1;
  if (c.rank() > 2 || (c0 != 1 && c0 != l.M) || (c1 != 1 && c1 != l.N))
    return make_error(Errc::invalid_argument, "{}: c {} does not broadcast to the product ({},{})", op, c.str(), l.M,
                      l.N);
  return CStrides{c0 != 1 ? uint32_t(c1) : 0u, c1 != 1 ? 1u : 0u};
}

// beta * c broadcast into y(M,N) (forward), as M products of a one and a row of c; or
// dc = beta * dy summed along c's repeated dims (backward_c), as a product of dy with a one of
// stride 0 on the summed side. The one is operand A (forward, backward_c of a row or a full
// c) or B (backward_c of a column or a scalar).
MatmulDesc c_desc(const MatmulNodeParams& p, const Plan& l, CStrides s, MatmulPass pass) {
  MatmulDesc d;
  d.alpha = p.beta, d.variant = p.variant;
  const bool rows = s.cm != 0, cols = s.cn != 0;
  if (pass == MatmulPass::forward || (rows && cols)) {
    // y[m](0,n) = one · c[m*cm + n*cn] (forward), dc[m](0,n) = one · dy[m*N + n] (backward).
    const bool fwd = pass == MatmulPass::forward;
    d.M = 1, d.K = 1, d.N = l.N, d.batch = l.M;
    d.a_m = 0, d.a_k = 1, d.a_batch = 0;
    d.b_k = 1, d.b_n = fwd ? s.cn : 1, d.b_batch = fwd ? s.cm : l.N;
    d.c_m = 0, d.c_n = 1, d.c_batch = l.N;
  } else if (cols) {  // a row (N): dc(0,n) = one(0,m) · dy(m,n)
    d.M = 1, d.K = l.M, d.N = l.N;
    d.a_m = 0, d.a_k = 0, d.b_k = l.N, d.b_n = 1, d.c_m = 0, d.c_n = 1;
  } else if (rows) {  // a column (M,1): dc(m,0) = dy(m,n) · one(n,0)
    d.M = l.M, d.K = l.N, d.N = 1;
    d.a_m = l.N, d.a_k = 1, d.b_k = 0, d.b_n = 0, d.c_m = 1, d.c_n = 0;
  } else {  // a scalar: dc = dy as one row (1, M*N) · one
    d.M = 1, d.K = l.M * l.N, d.N = 1;
    d.a_m = 0, d.a_k = 1, d.b_k = 0, d.b_n = 0, d.c_m = 0, d.c_n = 0;
  }
  return d;
}

Status check_one(const char* op, const BufferRef& workspace) {
  if (!workspace.valid() || workspace.size < 4)
    return make_error(Errc::invalid_argument, "{}: the c term needs 1 float of workspace", op);
  return {};
}

}  // namespace

Result<Shape> matmul_output_shape(const MatmulNodeParams& p, const Shape& a, const Shape& b, const Shape* c) {
  VKNN_ASSIGN(Plan l, make_plan("matmul", p, a, b));
  if (c) VKNN_TRY(c_strides("matmul", a, b, l, *c));
  return l.y;
}

Result<MatmulDesc> matmul_pass_desc(const MatmulNodeParams& p, const Shape& a, const Shape& b, MatmulPass pass) {
  VKNN_ASSIGN(Plan l, make_plan("matmul", p, a, b));
  return pass_desc(p, l, pass);
}

Result<MatmulDesc> matmul_c_desc(const MatmulNodeParams& p, const Shape& a, const Shape& b, const Shape& c,
                                 MatmulPass pass) {
  VKNN_ASSIGN(Plan l, make_plan("matmul", p, a, b));
  VKNN_ASSIGN(const CStrides s, c_strides("matmul", a, b, l, c));
  return c_desc(p, l, s, pass);
}

uint64_t matmul_pass_workspace(const MatmulNodeParams& p, const Shape& a, const Shape& b, MatmulPass pass,
                               bool with_c) {
  if (pass == MatmulPass::forward || pass == MatmulPass::backward_c) return with_c ? 1 : 0;
  auto l = make_plan("matmul", p, a, b);
  if (!l || !summed(p, *l, pass)) return 0;
  return uint64_t(l->Z) * uint64_t(pass == MatmulPass::backward_a ? a.numel() : b.numel());
}

Status record_matmul_forward(CommandList& cl, const MatmulNodeParams& p, const TensorView& a, const TensorView& b,
                             const TensorView& y, const TensorView& c, const BufferRef& workspace) {
  constexpr const char* op = "matmul_forward";
  VKNN_ASSIGN(const Plan l, make_plan(op, p, a.shape, b.shape));
  VKNN_TRY(check_shape(op, "y", y, l.y));
  for (const auto& [name, t] : {std::pair{"a", &a}, {"b", &b}, {"y", &y}}) VKNN_TRY(check_binding(cl, op, name, *t));
  if (range(y).overlaps(range(a)) || range(y).overlaps(range(b)) || (detail::present(c) && range(y).overlaps(range(c))))
    return make_error(Errc::invalid_argument, "{}: y {} overlaps a {}, b {} or c", op, y.str(), a.str(), b.str());
  MatmulDesc d = pass_desc(p, l, MatmulPass::forward);
  if (detail::present(c)) {  // y = beta * c, then y += the product
    VKNN_ASSIGN(const CStrides s, c_strides(op, a.shape, b.shape, l, c.shape));
    VKNN_TRY(check_one(op, workspace));
    if (workspace.overlaps(range(y)) || workspace.overlaps(range(c)))
      return make_error(Errc::invalid_argument, "{}: the workspace overlaps y {} or c {}", op, y.str(), c.str());
    const BufferRef one = workspace.sub(0, 4);
    cl.fill(one, 0x3f800000u);  // 1.0f
    VKNN_TRY(record_matmul(cl, c_desc(p, l, s, MatmulPass::forward), one, range(c), {}, range(y)));
    d.accumulate = true;
  }
  return record_matmul(cl, d, range(a), range(b), {}, range(y));
}

Status record_matmul_backward_a(CommandList& cl, const MatmulNodeParams& p, const TensorView& dy, const TensorView& b,
                                const TensorView& da, bool accumulate, const BufferRef& workspace) {
  constexpr const char* op = "matmul_backward_a";
  VKNN_ASSIGN(const Plan l, make_plan(op, p, da.shape, b.shape));
  VKNN_TRY(check_shape(op, "dy", dy, l.y));
  for (const auto& [name, t] : {std::pair{"dy", &dy}, {"b", &b}, {"da", &da}}) VKNN_TRY(check_binding(cl, op, name, *t));
  if (range(da).overlaps(range(dy)) || range(da).overlaps(range(b)))
    return make_error(Errc::invalid_argument, "{}: da {} overlaps dy {} or b {}", op, da.str(), dy.str(), b.str());
  return record_grad(cl, op, p, l, MatmulPass::backward_a, range(dy), range(b), da, accumulate, workspace);
}

Status record_matmul_backward_b(CommandList& cl, const MatmulNodeParams& p, const TensorView& a, const TensorView& dy,
                                const TensorView& db, bool accumulate, const BufferRef& workspace) {
  constexpr const char* op = "matmul_backward_b";
  VKNN_ASSIGN(const Plan l, make_plan(op, p, a.shape, db.shape));
  VKNN_TRY(check_shape(op, "dy", dy, l.y));
  for (const auto& [name, t] : {std::pair{"a", &a}, {"dy", &dy}, {"db", &db}}) VKNN_TRY(check_binding(cl, op, name, *t));
  if (range(db).overlaps(range(dy)) || range(db).overlaps(range(a)))
    return make_error(Errc::invalid_argument, "{}: db {} overlaps a {} or dy {}", op, db.str(), a.str(), dy.str());
  return record_grad(cl, op, p, l, MatmulPass::backward_b, range(a), range(dy), db, accumulate, workspace);
}

Status record_matmul_backward_c(CommandList& cl, const MatmulNodeParams& p, const TensorView& dy,
                                const TensorView& dc, bool accumulate, const BufferRef& workspace) {
  constexpr const char* op = "matmul_backward_c";
  VKNN_TRY(check_rank(op, "dy", dy, 2));
  // The product's shapes as far as c's gradient needs them: (M,1)·(1,N).
  const Shape as{dy.shape[0], 1}, bs{1, dy.shape[1]};
  VKNN_ASSIGN(const Plan l, make_plan(op, MatmulNodeParams{}, as, bs));
  VKNN_ASSIGN(const CStrides s, c_strides(op, as, bs, l, dc.shape));
  VKNN_TRY(check_one(op, workspace));
  if (range(dc).overlaps(range(dy)) || workspace.overlaps(range(dc)) || workspace.overlaps(range(dy)))
    return make_error(Errc::invalid_argument, "{}: dc {}, dy {} and the workspace overlap", op, dc.str(), dy.str());
  const BufferRef one = workspace.sub(0, 4);
  cl.fill(one, 0x3f800000u);  // 1.0f
  MatmulDesc d = c_desc(p, l, s, MatmulPass::backward_c);
  d.accumulate = accumulate;
  // The one is B where c is a column or a scalar, else A (c_desc).
  if (s.cn == 0) return record_matmul(cl, d, range(dy), one, {}, range(dc));
  return record_matmul(cl, d, one, range(dy), {}, range(dc));
}

namespace {

struct MatmulBackwardNode final : OpNode {
  MatmulNodeParams p;
  MatmulPass pass = MatmulPass::backward_a;
  bool accumulate = false;
  Shape a, b;  // the forward's operand shapes
  const char* type() const override {
    return pass == MatmulPass::backward_a   ? "matmul_backward_a"
           : pass == MatmulPass::backward_b ? "matmul_backward_b"
                                            : "matmul_backward_c";
  }
  // backward_a: in dy, b -> da; backward_b: in a, dy -> db; backward_c: in dy -> dc
  Status record(CommandList& cl, const NodeIO& io) const override {
    switch (pass) {
      case MatmulPass::backward_a:
        return record_matmul_backward_a(cl, p, io.in[0], io.in[1], io.out[0], accumulate, io.workspace);
      case MatmulPass::backward_b:
        return record_matmul_backward_b(cl, p, io.in[0], io.in[1], io.out[0], accumulate, io.workspace);
      default: return record_matmul_backward_c(cl, p, io.in[0], io.out[0], accumulate, io.workspace);
    }
  }
  Result<uint64_t> workspace_bytes(const Context&, const Graph&, const Node&) const override {
    return matmul_pass_workspace(p, a, b, pass, true) * 4;
  }
  double flops(const Graph& g, const Node& n) const override {
    if (pass == MatmulPass::backward_c) return double(g.shape(n.inputs[0]).numel());
    const Shape& y = g.shape(pass == MatmulPass::backward_a ? n.inputs[0] : n.inputs[1]);
    return 2.0 * double(y.numel()) * double(p.trans_a ? a[a.rank() - 2] : a[a.rank() - 1]);
  }
};

struct MatmulNode final : OpNode {
  MatmulNodeParams p;
  bool has_c = false;
  const char* type() const override { return "matmul"; }
  // in: a, b[, c]; out: y
  Status record(CommandList& cl, const NodeIO& io) const override {
    return record_matmul_forward(cl, p, io.in[0], io.in[1], io.out[0], has_c ? io.in[2] : TensorView{}, io.workspace);
  }
  Result<uint64_t> workspace_bytes(const Context&, const Graph&, const Node&) const override {
    return uint64_t(has_c ? 4 : 0);
  }
  Status backward(BackwardBuilder& bb) const override {
    const TensorId dy = bb.grad_output(0);
    if (!dy.valid()) return {};
    const Shape& as = bb.graph().shape(bb.input(0));
    const Shape& bs = bb.graph().shape(bb.input(1));
    static const char* const names[] = {"a", "b", "c"};
    for (size_t i = 0; i < (has_c ? 3u : 2u); ++i) {
      if (!bb.needs_grad(i)) continue;
      auto target = bb.grad_input(i);
      auto node = std::make_shared<MatmulBackwardNode>();
      node->p = p, node->a = as, node->b = bs, node->accumulate = target.accumulate;
      node->pass = i == 0 ? MatmulPass::backward_a : i == 1 ? MatmulPass::backward_b : MatmulPass::backward_c;
      const std::vector<TensorId> ins = i == 0 ? std::vector{dy, bb.input(1)}
                                        : i == 1 ? std::vector{bb.input(0), dy}
                                                 : std::vector{dy};
      bb.add_node(names[i], node, ins, {target.tensor});
    }
    return {};
  }
  double flops(const Graph& g, const Node& n) const override {
    const Shape& a = g.shape(n.inputs[0]);
    return 2.0 * double(g.shape(n.outputs[0]).numel()) * double(p.trans_a ? a[a.rank() - 2] : a[a.rank() - 1]);
  }
};

}  // namespace

TensorId matmul(Graph& g, TensorId a, TensorId b, const MatmulNodeParams& p, const std::string& name) {
  return matmul(g, a, b, TensorId{}, p, name);
}

TensorId matmul(Graph& g, TensorId a, TensorId b, TensorId c, const MatmulNodeParams& p, const std::string& name) {
  if (!g.accepts({a, b}, name) || (c.valid() && !g.accepts({c}, name))) return {};
  auto ys = matmul_output_shape(p, g.shape(a), g.shape(b), c.valid() ? &g.shape(c) : nullptr);
  VKNN_GRAPH_CHECK(g, ys.ok(), "matmul '{}': '{}' and '{}'{}{}: {}", name, g.desc(a).name, g.desc(b).name,
                   c.valid() ? " with c " : "", c.valid() ? "'" + g.desc(c).name + "'" : std::string(),
                   ys.ok() ? std::string() : ys.error().message);
  const std::string n = g.unique_name(name);
  TensorId y = g.tensor(n, *ys, Role::activation);
  auto node = std::make_shared<MatmulNode>();
  node->p = p;
  node->has_c = c.valid();
  std::vector<TensorId> ins = {a, b};
  if (c.valid()) ins.push_back(c);
  g.add_node(n, node, ins, {y});
  return y;
}

const MatmulNodeParams* matmul_params(const Node& n) {
  const auto* m = dynamic_cast<const MatmulNode*>(n.op.get());
  return m ? &m->p : nullptr;
}

}  // namespace vknn
