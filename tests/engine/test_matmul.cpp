// Both matmul variants against a double-precision product, with strides, batches and
// every epilogue.
#include "gpu.h"

#include "vknn/ops/matmul.h"

using namespace vknn;
using namespace vknn::test;

namespace {

void check_matmul(MatmulVariant variant, uint32_t M, uint32_t N, uint32_t K, uint32_t batch, bool transpose_a,
                  bool transpose_b, MatmulDesc::Bias bias, bool relu, bool accumulate) {
  CAPTURE(M);
  CAPTURE(N);
  CAPTURE(K);
  CAPTURE(batch);
  CAPTURE(transpose_a);
  CAPTURE(transpose_b);
  auto a = random_floats(size_t(batch) * M * K, 1), b = random_floats(size_t(batch) * K * N, 2);
  auto c0 = random_floats(size_t(batch) * M * N, 3);
  auto bias_v = random_floats(size_t(batch) * std::max(M, N), 4);
  MatmulDesc d;
  d.M = M, d.N = N, d.K = K, d.batch = batch;
  d.a_m = transpose_a ? 1 : K, d.a_k = transpose_a ? M : 1;
  d.b_k = transpose_b ? 1 : N, d.b_n = transpose_b ? K : 1;
  d.c_m = N, d.c_n = 1;
  d.a_batch = M * K, d.b_batch = K * N, d.c_batch = M * N, d.bias_batch = std::max(M, N);
  d.bias = bias, d.relu = relu, d.accumulate = accumulate, d.alpha = 0.5f, d.variant = variant;
  std::vector<double> want(c0.size());
  for (uint32_t z = 0; z < batch; ++z)
    for (uint32_t m = 0; m < M; ++m)
      for (uint32_t n = 0; n < N; ++n) {
        double s = 0;
        for (uint32_t k = 0; k < K; ++k)
          s += double(a[z * d.a_batch + m * d.a_m + k * d.a_k]) * b[z * d.b_batch + k * d.b_k + n * d.b_n];
        s *= 0.5;
        if (bias == MatmulDesc::Bias::per_row) s += bias_v[z * d.bias_batch + m];
        if (bias == MatmulDesc::Bias::per_column) s += bias_v[z * d.bias_batch + n];
        if (accumulate) s += c0[z * d.c_batch + m * N + n];
        if (relu) s = std::max(s, 0.0);
        want[z * d.c_batch + m * N + n] = s;
      }
  auto ba = device_buffer(a), bb = device_buffer(b), bc = device_buffer(c0), bbias = device_buffer(bias_v);
  run_recorded([&](CommandList& cl) { REQUIRE_OK(record_matmul(cl, d, ba.ref(), bb.ref(), bbias.ref(), bc.ref())); });
  check_close(read_back(bc, c0.size()), want, {1e-4, 1e-4}, "matmul");
}

}  // namespace

TEST_CASE("engine: matmul variants match a double-precision product") {
  for (auto variant : {MatmulVariant::register_blocked, MatmulVariant::shared_tiled}) {
    CAPTURE(int(variant));
    check_matmul(variant, 1, 1, 1, 1, false, false, MatmulDesc::Bias::none, false, false);
    check_matmul(variant, 67, 45, 33, 1, false, false, MatmulDesc::Bias::per_row, true, false);
    check_matmul(variant, 64, 128, 70, 2, true, false, MatmulDesc::Bias::per_column, false, true);
    check_matmul(variant, 13, 7, 129, 3, false, true, MatmulDesc::Bias::none, true, true);
    check_matmul(variant, 130, 65, 9, 1, true, true, MatmulDesc::Bias::per_row, false, false);
  }
}

TEST_CASE("engine: the small-M and small-K matmul kernels match a double-precision product") {
  // rows_dot: A and B contiguous along K (the batch-1 fully connected forward).
  for (uint32_t m : {1u, 3u, 4u}) {
    check_matmul(MatmulVariant::rows_dot, m, 37, 300, 1, false, true, MatmulDesc::Bias::per_column, true, false);
    check_matmul(MatmulVariant::rows_dot, m, 8, 64, 2, false, true, MatmulDesc::Bias::none, false, true);
  }
  // columns: B and C contiguous along N (backward to data; outer products with K = batch).
  check_matmul(MatmulVariant::columns, 1, 300, 70, 1, false, false, MatmulDesc::Bias::none, false, false);
  check_matmul(MatmulVariant::columns, 200, 65, 1, 1, true, false, MatmulDesc::Bias::per_row, false, true);
  check_matmul(MatmulVariant::columns, 3, 129, 5, 2, true, false, MatmulDesc::Bias::per_column, true, false);
}

TEST_CASE("engine: matmul picks the small-M kernels only where their layout fits") {
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

TEST_CASE("engine: matmul refuses operands too small for the described shape") {
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
