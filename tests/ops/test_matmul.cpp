// Matmul on the device: every case of graph/cases/ops/matmul.cpp against the double-precision
// reference (each kernel forced, strides, batches, every epilogue), the automatic kernel
// choice, and refused operands.
#include "op_cases.h"
#include "reference/matmul.h"

#include "vknn/ops/matmul.h"

using namespace vknn;
using namespace vknn::test;

VKNN_CASES_ON_DEVICE(matmul, ref::matmul_case_outputs)

TEST_CASE("matmul: picks the small-M kernels only where their layout fits") {
  DeviceProfile caps = gpu().profile();
  caps.forced = {};  // the automatic choice, whatever VKNN_MATMUL says for this run
  MatmulDesc fc_forward;  // y(1,4096) = x(1,9216)·W(4096,9216)^T
  fc_forward.M = 1, fc_forward.N = 4096, fc_forward.K = 9216;
  fc_forward.a_m = 9216, fc_forward.a_k = 1, fc_forward.b_k = 1, fc_forward.b_n = 9216, fc_forward.c_m = 4096,
  fc_forward.c_n = 1;
  CHECK(choose_matmul_variant(caps, fc_forward) == MatmulVariant::rows_dot);
  MatmulDesc fc_data = fc_forward;  // dx(1,9216) = dy(1,4096)·W(4096,9216)
  fc_data.N = 9216, fc_data.K = 4096, fc_data.a_m = 4096, fc_data.b_k = 9216, fc_data.b_n = 1, fc_data.c_m = 9216;
  CHECK(choose_matmul_variant(caps, fc_data) == MatmulVariant::columns);
  MatmulDesc big = fc_forward;
  big.M = 128;
  CHECK(choose_matmul_variant(caps, big) == resolve_matmul_variant(caps, MatmulVariant::automatic));
}

TEST_CASE("matmul: refuses operands too small for the described shape") {
  auto small = device_buffer_zeros(10);
  MatmulDesc d;
  d.M = 4, d.N = 4, d.K = 4, d.a_m = 4, d.a_k = 1, d.b_k = 4, d.b_n = 1, d.c_m = 4, d.c_n = 1;
  auto cl = CommandList::create(gpu());
  REQUIRE_OK(cl);
  REQUIRE_OK(cl->begin());
  auto s = record_matmul(*cl, d, small.ref(), small.ref(), {}, small.ref());
  REQUIRE(!s.ok());
  CHECK(s.error().message.find("operand A needs 16 floats") != std::string::npos);
  d.M = 0;
  CHECK(!record_matmul(*cl, d, small.ref(), small.ref(), {}, small.ref()).ok());
  REQUIRE_OK(cl->end());
}
