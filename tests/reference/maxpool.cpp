#include "maxpool.h"

#include "vknn/ops/maxpool.h"

#include <algorithm>
#include <limits>

namespace vknn::ref {

Pool2dParams ref_params(const vknn::Pool2dParams& p) {
  Pool2dParams r{p.kernel_h, p.kernel_w, p.stride_h, p.stride_w, p.pad_h, p.pad_w, p.ceil_mode};
  r.pad_bottom = p.pad_end_h(), r.pad_right = p.pad_end_w();
  r.dilation_h = p.dilation_h, r.dilation_w = p.dilation_w;
  return r;
}

MaxPoolForward maxpool_forward(const Pool2dParams& p, int n, int c, int h, int w, const Vec& x) {
  const int oh = p.out_h(h), ow = p.out_w(w);
  MaxPoolForward out{Vec(size_t(n) * c * oh * ow), std::vector<int32_t>(size_t(n) * c * oh * ow)};
  for (size_t plane = 0; plane < size_t(n) * c; ++plane)
    for (int yh = 0; yh < oh; ++yh)
      for (int yw = 0; yw < ow; ++yw) {
        int best_i = -1;
        double best = -std::numeric_limits<double>::infinity();
        for (int kh = 0; kh < p.kernel_h; ++kh)
          for (int kw = 0; kw < p.kernel_w; ++kw) {
            const int ih = yh * p.stride_h - p.pad_h + kh * p.dilation_h, iw = yw * p.stride_w - p.pad_w + kw * p.dilation_w;
            if (ih < 0 || ih >= h || iw < 0 || iw >= w) continue;  // padding never wins
            const double v = x[plane * h * w + size_t(ih) * w + iw];
            if (best_i < 0 || v > best) {  // strict: the first maximum stays
              best = v;
              best_i = ih * w + iw;
            }
          }
        const size_t o = (plane * oh + yh) * ow + yw;
        out.y[o] = best;
        out.argmax[o] = best_i;
      }
  return out;
}

Vec maxpool_backward(const Pool2dParams& p, int n, int c, int h, int w, const std::vector<int32_t>& argmax,
                     const Vec& dy) {
  const int oh = p.out_h(h), ow = p.out_w(w);
  Vec dx(size_t(n) * c * h * w, 0.0);
  for (size_t plane = 0; plane < size_t(n) * c; ++plane)
    for (int o = 0; o < oh * ow; ++o) {
      const size_t i = plane * oh * ow + o;
      if (argmax[i] >= 0) dx[plane * h * w + size_t(argmax[i])] += dy[i];
    }
  return dx;
}

Tensors maxpool_case_outputs(const cases::OpCase& c, const Tensors& in) {
  const auto& p = std::any_cast<const vknn::Pool2dParams&>(c.params);
  const Pool2dParams rp = ref_params(p);
  const Shape& s = c.shape("x");
  const int n = int(s[0]), ch = int(s[1]), h = int(s[2]), w = int(s[3]);
  auto f = maxpool_forward(rp, n, ch, h, w, in.at("x"));
  Vec dx = maxpool_backward(rp, n, ch, h, w, f.argmax, in.at("dy"));
  return {{"y", std::move(f.y)}, {"argmax", Vec(f.argmax.begin(), f.argmax.end())}, {"dx", std::move(dx)}};
}

}  // namespace vknn::ref
