#include "conv2d.h"

#include "vknn/ops/conv2d.h"

#include <algorithm>
#include <array>
#include <limits>

namespace vknn::ref {
namespace {

// The input element under output (n, oh, ow) for channel c and tap (r, s), or -1 in the padding.
long input_index(const Conv2dShape& p, int n, int c, int oh, int ow, int r, int s) {
  const int ih = oh * p.stride_h - p.pad_h + r, iw = ow * p.stride_w - p.pad_w + s;
  if (ih < 0 || ih >= p.h || iw < 0 || iw >= p.w) return -1;
  return ((long(n) * p.c + c) * p.h + ih) * p.w + iw;
}

long weight_index(const Conv2dShape& p, int k, int cg, int r, int s) {
  return ((long(k) * (p.c / p.groups) + cg) * p.r + r) * p.s + s;
}

long output_index(const Conv2dShape& p, int n, int k, int oh, int ow) {
  return ((long(n) * p.k + k) * p.oh() + oh) * p.ow() + ow;
}

}  // namespace

double conv2d_forward_at(const Conv2dShape& p, const Vec& x, const Vec& w, const Vec& b, int n, int k, int oh, int ow) {
  const int cg = p.c / p.groups, g = k / (p.k / p.groups);
  double sum = b.empty() ? 0.0 : b[size_t(k)];
  for (int c = 0; c < cg; ++c)
    for (int r = 0; r < p.r; ++r)
      for (int s = 0; s < p.s; ++s) {
        const long xi = input_index(p, n, g * cg + c, oh, ow, r, s);
        if (xi >= 0) sum += x[size_t(xi)] * w[size_t(weight_index(p, k, c, r, s))];
      }
  return sum;
}

Vec conv2d_forward(const Conv2dShape& p, const Vec& x, const Vec& w, const Vec& b) {
  Vec y(p.y_size());
  for (int n = 0; n < p.n; ++n)
    for (int k = 0; k < p.k; ++k)
      for (int oh = 0; oh < p.oh(); ++oh)
        for (int ow = 0; ow < p.ow(); ++ow)
          y[size_t(output_index(p, n, k, oh, ow))] = conv2d_forward_at(p, x, w, b, n, k, oh, ow);
  return y;
}

double conv2d_backward_data_at(const Conv2dShape& p, const Vec& dy, const Vec& w, int n, int c, int ih, int iw) {
  const int cg = p.c / p.groups, kg = p.k / p.groups, g = c / cg;
  double sum = 0;
  // x[ih] feeds y[oh] through tap r when oh*stride - pad + r == ih.
  for (int k = g * kg; k < (g + 1) * kg; ++k)
    for (int r = 0; r < p.r; ++r) {
      const int th = ih + p.pad_h - r;
      if (th < 0 || th % p.stride_h != 0 || th / p.stride_h >= p.oh()) continue;
      for (int s = 0; s < p.s; ++s) {
        const int tw = iw + p.pad_w - s;
        if (tw < 0 || tw % p.stride_w != 0 || tw / p.stride_w >= p.ow()) continue;
        sum += dy[size_t(output_index(p, n, k, th / p.stride_h, tw / p.stride_w))] *
               w[size_t(weight_index(p, k, c - g * cg, r, s))];
      }
    }
  return sum;
}

Vec conv2d_backward_data(const Conv2dShape& p, const Vec& dy, const Vec& w) {
  Vec dx(p.x_size());
  for (int n = 0; n < p.n; ++n)
    for (int c = 0; c < p.c; ++c)
      for (int ih = 0; ih < p.h; ++ih)
        for (int iw = 0; iw < p.w; ++iw)
          dx[((size_t(n) * p.c + c) * p.h + ih) * p.w + iw] = conv2d_backward_data_at(p, dy, w, n, c, ih, iw);
  return dx;
}

double conv2d_backward_weight_at(const Conv2dShape& p, const Vec& x, const Vec& dy, int k, int c, int r, int s) {
  const int cg = p.c / p.groups, g = k / (p.k / p.groups);
  double sum = 0;
  for (int n = 0; n < p.n; ++n)
    for (int oh = 0; oh < p.oh(); ++oh)
      for (int ow = 0; ow < p.ow(); ++ow) {
        const long xi = input_index(p, n, g * cg + c, oh, ow, r, s);
        if (xi >= 0) sum += x[size_t(xi)] * dy[size_t(output_index(p, n, k, oh, ow))];
      }
  return sum;
}

double conv2d_backward_bias_at(const Conv2dShape& p, const Vec& dy, int k) {
  double sum = 0;
  for (int n = 0; n < p.n; ++n)
    for (int oh = 0; oh < p.oh(); ++oh)
      for (int ow = 0; ow < p.ow(); ++ow) sum += dy[size_t(output_index(p, n, k, oh, ow))];
  return sum;
}

void conv2d_backward_weight(const Conv2dShape& p, const Vec& x, const Vec& dy, Vec& dw, Vec* db) {
  const int cg = p.c / p.groups;
  dw.assign(p.w_size(), 0.0);
  for (int k = 0; k < p.k; ++k)
    for (int c = 0; c < cg; ++c)
      for (int r = 0; r < p.r; ++r)
        for (int s = 0; s < p.s; ++s)
          dw[size_t(weight_index(p, k, c, r, s))] = conv2d_backward_weight_at(p, x, dy, k, c, r, s);
  if (db) {
    db->assign(size_t(p.k), 0.0);
    for (int k = 0; k < p.k; ++k) (*db)[size_t(k)] = conv2d_backward_bias_at(p, dy, k);
  }
}

namespace {

bool has_tensor(const cases::OpCase& c, const std::string& name) {
  return std::any_of(c.tensors.begin(), c.tensors.end(), [&](const cases::TensorSpec& t) { return t.name == name; });
}

// The elements a check samples of output `expect`; empty when every element is compared.
std::vector<size_t> sampled(const cases::OpCase& c, const std::string& expect) {
  for (const cases::Check& k : c.checks)
    if (k.expect == expect && k.samples > 0) return cases::checked_indices(c, k);
  return {};
}

// Unflattens i into the 4 coordinates of shape (., b, c, d).
std::array<int, 4> coords(size_t i, int b, int c, int d) {
  return {int(i / (size_t(b) * c * d)), int(i / (size_t(c) * d) % b), int(i / d % c), int(i % d)};
}

// `full` whole, or `at` at each sampled index of a tensor (., b, c, d) and NaN elsewhere.
template <class Full, class At>
Vec whole_or_sampled(const std::vector<size_t>& idx, size_t count, int b, int c, int d, Full full, At at) {
  if (idx.empty()) return full();
  Vec out(count, std::numeric_limits<double>::quiet_NaN());
  for (size_t i : idx) {
    const auto [i0, i1, i2, i3] = coords(i, b, c, d);
    out[i] = at(i0, i1, i2, i3);
  }
  return out;
}

}  // namespace

Tensors conv2d_case_outputs(const cases::OpCase& c, const Tensors& in) {
  const auto& p = std::any_cast<const vknn::Conv2dParams&>(c.params);
  const vknn::Shape& xs = c.shape("x");
  const vknn::Shape& ws = c.shape("w");
  const Conv2dShape s{int(xs[0]), int(xs[1]), int(xs[2]),  int(xs[3]),  int(ws[0]), int(ws[2]),
                      int(ws[3]), p.stride_h, p.stride_w, p.pad_h,     p.pad_w,     p.groups};
  const Vec &x = in.at("x"), &w = in.at("w"), &dy = in.at("dy");
  const bool bias = has_tensor(c, "b"), residual = has_tensor(c, "res");
  const Vec b = bias ? in.at("b") : Vec{};
  const Vec* res = residual ? &in.at("res") : nullptr;
  const int oh = s.oh(), ow = s.ow();
  // y = act(conv + bias + residual).
  auto epilogue = [&](size_t i, double v) {
    v += res ? (*res)[i] : 0.0;
    return p.relu ? std::max(v, 0.0) : v;
  };
  Tensors out;
  out["y"] = whole_or_sampled(
      sampled(c, "y"), s.y_size(), s.k, oh, ow,
      [&] {
        Vec y = conv2d_forward(s, x, w, b);
        for (size_t i = 0; i < y.size(); ++i) y[i] = epilogue(i, y[i]);
        return y;
      },
      [&](int n, int k, int a, int d) {
        return epilogue(size_t(((int64_t(n) * s.k + k) * oh + a) * ow + d), conv2d_forward_at(s, x, w, b, n, k, a, d));
      });
  out["dx"] = whole_or_sampled(
      sampled(c, "dx"), s.x_size(), s.c, s.h, s.w, [&] { return conv2d_backward_data(s, dy, w); },
      [&](int n, int ch, int a, int d) { return conv2d_backward_data_at(s, dy, w, n, ch, a, d); });
  Vec dw_full, db_full;
  const std::vector<size_t> dw_idx = sampled(c, "dw");
  if (dw_idx.empty()) conv2d_backward_weight(s, x, dy, dw_full, bias ? &db_full : nullptr);
  out["dw"] = whole_or_sampled(
      dw_idx, s.w_size(), s.c / s.groups, s.r, s.s, [&] { return dw_full; },
      [&](int k, int ch, int a, int d) { return conv2d_backward_weight_at(s, x, dy, k, ch, a, d); });
  if (bias) {
    if (!dw_idx.empty()) {
      db_full.resize(size_t(s.k));
      for (int k = 0; k < s.k; ++k) db_full[size_t(k)] = conv2d_backward_bias_at(s, dy, k);
    }
    out["db"] = std::move(db_full);
  } else {
    out["unchanged"] = Vec(size_t(s.k), 0.0);
  }
  return out;
}

}  // namespace vknn::ref
