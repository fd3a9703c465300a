// Softmax and log-softmax on the device: every case of graph/cases/ops/softmax.cpp against the
// reference (forward, backward overwriting and accumulating, each axis and the flattened form,
// logits beyond exp's range, a classifier's output, a channel softmax and attention rows), the
// graph builder and its gradient rule, and refused inputs.
#include "op_cases.h"
#include "reference/softmax.h"

#include "vknn/graph/autodiff.h"
#include "vknn/graph/executor.h"
#include "vknn/ops/softmax.h"
#include "vknn/ops/softmax_xent.h"

#include <cmath>
#include <memory>

using namespace vknn;
using namespace vknn::test;

VKNN_CASES_ON_DEVICE(softmax, ref::softmax_case_outputs)

TEST_CASE("softmax: the graph builder keeps the shape, its refusal fails the graph") {
  Graph g;
  TensorId w = g.parameter("w", {2, 3, 4}, Init::constant(0.5f));
  TensorId y = softmax(g, w, {1, false, false}, "probs");
  REQUIRE(g.status().ok());
  CHECK(g.shape(y) == Shape{2, 3, 4});
  CHECK(g.desc(y).producer >= 0);
  TensorId ly = softmax(g, w, {-1, true, false}, "logprobs");
  REQUIRE(g.status().ok());
  CHECK(g.shape(ly) == Shape{2, 3, 4});
  softmax(g, w, {3, false, false}, "bad");
  REQUIRE_FALSE(g.status().ok());
  const std::string& m = g.status().error().message;
  CHECK_MESSAGE(m.find("'bad'") != std::string::npos, m);
  CHECK_MESSAGE(m.find("axis 3") != std::string::npos, m);
  CHECK_MESSAGE(m.find("(2,3,4)") != std::string::npos, m);
}

// The gradient rule reads the node's output: the cross-entropy of probabilities p = softmax(z)
// taken as logits, whose gradient d = (softmax(p) - onehot(label)) / N flows back as
// dz = p * (d - sum d p).
TEST_CASE("softmax: the graph's gradient through softmax into a cross-entropy") {
  Graph g;
  const int64_t n = 3, k = 5;
  std::vector<float> z(size_t(n * k));
  for (size_t i = 0; i < z.size(); ++i) z[i] = float(int(i * 7 % 11) - 5) * 0.4f;
  TensorId w = g.parameter("z", {n, k}, Init::values(std::make_shared<const std::vector<float>>(z)));
  TensorId labels = g.input("labels", {n}, DType::i32);
  softmax_cross_entropy(g, softmax(g, w, {1, false, false}, "probs"), labels);
  REQUIRE(g.status().ok());
  REQUIRE_OK(build_backward(g));
  auto ex = Executor::create(gpu(), g);
  REQUIRE_OK(ex);
  const std::vector<int32_t> label = {4, 0, 2};
  REQUIRE_OK((*ex)->set_input(labels, std::span<const int32_t>(label)));
  REQUIRE_OK((*ex)->run());
  auto dz = (*ex)->read(g.desc(w).grad);
  REQUIRE_OK(dz);
  const auto softmax_row = [](const double* x, int64_t len, double* y) {
    double m = x[0], s = 0;
    for (int64_t c = 1; c < len; ++c) m = std::max(m, x[c]);
    for (int64_t c = 0; c < len; ++c) s += std::exp(x[c] - m);
    for (int64_t c = 0; c < len; ++c) y[c] = std::exp(x[c] - m) / s;
  };
  std::vector<double> want(z.size());
  for (int64_t r = 0; r < n; ++r) {
    std::vector<double> zr(z.begin() + r * k, z.begin() + (r + 1) * k);
    std::vector<double> p(static_cast<size_t>(k)), q(static_cast<size_t>(k)), d(static_cast<size_t>(k));
    softmax_row(zr.data(), k, p.data());
    softmax_row(p.data(), k, q.data());
    double dot = 0;
    for (int64_t c = 0; c < k; ++c) {
      d[size_t(c)] = (q[size_t(c)] - (c == label[size_t(r)] ? 1.0 : 0.0)) / double(n);
      dot += d[size_t(c)] * p[size_t(c)];
    }
    for (int64_t c = 0; c < k; ++c) want[size_t(r * k + c)] = p[size_t(c)] * (d[size_t(c)] - dot);
  }
  check_close(*dz, want, {1e-7, 1e-5}, "dz");
}

TEST_CASE("softmax: refused inputs name the op and the shapes") {
  auto x = make_tensor({2, 3}), y = make_tensor({2, 3}), other = make_tensor({3, 2});
  auto big = make_tensor({8});
  const TensorView head{big.buffer.ref(0, 24), Shape{6}}, tail{big.buffer.ref(8, 24), Shape{6}};
  auto cl = CommandList::create(gpu());
  REQUIRE_OK(cl);
  REQUIRE_OK(cl->begin());
  const SoftmaxParams p{1, false, false};
  check_refused(record_softmax_forward(*cl, p, x.view(), other.view()), "softmax_forward", {"y", "(3,2)", "(2,3)"});
  check_refused(record_softmax_forward(*cl, {2, false, false}, x.view(), y.view()), "softmax_forward",
                {"axis 2", "(2,3)"});
  check_refused(record_softmax_forward(*cl, {-3, true, false}, x.view(), y.view()), "softmax_forward",
                {"axis -3", "(2,3)"});
  check_refused(record_softmax_forward(*cl, {0, false, false}, head, tail), "softmax_forward", {"overlaps"});
  check_refused(record_softmax_forward(*cl, p, x.view(), x.view()), "softmax_forward", {"overlaps"});
  check_refused(record_softmax_backward(*cl, p, x.view(), other.view(), y.view(), false), "softmax_backward",
                {"dy", "(3,2)", "(2,3)"});
  check_refused(record_softmax_backward(*cl, p, x.view(), y.view(), other.view(), false), "softmax_backward",
                {"dx", "(3,2)", "(2,3)"});
  check_refused(record_softmax_backward(*cl, p, x.view(), y.view(), y.view(), true), "softmax_backward",
                {"overlaps"});
  check_refused(record_softmax_backward(*cl, p, x.view(), y.view(), x.view(), false), "softmax_backward",
                {"overlaps"});
  // A channel softmax (rows strided through memory) cannot spread a row over a subgroup, so a
  // row longer than one invocation's loops on this driver is refused rather than cut short.
  if (!gpu().profile().loop_fits(3 * 30000)) {
    auto wide = make_tensor({1, 30000, 2}), wide_y = make_tensor({1, 30000, 2});
    const Status s = record_softmax_forward(*cl, p, wide.view(), wide_y.view());
    REQUIRE_FALSE(s.ok());
    CHECK(s.error().code == Errc::unsupported);
    for (const char* part : {"softmax_forward", "(1,30000,2)", "30000 elements", "loop iterations"})
      CHECK_MESSAGE(s.error().message.find(part) != std::string::npos, s.error().message);
  }
  CHECK(cl->dispatch_count() == 0);
  REQUIRE_OK(cl->end());
}
