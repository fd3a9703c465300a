#include "sgd.h"

namespace vknn::ref {

void sgd_paper_step(const SgdParams& p, Vec& w, const Vec& g, Vec& v) {
  for (size_t i = 0; i < w.size(); ++i) {
    v[i] = p.momentum * v[i] - p.weight_decay * p.lr * w[i] - p.lr * g[i];
    w[i] += v[i];
  }
}

void sgd_pytorch_step(const SgdParams& p, Vec& w, const Vec& g, Vec& v) {
  for (size_t i = 0; i < w.size(); ++i) {
    v[i] = p.momentum * v[i] + (g[i] + p.weight_decay * w[i]);
    w[i] -= p.lr * v[i];
  }
}

}  // namespace vknn::ref
