// CPU reference of the residual add (see graph/include/vknn/ops/add.h).
#pragma once

#include "fd.h"

namespace vknn::ref {

Vec add_forward(const Vec& a, const Vec& b);

struct AddBackward {
  Vec da, db;
};
// The gradient fans out: da = dy, db = dy.
AddBackward add_backward(const Vec& dy);

}  // namespace vknn::ref
