#include "vknn/data/transforms.h"

#include "vknn/ops/philox.h"

#include "contract.h"

#include <algorithm>
#include <cmath>

namespace vknn::data {

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

Extent resized_shorter_extent(int h, int w, int shorter) {
  DATA_CHECK(h > 0 && w > 0 && shorter > 0);
  // torchvision: new_long = int(new_short * long / short), a true division then truncation.
  // Both operands are exact in double and the quotient is correctly rounded, as in Python.
  const int64_t s = std::min(h, w), l = std::max(h, w);
  const int new_long = std::max(1, int(double(int64_t(shorter) * l) / double(s)));
  return h <= w ? Extent{shorter, new_long} : Extent{new_long, shorter};
}

int center_crop_offset(int in, int out) {
  DATA_CHECK(out > 0 && out <= in);
  const int d = in - out, lo = d / 2;
  return (d % 2 == 0 || lo % 2 == 0) ? lo : lo + 1;  // a tie (odd d) goes to the even neighbour
}

Tensor3 resize_shorter(const Tensor3& t, int shorter) {
  const Extent e = resized_shorter_extent(t.h, t.w, shorter);
  return resize_bilinear(t, e.h, e.w);
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

Tensor3 center_crop(const Tensor3& t, int size) {
  return crop(t, center_crop_offset(t.h, size), center_crop_offset(t.w, size), size, size);
}

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

namespace {

std::array<float, 3> pca_shift(const ColorPca& pca, const std::array<float, 3>& alpha) {
  std::array<float, 3> shift{};
  for (size_t i = 0; i < 3; ++i)
    for (size_t k = 0; k < 3; ++k) shift[k] += alpha[i] * pca.eigenvalues[i] * pca.eigenvectors[i][k];
  return shift;
}

std::array<float, 3> pca_alpha(float alpha_std, Rng& rng) {
  return {rng.normal(0, alpha_std), rng.normal(0, alpha_std), rng.normal(0, alpha_std)};
}

}  // namespace

void pca_lighting(Tensor3& t, const ColorPca& pca, const std::array<float, 3>& alpha) {
  DATA_CHECK(t.c == 3);
  const std::array<float, 3> shift = pca_shift(pca, alpha);
  const size_t hw = size_t(t.h) * size_t(t.w);
  for (size_t c = 0; c < 3; ++c)
    for (size_t i = 0; i < hw; ++i) t.data[c * hw + i] += shift[c];
}

void pca_lighting(Tensor3& t, const ColorPca& pca, float alpha_std, Rng& rng) {
  pca_lighting(t, pca, pca_alpha(alpha_std, rng));
}

namespace {

// The steps after the crop: flip, PCA lighting (training), normalisation, copy out.
void finish_view(Tensor3& t, const PreprocessConfig& cfg, Rng& rng, std::span<float> out) {
  if (cfg.train) {
    if (cfg.flip && (rng.next_u32() & 1u)) hflip(t);
    if (cfg.use_pca) pca_lighting(t, cfg.pca, cfg.pca_alpha_std, rng);
  }
  normalize(t, cfg.mean, cfg.stddev);
  DATA_CHECK(out.size() == t.data.size());
  std::copy(t.data.begin(), t.data.end(), out.begin());
}

// finish_view for the bytes of a crop, in one pass straight into `out`: the same float
// operations as to_tensor, hflip, pca_lighting and normalize in turn, without the three
// intermediate planes.
void finish_bytes(const Image& v, const PreprocessConfig& cfg, Rng& rng, std::span<float> out) {
  const bool flip = cfg.train && cfg.flip && (rng.next_u32() & 1u);
  const bool lighting = cfg.train && cfg.use_pca;
  const std::array<float, 3> shift = lighting ? pca_shift(cfg.pca, pca_alpha(cfg.pca_alpha_std, rng)) : std::array<float, 3>{};
  DATA_CHECK(cfg.mean.empty() || cfg.mean.size() == 3);
  DATA_CHECK(cfg.stddev.empty() || cfg.stddev.size() == 3);
  const size_t w = size_t(v.width), h = size_t(v.height);
  DATA_CHECK(out.size() == 3 * h * w);
  for (size_t c = 0; c < 3; ++c) {
    const float m = cfg.mean.empty() ? 0.0f : cfg.mean[c];
    const float inv = cfg.stddev.empty() ? 1.0f : 1.0f / cfg.stddev[c];
    for (size_t y = 0; y < h; ++y) {
      const uint8_t* row = &v.rgb[y * w * 3 + c];
      float* dst = &out[(c * h + y) * w];
      for (size_t x = 0; x < w; ++x) {
        float t = float(row[3 * (flip ? w - 1 - x : x)]) * (1.0f / 255.0f);
        if (lighting) t += shift[c];
        dst[x] = (t - m) * inv;
      }
    }
  }
}

void finish_ten_crop(const Tensor3& t, const PreprocessConfig& cfg, std::span<float> out) {
  auto views = ten_crop(t, cfg.crop > 0 ? cfg.crop : std::min(t.h, t.w));
  DATA_CHECK(out.size() == views.size() * views[0].data.size());
  size_t off = 0;
  for (auto& v : views) {
    normalize(v, cfg.mean, cfg.stddev);
    std::copy(v.data.begin(), v.data.end(), out.begin() + std::ptrdiff_t(off));
    off += v.data.size();
  }
}

// The crop window inside a resized extent: random (training) or centred. Draws y, then x.
Window crop_window(Extent e, const PreprocessConfig& cfg, Rng& rng) {
  if (cfg.crop <= 0) return Window{0, 0, e.h, e.w};
  DATA_CHECK(cfg.crop <= e.h && cfg.crop <= e.w);
  if (cfg.train) {
    const int y = int(rng.below(uint32_t(e.h - cfg.crop + 1)));
    const int x = int(rng.below(uint32_t(e.w - cfg.crop + 1)));
    return Window{y, x, cfg.crop, cfg.crop};
  }
  return Window{center_crop_offset(e.h, cfg.crop), center_crop_offset(e.w, cfg.crop), cfg.crop, cfg.crop};
}

}  // namespace

void preprocess(const Image& img, const PreprocessConfig& cfg, Rng& rng, std::span<float> out) {
  const Extent e = cfg.resize_shorter > 0 ? resized_shorter_extent(img.height, img.width, cfg.resize_shorter)
                                          : Extent{img.height, img.width};
  if (!cfg.train && cfg.ten_crop) {
    finish_ten_crop(to_tensor(resize_image(img, e.h, e.w)), cfg, out);
    return;
  }
  // Only the crop is resized: each output pixel depends on its own filter window alone, so
  // this equals resizing everything and cropping after.
  finish_bytes(resize_window(img, e.h, e.w, crop_window(e, cfg, rng)), cfg, rng, out);
}

void preprocess(const Tensor3& in, const PreprocessConfig& cfg, Rng& rng, std::span<float> out) {
  const Tensor3 t = cfg.resize_shorter > 0 ? resize_shorter(in, cfg.resize_shorter) : in;
  if (!cfg.train && cfg.ten_crop) {
    finish_ten_crop(t, cfg, out);
    return;
  }
  const Window w = crop_window(Extent{t.h, t.w}, cfg, rng);
  Tensor3 v = crop(t, w.y, w.x, w.h, w.w);
  finish_view(v, cfg, rng, out);
}

}  // namespace vknn::data
