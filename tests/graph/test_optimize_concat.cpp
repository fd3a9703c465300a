// The inference optimizer's concat without a copy (optimize.h, TensorDesc::channel_slice_of):
// where every input of a concat is a convolution's output read by nothing else, the
// convolutions write straight into their channels of the concat's output and the concat node
// is gone; the outputs are those of the graph as built, bit for bit. A concat with an input
// read elsewhere too, or made by an op that cannot write a slice, keeps its copy.
#include "gpu.h"
#include "graph/nets.h"

#include "vknn/graph/optimize.h"
#include "vknn/models/by_name.h"
#include "vknn/ops/concat.h"

#include <algorithm>
#include <cstring>

using namespace vknn;
using namespace vknn::test;

namespace {

struct Concats {
  Net m;
  std::vector<TensorId> outputs;
};

// x (2,5,9,7), odd channel counts throughout:
//   cat1 = concat(a: 3x3 pad 1 + bias + ReLU (register kernel), b: 1x3 pad (0,1) (shared
//          kernel), c: 1x1 + bias, then a ReLU node (fused)) -> y1 = conv 3x3 (output)
//   cat2 = concat(d, e), where d is also read by a ReLU (output r): the concat stays
//          -> y2 = conv 1x1 (output)
//   cat3 = concat(f, maxpool(x)): a max pool cannot write a slice, the concat stays
//          -> y3 = conv 3x3 pad 1 (output)
Concats concat_net() {
  Concats n;
  Graph& g = n.m.g;
  n.m.x = g.input("x", {2, 5, 9, 7});
  auto param = [&](const std::string& name, Shape s) { return g.parameter(name, s, Init::uniform(0.4f)); };
  auto conv = [&](TensorId x, const std::string& name, int64_t k, int64_t r, int64_t s, int pad_h, int pad_w, bool relu,
                  Conv2dVariant v) {
    Conv2dParams p;
    p.pad_h = pad_h, p.pad_w = pad_w, p.relu = relu, p.variant = v;
    const int64_t c = g.shape(x)[1];
    return conv2d(g, x, param(name + ".weight", {k, c, r, s}), param(name + ".bias", {k}), p, name);
  };
  const auto reg = Conv2dVariant::register_blocked, shared = Conv2dVariant::shared_tiled;
  TensorId a = conv(n.m.x, "a", 5, 3, 3, 1, 1, true, reg);
  TensorId b = conv(n.m.x, "b", 3, 1, 3, 0, 1, false, shared);
  TensorId c = relu(g, conv(n.m.x, "c", 7, 1, 1, 0, 0, false, reg), "c.relu");
  TensorId y1 = conv(concat(g, {a, b, c}, "cat1"), "y1", 4, 3, 3, 0, 0, false, reg);
  TensorId d = conv(n.m.x, "d", 3, 3, 3, 1, 1, false, reg);
  TensorId e = conv(n.m.x, "e", 5, 3, 3, 1, 1, true, shared);
  TensorId y2 = conv(concat(g, {d, e}, "cat2"), "y2", 3, 1, 1, 0, 0, false, reg);
  TensorId r = relu(g, d, "d.relu");
  TensorId f = conv(n.m.x, "f", 3, 3, 3, 1, 1, true, reg);
  Pool2dParams pool{3, 3, 1, 1, 1, 1};
  TensorId y3 = conv(concat(g, {f, maxpool(g, n.m.x, pool, "pool")}, "cat3"), "y3", 2, 3, 3, 1, 1, false, reg);
  n.outputs = {y1, y2, r, y3};
  for (TensorId t : n.outputs) g.desc(t).role = Role::output;
  return n;
}

std::vector<std::string> concat_names(const Graph& g) {
  std::vector<std::string> names;
  for (const Node& n : g.nodes())
    if (is_concat(n)) names.push_back(n.name);
  return names;
}

// Runs the graph as built and as optimized on the same input and weights (both drawn from
// the names); every output must be equal bit for bit. Returns the optimized graph.
Graph check_bit_identical(const Graph& built, TensorId x, const std::vector<TensorId>& outputs, InferenceRewrites& rw) {
  Graph opt = built;
  auto r = optimize_for_inference(opt);
  REQUIRE_OK(r);
  rw = *r;
  auto plain = Executor::create(gpu(), built);
  REQUIRE_OK(plain);
  auto optimized = Executor::create(gpu(), opt);
  REQUIRE_OK(optimized);
  const std::vector<float> input = random_floats(size_t(built.shape(x).numel()), 5);
  for (Executor* ex : {plain->get(), optimized->get()}) {
    REQUIRE_OK(ex->set_input(x, input));
    REQUIRE_OK(ex->infer());
  }
  for (TensorId t : outputs) {
    CAPTURE(built.desc(t).name);
    auto a = (*plain)->read(t), b = (*optimized)->read(t);
    REQUIRE_OK(a);
    REQUIRE_OK(b);
    REQUIRE(a->size() == b->size());
    size_t differ = 0;
    for (size_t i = 0; i < a->size(); ++i) differ += std::memcmp(&(*a)[i], &(*b)[i], sizeof(float)) != 0;
    CHECK_MESSAGE(differ == 0, differ << " of " << a->size() << " values differ");
    CHECK(std::any_of(a->begin(), a->end(), [](float v) { return v != 0.0f; }));
  }
  return opt;
}

}  // namespace

TEST_CASE("optimize: a concat of convolutions is written in place, one with an input read elsewhere is kept") {
  Concats n = concat_net();
  InferenceRewrites rw;
  const Graph opt = check_bit_identical(n.m.g, n.m.x, n.outputs, rw);
  CHECK(rw.concats_removed == 1);
  CHECK(rw.relus_fused == 1);  // c.relu; d.relu reads d beside cat2 and stays
  CHECK(concat_names(opt) == std::vector<std::string>{"cat2", "cat3"});
  // a, b and c.relu's output (c's now) are channels [0,5), [5,8) and [8,15) of cat1.
  const TensorId cat1 = opt.find("cat1");
  REQUIRE(cat1.valid());
  CHECK(opt.desc(cat1).producer < 0);
  int64_t next = 0;
  for (const char* name : {"a", "b", "c.relu"}) {
    const TensorDesc& d = opt.desc(opt.find(name));
    CAPTURE(name);
    CHECK(d.channel_slice_of == cat1);
    CHECK(d.channel_offset == next);
    next += d.shape[1];
  }
  CHECK(next == opt.shape(cat1)[1]);
  for (const char* name : {"d", "e", "f"}) CHECK_FALSE(opt.desc(opt.find(name)).channel_slice_of.valid());
}

TEST_CASE("optimize: the executor refuses a channel slice that a node reads or that an op cannot write") {
  Concats n = concat_net();
  Graph opt = n.m.g;
  REQUIRE_OK(optimize_for_inference(opt));
  // d is read (by cat2 and d.relu): as a slice of cat2 it is refused, naming the node.
  Graph bad = opt;
  bad.desc(bad.find("d")).channel_slice_of = bad.find("cat2");
  auto refused = Executor::create(gpu(), bad);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().message.find("reads 'd', a channel slice of 'cat2'") != std::string::npos);
  // The max pool's output cannot be written as a slice.
  bad = opt;
  const TensorId pooled = bad.nodes()[size_t(bad.desc(bad.find("cat3")).producer)].inputs[1];
  bad.desc(pooled).channel_slice_of = bad.find("cat3");
  bad.desc(pooled).channel_offset = 3;
  refused = Executor::create(gpu(), bad);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().message.find("cannot write") != std::string::npos);
  // Two slices over the same channels.
  bad = opt;
  bad.desc(bad.find("b")).channel_offset = 3;
  refused = Executor::create(gpu(), bad);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().message.find("overlap") != std::string::npos);
}

TEST_CASE("optimize: the two-column AlexNet gives the same logits bit for bit") {
  models::ByNameOptions o;
  o.name = "alexnet";
  o.batch = 2;
  o.width = 0.25;
  o.input_size = 67;
  auto m = models::build_model_by_name(o);
  REQUIRE_OK(m);
  InferenceRewrites rw;
  const Graph opt = check_bit_identical(m->graph, m->images, {m->logits}, rw);
  // Each column's conv3 and fc6 concats join max pools, and each pool is read by its own
  // column's concat and by the transfer to the other column: no concat can go.
  MESSAGE("AlexNet: " << rw.concats_removed << " concats written in place, " << concat_names(opt).size() << " kept");
  CHECK(concat_names(opt).size() == concat_names(m->graph).size() - size_t(rw.concats_removed));
}
