// The data-parallel layer without a device or MPI: gradient buckets follow the order the
// backward pass finishes gradients and respect the size; rank slices refuse unequal splits;
// the single-process communicator.
#include "vknn/dist/allreduce.h"
#include "vknn/graph/autodiff.h"
#include "vknn/models/alexnet.h"
#include "vknn/models/lenet.h"
#include "vknn/ops/sgd.h"

#include <doctest/doctest.h>

#include <map>

using namespace vknn;

namespace {

Graph lenet_training() {
  models::LeNetOptions o;
  o.batch = 4;
  o.training = true;
  Graph g = models::lenet(o).graph;
  REQUIRE(build_backward(g).ok());
  REQUIRE(add_sgd(g, SgdParams{}).ok());
  return g;
}

}  // namespace

TEST_CASE("dist: buckets hold every parameter gradient once, in the order backward finishes them") {
  const Graph g = lenet_training();
  size_t grads = 0;
  uint64_t all = 0;
  for (const auto& d : g.tensors())
    if (d.role == Role::gradient && d.grad_of.valid() && g.desc(d.grad_of).role == Role::parameter) {
      ++grads;
      all += d.shape.bytes();
    }
  REQUIRE(grads == 8);  // conv1, conv2, fc1, fc2: weight and bias
  for (uint64_t limit : {uint64_t(0), uint64_t(1), uint64_t(1024), uint64_t(4096), uint64_t(1) << 20}) {
    INFO("bucket bytes " << limit);
    const auto buckets = dist::plan_buckets(g, limit);
    size_t seen = 0;
    uint64_t bytes = 0;
    size_t prev_node = 0;
    for (size_t b = 0; b < buckets.size(); ++b) {
      const auto& bk = buckets[b];
      REQUIRE(!bk.grads.empty());
      REQUIRE(bk.last_nodes.size() == 1);  // one target
      const size_t last = bk.last_nodes[0];
      CHECK(g.nodes()[last].phase == Phase::backward);
      if (b > 0) CHECK(last >= prev_node);  // one node may write a weight's and a bias's gradient
      prev_node = last;
      // Full except the last; and closed as soon as it reached the size.
      if (limit > 0 && b + 1 < buckets.size()) CHECK(bk.bytes >= limit);
      if (limit > 0) CHECK(bk.bytes - g.desc(bk.grads.back()).shape.bytes() < limit);
      // Every gradient of the bucket is written by its last node or before.
      for (TensorId t : bk.grads)
        for (size_t k = last + 1; k < g.nodes().size(); ++k)
          for (TensorId o : g.nodes()[k].outputs) CHECK(o != t);
      seen += bk.grads.size();
      bytes += bk.bytes;
    }
    CHECK(seen == grads);
    CHECK(bytes == all);
    if (limit == 0 || limit >= all) CHECK(buckets.size() == 1);
    if (limit == 1) CHECK(buckets.size() == grads);
    CHECK(dist::cut_points(buckets).size() == buckets.size());
  }
  // fc2 is the last layer, so its gradients come first.
  const auto per_tensor = dist::plan_buckets(g, 1);
  CHECK(g.desc(per_tensor.front().grads[0]).name.rfind("fc2.", 0) == 0);
  CHECK(g.desc(per_tensor.back().grads[0]).name.rfind("conv1.", 0) == 0);
}

TEST_CASE("dist: a bucket of a model on two targets waits for the last writer on each") {
  models::AlexNetOptions o;
  o.batch = 2, o.classes = 10, o.input_size = 67, o.width = 0.125, o.training = true;
  Graph g = models::alexnet(o).graph;
  REQUIRE(g.target_count() == 2);
  REQUIRE(build_backward(g).ok());
  REQUIRE(add_sgd(g, SgdParams{}).ok());
  for (uint64_t limit : {uint64_t(0), uint64_t(1), uint64_t(4096)}) {
    INFO("bucket bytes " << limit);
    const auto buckets = dist::plan_buckets(g, limit);
    size_t cuts = 0;
    for (const auto& bk : buckets) {
      // For each target: its gradients in this bucket are all written by the bucket's last
      // node on that target or before, and that node is one of the bucket's.
      std::map<int32_t, size_t> last;
      for (size_t k : bk.last_nodes) {
        CHECK(g.nodes()[k].phase == Phase::backward);
        CHECK(last.count(g.nodes()[k].target) == 0);  // one per target
        last[g.nodes()[k].target] = k;
      }
      for (TensorId t : bk.grads)
        for (size_t k = 0; k < g.nodes().size(); ++k)
          for (TensorId out : g.nodes()[k].outputs)
            if (out == t) {
              REQUIRE(last.count(g.nodes()[k].target) == 1);
              CHECK(k <= last[g.nodes()[k].target]);
            }
      cuts += bk.last_nodes.size();
    }
    CHECK(dist::cut_points(buckets).size() == cuts);
    // Both columns have gradients, so one bucket for all waits on both targets.
    if (limit == 0) CHECK(buckets.front().last_nodes.size() == 2);
  }
}

TEST_CASE("dist: rank slices are equal and cover the global batch, unequal splits are refused") {
  for (int ranks : {1, 2, 4}) {
    int64_t next = 0;
    for (int r = 0; r < ranks; ++r) {
      auto s = dist::rank_slice(8, r, ranks);
      REQUIRE(s.ok());
      CHECK(s->begin == next);
      CHECK(s->end - s->begin == 8 / ranks);
      next = s->end;
    }
    CHECK(next == 8);
  }
  auto bad = dist::rank_slice(6, 0, 4);
  REQUIRE(!bad.ok());
  CHECK(bad.error().message.find("6") != std::string::npos);
  CHECK(!dist::rank_slice(2, 0, 4).ok());
  CHECK(!dist::rank_slice(8, 2, 2).ok());
}

TEST_CASE("dist: a single process is rank 0 of 1, and its sums leave the data as it is") {
  auto c = dist::single_process();
  CHECK(c->rank() == 0);
  CHECK(c->size() == 1);
  CHECK(c->local_rank() == 0);
  CHECK(!c->host().empty());
  CHECK(c->describe(0).find(c->host()) != std::string::npos);
  std::vector<float> v{1.5f, -2.0f};
  REQUIRE(c->sum(v, std::chrono::milliseconds(1000), "test").ok());
  CHECK(v == std::vector<float>{1.5f, -2.0f});
}
