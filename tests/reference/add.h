// CPU reference of the residual add (see graph/include/vknn/ops/add.h).
#pragma once

#include "case_reference.h"

namespace vknn::ref {

Vec add_forward(const Vec& a, const Vec& b);

struct AddBackward {
  Vec da, db;
};
// The gradient fans out: da = dy, db = dy.
AddBackward add_backward(const Vec& dy);

// The cases of graph/cases/ops/add.cpp: y, da, db, dy (what copy and accumulate give), scaled (-0.5 dy).
Tensors add_case_outputs(const cases::OpCase& c, const Tensors& in);

}  // namespace vknn::ref
