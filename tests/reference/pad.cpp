#include "pad.h"

namespace vknn::ref {

// Walks x; every element that lands inside y is copied (forward) or gathered back (backward).
Vec pad_forward(const PadParams& p, int n, int c, int h, int w, const Vec& x) {
  const int co = p.out(0, c), ho = p.out(1, h), wo = p.out(2, w);
  Vec y(size_t(n) * co * ho * wo, p.value);
  for (int b = 0; b < n; ++b)
    for (int ch = 0; ch < c; ++ch)
      for (int i = 0; i < h; ++i)
        for (int j = 0; j < w; ++j) {
          const int oc = ch + p.begin[0], oi = i + p.begin[1], oj = j + p.begin[2];
          if (oc < 0 || oc >= co || oi < 0 || oi >= ho || oj < 0 || oj >= wo) continue;  // cropped
          y[((size_t(b) * co + oc) * ho + oi) * wo + oj] = x[((size_t(b) * c + ch) * h + i) * w + j];
        }
  return y;
}

Vec pad_backward(const PadParams& p, int n, int c, int h, int w, const Vec& dy) {
  const int co = p.out(0, c), ho = p.out(1, h), wo = p.out(2, w);
  Vec dx(size_t(n) * c * h * w, 0.0);
  for (int b = 0; b < n; ++b)
    for (int ch = 0; ch < c; ++ch)
      for (int i = 0; i < h; ++i)
        for (int j = 0; j < w; ++j) {
          const int oc = ch + p.begin[0], oi = i + p.begin[1], oj = j + p.begin[2];
          if (oc < 0 || oc >= co || oi < 0 || oi >= ho || oj < 0 || oj >= wo) continue;
          dx[((size_t(b) * c + ch) * h + i) * w + j] += dy[((size_t(b) * co + oc) * ho + oi) * wo + oj];
        }
  return dx;
}

}  // namespace vknn::ref
