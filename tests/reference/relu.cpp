#include "relu.h"

namespace vknn::ref {

Vec relu_forward(const Vec& x) {
  Vec y(x.size());
  for (size_t i = 0; i < x.size(); ++i) y[i] = x[i] > 0 ? x[i] : 0.0;
  return y;
}

Vec relu_backward(const Vec& y, const Vec& dy) {
  Vec dx(y.size());
  for (size_t i = 0; i < y.size(); ++i) dx[i] = y[i] > 0 ? dy[i] : 0.0;
  return dx;
}

Tensors relu_case_outputs(const cases::OpCase&, const Tensors& in) {
  const Vec y = relu_forward(in.at("x"));
  return {{"y", y}, {"dx", relu_backward(y, in.at("dy"))}};
}

}  // namespace vknn::ref
