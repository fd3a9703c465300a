// Every embedded shader reflects and makes a pipeline on this device, and each is covered
// against a CPU reference by the suite named here (keep this table in step with
// shaders/CMakeLists.txt; the test below fails when a shader is missing from it).
#include "gpu.h"

#include <map>
#include <string>

using namespace vknn;
using namespace vknn::test;

namespace {

// shader -> where its results are checked against a reference
const std::map<std::string, std::string> kCoverage = {
    {"engine_test_axpb", "tests/engine/test_commands.cpp"},
    {"probe_fma", "tests/engine/test_probes.cpp"},
    {"probe_copy", "tests/engine/test_probes.cpp"},
    {"probe_copy_wide", "tests/engine/test_probes.cpp"},
    {"matmul_register", "tests/engine/test_matmul.cpp"},
    {"matmul_shared", "tests/engine/test_matmul.cpp"},
    {"matmul_rows_dot", "tests/engine/test_matmul.cpp"},
    {"matmul_columns", "tests/engine/test_matmul.cpp"},
    {"conv2d_forward_register", "tests/ops/test_conv2d.cpp"},
    {"conv2d_forward_shared", "tests/ops/test_conv2d.cpp"},
    {"conv2d_backward_data_register", "tests/ops/test_conv2d.cpp"},
    {"conv2d_backward_data_shared", "tests/ops/test_conv2d.cpp"},
    {"conv2d_backward_weight_register", "tests/ops/test_conv2d.cpp"},
    {"conv2d_backward_weight_shared", "tests/ops/test_conv2d.cpp"},
    {"conv2d_split_reduce", "tests/ops/test_conv2d.cpp (long weight-gradient reductions)"},
    {"conv2d_bias_grad", "tests/ops/test_conv2d.cpp (bias gradients)"},
    {"linear_forward_gemv", "tests/ops/test_linear.cpp (batch 1..8 forward)"},
    {"linear_forward_gemv64", "tests/ops/test_linear.cpp (batch 1..8 forward, IN even)"},
    {"linear_sum_rows", "tests/ops/test_linear.cpp (bias gradient, sum_rows, channel_sum)"},
    {"relu_forward", "tests/ops/test_relu.cpp"},
    {"relu_backward", "tests/ops/test_relu.cpp"},
    {"relu_backward_inplace", "tests/ops/test_relu.cpp"},
    {"activation_forward", "tests/ops/test_activation.cpp"},
    {"activation_backward", "tests/ops/test_activation.cpp"},
    {"add_forward", "tests/ops/test_add.cpp"},
    {"add_backward", "tests/ops/test_add.cpp"},
    {"add_scaled", "tests/ops/test_add.cpp (copy, accumulate, scale)"},
    {"binary_forward", "tests/ops/test_binary.cpp"},
    {"binary_backward", "tests/ops/test_binary.cpp"},
    {"concat_copy", "tests/ops/test_concat.cpp"},
    {"dropout_apply", "tests/ops/test_dropout.cpp"},
    {"softmax_xent_forward", "tests/ops/test_softmax_xent.cpp"},
    {"softmax_xent_backward", "tests/ops/test_softmax_xent.cpp"},
    {"sgd_update", "tests/ops/test_sgd.cpp"},
    {"adamw_update", "tests/ops/test_adamw.cpp"},
    {"lrn_forward", "tests/ops/test_lrn.cpp"},
    {"lrn_backward", "tests/ops/test_lrn.cpp"},
    {"lrn_forward_column", "tests/ops/test_lrn.cpp"},
    {"lrn_backward_column", "tests/ops/test_lrn.cpp"},
    {"maxpool_forward", "tests/ops/test_maxpool.cpp"},
    {"maxpool_backward", "tests/ops/test_maxpool.cpp"},
    {"avgpool_forward", "tests/ops/test_avgpool.cpp"},
    {"avgpool_backward", "tests/ops/test_avgpool.cpp"},
    {"avgpool_global_forward", "tests/ops/test_avgpool.cpp"},
    {"avgpool_global_backward", "tests/ops/test_avgpool.cpp"},
    {"channel_pad_forward", "tests/ops/test_channel_pad.cpp"},
    {"channel_pad_backward", "tests/ops/test_channel_pad.cpp"},
    {"channel_shuffle", "tests/ops/test_channel_shuffle.cpp"},
    {"batchnorm_forward", "tests/ops/test_batchnorm.cpp"},
    {"batchnorm_inference", "tests/ops/test_batchnorm.cpp"},
    {"batchnorm_fold", "tests/ops/test_batchnorm_fold.cpp (and the optimizer: tests/graph/test_optimize.cpp)"},
    {"batchnorm_backward", "tests/ops/test_batchnorm.cpp"},
    {"batchnorm_moments", "tests/ops/test_batchnorm.cpp (synchronized kernels; tests/graph/test_sync_batchnorm.cpp)"},
    {"batchnorm_backward_reduce", "tests/ops/test_batchnorm.cpp (synchronized kernels)"},
};

}  // namespace

TEST_CASE("engine: every embedded shader reflects, makes a pipeline, and has a reference test") {
  for (uint32_t i = 0; i < kShaderCount; ++i) {
    const auto id = ShaderId(i);
    const std::string name = shader_name(id);
    CAPTURE(name);
    CHECK_MESSAGE(kCoverage.count(name) == 1, "add " << name << " to the coverage table with the test that checks it");
    auto info = reflect_spirv(shader_spirv(id));
    REQUIRE_OK(info);
    CHECK(info->binding_count >= 1);
    auto pipeline = gpu().pipeline(id);  // specialization defaults
    REQUIRE_OK(pipeline);
    CHECK((*pipeline)->binding_count == info->binding_count);
  }
  CHECK(kCoverage.size() == kShaderCount);
}
