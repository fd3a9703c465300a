// Synchronized batch norm (synchronize_batchnorm) run by one process computes what plain
// batch norm does: its host nodes (OpNode::host) combine this process's moments and sums
// alone, through the executor's host steps. Two processes are tested under mpirun
// (tests/dist/equivalence.sh).
#include "gpu.h"
#include "nets.h"

using namespace vknn;
using namespace vknn::test;

namespace {

struct Outcome {
  std::vector<float> losses;
  std::vector<std::vector<float>> tensors;  // parameter gradients, parameters, running statistics
  std::vector<float> inference;             // the loss of an inference pass after training
  size_t host_segments = 0;
};

Outcome train(bool sync) {
  Net m = residual_cnn(4);
  if (sync) {
    auto n = synchronize_batchnorm(m.g);
    REQUIRE_OK(n);
    CHECK(*n == 3);
  }
  REQUIRE_OK(build_backward(m.g));
  SgdParams sgd;
  sgd.learning_rate = 0.1f;
  REQUIRE_OK(add_sgd(m.g, sgd));
  ExecutorOptions opt;
  opt.seed = 3;
  opt.timing = true;
  auto ex = Executor::create(gpu(), m.g, opt);
  REQUIRE_OK(ex);
  Outcome out;
  const auto x = random_floats(size_t(m.g.shape(m.x).numel()), 21, -1, 3);
  REQUIRE_OK((*ex)->set_input(m.x, std::span<const float>(x)));
  const std::vector<int32_t> labels{0, 1, 2, 1};
  REQUIRE_OK((*ex)->set_input(m.labels, std::span<const int32_t>(labels)));
  for (int s = 0; s < 3; ++s) {
    REQUIRE_OK((*ex)->run());
    auto loss = (*ex)->read_scalar(m.g.loss);
    REQUIRE_OK(loss);
    out.losses.push_back(*loss);
  }
  for (const auto& st : (*ex)->target_stats()) out.host_segments += st.host_ms > 0 ? 1 : 0;
  for (size_t i = 0; i < m.g.tensors().size(); ++i) {
    const TensorDesc& d = m.g.tensors()[i];
    const bool grad = d.role == Role::gradient && d.grad_of.valid() && m.g.desc(d.grad_of).role == Role::parameter;
    if (d.role != Role::parameter && !grad && !d.name.ends_with(".running_var") && !d.name.ends_with(".running_mean"))
      continue;
    auto v = (*ex)->read(TensorId{int32_t(i)});
    REQUIRE_OK(v);
    out.tensors.push_back(*v);
  }
  REQUIRE_OK((*ex)->infer());
  auto loss = (*ex)->read_scalar(m.g.loss);
  REQUIRE_OK(loss);
  out.inference.push_back(*loss);
  return out;
}

}  // namespace

TEST_CASE("graph: synchronized batch norm in one process equals plain batch norm (3 SGD steps, then inference)") {
  const Outcome plain = train(false), sync = train(true);
  CHECK(plain.host_segments == 0);
  CHECK(sync.host_segments == 1);  // the host nodes ran (timed on the one target)
  check_close(sync.losses, to_double(plain.losses), {1e-5, 1e-5}, "losses");
  check_close(sync.inference, to_double(plain.inference), {1e-5, 1e-5}, "inference loss");
  REQUIRE(sync.tensors.size() == plain.tensors.size());
  for (size_t t = 0; t < plain.tensors.size(); ++t) {
    CAPTURE(t);
    check_close(sync.tensors[t], to_double(plain.tensors[t]), {1e-5, 1e-4}, "parameters, gradients, running statistics");
  }
}

TEST_CASE("graph: synchronize_batchnorm refuses a graph with backward nodes") {
  Net m = residual_cnn(2);
  REQUIRE_OK(build_backward(m.g));
  auto n = synchronize_batchnorm(m.g);
  REQUIRE(!n.ok());
  CHECK(n.error().message.find("before build_backward") != std::string::npos);
}
