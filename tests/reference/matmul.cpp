#include "matmul.h"

#include "vknn/ops/matmul.h"

#include <algorithm>

namespace vknn::ref {

Tensors matmul_case_outputs(const cases::OpCase& c, const Tensors& in) {
  const auto& d = std::any_cast<const MatmulDesc&>(c.params);
  const Vec &a = in.at("a"), &b = in.at("b"), &c0 = in.at("c");
  const auto bias = in.find("bias");
  Vec out(c0.size());
  for (size_t z = 0; z < d.batch; ++z)
    for (size_t m = 0; m < d.M; ++m)
      for (size_t n = 0; n < d.N; ++n) {
        double s = 0;
        for (size_t k = 0; k < d.K; ++k)
          s += a[z * d.a_batch + m * d.a_m + k * d.a_k] * b[z * d.b_batch + k * d.b_k + n * d.b_n];
        s *= double(d.alpha);
        if (d.bias == MatmulDesc::Bias::per_row) s += bias->second[z * d.bias_batch + m];
        if (d.bias == MatmulDesc::Bias::per_column) s += bias->second[z * d.bias_batch + n];
        const size_t i = z * d.c_batch + m * d.c_m + n * d.c_n;
        if (d.accumulate) s += c0[i];
        if (d.relu) s = std::max(s, 0.0);
        out[i] = s;
      }
  return {{"c", std::move(out)}};
}

}  // namespace vknn::ref
