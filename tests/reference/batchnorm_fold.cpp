#include "batchnorm_fold.h"

namespace vknn::ref {

BatchNormFold batchnorm_fold(double eps, const Vec& w, const Vec& b, const Vec& gamma, const Vec& beta,
                             const Vec& running_mean, const Vec& running_var) {
  const size_t k = gamma.size(), per = w.size() / k;
  BatchNormFold f{Vec(w.size()), Vec(k)};
  for (size_t i = 0; i < k; ++i) {
    const double scale = gamma[i] / std::sqrt(running_var[i] + eps);
    for (size_t j = 0; j < per; ++j) f.w[i * per + j] = w[i * per + j] * scale;
    f.b[i] = beta[i] + ((b.empty() ? 0.0 : b[i]) - running_mean[i]) * scale;
  }
  return f;
}

Tensors batchnorm_fold_case_outputs(const cases::OpCase& c, const Tensors& in) {
  const double eps = std::any_cast<float>(c.params);
  const auto b = in.find("b");
  BatchNormFold f = batchnorm_fold(eps, in.at("w"), b == in.end() ? Vec{} : b->second, in.at("gamma"), in.at("beta"),
                                   in.at("running_mean"), in.at("running_var"));
  return {{"w_out", std::move(f.w)}, {"b_out", std::move(f.b)}};
}

}  // namespace vknn::ref
