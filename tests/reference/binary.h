// CPU reference of the broadcasting binary ops (see graph/include/vknn/ops/binary.h), in
// double: NumPy broadcasting, any ranks.
#pragma once

#include "case_reference.h"

#include <cstdint>
#include <vector>

namespace vknn::ref {

enum class Bin { add, sub, mul, div };
using Dims = std::vector<int64_t>;

Dims broadcast(const Dims& a, const Dims& b);  // the broadcast shape (they must broadcast)
Vec binary_forward(Bin op, const Vec& a, const Dims& as, const Vec& b, const Dims& bs);
struct BinaryGrads {
  Vec da, db;
};
// da and db: dy times the partial derivative, summed over the elements each input repeats to.
BinaryGrads binary_backward(Bin op, const Vec& a, const Dims& as, const Vec& b, const Dims& bs, const Vec& dy);

// The cases of graph/cases/ops/binary.cpp: y, da, db.
Tensors binary_case_outputs(const cases::OpCase& c, const Tensors& in);

}  // namespace vknn::ref
