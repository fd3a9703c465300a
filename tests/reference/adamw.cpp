#include "adamw.h"

#include "vknn/ops/adamw.h"

#include <cmath>

namespace vknn::ref {

void adamw_step(const AdamWParams& p, int t, Vec& w, const Vec& g, Vec& m, Vec& v) {
  const double bc1 = 1 - std::pow(p.beta1, t), bc2_sqrt = std::sqrt(1 - std::pow(p.beta2, t));
  for (size_t i = 0; i < w.size(); ++i) {
    w[i] *= 1 - p.lr * p.weight_decay;
    m[i] = p.beta1 * m[i] + (1 - p.beta1) * g[i];
    v[i] = p.beta2 * v[i] + (1 - p.beta2) * g[i] * g[i];
    w[i] -= p.lr / bc1 * m[i] / (std::sqrt(v[i]) / bc2_sqrt + p.eps);
  }
}

Tensors adamw_case_outputs(const cases::OpCase& c, const Tensors& in) {
  const auto& p = std::any_cast<const vknn::AdamWParams&>(c.params);
  const AdamWParams rp{double(p.learning_rate), p.beta1, p.beta2, double(p.eps), double(p.weight_decay)};
  Vec w = in.at("w"), m = in.at("m"), v = in.at("v");
  for (int t = 1; in.count("g" + std::to_string(t)); ++t) adamw_step(rp, t, w, in.at("g" + std::to_string(t)), m, v);
  return {{"w", std::move(w)}, {"m", std::move(m)}, {"v", std::move(v)}};
}

}  // namespace vknn::ref
