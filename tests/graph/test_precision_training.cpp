// fp16 training (vknn/graph/precision.h, HalfOptions::training and cast_backward_reads): the
// rewrite's structure on a small training graph, and LeNet trained 20 steps in fp16 (with
// dynamic loss scaling) against the same run in fp32.
#include "gpu.h"

#include "vknn/graph/autodiff.h"
#include "vknn/graph/executor.h"
#include "vknn/graph/loss_scaler.h"
#include "vknn/graph/precision.h"
#include "vknn/models/by_name.h"
#include "vknn/ops/cast.h"
#include "vknn/ops/conv2d.h"
#include "vknn/ops/grad_check.h"
#include "vknn/ops/linear.h"
#include "vknn/ops/relu.h"
#include "vknn/ops/reshape.h"
#include "vknn/ops/sgd.h"
#include "vknn/ops/softmax_xent.h"

#include <cmath>
#include <random>

using namespace vknn;
using namespace vknn::test;

namespace {

// x (2,3,6,6) -> conv 3x3 (4) -> relu -> flatten -> linear (3) -> softmax cross-entropy
struct Small {
  Graph g;
  TensorId x, labels, conv, w;
};
Small small_net() {
  Small m;
  Graph& g = m.g;
  m.x = g.input("x", {2, 3, 6, 6});
  m.labels = g.input("labels", {2}, DType::i32);
  m.w = g.parameter("conv.weight", {4, 3, 3, 3}, Init::normal(0.3f));
  Conv2dParams p;
  p.pad_h = p.pad_w = 1;
  m.conv = conv2d(g, m.x, m.w, g.parameter("conv.bias", {4}, Init::uniform(0.1f)), p, "conv");
  TensorId h = flatten(g, relu(g, m.conv, "relu"), "flat");
  TensorId logits = linear(g, h, g.parameter("fc.weight", {3, 144}, Init::normal(0.1f)),
                           g.parameter("fc.bias", {3}, Init::zeros()), {}, "fc");
  softmax_cross_entropy(g, logits, m.labels);
  return m;
}

std::string node_list(const Graph& g, Phase phase) {
  std::string s;
  for (const Node& n : g.nodes())
    if (n.phase == phase) s += std::string(s.empty() ? "" : " ") + n.op->type();
  return s;
}

}  // namespace

TEST_CASE("fp16 training: the rewrite stores forward activations in fp16 and the backward reads them") {
  Small m = small_net();
  auto rw = convert_to_fp16(m.g, HalfOptions{.training = true});
  REQUIRE_OK(rw);
  // conv, relu and the flatten (a byte copy) have fp16 variants; linear and the loss do not.
  CHECK(rw->half_nodes == 3);
  CHECK(rw->weight_casts == 2);  // conv.weight and conv.bias
  CHECK(node_list(m.g, Phase::forward) == "cast cast cast conv2d relu reshape cast linear softmax_xent");
  for (const Node& n : m.g.nodes()) CHECK(n.phase != Phase::prepare);
  // The weights' fp16 copies are transient, made by forward casts of the fp32 masters.
  const TensorId w16 = m.g.find("conv.weight.f16");
  REQUIRE(w16.valid());
  CHECK(m.g.desc(w16).role == Role::activation);
  CHECK(m.g.desc(w16).dtype == DType::f16);
  CHECK(m.g.desc(m.w).dtype == DType::f32);
  CHECK(m.g.desc(m.conv).dtype == DType::f16);
  CHECK(m.g.desc(m.g.find("relu")).dtype == DType::f16);
  CHECK(m.g.desc(m.g.find("flat")).dtype == DType::f16);

  REQUIRE_OK(build_backward(m.g));
  auto casts = cast_backward_reads(m.g);
  REQUIRE_OK(casts);
  CHECK(*casts > 0);
  REQUIRE_OK(add_overflow_check(m.g));
  REQUIRE_OK(add_sgd(m.g, SgdParams{}));
  // Every gradient is fp32, and every backward node but the casts writes fp32 only and reads
  // fp32, or fp16 where its kernel reads the saved tensor in fp16 (relu's backward reads y);
  // the forward tensors it needs are kept in fp16.
  for (const TensorDesc& d : m.g.tensors())
    if (d.role == Role::gradient) CHECK(d.dtype == DType::f32);
  std::vector<int8_t> saved(m.g.tensors().size(), 0);
  for (const Node& n : m.g.nodes()) {
    if (n.phase != Phase::backward) continue;
    CAPTURE(n.name);
    if (is_cast(n)) {
      CHECK(m.g.desc(n.inputs[0]).dtype == DType::f16);
      CHECK(m.g.desc(n.outputs[0]).dtype == DType::f32);
      saved[size_t(n.inputs[0].index)] = 1;
      continue;
    }
    for (size_t k = 0; k < n.inputs.size(); ++k) {
      const TensorDesc& d = m.g.desc(n.inputs[k]);
      CAPTURE(d.name);
      if (d.dtype == DType::f16) {
        CHECK(n.op->half_backward_reads(k));
        saved[size_t(n.inputs[k].index)] = 1;
      } else if (d.dtype != DType::i32) {
        CHECK(d.dtype == DType::f32);
      }
    }
    for (TensorId t : n.outputs) CHECK(m.g.desc(t).dtype == DType::f32);
  }
  for (const std::string name : {"flat", "relu"}) {
    CAPTURE(name);
    const TensorId t = m.g.find(name);
    REQUIRE(t.valid());
    CHECK(saved[size_t(t.index)]);  // kept in fp16 for the backward pass
  }
  // The fp16 copies of the input and the weights are not kept: the backward reads the fp32
  // originals, which stay anyway.
  for (const std::string name : {"x.f16", "conv.weight.f16", "conv.bias.f16"}) {
    CAPTURE(name);
    const TensorId t = m.g.find(name);
    REQUIRE(t.valid());
    for (const Node& n : m.g.nodes())
      if (n.phase != Phase::forward)
        for (TensorId in : n.inputs) CHECK(in != t);
  }
  // relu's backward reads relu's fp16 output itself: no fp32 copy of it exists.
  CHECK_FALSE(m.g.find("relu.f32").valid());
  for (const Node& n : m.g.nodes())
    if (n.phase == Phase::backward && std::string(n.op->type()) == "relu_backward")
      CHECK(n.inputs[0] == m.g.find("relu"));
  // The parameter gradients reach the fp32 masters.
  for (TensorId p : m.g.parameters()) CHECK(m.g.desc(p).grad.valid());
}

TEST_CASE("fp16 training: the refusals name the problem") {
  Small m = small_net();
  REQUIRE_OK(build_backward(m.g));
  auto rw = convert_to_fp16(m.g, HalfOptions{.training = true});
  REQUIRE_FALSE(rw.ok());
  CHECK(rw.error().message.find("backward") != std::string::npos);
}

namespace {

// Separable synthetic digits: a fixed random pattern per class plus noise, drawn from a seed.
struct Batch {
  std::vector<float> images;
  std::vector<int32_t> labels;
};
Batch synthetic(int64_t n, int64_t classes, uint32_t seed) {
  const size_t pixels = 28 * 28;
  std::mt19937 proto_rng(7);
  std::normal_distribution<float> unit(0.0f, 1.0f);
  std::vector<float> protos(size_t(classes) * pixels);
  for (float& v : protos) v = unit(proto_rng);
  std::mt19937 rng(seed);
  Batch b;
  for (int64_t i = 0; i < n; ++i) {
    const int32_t label = int32_t(rng() % uint32_t(classes));
    b.labels.push_back(label);
    for (size_t k = 0; k < pixels; ++k) b.images.push_back(protos[size_t(label) * pixels + k] + unit(rng));
  }
  return b;
}

struct Curve {
  std::vector<float> loss;
  double val_top1 = 0;  // fraction correct
  uint64_t planned = 0, persistent = 0, transient = 0;
  uint64_t kept = 0;  // bytes of the forward activations the backward pass reads
  int skipped = 0;
};

Curve train_lenet(bool half, int steps) {
  constexpr int64_t batch = 16, classes = 4;
  models::ByNameOptions o;
  o.name = "lenet", o.batch = batch, o.classes = classes, o.training = true;
  auto built = models::build_model_by_name(o);
  REQUIRE_OK(built);
  models::Model& m = *built;
  if (half) REQUIRE_OK(convert_to_fp16(m.graph, HalfOptions{.training = true}));
  REQUIRE_OK(build_backward(m.graph));
  if (half) REQUIRE_OK(cast_backward_reads(m.graph));
  REQUIRE_OK(add_overflow_check(m.graph));
  SgdParams sgd;
  sgd.rule = SgdRule::sgd_pytorch, sgd.momentum = 0.9f, sgd.weight_decay = 5e-4f;
  REQUIRE_OK(add_sgd(m.graph, sgd));
  ExecutorOptions eo;
  eo.seed = 3, eo.learning_rate = 0.05f;
  auto ex = Executor::create(gpu(), m.graph, eo);
  REQUIRE_OK(ex);
  LossScaler scaler;  // fp32 runs with the same scale: a power of two changes nothing there
  Curve c;
  for (int s = 0; s < steps; ++s) {
    (*ex)->set_loss_scale(scaler.scale());
    const Batch b = synthetic(batch, classes, 100 + uint32_t(s));
    REQUIRE_OK((*ex)->set_input(m.images, b.images));
    REQUIRE_OK((*ex)->set_input(m.labels, std::span<const int32_t>(b.labels)));
    REQUIRE_OK((*ex)->run());
    auto loss = (*ex)->read_scalar(m.graph.loss);
    REQUIRE_OK(loss);
    c.loss.push_back(*loss);
    c.skipped += (*ex)->last_step_skipped();
    scaler.update((*ex)->last_step_skipped());
  }
  double correct = 0, seen = 0;
  for (uint32_t v = 0; v < 4; ++v) {
    const Batch b = synthetic(batch, classes, 9000 + v);
    REQUIRE_OK((*ex)->set_input(m.images, b.images));
    REQUIRE_OK((*ex)->set_input(m.labels, std::span<const int32_t>(b.labels)));
    REQUIRE_OK((*ex)->infer());
    auto top1 = (*ex)->read_scalar(m.graph.top1);
    REQUIRE_OK(top1);
    correct += *top1, seen += double(batch);
  }
  c.val_top1 = correct / seen;
  c.planned = (*ex)->planned_bytes(), c.persistent = (*ex)->persistent_bytes();
  c.transient = c.planned - c.persistent;
  const Graph& g = m.graph;
  std::vector<int8_t> read(g.tensors().size(), 0);
  for (const Node& n : g.nodes())
    if (n.phase == Phase::backward)
      for (TensorId t : n.inputs) {
        const TensorDesc& d = g.desc(t);
        if (d.role == Role::activation && d.producer >= 0 && g.nodes()[size_t(d.producer)].phase == Phase::forward &&
            !read[size_t(t.index)])
          read[size_t(t.index)] = 1, c.kept += d.bytes();
      }
  return c;
}

}  // namespace

TEST_CASE("fp16 training: LeNet's loss curve and accuracy follow the fp32 run") {
  constexpr int steps = 20;
  const Curve full = train_lenet(false, steps), half = train_lenet(true, steps);
  MESSAGE("planned device memory: fp32 " << full.planned << " bytes (transient " << full.transient << "), fp16 "
                                         << half.planned << " bytes (transient " << half.transient << ")");
  MESSAGE("forward activations kept for the backward pass: fp32 " << full.kept << " bytes, fp16 " << half.kept);
  MESSAGE("validation top-1: fp32 " << full.val_top1 << ", fp16 " << half.val_top1);
  CHECK(full.skipped == 0);
  CHECK(half.skipped == 0);
  // fp16 keeps 11 significant bits: each stored activation and weight copy is within 2^-11
  // (4.9e-4) relative of its fp32 value. The first loss sees only that rounding through a few
  // layers: within 2e-3 relative (measured: 1e-6). Later steps follow weights that drift by
  // such roundings in every update, compounded by momentum over 20 steps: allowed 3% plus
  // 0.01 absolute (measured worst: 0.02 absolute at a loss of 0.3, late in the run).
  double worst = 0;
  for (int s = 0; s < steps; ++s) {
    const double a = full.loss[size_t(s)], b = half.loss[size_t(s)];
    CAPTURE(s);
    CAPTURE(a);
    CAPTURE(b);
    REQUIRE(std::isfinite(b));
    if (s == 0) CHECK(std::fabs(b - a) <= 2e-3 * std::fabs(a));
    CHECK(std::fabs(b - a) <= 0.03 * std::fabs(a) + 0.01);
    worst = std::max(worst, std::fabs(b - a) / std::fabs(a));
  }
  MESSAGE("loss: step 0 fp32 " << full.loss[0] << " fp16 " << half.loss[0] << "; step " << steps - 1 << " fp32 "
                               << full.loss.back() << " fp16 " << half.loss.back() << "; worst relative gap " << worst);
  CHECK(full.loss.back() < 0.5 * full.loss.front());  // it learned
  CHECK(std::fabs(half.val_top1 - full.val_top1) <= 0.07);  // at most 4 of 64 samples
  // The activations kept for the backward pass are fp16 where LeNet's convolutions and
  // pools write them (its fully connected layers keep fp32). The peak is at the first
  // convolution's fused ReLU backward: its output, its gradient and the masked gradient are
  // live together, and the mask reads the fp16 output itself (no fp32 cast of it), so the
  // peak is lower by half that output (measured: 903168 -> 752640 transient bytes).
  CHECK(half.kept < 0.75 * double(full.kept));
  CHECK(half.transient < full.transient);
  CHECK(half.planned < full.planned);
}

namespace {

// The planned device memory of a training executor for a model by name (SGD with momentum).
uint64_t planned_training_bytes(const char* name, int64_t batch, bool half) {
  models::ByNameOptions o;
  o.name = name, o.batch = batch, o.training = true;
  auto built = models::build_model_by_name(o);
  REQUIRE_OK(built);
  Graph& g = built->graph;
  if (half) REQUIRE_OK(convert_to_fp16(g, HalfOptions{.training = true}));
  REQUIRE_OK(build_backward(g));
  if (half) REQUIRE_OK(cast_backward_reads(g));
  REQUIRE_OK(add_overflow_check(g));
  SgdParams sgd;
  sgd.momentum = 0.9f;
  REQUIRE_OK(add_sgd(g, sgd));
  auto ex = Executor::create(gpu(), g, ExecutorOptions{});
  REQUIRE_OK(ex);
  return (*ex)->planned_bytes();
}

}  // namespace

TEST_CASE("fp16 training: CIFAR ResNet-20's planned memory is well below fp32's") {
  // Batch norm, ReLU and the residual add store fp16 too, and the backward kernels of batch
  // norm and ReLU read those fp16 tensors: every activation the backward keeps is fp16, and
  // the fp32 casts the convolutions' backward reads live one node each.
  const uint64_t full = planned_training_bytes("cifar-resnet20", 32, false);
  const uint64_t half = planned_training_bytes("cifar-resnet20", 32, true);
  MESSAGE("cifar-resnet20 batch 32, planned device memory: fp32 " << full << " bytes, fp16 " << half);
  CHECK(double(half) < 0.6 * double(full));  // measured 0.55
}
