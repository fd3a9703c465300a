// Data-parallel dropout: two executors at batch 3 with batch_offset 0 and 3 (two ranks'
// slices) draw the masks of one executor at batch 6, so the mean of their gradients equals
// the batch-6 gradient.
#include "gpu.h"
#include "nets.h"

using namespace vknn;
using namespace vknn::test;

namespace {

// Parameter gradients of one step of the LRN-dropout net on samples [begin, begin + n) of a
// fixed batch of 6, with the executor's batch_offset = `offset`.
std::vector<std::vector<float>> gradients(int64_t begin, int64_t n, int64_t offset) {
  Net m = lrn_dropout_net(n);
  REQUIRE_OK(build_backward(m.g));
  ExecutorOptions opt;
  opt.seed = 5;
  opt.batch_offset = offset;
  auto ex = Executor::create(gpu(), m.g, opt);
  REQUIRE_OK(ex);
  const int64_t per = m.g.shape(m.x).numel() / n;
  const std::vector<float> all = random_floats(size_t(6 * per), 11);
  REQUIRE_OK((*ex)->set_input(m.x, std::span<const float>(all.data() + begin * per, size_t(n * per))));
  std::vector<int32_t> labels;
  for (int64_t i = begin; i < begin + n; ++i) labels.push_back(int32_t(i % 4));
  REQUIRE_OK((*ex)->set_input(m.labels, std::span<const int32_t>(labels)));
  REQUIRE_OK((*ex)->run());
  std::vector<std::vector<float>> out;
  for (TensorId p : m.g.parameters()) {
    auto v = (*ex)->read(m.g.desc(p).grad);
    REQUIRE_OK(v);
    out.push_back(*v);
  }
  return out;
}

// Largest |a - (b + c) / 2| relative to the largest |a| of each tensor.
double worst(const std::vector<std::vector<float>>& a, const std::vector<std::vector<float>>& b,
             const std::vector<std::vector<float>>& c) {
  double w = 0;
  for (size_t t = 0; t < a.size(); ++t) {
    double scale = 1e-30;
    for (float x : a[t]) scale = std::max(scale, std::fabs(double(x)));
    for (size_t i = 0; i < a[t].size(); ++i)
      w = std::max(w, std::fabs(double(a[t][i]) - (double(b[t][i]) + double(c[t][i])) / 2) / scale);
  }
  return w;
}

}  // namespace

TEST_CASE("graph: dropout keyed by the position in the global batch: two slices with batch_offset equal one batch") {
  const auto whole = gradients(0, 6, 0);
  const auto first = gradients(0, 3, 0);
  const auto second = gradients(3, 3, 3);
  const double w = worst(whole, first, second);
  MESSAGE("slices with batch_offset: worst gradient difference " << w << " of the tensor's largest");
  CHECK(w < 1e-5);
  // Without the offset the second slice repeats the first slice's masks: a different step.
  const double unkeyed = worst(whole, first, gradients(3, 3, 0));
  MESSAGE("second slice without batch_offset: " << unkeyed);
  CHECK(unkeyed > 1e-3);
}
