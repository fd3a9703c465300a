// The evaluation pass: top-1, top-5 and mean loss of an executor's inference over a loader.
#include "vknn/train/recipe.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace vknn::train {

namespace {

// 10-crop scoring: mean of the views' softmax probabilities, loss -log of the mean
// probability of the label, top-k by the strict tie rule of the loss op.
Result<EvalResult> evaluate_views(Executor& ex, const models::Model& m, data::BatchLoader& loader, int views,
                                  int64_t B, int64_t K, int64_t image_floats) {
  EvalResult r;
  double loss_sum = 0, top1 = 0, top5 = 0;
  loader.start_epoch(0);
  while (auto batch = loader.next()) {
    const int64_t n = batch->n / views;  // samples; the loader counts images (and repeats labels per view)
    if (batch->n > B) return make_error(Errc::invalid_argument, "10-crop batch of {} views exceeds the graph's {}", batch->n, B);
    std::vector<float> images(size_t(B * image_floats), 0.0f);
    std::copy(batch->images.begin(), batch->images.end(), images.begin());
    std::vector<int32_t> labels(size_t(B), 0);
    VKNN_TRY(ex.set_input(m.images, std::span<const float>(images)));
    VKNN_TRY(ex.set_input(m.labels, std::span<const int32_t>(labels)));
    VKNN_TRY(ex.infer());
    VKNN_ASSIGN(std::vector<float> logits, ex.read(m.logits));
    for (int64_t i = 0; i < n; ++i) {
      const int32_t label = batch->labels[size_t(i * views)];
      if (label < 0 || label >= K)
        return make_error(Errc::invalid_argument, "label {} is outside the model's {} classes", label, K);
      std::vector<double> p(size_t(K), 0.0);
      for (int v = 0; v < views; ++v) {
        const float* z = logits.data() + (i * views + v) * K;
        const float mx = *std::max_element(z, z + K);
        double s = 0;
        for (int64_t k = 0; k < K; ++k) s += std::exp(double(z[k] - mx));
        for (int64_t k = 0; k < K; ++k) p[size_t(k)] += std::exp(double(z[k] - mx)) / s / views;
      }
      int greater = 0;
      for (int64_t k = 0; k < K; ++k) greater += p[size_t(k)] > p[size_t(label)];
      loss_sum += -std::log(std::max(p[size_t(label)], 1e-300));
      top1 += greater < 1, top5 += greater < 5;
    }
    r.samples += n;
  }
  VKNN_TRY(loader.status());  // too many unreadable images ended the split early: not a result
  if (r.samples == 0) return make_error(Errc::invalid_argument, "the evaluation split is empty");
  r.loss = loss_sum / double(r.samples), r.top1 = top1 / double(r.samples), r.top5 = top5 / double(r.samples);
  return r;
}

}  // namespace

Result<EvalSums> evaluate_sums(Executor& ex, const models::Model& m, data::BatchLoader& loader,
                               const EvalProgress& on_batch) {
  const Graph& g = ex.graph();
  const int64_t B = g.shape(m.images)[0];
  const int64_t K = g.shape(m.logits)[1];
  const int64_t sample = g.shape(m.images).numel() / B;
  EvalSums r;
  double& loss_sum = r.loss;
  double& top1 = r.top1;
  double& top5 = r.top5;
  loader.start_epoch(0);
  while (auto batch = loader.next()) {
    const int64_t n = batch->n;
    for (int32_t l : batch->labels)
      if (l < 0 || l >= K)
        return make_error(Errc::invalid_argument, "label {} is outside the model's {} classes", l, K);
    if (n == B) {
      VKNN_TRY(ex.set_input(m.images, std::span<const float>(batch->images)));
      VKNN_TRY(ex.set_input(m.labels, std::span<const int32_t>(batch->labels)));
      VKNN_TRY(ex.infer());
      VKNN_ASSIGN(float loss, ex.read_scalar(g.loss));
      VKNN_ASSIGN(float t1, ex.read_scalar(g.top1));
      VKNN_ASSIGN(float t5, ex.read_scalar(g.top5));
      loss_sum += double(loss) * double(n), top1 += t1, top5 += t5;
    } else {
      std::vector<float> images(size_t(B * sample), 0.0f);
      std::copy(batch->images.begin(), batch->images.end(), images.begin());
      std::vector<int32_t> labels(size_t(B), 0);
      std::copy(batch->labels.begin(), batch->labels.end(), labels.begin());
      VKNN_TRY(ex.set_input(m.images, std::span<const float>(images)));
      VKNN_TRY(ex.set_input(m.labels, std::span<const int32_t>(labels)));
      VKNN_TRY(ex.infer());
      VKNN_ASSIGN(std::vector<float> logits, ex.read(m.logits));
      for (int64_t i = 0; i < n; ++i) {
        const float* z = logits.data() + i * K;
        const float zl = z[labels[size_t(i)]];
        const float mx = *std::max_element(z, z + K);
        double s = 0;
        int greater = 0;
        for (int64_t k = 0; k < K; ++k) {
          s += std::exp(double(z[k] - mx));
          greater += z[k] > zl;
        }
        loss_sum += std::log(s) + double(mx) - double(zl);
        top1 += greater < 1, top5 += greater < 5;
      }
    }
    r.samples += n;
    if (on_batch) on_batch(r.samples);
  }
  if (loader.failed_samples() > 0)
    fmt::print(stderr, "warning: {} unreadable samples replaced (last: {})\n", loader.failed_samples(),
               loader.last_failure());
  return r;
}

Result<EvalResult> evaluate(Executor& ex, const models::Model& m, data::BatchLoader& loader, int views,
                            const EvalProgress& on_batch) {
  const Graph& g = ex.graph();
  const int64_t B = g.shape(m.images)[0];
  if (views > 1)
    return evaluate_views(ex, m, loader, views, B, g.shape(m.logits)[1], g.shape(m.images).numel() / B);
  VKNN_ASSIGN(EvalSums s, evaluate_sums(ex, m, loader, on_batch));
  if (s.samples == 0) return make_error(Errc::invalid_argument, "the evaluation split is empty");
  EvalResult r;
  r.samples = s.samples;
  r.loss = s.loss / double(s.samples), r.top1 = s.top1 / double(s.samples), r.top5 = s.top5 / double(s.samples);
  return r;
}

}  // namespace vknn::train
