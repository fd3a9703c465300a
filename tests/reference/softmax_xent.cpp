#include "softmax_xent.h"

#include "vknn/ops/softmax_xent.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace vknn::ref {

namespace {
bool valid(int k, int32_t label) { return label >= 0 && label < k; }
}  // namespace

bool top_k_correct(int k, const Vec& logits, int row, int32_t label, int topk) {
  if (!valid(k, label)) return false;
  const double* z = &logits[size_t(row) * k];
  int greater = 0;
  for (int j = 0; j < k; ++j) greater += z[j] > z[label] ? 1 : 0;
  return greater < topk;
}

SoftmaxXentForward softmax_xent_forward(int n, int k, const Vec& logits, const std::vector<int32_t>& labels,
                                        double smoothing) {
  SoftmaxXentForward f;
  double total = 0;
  for (int r = 0; r < n; ++r) {
    const int32_t label = labels[size_t(r)];
    if (!valid(k, label)) {
      ++f.invalid;
      continue;
    }
    const double* z = &logits[size_t(r) * k];
    const double m = *std::max_element(z, z + k);
    double s = 0;
    for (int j = 0; j < k; ++j) s += std::exp(z[j] - m);
    // -sum_j q_j log p_j, log p_j = z_j - lse, taken term by term as the definition reads.
    const double lse = std::log(s) + m;
    for (int j = 0; j < k; ++j) {
      const double q = (j == label ? 1.0 - smoothing : 0.0) + smoothing / k;
      total -= q * (z[j] - lse);
    }
    f.top1 += top_k_correct(k, logits, r, label, 1) ? 1 : 0;
    f.top5 += top_k_correct(k, logits, r, label, 5) ? 1 : 0;
  }
  f.loss = f.invalid ? std::numeric_limits<double>::quiet_NaN() : total / n;
  return f;
}

Vec softmax_xent_backward(int n, int k, const Vec& logits, const std::vector<int32_t>& labels, double dloss,
                          double smoothing) {
  Vec d(size_t(n) * k, 0.0);
  for (int r = 0; r < n; ++r) {
    const int32_t label = labels[size_t(r)];
    if (!valid(k, label)) continue;
    const double* z = &logits[size_t(r) * k];
    const double m = *std::max_element(z, z + k);
    double s = 0;
    for (int j = 0; j < k; ++j) s += std::exp(z[j] - m);
    for (int j = 0; j < k; ++j) {
      const double q = (j == label ? 1.0 - smoothing : 0.0) + smoothing / k;
      d[size_t(r) * k + j] = dloss * (std::exp(z[j] - m) / s - q) / n;
    }
  }
  return d;
}

Tensors softmax_xent_case_outputs(const cases::OpCase& c, const Tensors& in) {
  const double eps = std::any_cast<const vknn::SoftmaxXentParams&>(c.params).label_smoothing;
  const Shape& zs = c.shape("z");
  const int n = int(zs[0]), k = int(zs[1]);
  std::vector<float> bits(in.at("labels").begin(), in.at("labels").end());
  const std::vector<int32_t> labels = as_int32(bits);
  const Vec& z = in.at("z");
  const auto f = softmax_xent_forward(n, k, z, labels, eps);
  return {{"loss", {f.loss}},
          {"top1", {double(f.top1)}},
          {"top5", {double(f.top5)}},
          {"invalid", {double(f.invalid)}},
          {"dz", softmax_xent_backward(n, k, z, labels, 1.0, eps)},
          {"dz_dloss", softmax_xent_backward(n, k, z, labels, in.at("dloss")[0], eps)}};
}

}  // namespace vknn::ref
