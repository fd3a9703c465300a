#include "binary.h"

#include "vknn/ops/binary.h"

#include <algorithm>

namespace vknn::ref {
namespace {

// The index of the element of an operand of shape `s` that y's element `coords` reads.
int64_t source_index(const Dims& s, const Dims& y, const Dims& coords) {
  const size_t off = y.size() - s.size();
  int64_t idx = 0;
  for (size_t d = 0; d < s.size(); ++d) idx = idx * s[d] + (s[d] == 1 ? 0 : coords[off + d]);
  return idx;
}

template <class F>
void for_each_element(const Dims& y, F&& f) {
  int64_t n = 1;
  for (int64_t d : y) n *= d;
  Dims c(y.size(), 0);
  for (int64_t k = 0; k < n; ++k) {
    int64_t rest = k;
    for (size_t d = y.size(); d-- > 0;) {
      c[d] = rest % y[d];
      rest /= y[d];
    }
    f(k, c);
  }
}

}  // namespace

Dims broadcast(const Dims& a, const Dims& b) {
  const size_t r = std::max(a.size(), b.size());
  Dims y(r);
  for (size_t k = 0; k < r; ++k) {
    const int64_t da = k < r - a.size() ? 1 : a[k - (r - a.size())];
    const int64_t db = k < r - b.size() ? 1 : b[k - (r - b.size())];
    y[k] = da == 1 ? db : da;
  }
  return y;
}

Vec binary_forward(Bin op, const Vec& a, const Dims& as, const Vec& b, const Dims& bs) {
  const Dims ys = broadcast(as, bs);
  Vec y;
  for_each_element(ys, [&](int64_t, const Dims& c) {
    const double u = a[size_t(source_index(as, ys, c))], v = b[size_t(source_index(bs, ys, c))];
    switch (op) {
      case Bin::add: y.push_back(u + v); break;
      case Bin::sub: y.push_back(u - v); break;
      case Bin::mul: y.push_back(u * v); break;
      case Bin::div: y.push_back(u / v); break;
    }
  });
  return y;
}

BinaryGrads binary_backward(Bin op, const Vec& a, const Dims& as, const Vec& b, const Dims& bs, const Vec& dy) {
  const Dims ys = broadcast(as, bs);
  BinaryGrads g{Vec(a.size(), 0.0), Vec(b.size(), 0.0)};
  for_each_element(ys, [&](int64_t k, const Dims& c) {
    const size_t ia = size_t(source_index(as, ys, c)), ib = size_t(source_index(bs, ys, c));
    const double u = a[ia], v = b[ib], d = dy[size_t(k)];
    switch (op) {
      case Bin::add: g.da[ia] += d, g.db[ib] += d; break;
      case Bin::sub: g.da[ia] += d, g.db[ib] -= d; break;
      case Bin::mul: g.da[ia] += d * v, g.db[ib] += d * u; break;
      case Bin::div: g.da[ia] += d / v, g.db[ib] -= d * u / (v * v); break;
    }
  });
  return g;
}

Tensors binary_case_outputs(const cases::OpCase& c, const Tensors& in) {
  const auto op = Bin(int(std::any_cast<vknn::BinaryOp>(c.params)));
  const Dims& as = c.shape("a").dims;
  const Dims& bs = c.shape("b").dims;
  const Vec& a = in.at("a");
  const Vec& b = in.at("b");
  BinaryGrads g = binary_backward(op, a, as, b, bs, in.at("dy"));
  return {{"y", binary_forward(op, a, as, b, bs)}, {"da", std::move(g.da)}, {"db", std::move(g.db)}};
}

}  // namespace vknn::ref
