// Resampling with PIL's bilinear filter (the formula is in transforms.h), on 8-bit images
// exactly as PIL computes it and on floats without rounding.
//
// The 8-bit path keeps PIL's arithmetic so the bytes agree, not only the values: weights are
// normalised in double and then held in fixed point with 22 fraction bits (8-bit samples
// times weights summing to 1.0 stay below 2^31), each output is the integer sum plus one half,
// shifted down and clamped to [0, 255], and the row pass is stored as bytes before the column
// pass reads it. Any other rounding (floats, a single 2D pass) lands one level off here and
// there.
#include "vknn/data/transforms.h"

#include "contract.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

namespace vknn::data {
namespace {

constexpr int kFractionBits = 22;

// The taps along one axis (in -> out samples) of outputs [first, first + n): output i reads
// source samples [start[i], start[i] + count[i]) with weights weight[i * stride + k].
struct AxisTaps {
  int stride = 0;
  std::vector<int> start, count;
  std::vector<double> weight;  // normalised to sum 1
  int lo() const { return *std::min_element(start.begin(), start.end()); }
  int hi() const {
    int h = 0;
    for (size_t i = 0; i < start.size(); ++i) h = std::max(h, start[i] + count[i]);
    return h;
  }
};

AxisTaps axis_taps(int in, int out, int first, int n) {
  const double scale = double(in) / double(out);
  const double radius = std::max(scale, 1.0);  // the triangle's half-width 1, stretched when reducing
  const double inv_radius = 1.0 / radius;
  AxisTaps a;
  a.stride = 2 * int(std::ceil(radius)) + 1;
  a.start.resize(size_t(n));
  a.count.resize(size_t(n));
  a.weight.assign(size_t(n) * size_t(a.stride), 0.0);
  for (int i = 0; i < n; ++i) {
    const double centre = (double(first + i) + 0.5) * scale;
    // Truncation, not floor: a negative bound goes to 0 either way.
    int lo = std::max(int(centre - radius + 0.5), 0);
    int hi = std::min(int(centre + radius + 0.5), in);
    DATA_CHECK(hi > lo && hi - lo <= a.stride);
    double* w = &a.weight[size_t(i) * size_t(a.stride)];
    double sum = 0.0;
    for (int s = lo; s < hi; ++s) {
      const double t = std::abs((double(s) - centre + 0.5) * inv_radius);
      w[s - lo] = t < 1.0 ? 1.0 - t : 0.0;
      sum += w[s - lo];
    }
    if (sum != 0.0)
      for (int k = 0; k < hi - lo; ++k) w[k] /= sum;
    // Taps of weight 0 at either end add nothing: dropping them narrows the window (an
    // unchanged axis becomes a single tap of weight 1).
    int skip = 0;
    while (hi - lo > 1 && w[skip] == 0.0) ++skip, ++lo;
    while (hi - lo > 1 && w[skip + hi - lo - 1] == 0.0) --hi;
    if (skip) std::copy(w + skip, w + skip + (hi - lo), w);
    a.start[size_t(i)] = lo;
    a.count[size_t(i)] = hi - lo;
  }
  return a;
}

std::vector<int32_t> fixed_point(const AxisTaps& a) {
  std::vector<int32_t> f(a.weight.size());
  for (size_t k = 0; k < f.size(); ++k) f[k] = int32_t(a.weight[k] * double(1 << kFractionBits) + 0.5);
  return f;
}

inline uint8_t to_byte(int32_t acc) {
  return uint8_t(std::clamp(acc >> kFractionBits, int32_t(0), int32_t(255)));
}

}  // namespace

Image resize_window(const Image& img, int out_h, int out_w, Window win) {
  DATA_CHECK(img.width > 0 && img.height > 0 && out_h > 0 && out_w > 0);
  DATA_CHECK(img.rgb.size() == size_t(img.width) * size_t(img.height) * 3);
  DATA_CHECK(win.y >= 0 && win.x >= 0 && win.h > 0 && win.w > 0 && win.y + win.h <= out_h && win.x + win.w <= out_w);
  const AxisTaps cols = axis_taps(img.width, out_w, win.x, win.w);
  const AxisTaps rows = axis_taps(img.height, out_h, win.y, win.h);
  const std::vector<int32_t> col_w = fixed_point(cols), row_w = fixed_point(rows);
  const int32_t half = int32_t(1) << (kFractionBits - 1);

  // Row pass over the source rows the column pass reads.
  const int y0 = rows.lo(), y1 = rows.hi();
  const size_t line = size_t(win.w) * 3;
  std::vector<uint8_t> tmp(size_t(y1 - y0) * line);  // (y1 - y0, win.w, 3)
  for (int y = y0; y < y1; ++y) {
    const uint8_t* src = &img.rgb[size_t(y) * size_t(img.width) * 3];
    uint8_t* dst = &tmp[size_t(y - y0) * line];
    for (size_t i = 0; i < size_t(win.w); ++i) {
      const uint8_t* p = src + size_t(cols.start[i]) * 3;
      const int32_t* w = &col_w[i * size_t(cols.stride)];
      int32_t r = half, g = half, b = half;
      for (int k = 0; k < cols.count[i]; ++k, p += 3) {
        r += int32_t(p[0]) * w[k];
        g += int32_t(p[1]) * w[k];
        b += int32_t(p[2]) * w[k];
      }
      dst[3 * i] = to_byte(r), dst[3 * i + 1] = to_byte(g), dst[3 * i + 2] = to_byte(b);
    }
  }

  // Column pass: each output row is a weighted sum of whole lines (vectorises over the line).
  Image out;
  out.height = win.h;
  out.width = win.w;
  out.rgb.resize(size_t(win.h) * line);
  std::vector<int32_t> acc(line);
  for (size_t j = 0; j < size_t(win.h); ++j) {
    std::fill(acc.begin(), acc.end(), half);
    const int32_t* w = &row_w[j * size_t(rows.stride)];
    for (int k = 0; k < rows.count[j]; ++k) {
      const uint8_t* src = &tmp[size_t(rows.start[j] + k - y0) * line];
      const int32_t wk = w[k];
      for (size_t e = 0; e < line; ++e) acc[e] += int32_t(src[e]) * wk;
    }
    uint8_t* dst = &out.rgb[j * line];
    for (size_t e = 0; e < line; ++e) dst[e] = to_byte(acc[e]);
  }
  return out;
}

Image resize_image(const Image& img, int out_h, int out_w) {
  return resize_window(img, out_h, out_w, Window{0, 0, out_h, out_w});
}

Tensor3 resize_bilinear(const Tensor3& t, int out_h, int out_w) {
  DATA_CHECK(out_h > 0 && out_w > 0 && t.h > 0 && t.w > 0);
  if (out_h == t.h && out_w == t.w) return t;
  const AxisTaps cols = axis_taps(t.w, out_w, 0, out_w);
  const AxisTaps rows = axis_taps(t.h, out_h, 0, out_h);
  Tensor3 tmp(t.c, t.h, out_w);  // rows filtered
  for (int c = 0; c < t.c; ++c)
    for (int y = 0; y < t.h; ++y) {
      const float* src = &t.data[(size_t(c) * size_t(t.h) + size_t(y)) * size_t(t.w)];
      float* dst = &tmp.data[(size_t(c) * size_t(t.h) + size_t(y)) * size_t(out_w)];
      for (size_t i = 0; i < size_t(out_w); ++i) {
        const double* w = &cols.weight[i * size_t(cols.stride)];
        double s = 0.0;
        for (int k = 0; k < cols.count[i]; ++k) s += w[k] * double(src[cols.start[i] + k]);
        dst[i] = float(s);
      }
    }
  Tensor3 o(t.c, out_h, out_w);
  std::vector<double> acc(static_cast<size_t>(out_w));
  for (int c = 0; c < t.c; ++c)
    for (size_t j = 0; j < size_t(out_h); ++j) {
      std::fill(acc.begin(), acc.end(), 0.0);
      const double* w = &rows.weight[j * size_t(rows.stride)];
      for (int k = 0; k < rows.count[j]; ++k) {
        const float* src = &tmp.data[(size_t(c) * size_t(t.h) + size_t(rows.start[j] + k)) * size_t(out_w)];
        for (size_t i = 0; i < size_t(out_w); ++i) acc[i] += w[k] * double(src[i]);
      }
      float* dst = &o.data[(size_t(c) * size_t(out_h) + j) * size_t(out_w)];
      for (size_t i = 0; i < size_t(out_w); ++i) dst[i] = float(acc[i]);
    }
  return o;
}

}  // namespace vknn::data
