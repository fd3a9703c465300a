#include "add.h"

namespace vknn::ref {

Vec add_forward(const Vec& a, const Vec& b) {
  Vec y(a.size());
  for (size_t i = 0; i < a.size(); ++i) y[i] = a[i] + b[i];
  return y;
}

AddBackward add_backward(const Vec& dy) { return {dy, dy}; }

}  // namespace vknn::ref
