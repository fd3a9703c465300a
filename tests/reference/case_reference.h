// Attaching a double-precision reference to an op's cases (graph/cases/ops/<op>.cpp).
// Each op's reference header declares `Tensors <op>_case_outputs(const cases::OpCase&,
// const Tensors& initial)`: from the case's params and shapes and the initial contents of its
// tensors, the outputs its checks and gradients name ("y", "dx", ...), overwritten, never
// accumulated. Two generic drivers use it, by op name:
//   - VKNN_CHECK_CASE_GRADIENTS(op, fn) in tests/reference/test_<op>_reference.cpp: the
//     reference backward against central differences on every small case;
//   - VKNN_CASES_ON_DEVICE(op, fn) in tests/ops/test_<op>.cpp (tests/ops/op_cases.h): the
//     device against the reference on every case.
#pragma once

#include "fd.h"

#include "vknn/cases/case.h"

#include <map>
#include <set>
#include <string>
#include <vector>

namespace vknn::ref {

using Tensors = std::map<std::string, Vec>;
using CaseReference = Tensors (*)(const cases::OpCase&, const Tensors& initial);

inline Tensors to_double(const std::map<std::string, std::vector<float>>& t) {
  Tensors out;
  for (const auto& [name, v] : t) out[name] = Vec(v.begin(), v.end());
  return out;
}

// The int32 indices stored in a float tensor's bits (labels), as ints.
std::vector<int32_t> as_int32(const std::vector<float>& bits);

// Defined in tests/reference/test_case_gradients.cpp.
bool register_gradient_check(const char* op);
void check_case_gradients(const std::string& op, CaseReference ref);

}  // namespace vknn::ref

#define VKNN_CHECK_CASE_GRADIENTS(op, fn)                                                          \
  [[maybe_unused]] static const bool vknn_gradients_registered_##op = ::vknn::ref::register_gradient_check(#op); \
  TEST_CASE("reference " #op ": backward equals central differences on every small case") {      \
    ::vknn::ref::check_case_gradients(#op, fn);                                                    \
  }
