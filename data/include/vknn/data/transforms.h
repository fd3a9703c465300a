// Preprocessing and augmentation (Krizhevsky, Sutskever, Hinton 2012, sections 2 and 4.1):
// resize so the shorter side is S, centre or random crop, horizontal flip, per-channel mean
// (and optional std) normalisation, PCA colour ("lighting") augmentation and 10-crop
// evaluation. All randomness comes from Rng, a Philox4x32-10 stream keyed by
// (seed, epoch, sample index), so a pipeline's output does not depend on thread timing.
#pragma once

#include "vknn/data/image.h"

#include <array>
#include <cstdint>
#include <vector>

namespace vknn::data {

// A CHW float image.
struct Tensor3 {
  int c = 0, h = 0, w = 0;
  std::vector<float> data;
  Tensor3() = default;
  Tensor3(int c_, int h_, int w_) : c(c_), h(h_), w(w_), data(size_t(c_) * size_t(h_) * size_t(w_)) {}
  float& at(int ch, int y, int x) { return data[(size_t(ch) * size_t(h) + size_t(y)) * size_t(w) + size_t(x)]; }
  float at(int ch, int y, int x) const { return data[(size_t(ch) * size_t(h) + size_t(y)) * size_t(w) + size_t(x)]; }
};

// Counter-based random stream: draw k of sample `index` in `epoch` under `seed` is
// philox(counter = {index lo, index hi, epoch, k / 4}, key = seed)[k % 4]; independent of order.
class Rng {
 public:
  Rng(uint64_t seed, uint64_t epoch, uint64_t index) : seed_(seed), epoch_(epoch), index_(index) {}
  uint32_t next_u32();
  float uniform();                      // [0, 1), 24 random bits
  uint32_t below(uint32_t n);           // [0, n) (n > 0), Lemire's method without bias
  float normal(float mean, float std);  // Box-Muller

 private:
  uint64_t seed_, epoch_, index_;
  uint32_t block_ = 0;
  std::array<uint32_t, 4> buf_{};
  int used_ = 4;
};

// Image (HWC bytes) to CHW float: value / 255.
Tensor3 to_tensor(const Image& img);

// ---- Geometry as torchvision computes it on PIL images ----
// Resizing is PIL's bilinear filter (Image.resize(..., BILINEAR), what torchvision's Resize
// uses on PIL images): a separable triangle filter whose support widens with the reduction
// factor, so downscaling averages every source pixel (antialiasing) instead of sampling two.
// Along an axis of in -> out samples, scale = in / out, r = max(scale, 1), and output o is
//   sum_i tri((i + 0.5 - (o + 0.5) * scale) / r) * src[i] / (sum of the same weights),
// with tri(t) = max(0, 1 - |t|), over i in [trunc(c - r + 0.5), trunc(c + r + 0.5)) clipped to
// [0, in), c = (o + 0.5) * scale. Rows are filtered first, then columns.
struct Extent {
  int h = 0, w = 0;
  bool operator==(const Extent&) const = default;
};
// torchvision's Resize(shorter) output size: the shorter side becomes `shorter` and the longer
// int(shorter * long / short), truncated as torchvision truncates (not rounded).
Extent resized_shorter_extent(int h, int w, int shorter);
// Offset of a centred window of `out` samples in `in`: round((in - out) / 2) with ties to
// even, as Python's round() in torchvision's center_crop.
int center_crop_offset(int in, int out);

// A window of an image: rows [y, y + h), columns [x, x + w).
struct Window {
  int y = 0, x = 0, h = 0, w = 0;
};
// 8-bit resize equal to PIL's: weights in fixed point with 22 fraction bits, each pass
// rounded to 8 bits (the row pass is stored as bytes before the column pass). resize_window
// computes only `window` of the out_h x out_w result (equal to cropping the full resize), and
// of the source only what that window reads; the window must lie inside the output.
Image resize_image(const Image& img, int out_h, int out_w);
Image resize_window(const Image& img, int out_h, int out_w, Window window);
// The same filter on floats, unrounded (for data that is not 8-bit).
Tensor3 resize_bilinear(const Tensor3& t, int out_h, int out_w);
// Resizes to resized_shorter_extent(t.h, t.w, shorter).
Tensor3 resize_shorter(const Tensor3& t, int shorter);
// Crop of size (h, w) at (y, x); the window must lie inside t (VKNN-style contract: checked).
Tensor3 crop(const Tensor3& t, int y, int x, int h, int w);
// Offsets from center_crop_offset.
Tensor3 center_crop(const Tensor3& t, int size);
Tensor3 random_crop(const Tensor3& t, int size, Rng& rng);
void hflip(Tensor3& t);
// (x - mean[c]) / std[c]; `stddev` may be empty (then only the mean is subtracted).
void normalize(Tensor3& t, std::span<const float> mean, std::span<const float> stddev = {});
// 4 corners + centre, then the same 5 flipped (the paper's test-time averaging).
std::vector<Tensor3> ten_crop(const Tensor3& t, int size);

// RGB statistics over training pixels (in the same scale as the tensors, [0, 1]).
struct RgbStats {
  std::array<double, 3> mean{};
  std::array<double, 3> stddev{};
  std::array<std::array<double, 3>, 3> cov{};
  uint64_t pixels = 0;
};
class RgbStatsAccumulator {
 public:
  void add(const Tensor3& t);  // t must have 3 channels
  void add(const Image& img);
  RgbStats finish() const;

 private:
  std::array<double, 3> sum_{};
  std::array<std::array<double, 3>, 3> sum2_{};
  uint64_t n_ = 0;
};

// Symmetric 3x3 eigen-decomposition by cyclic Jacobi rotations. Eigenvalues sorted descending;
// eigenvectors[i] is the unit eigenvector of eigenvalues[i] (sign: largest component positive).
struct Eigen3 {
  std::array<double, 3> eigenvalues{};
  std::array<std::array<double, 3>, 3> eigenvectors{};
};
Eigen3 eigen_symmetric3(const std::array<std::array<double, 3>, 3>& a);

// PCA colour augmentation: adds sum_i alpha_i * lambda_i * p_i to every pixel, alpha_i ~
// N(0, alpha_std), once per image (the paper's formula, with the covariance's eigenvalues).
struct ColorPca {
  std::array<float, 3> eigenvalues{};
  std::array<std::array<float, 3>, 3> eigenvectors{};  // [i] is p_i
  static ColorPca from(const RgbStats& stats);
};
void pca_lighting(Tensor3& t, const ColorPca& pca, float alpha_std, Rng& rng);
void pca_lighting(Tensor3& t, const ColorPca& pca, const std::array<float, 3>& alpha);

// One sample's pipeline. Training: resize shorter side to `resize_shorter` (0 = keep), random
// crop `crop` (0 = keep), flip with p = 0.5, PCA lighting if `pca` is set, normalise.
// Evaluation: resize, centre crop (or 10 crops), normalise.
struct PreprocessConfig {
  int resize_shorter = 256;
  int crop = 227;
  bool train = false;
  bool flip = true;        // training only
  bool use_pca = false;    // training only
  ColorPca pca{};
  float pca_alpha_std = 0.1f;
  bool ten_crop = false;   // evaluation only: 10 views per sample
  std::vector<float> mean;    // per channel, empty = none
  std::vector<float> stddev;  // per channel, empty = none
  int views() const { return (!train && ten_crop) ? 10 : 1; }
};
// Writes views() * 3 * crop * crop floats to out. The Image overload is torchvision's
// Resize + CenterCrop (or crop) + ToTensor on a PIL image, equal to it to the byte, and
// resizes only the window it crops; the Tensor3 overload filters floats without rounding
// (within 1/255 of it). Both draw the same random numbers in the same order.
void preprocess(const Image& img, const PreprocessConfig& cfg, Rng& rng, std::span<float> out);
void preprocess(const Tensor3& t, const PreprocessConfig& cfg, Rng& rng, std::span<float> out);

}  // namespace vknn::data
