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

TEST_CASE("matmul: the graph op refuses operands that do not multiply, naming them") {
  MatmulNodeParams p;
  auto bad_k = matmul_output_shape(p, Shape{2, 3}, Shape{4, 5});
  REQUIRE(!bad_k.ok());
  CHECK(bad_k.error().message.find("(2,3) and b (4,5) disagree on K") != std::string::npos);
  p.trans_a = true;  // (3,2)ᵀ · (3,5) multiplies
  CHECK(matmul_output_shape(p, Shape{3, 2}, Shape{3, 5}).ok());
  p.trans_a = false;
  auto partial = matmul_output_shape(p, Shape{2, 1, 3, 4}, Shape{3, 4, 5});
  REQUIRE(!partial.ok());
  CHECK(partial.error().message.find("broadcast only part") != std::string::npos);
  CHECK(!matmul_output_shape(p, Shape{2, 3, 4}, Shape{3, 4, 5}).ok());  // batch 2 vs 3
  CHECK(!matmul_output_shape(p, Shape{4}, Shape{4, 5}).ok());           // a vector: the importer reshapes it
  // Gemm's c: only on 2-D products, and only what broadcasts to (M,N).
  const Shape row{5}, column{2, 1}, wrong{3, 5};
  CHECK(matmul_output_shape(p, Shape{2, 4}, Shape{4, 5}, &row).ok());
  CHECK(matmul_output_shape(p, Shape{2, 4}, Shape{4, 5}, &column).ok());
  auto bad_c = matmul_output_shape(p, Shape{2, 4}, Shape{4, 5}, &wrong);
  REQUIRE(!bad_c.ok());
  CHECK(bad_c.error().message.find("c (3,5) does not broadcast to the product (2,5)") != std::string::npos);
  auto batched_c = matmul_output_shape(p, Shape{3, 2, 4}, Shape{4, 5}, &row);
  REQUIRE(!batched_c.ok());
  CHECK(batched_c.error().message.find("needs 2-D a and b") != std::string::npos);

  Graph g;
  TensorId a = g.input("a", Shape{2, 3});
  TensorId b = g.input("b", Shape{4, 5});
  CHECK(!matmul(g, a, b, {}, "mm").valid());
  REQUIRE(!g.ok());
  CHECK(g.status().error().message.find("matmul 'mm': 'a' and 'b'") != std::string::npos);
}

TEST_CASE("matmul: record_matmul_backward_a needs its workspace when a is shared over the batch") {
  auto buf = device_buffer_zeros(64);
  MatmulNodeParams p;
  const Shape as{2, 3}, bs{4, 3, 2};
  CHECK(matmul_pass_workspace(p, as, bs, MatmulPass::backward_a) == 4 * 6);
  CHECK(matmul_pass_workspace(p, as, bs, MatmulPass::backward_b) == 0);
  auto cl = CommandList::create(gpu());
  REQUIRE_OK(cl);
  REQUIRE_OK(cl->begin());
  const TensorView dy{.buffer = buf.ref().sub(0, 16 * 4), .shape = Shape{4, 2, 2}};
  const TensorView b{.buffer = buf.ref().sub(16 * 4, 24 * 4), .shape = bs};
  const TensorView da{.buffer = buf.ref().sub(40 * 4, 6 * 4), .shape = as};
  auto s = record_matmul_backward_a(*cl, p, dy, b, da, false);
  REQUIRE(!s.ok());
  CHECK(s.error().message.find("needs 24 floats of workspace") != std::string::npos);
  REQUIRE_OK(cl->end());
}
