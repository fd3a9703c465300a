#include "pad.h"

#include "vknn/ops/pad.h"

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

Tensors pad_case_outputs(const cases::OpCase& c, const Tensors& in) {
  const auto& p = std::any_cast<const vknn::PadParams&>(c.params);
  PadParams rp;
  rp.value = double(p.value);
  for (size_t a = 0; a < 3; ++a) rp.begin[a] = int(p.begin[a]), rp.end[a] = int(p.end[a]);
  const Shape& s = c.shape("x");
  const int n = int(s[0]), ch = int(s[1]), h = int(s[2]), w = int(s[3]);
  return {{"y", pad_forward(rp, n, ch, h, w, in.at("x"))}, {"dx", pad_backward(rp, n, ch, h, w, in.at("dy"))}};
}

}  // namespace vknn::ref
