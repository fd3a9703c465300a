// The device driver of the op cases (graph/cases/include/vknn/cases/case.h): every case of an
// op is filled, recorded and run on the validation-enabled test context, each checked tensor
// is compared with the attached double-precision reference, and the shaders the steps
// dispatched must be exactly those the case claims. `VKNN_CASES_ON_DEVICE(op, fn)` in
// tests/ops/test_<op>.cpp makes two test cases (the odd shapes, the real layers) and
// registers the op, so the coverage test (op_cases.cpp) knows its reference is attached.
#pragma once

#include "gpu.h"
#include "reference/case_reference.h"

namespace vknn::test {

bool register_device_reference(const char* op);
// layers: the cases that name a model layer, else the others; `select`, where given, narrows
// them (an op whose cases are split over several test cases); with VKNN_CASES_MATCHING set,
// only those whose title contains it. Fails if none matched.
void check_cases_on_device(const std::string& op, ref::CaseReference ref, bool layers,
                           const std::function<bool(const cases::OpCase&)>& select = {});

}  // namespace vknn::test

#define VKNN_CASES_ON_DEVICE(op, fn)                                                                     \
  [[maybe_unused]] static const bool vknn_device_registered_##op = ::vknn::test::register_device_reference(#op); \
  TEST_CASE(#op ": odd shapes match the reference") { ::vknn::test::check_cases_on_device(#op, fn, false); } \
  TEST_CASE(#op ": real layer shapes match the reference") { ::vknn::test::check_cases_on_device(#op, fn, true); }
