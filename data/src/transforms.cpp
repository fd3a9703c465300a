#include "vknn/data/transforms.h"

#include "vknn/ops/philox.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace vknn::data {
namespace {

[[noreturn]] void contract(const char* what) {
  std::fprintf(stderr, "vknn::data contract violated: %s\n", what);
  std::abort();
}
#define DATA_CHECK(cond) \
  do {                   \
    if (!(cond)) contract(#cond); \
  } while (0)

}  // namespace

// ---- Rng ----

uint32_t Rng::next_u32() {
  if (used_ == 4) {
    // The top half of `epoch` and of `block` share a word; epochs beyond 2^16 and more
    // than 2^16 blocks per sample are not distinguished.
    const uint32_t w3 = (uint32_t(epoch_ >> 32) << 16) ^ block_;
    buf_ = philox::philox4x32_10({uint32_t(index_), uint32_t(index_ >> 32), uint32_t(epoch_), w3},
                                 {uint32_t(seed_), uint32_t(seed_ >> 32)});
    ++block_;
    used_ = 0;
  }
  return buf_[size_t(used_++)];
}

float Rng::uniform() { return float(next_u32() >> 8) * 0x1.0p-24f; }

uint32_t Rng::below(uint32_t n) {
  uint64_t m = uint64_t(next_u32()) * n;
  uint32_t lo = uint32_t(m);
  if (lo < n) {
    const uint32_t t = uint32_t(-n) % n;
    while (lo < t) {
      m = uint64_t(next_u32()) * n;
      lo = uint32_t(m);
    }
  }
  return uint32_t(m >> 32);
}

float Rng::normal(float mean, float stddev) {
  const float u1 = (float(next_u32() >> 8) + 1.0f) * 0x1.0p-24f;  // (0, 1]
  const float u2 = uniform();
  return mean + stddev * std::sqrt(-2.0f * std::log(u1)) * std::cos(6.283185307179586f * u2);
}

// ---- geometry ----

Tensor3 to_tensor(const Image& img) {
  Tensor3 t(3, img.height, img.width);
  const size_t hw = size_t(img.height) * size_t(img.width);
  for (size_t i = 0; i < hw; ++i)
    for (size_t c = 0; c < 3; ++c) t.data[c * hw + i] = float(img.rgb[3 * i + c]) * (1.0f / 255.0f);
  return t;
}

Tensor3 resize_bilinear(const Tensor3& t, int out_h, int out_w) {
  DATA_CHECK(out_h > 0 && out_w > 0 && t.h > 0 && t.w > 0);
  Tensor3 o(t.c, out_h, out_w);
  const float sy = float(t.h) / float(out_h), sx = float(t.w) / float(out_w);
  // Per-column source taps, computed once.
  std::vector<int> x0(static_cast<size_t>(out_w)), x1(static_cast<size_t>(out_w));
  std::vector<float> fx(static_cast<size_t>(out_w));
  for (int x = 0; x < out_w; ++x) {
    const float src = std::clamp((float(x) + 0.5f) * sx - 0.5f, 0.0f, float(t.w - 1));
    x0[size_t(x)] = int(src);
    x1[size_t(x)] = std::min(x0[size_t(x)] + 1, t.w - 1);
    fx[size_t(x)] = src - float(x0[size_t(x)]);
  }
  for (int y = 0; y < out_h; ++y) {
    const float src = std::clamp((float(y) + 0.5f) * sy - 0.5f, 0.0f, float(t.h - 1));
    const int y0 = int(src), y1 = std::min(y0 + 1, t.h - 1);
    const float fy = src - float(y0);
    for (int c = 0; c < t.c; ++c) {
      const float* r0 = &t.data[(size_t(c) * size_t(t.h) + size_t(y0)) * size_t(t.w)];
      const float* r1 = &t.data[(size_t(c) * size_t(t.h) + size_t(y1)) * size_t(t.w)];
      float* dst = &o.data[(size_t(c) * size_t(out_h) + size_t(y)) * size_t(out_w)];
      for (size_t x = 0; x < size_t(out_w); ++x) {
        const float top = r0[x0[x]] + (r0[x1[x]] - r0[x0[x]]) * fx[x];
        const float bot = r1[x0[x]] + (r1[x1[x]] - r1[x0[x]]) * fx[x];
        dst[x] = top + (bot - top) * fy;
      }
    }
  }
  return o;
}

Tensor3 resize_shorter(const Tensor3& t, int shorter) {
  DATA_CHECK(shorter > 0);
  if (std::min(t.h, t.w) == shorter) return t;
  if (t.h <= t.w) {
    const int w = std::max(1, int(std::lround(double(t.w) * shorter / t.h)));
    return resize_bilinear(t, shorter, w);
  }
  const int h = std::max(1, int(std::lround(double(t.h) * shorter / t.w)));
  return resize_bilinear(t, h, shorter);
}

Tensor3 crop(const Tensor3& t, int y, int x, int h, int w) {
  DATA_CHECK(y >= 0 && x >= 0 && h > 0 && w > 0 && y + h <= t.h && x + w <= t.w);
  Tensor3 o(t.c, h, w);
  for (int c = 0; c < t.c; ++c)
    for (int r = 0; r < h; ++r)
      std::copy_n(&t.data[(size_t(c) * size_t(t.h) + size_t(y + r)) * size_t(t.w) + size_t(x)], size_t(w),
                  &o.data[(size_t(c) * size_t(h) + size_t(r)) * size_t(w)]);
  return o;
}

Tensor3 center_crop(const Tensor3& t, int size) { return crop(t, (t.h - size) / 2, (t.w - size) / 2, size, size); }

Tensor3 random_crop(const Tensor3& t, int size, Rng& rng) {
  DATA_CHECK(size <= t.h && size <= t.w);
  const int y = int(rng.below(uint32_t(t.h - size + 1)));
  const int x = int(rng.below(uint32_t(t.w - size + 1)));
  return crop(t, y, x, size, size);
}

void hflip(Tensor3& t) {
  for (int c = 0; c < t.c; ++c)
    for (int y = 0; y < t.h; ++y) {
      float* row = &t.data[(size_t(c) * size_t(t.h) + size_t(y)) * size_t(t.w)];
      std::reverse(row, row + t.w);
    }
}

void normalize(Tensor3& t, std::span<const float> mean, std::span<const float> stddev) {
  DATA_CHECK(mean.empty() || mean.size() == size_t(t.c));
  DATA_CHECK(stddev.empty() || stddev.size() == size_t(t.c));
  const size_t hw = size_t(t.h) * size_t(t.w);
  for (size_t c = 0; c < size_t(t.c); ++c) {
    const float m = mean.empty() ? 0.0f : mean[c];
    const float inv = stddev.empty() ? 1.0f : 1.0f / stddev[c];
    for (size_t i = 0; i < hw; ++i) t.data[c * hw + i] = (t.data[c * hw + i] - m) * inv;
  }
}

std::vector<Tensor3> ten_crop(const Tensor3& t, int s) {
  DATA_CHECK(s <= t.h && s <= t.w);
  std::vector<Tensor3> out;
  out.reserve(10);
  out.push_back(crop(t, 0, 0, s, s));
  out.push_back(crop(t, 0, t.w - s, s, s));
  out.push_back(crop(t, t.h - s, 0, s, s));
  out.push_back(crop(t, t.h - s, t.w - s, s, s));
  out.push_back(center_crop(t, s));
  for (int i = 0; i < 5; ++i) {
    out.push_back(out[size_t(i)]);
    hflip(out.back());
  }
  return out;
}

// ---- colour statistics and PCA ----

void RgbStatsAccumulator::add(const Tensor3& t) {
  DATA_CHECK(t.c == 3);
  const size_t hw = size_t(t.h) * size_t(t.w);
  for (size_t i = 0; i < hw; ++i) {
    const double v[3] = {t.data[i], t.data[hw + i], t.data[2 * hw + i]};
    for (int a = 0; a < 3; ++a) {
      sum_[size_t(a)] += v[a];
      for (int b = 0; b < 3; ++b) sum2_[size_t(a)][size_t(b)] += v[a] * v[b];
    }
  }
  n_ += hw;
}

void RgbStatsAccumulator::add(const Image& img) { add(to_tensor(img)); }

RgbStats RgbStatsAccumulator::finish() const {
  RgbStats s;
  s.pixels = n_;
  if (n_ == 0) return s;
  const double n = double(n_);
  for (size_t a = 0; a < 3; ++a) s.mean[a] = sum_[a] / n;
  for (size_t a = 0; a < 3; ++a)
    for (size_t b = 0; b < 3; ++b) s.cov[a][b] = sum2_[a][b] / n - s.mean[a] * s.mean[b];
  for (size_t a = 0; a < 3; ++a) s.stddev[a] = std::sqrt(std::max(0.0, s.cov[a][a]));
  return s;
}

Eigen3 eigen_symmetric3(const std::array<std::array<double, 3>, 3>& in) {
  auto a = in;
  std::array<std::array<double, 3>, 3> v{{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}};  // columns: eigenvectors
  for (int sweep = 0; sweep < 50; ++sweep) {
    const double off = a[0][1] * a[0][1] + a[0][2] * a[0][2] + a[1][2] * a[1][2];
    if (off < 1e-30) break;
    for (size_t p = 0; p < 2; ++p)
      for (size_t q = p + 1; q < 3; ++q) {
        if (std::abs(a[p][q]) < 1e-300) continue;
        // Rotation zeroing a[p][q] (Golub & Van Loan, the symmetric Schur decomposition).
        const double theta = (a[q][q] - a[p][p]) / (2.0 * a[p][q]);
        const double t = (theta >= 0 ? 1.0 : -1.0) / (std::abs(theta) + std::sqrt(theta * theta + 1.0));
        const double c = 1.0 / std::sqrt(t * t + 1.0), s = t * c;
        for (size_t k = 0; k < 3; ++k) {  // A <- A J
          const double akp = a[k][p], akq = a[k][q];
          a[k][p] = c * akp - s * akq;
          a[k][q] = s * akp + c * akq;
        }
        for (size_t k = 0; k < 3; ++k) {  // A <- J^T A
          const double apk = a[p][k], aqk = a[q][k];
          a[p][k] = c * apk - s * aqk;
          a[q][k] = s * apk + c * aqk;
        }
        for (size_t k = 0; k < 3; ++k) {  // V <- V J
          const double vkp = v[k][p], vkq = v[k][q];
          v[k][p] = c * vkp - s * vkq;
          v[k][q] = s * vkp + c * vkq;
        }
      }
  }
  std::array<size_t, 3> idx{0, 1, 2};
  std::sort(idx.begin(), idx.end(), [&](size_t i, size_t j) { return a[i][i] > a[j][j]; });
  Eigen3 e;
  for (size_t r = 0; r < 3; ++r) {
    const size_t i = idx[r];
    e.eigenvalues[r] = a[i][i];
    std::array<double, 3> vec{v[0][i], v[1][i], v[2][i]};
    size_t big = 0;
    for (size_t k = 1; k < 3; ++k)
      if (std::abs(vec[k]) > std::abs(vec[big])) big = k;
    if (vec[big] < 0)
      for (auto& x : vec) x = -x;
    e.eigenvectors[r] = vec;
  }
  return e;
}

ColorPca ColorPca::from(const RgbStats& stats) {
  const Eigen3 e = eigen_symmetric3(stats.cov);
  ColorPca p;
  for (size_t i = 0; i < 3; ++i) {
    p.eigenvalues[i] = float(e.eigenvalues[i]);
    for (size_t k = 0; k < 3; ++k) p.eigenvectors[i][k] = float(e.eigenvectors[i][k]);
  }
  return p;
}

void pca_lighting(Tensor3& t, const ColorPca& pca, const std::array<float, 3>& alpha) {
  DATA_CHECK(t.c == 3);
  std::array<float, 3> shift{};
  for (size_t i = 0; i < 3; ++i)
    for (size_t k = 0; k < 3; ++k) shift[k] += alpha[i] * pca.eigenvalues[i] * pca.eigenvectors[i][k];
  const size_t hw = size_t(t.h) * size_t(t.w);
  for (size_t c = 0; c < 3; ++c)
    for (size_t i = 0; i < hw; ++i) t.data[c * hw + i] += shift[c];
}

void pca_lighting(Tensor3& t, const ColorPca& pca, float alpha_std, Rng& rng) {
  const std::array<float, 3> alpha{rng.normal(0, alpha_std), rng.normal(0, alpha_std), rng.normal(0, alpha_std)};
  pca_lighting(t, pca, alpha);
}

void preprocess(const Tensor3& in, const PreprocessConfig& cfg, Rng& rng, std::span<float> out) {
  Tensor3 t = cfg.resize_shorter > 0 ? resize_shorter(in, cfg.resize_shorter) : in;
  if (cfg.train) {
    if (cfg.crop > 0) t = random_crop(t, cfg.crop, rng);
    if (cfg.flip && (rng.next_u32() & 1u)) hflip(t);
    if (cfg.use_pca) pca_lighting(t, cfg.pca, cfg.pca_alpha_std, rng);
    normalize(t, cfg.mean, cfg.stddev);
    DATA_CHECK(out.size() == t.data.size());
    std::copy(t.data.begin(), t.data.end(), out.begin());
    return;
  }
  if (cfg.ten_crop) {
    auto views = ten_crop(t, cfg.crop > 0 ? cfg.crop : std::min(t.h, t.w));
    DATA_CHECK(out.size() == views.size() * views[0].data.size());
    size_t off = 0;
    for (auto& v : views) {
      normalize(v, cfg.mean, cfg.stddev);
      std::copy(v.data.begin(), v.data.end(), out.begin() + std::ptrdiff_t(off));
      off += v.data.size();
    }
    return;
  }
  if (cfg.crop > 0) t = center_crop(t, cfg.crop);
  normalize(t, cfg.mean, cfg.stddev);
  DATA_CHECK(out.size() == t.data.size());
  std::copy(t.data.begin(), t.data.end(), out.begin());
}

}  // namespace vknn::data
