#include "matmul.h"

#include "vknn/ops/matmul.h"

#include <algorithm>
#include <stdexcept>

namespace vknn::ref {
namespace {

Tensors kernel_outputs(const MatmulDesc& d, const Tensors& in) {
  const Vec &a = in.at("a"), &b = in.at("b"), &c0 = in.at("c");
  const auto bias = in.find("bias");
  Vec out(c0.size());
  for (size_t z = 0; z < d.batch; ++z)
    for (size_t m = 0; m < d.M; ++m)
      for (size_t n = 0; n < d.N; ++n) {
        double s = 0;
        for (size_t k = 0; k < d.K; ++k)
          s += a[z * d.a_batch + m * d.a_m + k * d.a_k] * b[z * d.b_batch + k * d.b_k + n * d.b_n];
        s *= double(d.alpha);
        if (d.bias == MatmulDesc::Bias::per_row) s += bias->second[z * d.bias_batch + m];
        if (d.bias == MatmulDesc::Bias::per_column) s += bias->second[z * d.bias_batch + n];
        const size_t i = z * d.c_batch + m * d.c_m + n * d.c_n;
        if (d.accumulate) s += c0[i];
        if (d.relu) s = std::max(s, 0.0);
        out[i] = s;
      }
  return {{"c", std::move(out)}};
}

// The batch layout of one product: for every output batch index z, the matrix of a and of b.
struct Batches {
  int64_t M, N, K;
  std::vector<int64_t> dims;  // the broadcast batch dims
  std::vector<size_t> a, b;   // matrix index of a and b per z
};

Batches batches(const MatmulRef& p) {
  const auto &as = p.as, &bs = p.bs;
  if (as.size() < 2 || bs.size() < 2) throw std::invalid_argument("matmul reference: operands must be matrices");
  const size_t ra = as.size(), rb = bs.size(), rz = std::max(ra, rb) - 2;
  Batches r;
  r.M = p.trans_a ? as[ra - 1] : as[ra - 2];
  r.K = p.trans_a ? as[ra - 2] : as[ra - 1];
  r.N = p.trans_b ? bs[rb - 2] : bs[rb - 1];
  if ((p.trans_b ? bs[rb - 1] : bs[rb - 2]) != r.K) throw std::invalid_argument("matmul reference: K differs");
  std::vector<int64_t> za(rz, 1), zb(rz, 1), zy(rz);
  std::copy(as.begin(), as.end() - 2, za.begin() + ptrdiff_t(rz - (ra - 2)));
  std::copy(bs.begin(), bs.end() - 2, zb.begin() + ptrdiff_t(rz - (rb - 2)));
  int64_t total = 1;
  for (size_t i = 0; i < rz; ++i) {
    if (za[i] != zb[i] && za[i] != 1 && zb[i] != 1) throw std::invalid_argument("matmul reference: no broadcast");
    zy[i] = std::max(za[i], zb[i]);
    total *= zy[i];
  }
  for (int64_t z = 0; z < total; ++z) {  // z's multi-index, right to left; broadcast dims read index 0
    int64_t rest = z;
    size_t ia = 0, ib = 0, sa = 1, sb = 1;
    for (size_t i = rz; i-- > 0;) {
      const int64_t idx = rest % zy[i];
      rest /= zy[i];
      if (za[i] != 1) ia += size_t(idx) * sa;
      if (zb[i] != 1) ib += size_t(idx) * sb;
      sa *= size_t(za[i]), sb *= size_t(zb[i]);
    }
    r.a.push_back(ia);
    r.b.push_back(ib);
  }
  r.dims = zy;
  return r;
}

}  // namespace

std::vector<int64_t> matmul_shape(const MatmulRef& p) {
  const Batches l = batches(p);
  std::vector<int64_t> y = l.dims;
  y.push_back(l.M);
  y.push_back(l.N);
  return y;
}

// A(m,k) of matrix ia: a[ia*M*K + (trans_a ? k*M + m : m*K + k)]; likewise B(k,n).
Vec matmul_forward(const MatmulRef& p, const Vec& a, const Vec& b) {
  const Batches l = batches(p);
  const int64_t M = l.M, N = l.N, K = l.K;
  Vec y(l.a.size() * size_t(M * N));
  for (size_t z = 0; z < l.a.size(); ++z)
    for (int64_t m = 0; m < M; ++m)
      for (int64_t n = 0; n < N; ++n) {
        double s = 0;
        for (int64_t k = 0; k < K; ++k)
          s += a[l.a[z] * size_t(M * K) + size_t(p.trans_a ? k * M + m : m * K + k)] *
               b[l.b[z] * size_t(K * N) + size_t(p.trans_b ? n * K + k : k * N + n)];
        y[z * size_t(M * N) + size_t(m * N + n)] = p.alpha * s;
      }
  return y;
}

MatmulGrads matmul_backward(const MatmulRef& p, const Vec& a, const Vec& b, const Vec& dy) {
  const Batches l = batches(p);
  const int64_t M = l.M, N = l.N, K = l.K;
  MatmulGrads g{Vec(a.size(), 0.0), Vec(b.size(), 0.0)};
  for (size_t z = 0; z < l.a.size(); ++z)
    for (int64_t m = 0; m < M; ++m)
      for (int64_t n = 0; n < N; ++n) {
        const double d = p.alpha * dy[z * size_t(M * N) + size_t(m * N + n)];
        for (int64_t k = 0; k < K; ++k) {
          const size_t ia = l.a[z] * size_t(M * K) + size_t(p.trans_a ? k * M + m : m * K + k);
          const size_t ib = l.b[z] * size_t(K * N) + size_t(p.trans_b ? n * K + k : k * N + n);
          g.da[ia] += d * b[ib];
          g.db[ib] += d * a[ia];
        }
      }
  return g;
}

namespace {
// The index of c's element broadcast to (m,n) of a (M,N) output.
size_t c_index(const std::vector<int64_t>& cs, int64_t m, int64_t n) {
  const int64_t c0 = cs.size() == 2 ? cs[0] : 1, c1 = cs.empty() ? 1 : cs.back();
  if ((cs.size() > 2) || (c0 != 1 && m >= c0) || (c1 != 1 && n >= c1))
    throw std::invalid_argument("matmul reference: c does not broadcast");
  return size_t((c0 == 1 ? 0 : m) * c1 + (c1 == 1 ? 0 : n));
}
}  // namespace

Vec add_c_term(const Vec& y, int64_t m, int64_t n, const Vec& c, const std::vector<int64_t>& cs, double beta) {
  Vec r = y;
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) r[size_t(i * n + j)] += beta * c[c_index(cs, i, j)];
  return r;
}

Vec c_term_backward(const Vec& dy, int64_t m, int64_t n, const std::vector<int64_t>& cs, double beta) {
  int64_t count = 1;
  for (int64_t d : cs) count *= d;
  Vec dc(size_t(count), 0.0);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) dc[c_index(cs, i, j)] += beta * dy[size_t(i * n + j)];
  return dc;
}

Tensors matmul_case_outputs(const cases::OpCase& c, const Tensors& in) {
  if (const auto* d = std::any_cast<MatmulDesc>(&c.params)) return kernel_outputs(*d, in);
  const auto& np = std::any_cast<const MatmulNodeParams&>(c.params);
  const MatmulRef p{c.shape("a").dims, c.shape("b").dims, np.trans_a, np.trans_b, double(np.alpha)};
  const Vec &a = in.at("a"), &b = in.at("b");
  MatmulGrads g = matmul_backward(p, a, b, in.at("dy"));
  Tensors out = {{"y", matmul_forward(p, a, b)}, {"da", std::move(g.da)}, {"db", std::move(g.db)}};
  if (const auto cv = in.find("c"); cv != in.end()) {
    const auto& ys = c.shape("y").dims;
    const auto& cs = c.shape("c").dims;
    out["y"] = add_c_term(out["y"], ys[0], ys[1], cv->second, cs, double(np.beta));
    out["dc"] = c_term_backward(in.at("dy"), ys[0], ys[1], cs, double(np.beta));
  }
  return out;
}

}  // namespace vknn::ref
