#include "vknn/models/model.h"

namespace vknn::models {

int64_t count_parameters(const Graph& g) {
  int64_t n = 0;
  for (const TensorDesc& d : g.tensors())
    if (d.role == Role::parameter) n += d.shape.numel();
  return n;
}

}  // namespace vknn::models
