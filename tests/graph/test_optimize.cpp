// The inference-graph optimizer (vknn/graph/optimize.h): each rewrite leaves the outputs equal
// (within fp32 rounding of the folded weights) to the graph as built, for weights given at
// creation and for weights written afterwards; it never applies to training graphs, and
// checkpoints of an optimized executor hold the original tensors only.
#include "gpu.h"
#include "graph/nets.h"

#include "vknn/graph/optimize.h"
#include "vknn/models/by_name.h"

#include <algorithm>
#include <random>

using namespace vknn;
using namespace vknn::test;

namespace {

// Random BN parameters and statistics, so that folding is far from the identity.
Status randomize_batchnorms(Executor& ex, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(0, 1);
  const Graph& g = ex.graph();
  for (size_t i = 0; i < g.tensors().size(); ++i) {
    const TensorDesc& d = g.tensors()[i];
    float lo = 0, hi = 0;
    if (d.name.ends_with(".running_mean") || (d.name.ends_with(".bias") && d.shape.rank() == 1)) lo = -0.3f, hi = 0.3f;
    else if (d.name.ends_with(".running_var")) lo = 0.3f, hi = 2.0f;
    else if (d.name.ends_with(".weight") && d.shape.rank() == 1) lo = 0.5f, hi = 1.5f;  // BN gamma
    else continue;
    std::vector<float> v(size_t(d.shape.numel()));
    for (auto& x : v) x = lo + (hi - lo) * u(rng);
    VKNN_TRY(ex.write(TensorId{int32_t(i)}, v));
  }
  return {};
}

// ||a - b|| / ||b|| over all elements.
double relative_error(const std::vector<float>& a, const std::vector<float>& b) {
  double num = 0, den = 0;
  for (size_t i = 0; i < b.size(); ++i) {
    num += (double(a[i]) - b[i]) * (double(a[i]) - b[i]);
    den += double(b[i]) * b[i];
  }
  return std::sqrt(num / std::max(den, 1e-300));
}

struct Pair {
  std::unique_ptr<Executor> plain, optimized;
};

// Two executors over the graph as built and as optimized, with the same initial weights (they
// are drawn from the tensor names), the same random BN statistics and the same input.
Pair make_pair(const Graph& built, TensorId x, InferenceRewrites* rewrites = nullptr) {
  Graph opt = built;
  auto rw = optimize_for_inference(opt);
  REQUIRE_OK(rw);
  if (rewrites) *rewrites = *rw;
  Pair p;
  auto a = Executor::create(gpu(), built);
  REQUIRE_OK(a);
  auto b = Executor::create(gpu(), opt);
  REQUIRE_OK(b);
  p.plain = std::move(*a), p.optimized = std::move(*b);
  const std::vector<float> input = random_floats(size_t(built.shape(x).numel()), 7);
  for (Executor* ex : {p.plain.get(), p.optimized.get()}) {
    REQUIRE_OK(randomize_batchnorms(*ex, 3));
    REQUIRE_OK(ex->set_input(x, input));
  }
  return p;
}

void check_same_outputs(Pair& p, TensorId out, double tol, const char* what) {
  REQUIRE_OK(p.plain->infer());
  REQUIRE_OK(p.optimized->infer());
  auto a = p.plain->read(out), b = p.optimized->read(out);
  REQUIRE_OK(a);
  REQUIRE_OK(b);
  const double err = relative_error(*b, *a);
  MESSAGE(std::string(what) << ": optimized vs as built, normwise relative error " << err);
  CHECK(err <= tol);
  CHECK(std::all_of(b->begin(), b->end(), [](float v) { return std::isfinite(v); }));
}

}  // namespace

TEST_CASE("optimize: conv-BN-ReLU and a residual block fold and fuse, outputs unchanged, also after new weights") {
  Net m = residual_cnn(3);
  const TensorId logits = m.g.find("fc");
  REQUIRE(logits.valid());
  m.g.desc(logits).role = Role::output;
  InferenceRewrites rw;
  Pair p = make_pair(m.g, m.x, &rw);
  CHECK(rw.batchnorms_folded == 3);  // conv1 (with its own bias), block.conv1, block.conv2
  CHECK(rw.residuals_fused == 1);    // block.add into block.conv2
  CHECK(rw.relus_fused == 3);        // relu1, block.relu1, and block.relu2 after the add
  CHECK(rw.dropouts_removed == 0);
  int prepare = 0, removed = 0;
  for (const Node& n : p.optimized->graph().nodes()) {
    prepare += n.phase == Phase::prepare;
    for (const char* t : {"batchnorm", "add", "relu"}) removed += std::string(n.op->type()) == t;
  }
  CHECK(prepare == 3);
  CHECK(removed == 0);
  std::vector<int32_t> labels = {0, 1, 2};
  REQUIRE_OK(p.plain->set_input(m.labels, labels));
  REQUIRE_OK(p.optimized->set_input(m.labels, labels));
  check_same_outputs(p, logits, 1e-6, "residual_cnn");
  // New statistics after the first pass: the prepare nodes run again.
  REQUIRE_OK(randomize_batchnorms(*p.plain, 11));
  REQUIRE_OK(randomize_batchnorms(*p.optimized, 11));
  check_same_outputs(p, logits, 1e-6, "residual_cnn after new statistics");
  // The loss (a visible tensor) is computed as before.
  auto la = p.plain->read_scalar(m.g.loss), lb = p.optimized->read_scalar(m.g.loss);
  REQUIRE_OK(la);
  REQUIRE_OK(lb);
  CHECK(*lb == doctest::Approx(*la).epsilon(1e-5));
}

TEST_CASE("optimize: a checkpoint of the optimized graph holds the original tensors and loads into the plain one") {
  Net m = residual_cnn(2);
  const TensorId logits = m.g.find("fc");
  m.g.desc(logits).role = Role::output;
  Pair p = make_pair(m.g, m.x);
  auto bytes = p.optimized->checkpoint_bytes({}, true);
  REQUIRE_OK(bytes);
  auto file = SafetensorsFile::parse(std::move(*bytes), "optimized");
  REQUIRE_OK(file);
  for (const auto& e : file->entries()) CHECK(e.name.find("folded") == std::string::npos);
  CHECK(file->find("block.bn2.running_var"));
  REQUIRE_OK(p.plain->load_checkpoint(*file));
  check_same_outputs(p, logits, 1e-6, "after loading the optimized executor's checkpoint");
  // Derived tensors are not for writing.
  const TensorId folded = p.optimized->graph().find("conv1.folded_weight");
  REQUIRE(folded.valid());
  CHECK(p.optimized->graph().desc(folded).role == Role::derived);
  CHECK_FALSE(p.optimized->write(folded, std::vector<float>(size_t(p.optimized->graph().shape(folded).numel()))).ok());
}

TEST_CASE("optimize: dropout is removed, and training graphs are refused") {
  Net m = residual_cnn(2);
  Graph g = m.g;
  // A dropout between the pool and the classifier.
  Graph d;
  TensorId x = d.input("x", {2, 5});
  TensorId h = dropout(d, x, 0.5f, "drop");
  TensorId y = linear(d, h, d.parameter("fc.weight", {3, 5}, Init::normal(0.5f)), d.parameter("fc.bias", {3}, Init::zeros()),
                      {}, "fc");
  d.desc(y).role = Role::output;
  InferenceRewrites rw;
  Pair p = make_pair(d, x, &rw);
  CHECK(rw.dropouts_removed == 1);
  CHECK(p.optimized->graph().nodes().size() == 1);
  check_same_outputs(p, y, 0.0, "linear after dropout");

  REQUIRE_OK(build_backward(g));
  auto refused = optimize_for_inference(g);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().message.find("backward") != std::string::npos);
  Graph opt = m.g;
  REQUIRE_OK(optimize_for_inference(opt));
  CHECK_FALSE(build_backward(opt).ok());  // prepare nodes: not a graph to train
}

TEST_CASE("optimize: torchvision ResNet-18 and CIFAR ResNet-20 give the same logits optimized") {
  for (const char* name : {"resnet18", "cifar-resnet20"}) {
    CAPTURE(name);
    models::ByNameOptions o;
    o.name = name;
    o.batch = 2;
    auto m = models::build_model_by_name(o);
    REQUIRE_OK(m);
    InferenceRewrites rw;
    Pair p = make_pair(m->graph, m->images, &rw);
    CHECK(rw.batchnorms_folded == (std::string(name) == "resnet18" ? 20 : 19));
    CHECK(rw.residuals_fused == (std::string(name) == "resnet18" ? 8 : 9));  // every block's add
    for (const Node& n : p.optimized->graph().nodes()) CHECK(std::string(n.op->type()) != "add");
    check_same_outputs(p, m->logits, 1e-5, name);
  }
}

// y = relu(conv_a(x) + conv_b(x)): conv_a's add reads conv_b's output, made after conv_a, so
// the fused conv_a must run where the add ran. Then z = relu(conv_c(y) + y), a plain identity
// shortcut, with biases and no batch norm; odd batch and sizes. With `loss`, a classifier
// and a loss follow (for build_backward).
Net two_residual_convs(bool loss) {
  Net m;
  Graph& g = m.g;
  m.x = g.input("x", {3, 5, 7, 9});
  Conv2dParams pad1;
  pad1.pad_h = pad1.pad_w = 1;
  auto param = [&](const std::string& name, Shape s) { return g.parameter(name, s, Init::uniform(0.4f)); };
  TensorId a = conv2d(g, m.x, param("a.weight", {6, 5, 3, 3}), param("a.bias", {6}), pad1, "a");
  TensorId b = conv2d(g, m.x, param("b.weight", {6, 5, 1, 1}), {}, {}, "b");
  TensorId y = relu(g, add(g, a, b, "add1"), "relu1");
  TensorId c = conv2d(g, y, param("c.weight", {6, 6, 3, 3}), param("c.bias", {6}), pad1, "c");
  TensorId z = relu(g, add(g, y, c, "add2"), "relu2");  // the convolution is the add's second input
  g.desc(z).role = Role::output;
  if (loss) {
    m.labels = g.input("labels", {3}, DType::i32);
    TensorId logits = linear(g, global_avgpool(g, z, "avgpool"), param("fc.weight", {2, 6}), {}, {}, "fc");
    softmax_cross_entropy(g, logits, m.labels);
  }
  return m;
}

TEST_CASE("optimize: a residual add whose shortcut is computed after the convolution, and one without BN") {
  Net m = two_residual_convs(false);
  const TensorId z = m.g.find("relu2");
  REQUIRE(z.valid());
  InferenceRewrites rw;
  Pair p = make_pair(m.g, m.x, &rw);
  CHECK(rw.residuals_fused == 2);
  CHECK(rw.relus_fused == 2);
  CHECK(rw.batchnorms_folded == 0);
  const auto& nodes = p.optimized->graph().nodes();
  REQUIRE(nodes.size() == 3);
  CHECK(nodes[0].name == "b");  // the shortcut first, then the convolution that adds it
  CHECK(nodes[1].name == "a");
  CHECK(conv2d_has_residual(nodes[1]));
  CHECK(nodes[2].name == "c");
  check_same_outputs(p, z, 1e-6, "two residual convolutions");

  // Such a graph is for inference only: its backward is refused, naming the node.
  Net t = two_residual_convs(true);
  REQUIRE_OK(optimize_for_inference(t.g));
  auto refused = build_backward(t.g);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().message.find("residual") != std::string::npos);
  CHECK(refused.error().message.find("'c'") != std::string::npos);  // the last one is reached first
}

TEST_CASE("optimize: a batch norm on batch statistics in every pass (ONNX's training form) is not folded") {
  Graph g;
  const TensorId x = g.input("x", {2, 3, 5, 5});
  Conv2dParams pad1;
  pad1.pad_h = pad1.pad_w = 1;
  BatchNormParams p;
  p.batch_statistics_always = p.biased_running_var = true;
  const TensorId y = batchnorm(g, conv2d(g, x, conv_param(g, "conv", 4, 3, 3), {}, pad1, "conv"), "bn", p);
  g.desc(y).role = Role::output;
  InferenceRewrites rw;
  Pair pair = make_pair(g, x, &rw);
  CHECK(rw.batchnorms_folded == 0);
  check_same_outputs(pair, y, 0, "conv-BN on batch statistics");
  // The inference pass normalized with the batch's statistics: every channel of y has mean
  // beta and variance gamma^2 * var / (var + eps), whatever the running statistics held.
  auto out = pair.plain->read(y);
  auto gamma = pair.plain->read(g.find("bn.weight")), beta = pair.plain->read(g.find("bn.bias"));
  REQUIRE_OK(out);
  REQUIRE_OK(gamma);
  REQUIRE_OK(beta);
  for (size_t c = 0; c < 4; ++c) {
    double sum = 0, sq = 0;
    for (size_t n = 0; n < 2; ++n)
      for (size_t i = 0; i < 25; ++i) sum += (*out)[(n * 4 + c) * 25 + i];
    const double mean = sum / 50;
    for (size_t n = 0; n < 2; ++n)
      for (size_t i = 0; i < 25; ++i) sq += ((*out)[(n * 4 + c) * 25 + i] - mean) * ((*out)[(n * 4 + c) * 25 + i] - mean);
    CHECK(mean == doctest::Approx((*beta)[c]).epsilon(1e-5));
    CHECK(sq / 50 == doctest::Approx(double((*gamma)[c]) * (*gamma)[c]).epsilon(1e-3));
  }
}
