// Every embedded shader reflects and makes a pipeline on this device. Which test checks each
// shader against a reference is the coverage test of the op cases (tests/ops/op_cases.cpp).
#include "gpu.h"

#include <string>

using namespace vknn;
using namespace vknn::test;

TEST_CASE("engine: every embedded shader reflects and makes a pipeline") {
  for (uint32_t i = 0; i < kShaderCount; ++i) {
    const auto id = ShaderId(i);
    const std::string name = shader_name(id);
    CAPTURE(name);
    auto info = reflect_spirv(shader_spirv(id));
    REQUIRE_OK(info);
    CHECK(info->binding_count >= 1);
    auto pipeline = gpu().pipeline(id);  // specialization defaults
    REQUIRE_OK(pipeline);
    CHECK((*pipeline)->binding_count == info->binding_count);
  }
}
