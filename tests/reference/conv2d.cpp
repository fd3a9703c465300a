#include "conv2d.h"

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

}  // namespace vknn::ref
