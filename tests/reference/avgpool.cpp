#include "avgpool.h"

#include "vknn/ops/avgpool.h"

namespace vknn::ref {
namespace {

// Calls f(input index in plane, 1/divisor) for every in-bounds element of window (yh, yw).
// The divisor counts the window's positions that lie in the padded input (count_include_pad:
// all kh*kw but in ceil mode's last windows, which reach past the bottom or right padding) or
// in the input. No dilation (average pooling has none).
template <class F>
void for_window(const Pool2dParams& p, bool count_include_pad, int h, int w, int yh, int yw, F&& f) {
  int count = 0, padded = 0;
  for (int pass = 0; pass < 2; ++pass)
    for (int kh = 0; kh < p.kernel_h; ++kh)
      for (int kw = 0; kw < p.kernel_w; ++kw) {
        const int ih = yh * p.stride_h - p.pad_h + kh, iw = yw * p.stride_w - p.pad_w + kw;
        if (pass == 0 && ih < h + p.bottom() && iw < w + p.right()) ++padded;
        if (ih < 0 || ih >= h || iw < 0 || iw >= w) continue;
        if (pass == 0)
          ++count;
        else
          f(size_t(ih) * w + iw, 1.0 / (count_include_pad ? padded : count));
      }
}

}  // namespace

Vec avgpool_forward(const Pool2dParams& p, bool count_include_pad, int n, int c, int h, int w, const Vec& x) {
  const int oh = p.out_h(h), ow = p.out_w(w);
  Vec y(size_t(n) * c * oh * ow, 0.0);
  for (size_t plane = 0; plane < size_t(n) * c; ++plane)
    for (int yh = 0; yh < oh; ++yh)
      for (int yw = 0; yw < ow; ++yw) {
        double& out = y[(plane * oh + yh) * ow + yw];
        for_window(p, count_include_pad, h, w, yh, yw,
                   [&](size_t i, double inv) { out += x[plane * h * w + i] * inv; });
      }
  return y;
}

Vec avgpool_backward(const Pool2dParams& p, bool count_include_pad, int n, int c, int h, int w, const Vec& dy) {
  const int oh = p.out_h(h), ow = p.out_w(w);
  Vec dx(size_t(n) * c * h * w, 0.0);
  for (size_t plane = 0; plane < size_t(n) * c; ++plane)
    for (int yh = 0; yh < oh; ++yh)
      for (int yw = 0; yw < ow; ++yw) {
        const double g = dy[(plane * oh + yh) * ow + yw];
        for_window(p, count_include_pad, h, w, yh, yw, [&](size_t i, double inv) { dx[plane * h * w + i] += g * inv; });
      }
  return dx;
}

Vec global_avgpool_forward(int n, int c, int h, int w, const Vec& x) {
  const size_t hw = size_t(h) * w;
  Vec y(size_t(n) * c, 0.0);
  for (size_t plane = 0; plane < y.size(); ++plane) {
    for (size_t i = 0; i < hw; ++i) y[plane] += x[plane * hw + i];
    y[plane] /= double(hw);
  }
  return y;
}

Vec global_avgpool_backward(int n, int c, int h, int w, const Vec& dy) {
  const size_t hw = size_t(h) * w;
  Vec dx(size_t(n) * c * hw);
  for (size_t i = 0; i < dx.size(); ++i) dx[i] = dy[i / hw] / double(hw);
  return dx;
}

Tensors avgpool_case_outputs(const cases::OpCase& c, const Tensors& in) {
  const Shape& s = c.shape("x");
  const int n = int(s[0]), ch = int(s[1]), h = int(s[2]), w = int(s[3]);
  const auto* p = std::any_cast<vknn::AvgPool2dParams>(&c.params);
  if (!p)  // global
    return {{"y", global_avgpool_forward(n, ch, h, w, in.at("x"))},
            {"dx", global_avgpool_backward(n, ch, h, w, in.at("dy"))}};
  const Pool2dParams rp = ref_params(*p);
  return {{"y", avgpool_forward(rp, p->count_include_pad, n, ch, h, w, in.at("x"))},
          {"dx", avgpool_backward(rp, p->count_include_pad, n, ch, h, w, in.at("dy"))}};
}

}  // namespace vknn::ref
