// Wrong wiring is a programmer error: it is refused as it is added, through an always-on
// check that names the node and the shapes, and stops the process. Each case runs in a
// forked child so the test can read what it printed.
#include "vknn/ops/add.h"
#include "vknn/ops/linear.h"
#include "vknn/ops/maxpool.h"

#include <doctest/doctest.h>

#include <csignal>
#include <functional>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

using namespace vknn;

namespace {

// Runs `body` in a child; returns what it wrote to stderr, and whether it aborted.
std::pair<std::string, bool> run_in_child(const std::function<void()>& body) {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::dup2(fds[1], 2);
    ::close(fds[0]);
    body();
    ::_exit(0);
  }
  ::close(fds[1]);
  std::string out;
  char buf[512];
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) out.append(buf, size_t(n));
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return {out, WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT};
}

}  // namespace

TEST_CASE("graph wiring: a linear layer whose weight does not fit its input is refused by name and shape") {
  auto [err, aborted] = run_in_child([] {
    Graph g;
    TensorId x = g.input("x", {2, 6});
    TensorId w = g.parameter("fc.weight", {5, 7}, Init::zeros());
    linear(g, x, w, {}, {}, "fc");
  });
  CHECK(aborted);
  CHECK(err.find("linear 'fc'") != std::string::npos);
  CHECK(err.find("(2,6)") != std::string::npos);
  CHECK(err.find("(5,7)") != std::string::npos);
}

TEST_CASE("graph wiring: adding tensors of different shapes is refused") {
  auto [err, aborted] = run_in_child([] {
    Graph g;
    add(g, g.input("a", {1, 2, 3, 3}), g.input("b", {1, 2, 3, 4}), "shortcut");
  });
  CHECK(aborted);
  CHECK(err.find("add 'shortcut'") != std::string::npos);
  CHECK(err.find("(1,2,3,4)") != std::string::npos);
}

TEST_CASE("graph wiring: a pooling window larger than the padded input is refused") {
  auto [err, aborted] = run_in_child([] {
    Graph g;
    maxpool(g, g.input("x", {1, 1, 2, 2}), Pool2dParams{3, 3, 2, 2, 0, 0}, "pool1");
  });
  CHECK(aborted);
  CHECK(err.find("maxpool 'pool1'") != std::string::npos);
}

TEST_CASE("graph wiring: a well-wired graph builds without complaint") {
  auto [err, aborted] = run_in_child([] {
    Graph g;
    TensorId x = g.input("x", {2, 6});
    linear(g, x, g.parameter("fc.weight", {5, 6}, Init::zeros()), {}, {}, "fc");
  });
  CHECK(!aborted);
  CHECK(err.empty());
}

// Builders read shapes through references into the graph while they add tensors (batchnorm,
// lrn and concat did, and read freed memory when the tensor list grew). Appending must leave
// such references valid; under AddressSanitizer a dangling one is a reported error.
TEST_CASE("graph: references to tensors and nodes stay valid while the graph grows") {
  Graph g;
  const TensorId x = g.input("x", {2, 3, 5, 7});
  const Shape& s = g.shape(x);
  const TensorDesc& d = g.desc(x);
  for (int i = 0; i < 4096; ++i) g.tensor("t" + std::to_string(i), s, Role::activation);
  CHECK(s == Shape{2, 3, 5, 7});
  CHECK(d.name == "x");
  const TensorId y = g.tensor("y", s, Role::activation);
  g.add_node("first", nullptr, {x}, {y});
  const Node& first = g.nodes().front();
  for (int i = 0; i < 4096; ++i) {
    const TensorId o = g.tensor("o" + std::to_string(i), {1}, Role::activation);
    g.add_node("n" + std::to_string(i), nullptr, {y}, {o});
  }
  CHECK(first.name == "first");
  CHECK(first.outputs.at(0) == y);
}
