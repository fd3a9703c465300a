#include "sgd.h"

#include "vknn/ops/sgd.h"

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

Tensors sgd_case_outputs(const cases::OpCase& c, const Tensors& in) {
  const auto& p = std::any_cast<const vknn::SgdParams&>(c.params);
  const SgdParams rp{double(p.learning_rate), double(p.momentum), double(p.weight_decay)};
  Vec w = in.at("w"), v = in.at("v");
  for (const char* g : {"g0", "g1", "g2"}) {
    if (p.rule == vknn::SgdRule::sgd_paper)
      sgd_paper_step(rp, w, in.at(g), v);
    else
      sgd_pytorch_step(rp, w, in.at(g), v);
  }
  return {{"w", std::move(w)}, {"v", std::move(v)}};
}

}  // namespace vknn::ref
