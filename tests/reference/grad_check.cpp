#include "grad_check.h"

#include <cmath>

namespace vknn::ref {

double overflow_flag(const std::vector<Vec>& xs) {
  for (const Vec& x : xs)
    for (double v : x)
      if (!std::isfinite(v)) return 1.0;
  return 0.0;
}

Tensors grad_check_case_outputs(const cases::OpCase&, const Tensors& in) {
  return {{"flag", {overflow_flag({in.at("x0"), in.at("x1")})}}};
}

}  // namespace vknn::ref
