// fp16 inference with concats written in place (optimize.h, TensorDesc::channel_slice_of): a
// concat's output and its channel slices are one tensor in memory, so the precision pass gives
// them one dtype. When every slice's writer has an fp16 variant the whole concat goes to fp16,
// and the convolutions' fp16 variant writes its channels of the fp16 parent; when the parent
// must stay fp32 (read outside the graph), the writers run their fp32 variant. Both against
// the fp32 graph, within fp16 rounding.
#include "gpu.h"

#include "vknn/graph/executor.h"
#include "vknn/graph/optimize.h"
#include "vknn/graph/precision.h"
#include "vknn/ops/concat.h"
#include "vknn/ops/conv2d.h"
#include "vknn/ops/maxpool.h"
#include "vknn/ops/relu.h"

#include <algorithm>
#include <cmath>

using namespace vknn;
using namespace vknn::test;

namespace {

// The normwise relative error of `got` against `want`.
double normwise(const std::vector<float>& got, const std::vector<float>& want) {
  double err = 0, norm = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    const double e = double(got[i]) - double(want[i]);
    err += e * e, norm += double(want[i]) * double(want[i]);
  }
  return std::sqrt(err / std::max(norm, 1e-300));
}

TensorId conv(Graph& g, TensorId x, const std::string& name, int64_t k, int64_t r, int64_t s, int pad_h, int pad_w,
              bool relu, Conv2dVariant v) {
  Conv2dParams p;
  p.pad_h = pad_h, p.pad_w = pad_w, p.relu = relu, p.variant = v;
  const int64_t c = g.shape(x)[1];
  return conv2d(g, x, g.parameter(name + ".weight", {k, c, r, s}, Init::uniform(0.4f)),
                g.parameter(name + ".bias", {k}, Init::uniform(0.4f)), p, name);
}

// x (2,5,9,7), odd channel counts (a squeezenet/googlenet-like block):
//   cat1 = concat(a: 3x3 pad 1 + ReLU, b: 1x3 pad (0,1) (asked for the shared kernel), c: 1x1
//          then a ReLU node, fused) -> y1 = 3x3 conv (output): written in place
//   cat2 = concat(d: 3x3 pad 1, maxpool(x)): a pool writes no slice, the concat stays -> y2
Graph concat_net(std::vector<TensorId>& outputs) {
  Graph g;
  const TensorId x = g.input("x", {2, 5, 9, 7});
  const auto reg = Conv2dVariant::register_blocked, shared = Conv2dVariant::shared_tiled;
  const TensorId a = conv(g, x, "a", 5, 3, 3, 1, 1, true, reg);
  const TensorId b = conv(g, x, "b", 3, 1, 3, 0, 1, false, shared);
  const TensorId c = relu(g, conv(g, x, "c", 7, 1, 1, 0, 0, false, reg), "c.relu");
  const TensorId y1 = conv(g, concat(g, {a, b, c}, "cat1"), "y1", 4, 3, 3, 0, 0, false, reg);
  const TensorId d = conv(g, x, "d", 3, 3, 3, 1, 1, true, reg);
  const TensorId y2 =
      conv(g, concat(g, {d, maxpool(g, x, Pool2dParams{3, 3, 1, 1, 1, 1}, "pool")}, "cat2"), "y2", 2, 3, 3, 1, 1, false, reg);
  outputs = {y1, y2};
  for (TensorId t : outputs) g.desc(t).role = Role::output;
  return g;
}

// Runs both graphs on the same seeded weights and input: each output within 1e-2 normwise, or
// bit for bit where the fp16 graph computes it in fp32 alone (`exact`).
void check_against_fp32(const Graph& full, const Graph& half, const std::vector<TensorId>& outputs,
                        const std::vector<TensorId>& exact = {}) {
  auto a = Executor::create(gpu(), full);
  REQUIRE_OK(a);
  auto b = Executor::create(gpu(), half);
  REQUIRE_OK(b);
  const TensorId x = full.find("x");
  const std::vector<float> input = random_floats(size_t(full.shape(x).numel()), 7, -2.0f, 2.0f);
  for (Executor* ex : {a->get(), b->get()}) {
    REQUIRE_OK(ex->set_input(x, input));
    REQUIRE_OK(ex->infer());
  }
  for (TensorId t : outputs) {
    CAPTURE(full.desc(t).name);
    auto want = (*a)->read(t), got = (*b)->read(t);
    REQUIRE_OK(want);
    REQUIRE_OK(got);
    REQUIRE(want->size() == got->size());
    const double rel = normwise(*got, *want);
    MESSAGE(full.desc(t).name << ": fp16 vs fp32, normwise relative error " << rel);
    if (std::find(exact.begin(), exact.end(), t) != exact.end()) {
      CHECK(*got == *want);
      continue;
    }
    CHECK(rel <= 1e-2);
    CHECK(rel > 0);  // fp16 did run
  }
}

}  // namespace

TEST_CASE("precision: a concat written in place goes to fp16 whole, its convolutions writing fp16 slices") {
  std::vector<TensorId> outputs;
  Graph full = concat_net(outputs);
  auto rw = optimize_for_inference(full);
  REQUIRE_OK(rw);
  REQUIRE(rw->concats_removed == 1);  // cat1; cat2 keeps its copy
  const TensorId a = full.find("a"), cat1 = full.desc(a).channel_slice_of;
  REQUIRE(cat1.valid());
  Graph half = full;
  auto h = convert_to_fp16(half);
  REQUIRE_OK(h);
  CHECK(half.desc(cat1).dtype == DType::f16);
  for (const char* slice : {"a", "b", "c.relu"}) {
    CAPTURE(slice);
    const TensorId t = half.find(slice);
    REQUIRE(t.valid());
    CHECK(half.desc(t).channel_slice_of == cat1);
    CHECK(half.desc(t).dtype == DType::f16);
  }
  CHECK(half.desc(half.find("d")).dtype == DType::f16);  // cast to fp32 for the concat that stays
  check_against_fp32(full, half, outputs);
}

TEST_CASE("precision: slices of a tensor read outside the graph stay fp32, their convolutions in fp32") {
  // Two convolutions writing channels [0,3) and [3,7) of an output tensor (as the optimizer
  // would for a concat, but the concat's output is the graph's output): the parent must stay
  // fp32 for the caller, so the slices and their writers do too; the 3x3 conv reading x (not
  // a slice writer) still runs in fp16.
  auto build = [](std::vector<TensorId>& outputs) {
    Graph g;
    const TensorId x = g.input("x", {1, 3, 6, 5});
    const TensorId cat = g.tensor("cat", {1, 7, 6, 5}, Role::output);
    const TensorId s0 = conv(g, x, "s0", 3, 3, 3, 1, 1, true, Conv2dVariant::automatic);
    const TensorId s1 = conv(g, x, "s1", 4, 1, 1, 0, 0, false, Conv2dVariant::automatic);
    g.desc(s0).channel_slice_of = cat, g.desc(s0).channel_offset = 0;
    g.desc(s1).channel_slice_of = cat, g.desc(s1).channel_offset = 3;
    const TensorId other = conv(g, x, "other", 2, 3, 3, 0, 0, false, Conv2dVariant::automatic);
    g.desc(other).role = Role::output;
    outputs = {cat, other};
    return g;
  };
  std::vector<TensorId> outputs;
  const Graph full = build(outputs);
  Graph half = full;
  auto h = convert_to_fp16(half);
  REQUIRE_OK(h);
  CHECK(h->half_nodes == 1);  // "other" only
  for (const char* t : {"cat", "s0", "s1"}) {
    CAPTURE(t);
    CHECK(half.desc(half.find(t)).dtype == DType::f32);
  }
  check_against_fp32(full, half, outputs, {outputs[0]});
}
