// Model-parallel AlexNet: the two columns on two targets. On lavapipe the "two devices"
// are two VkDevices on the one physical device (each its own Context), which exercises the
// real inter-device path (host-visible bridges, host-paced timeline semaphores); "one
// device, two targets" shares a queue when the device has only one.
#include "gpu.h"
#include "vknn/graph/autodiff.h"
#include "vknn/graph/executor.h"
#include "vknn/graph/placement.h"
#include "vknn/models/alexnet.h"
#include "vknn/models/cifar.h"
#include "vknn/ops/conv2d.h"
#include "vknn/ops/linear.h"
#include "vknn/ops/reshape.h"
#include "vknn/ops/sgd.h"
#include "vknn/ops/softmax_xent.h"

#include <chrono>
#include <filesystem>
#include <cmath>

using namespace vknn;
using namespace vknn::models;
using namespace vknn::test;

namespace {

// A second device: another VkDevice (and instance) with the validation layer on.
Context& second_device() {
  static std::shared_ptr<Context> ctx = [] {
    ContextOptions o;
    o.validation = true;
    auto c = Context::create(o);
    REQUIRE_MESSAGE(c.ok(), (c.ok() ? "" : c.error().what()));
    return std::move(c).value();
  }();
  return *ctx;
}

const AlexNetOptions kSmall{.batch = 2, .classes = 10, .input_size = 67, .training = true, .width = 1.0 / 8,
                            .hidden_bias = 0.1f};

struct Run {
  AlexNet m;
  std::unique_ptr<Executor> ex;
};

Run make_run(const AlexNetOptions& opt, std::vector<ExecutionTarget> targets, bool timing = false,
             bool import_host_memory = true, uint64_t chunk_bytes = 4ull << 20) {
  Run r{alexnet(opt), nullptr};
  if (opt.training) {
    REQUIRE_OK(build_backward(r.m.graph));
    REQUIRE_OK(add_sgd(r.m.graph, SgdParams{}));
  }
  ExecutorOptions eo;
  eo.seed = 7;
  eo.learning_rate = 0.01f;
  eo.timing = timing;
  eo.targets = std::move(targets);
  eo.import_host_memory = import_host_memory;
  eo.transfer_chunk_bytes = chunk_bytes;
  auto ex = Executor::create(gpu(), r.m.graph, eo);
  REQUIRE_MESSAGE(ex.ok(), (ex.ok() ? "" : ex.error().what()));
  r.ex = std::move(ex).value();
  return r;
}

void set_batch(Run& r, uint32_t seed) {
  const Shape& s = r.m.graph.shape(r.m.images);
  REQUIRE_OK(r.ex->set_input(r.m.images, random_floats(size_t(s.numel()), seed)));
  if (r.m.labels.valid()) {
    std::vector<int32_t> labels(static_cast<size_t>(s[0]));
    for (size_t i = 0; i < labels.size(); ++i) labels[i] = int32_t((seed + 3 * i) % 10);
    REQUIRE_OK(r.ex->set_input(r.m.labels, labels));
  }
}

// Every parameter and state tensor (momentum) of `got` against `want`.
void check_same_parameters(Run& got, Run& want, const std::string& what) {
  const Graph& g = want.m.graph;
  for (size_t i = 0; i < g.tensors().size(); ++i) {
    const TensorDesc& d = g.tensors()[i];
    if (d.role != Role::parameter && d.role != Role::state) continue;
    auto a = got.ex->read(got.m.graph.find(d.name));
    auto b = want.ex->read(TensorId{int32_t(i)});
    REQUIRE_MESSAGE(a.ok(), d.name);
    REQUIRE_MESSAGE(b.ok(), d.name);
    check_close(*a, to_double(*b), {0, 0}, what + ": " + d.name);
  }
}

// Loss, every parameter and every parameter gradient of `got` against `want`.
void check_same_state(Run& got, Run& want, const std::string& what) {
  const Graph& g = want.m.graph;
  auto lg = got.ex->read_scalar(got.m.graph.loss);
  auto lw = want.ex->read_scalar(g.loss);
  REQUIRE(lg.ok());
  REQUIRE(lw.ok());
  CHECK_MESSAGE(std::fabs(*lg - *lw) <= 1e-5f * std::max(1.0f, std::fabs(*lw)), what << ": loss " << *lg << " vs " << *lw);
  for (TensorId p : g.parameters()) {
    for (TensorId t : {p, g.desc(p).grad}) {
      const std::string& name = g.desc(t).name;
      auto a = got.ex->read(got.m.graph.find(name));
      auto b = want.ex->read(t);
      REQUIRE_MESSAGE(a.ok(), name);
      REQUIRE_MESSAGE(b.ok(), name);
      check_close(*a, to_double(*b), {1e-6, 1e-4}, what + ": " + name);
    }
  }
}

// What the paper's connectivity moves per direction and pass: each column's pool2 (conv3)
// and pool5 (fc6) and fc6 output (fc7) to the other column, and column 1's fc7 output to
// fc8 on target 0.
uint64_t paper_forward_bytes(const AlexNet& m) {
  const Graph& g = m.graph;
  const uint64_t pool2 = uint64_t(g.shape(m.columns[0].pool2).numel());
  const uint64_t pool5 = uint64_t(g.shape(m.columns[0].pool5).numel());
  const uint64_t hidden = uint64_t(g.shape(g.find("col0.fc6.weight"))[0]) * uint64_t(g.shape(m.images)[0]);
  return 4 * (2 * pool2 + 2 * pool5 + 2 * hidden + hidden);
}

}  // namespace

TEST_CASE("split: AlexNet on two devices trains step for step like one device") {
  // Transfers through one host allocation imported by both devices
  // (VK_EXT_external_memory_host, which lavapipe has), whole; and staged through two
  // buffers, in 512-byte chunks (each tensor here crosses in 1 to 4 chunks).
  for (const bool import : {true, false}) {
  CAPTURE(import);
  const uint64_t chunk = import ? 4ull << 20 : 512;
  Run one = make_run(kSmall, {});
  Run two = make_run(kSmall, {{&gpu(), 0}, {&second_device(), 0}}, /*timing=*/true, import, chunk);
  REQUIRE(two.ex->target_count() == 2);
  for (uint32_t step = 0; step < 4; ++step) {
    set_batch(one, 100 + step);
    set_batch(two, 100 + step);
    REQUIRE_OK(one.ex->run());
    REQUIRE_OK(two.ex->run());
    check_same_state(two, one, "step " + std::to_string(step));
  }
  // The chunks were separate copies (the 1,152-byte pool2 in three).
  auto timings = two.ex->timings();
  REQUIRE(timings.ok());
  size_t pieces = 0;
  for (const auto& t : *timings) pieces += t.name.find("col0.pool2@1.send") == 0;
  CHECK(pieces == (import ? 1u : 3u));
  // The bytes that crossed: the crossing activations forward and their gradients backward,
  // as the paper's connectivity implies (at width 1/8, batch 2: 16x3x3 pool2, 16x1x1 pool5,
  // 256-wide fc6/fc7).
  const uint64_t forward = paper_forward_bytes(two.m);
  CHECK(forward == 4 * (2 * 2 * 16 * 3 * 3 + 2 * 2 * 16 + 2 * 2 * 256 + 2 * 256));
  CHECK(transfer_bytes(two.m.graph, true) == 2 * forward);
  CHECK(transfer_bytes(two.m.graph, false) == forward);
  CHECK(two.ex->bytes_copied_per_run(true) == 2 * forward);
  uint64_t measured = 0;
  for (const auto& s : two.ex->target_stats()) measured += s.bytes_copied;
  CHECK(measured == 2 * forward);
  // Inference too: same logits.
  set_batch(one, 9);
  set_batch(two, 9);
  REQUIRE_OK(one.ex->infer());
  REQUIRE_OK(two.ex->infer());
  auto a = two.ex->read(two.m.logits);
  auto b = one.ex->read(one.m.logits);
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  check_close(*a, to_double(*b), {1e-6, 1e-5}, "inference logits");
  // A checkpoint written by the split run (each parameter read from the device that owns
  // it) loads into the one-device run and vice versa.
  const auto path = std::filesystem::temp_directory_path() / ("vknn-split-" + std::to_string(import) + ".safetensors");
  REQUIRE_OK(two.ex->save_checkpoint(path));
  Run fresh = make_run(kSmall, {});
  REQUIRE_OK(fresh.ex->load_checkpoint(path));
  check_same_parameters(fresh, two, "checkpoint from two devices");
  REQUIRE_OK(one.ex->save_checkpoint(path));
  Run back = make_run(kSmall, {{&gpu(), 0}, {&second_device(), 0}}, false, import, chunk);
  REQUIRE_OK(back.ex->load_checkpoint(path));
  check_same_parameters(back, one, "checkpoint into two devices");
  std::filesystem::remove(path);
  }
}

TEST_CASE("split: two targets on one device (shared or separate queues) equal one target") {
  // Two queues where the device has them; lavapipe has one, so both targets share it, which
  // still runs the segmented schedule with its semaphore waits.
  ContextOptions o;
  o.validation = true;
  o.queue_count = 2;
  auto ctx = Context::create(o);
  REQUIRE(ctx.ok());
  const uint32_t second_queue = (*ctx)->queue_count() > 1 ? 1 : 0;
  MESSAGE("targets on queues 0 and " << second_queue << " of " << (*ctx)->caps().name);
  Run one = make_run(kSmall, {});
  Run two = make_run(kSmall, {{ctx->get(), 0}, {ctx->get(), second_queue}}, /*timing=*/true);
  CHECK(two.ex->bytes_copied_per_run(true) == 0);  // one device: transfers alias memory
  for (uint32_t step = 0; step < 3; ++step) {
    set_batch(one, 200 + step);
    set_batch(two, 200 + step);
    REQUIRE_OK(one.ex->run());
    REQUIRE_OK(two.ex->run());
    check_same_state(two, one, "step " + std::to_string(step));
  }
  // Within one device every crossing, forward and backward, shares memory: no transfer
  // records a command (the gradients that land on a column already holding one are added
  // by an accumulate node, which is compute, not a copy).
  auto timings = two.ex->timings();
  REQUIRE(timings.ok());
  size_t nodes = 0;
  for (const auto& t : *timings) {
    INFO(t.name);
    CHECK(std::string(t.type) != "transfer");
    ++nodes;
  }
  CHECK(nodes > 50);
  two.ex.reset();
}

TEST_CASE("split: full-size AlexNet at batch 1 on two devices (smoke)") {
  // Inference logits equal the single-device run's; one training step gives a finite loss
  // equal to the single device's.
  AlexNetOptions opt{.batch = 1, .training = true};
  Run two = make_run(opt, {{&gpu(), 0}, {&second_device(), 0}});
  Run one = make_run(opt, {});
  set_batch(one, 5);
  set_batch(two, 5);
  REQUIRE_OK(one.ex->run());
  REQUIRE_OK(two.ex->run());
  auto l1 = one.ex->read_scalar(one.m.graph.loss), l2 = two.ex->read_scalar(two.m.graph.loss);
  REQUIRE(l1.ok());
  REQUIRE(l2.ok());
  MESSAGE("full AlexNet b1 loss: one device " << *l1 << ", two devices " << *l2);
  CHECK(std::isfinite(*l2));
  CHECK(std::fabs(*l1 - *l2) <= 1e-4f * std::max(1.0f, std::fabs(*l1)));
  CHECK(two.ex->bytes_copied_per_run(true) == 2 * paper_forward_bytes(two.m));
  for (const char* name : {"col0.conv1.weight", "col1.conv5.weight", "fc8.weight"}) {
    auto a = two.ex->read(two.m.graph.find(name));
    auto b = one.ex->read(one.m.graph.find(name));
    REQUIRE(a.ok());
    REQUIRE(b.ok());
    check_close(*a, to_double(*b), {1e-6, 1e-4}, std::string("updated ") + name);
  }
}

TEST_CASE("split: an allocation failure on one device names that device") {
  ContextOptions o;
  o.validation = true;
  o.max_allocation_bytes = 64 * 1024;  // a device too small for column 1's parameters
  auto small = Context::create(o);
  REQUIRE(small.ok());
  AlexNet m = alexnet(kSmall);
  REQUIRE_OK(build_backward(m.graph));
  REQUIRE_OK(add_sgd(m.graph, SgdParams{}));
  ExecutorOptions eo;
  eo.targets = {{&gpu(), 0}, {small->get(), 0}};
  auto ex = Executor::create(gpu(), m.graph, eo);
  REQUIRE(!ex.ok());
  CHECK(ex.error().code == Errc::out_of_memory);
  CHECK_MESSAGE(ex.error().message.find("device 1 (") != std::string::npos, ex.error().message);
}

TEST_CASE("split: a lost device stops the step with an error naming it, without hanging") {
  ContextOptions o;
  o.validation = true;
  auto other = Context::create(o);
  REQUIRE(other.ok());
  Run r = make_run(kSmall, {{&gpu(), 0}, {other->get(), 0}});
  set_batch(r, 1);
  REQUIRE_OK(r.ex->run());
  (*other)->mark_lost();  // as if VK_ERROR_DEVICE_LOST had been returned there
  const auto t0 = std::chrono::steady_clock::now();
  Status s = r.ex->run();
  REQUIRE(!s.ok());
  CHECK(s.error().code == Errc::device_lost);
  CHECK_MESSAGE(s.error().message.find("device 1 (") != std::string::npos, s.error().message);
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(30));
  // Device 0 is still usable.
  auto w = r.ex->read(r.m.graph.find("col0.conv1.weight"));
  CHECK(w.ok());
  r.ex.reset();
}

TEST_CASE("split: wiring across targets without a transfer, or one parameter on two targets, is refused") {
  Graph g;
  TensorId x = g.input("x", {2, 3});
  TensorId w = g.parameter("w", {4, 3}, Init::normal(0.1f));
  g.set_target(1);
  TensorId y = g.tensor("y", {2, 4}, Role::activation);
  struct Nop final : OpNode {
    const char* type() const override { return "nop"; }
    Status record(CommandList&, const NodeIO&) const override { return {}; }
  };
  g.add_node("a", std::make_shared<Nop>(), {x, w}, {y});
  g.set_target(0);
  TensorId z = g.tensor("z", {2, 4}, Role::output);
  g.add_node("b", std::make_shared<Nop>(), {y}, {z});
  ExecutorOptions eo;
  eo.targets = {{&gpu(), 0}, {&gpu(), 0}};
  auto ex = Executor::create(gpu(), g, eo);
  REQUIRE(!ex.ok());
  CHECK_MESSAGE(ex.error().message.find("'y'") != std::string::npos, ex.error().message);
  CHECK(ex.error().message.find("insert_transfers") != std::string::npos);
  REQUIRE_OK(insert_transfers(g));
  CHECK(g.find("y@0").valid());
  auto ok = Executor::create(gpu(), g, eo);
  CHECK_MESSAGE(ok.ok(), (ok.ok() ? "" : ok.error().what()));

  Graph h;
  TensorId a = h.input("a", {2, 3});
  TensorId p = h.parameter("p", {4, 3}, Init::zeros());
  h.add_node("n0", std::make_shared<Nop>(), {a, p}, {h.tensor("o0", {2, 4}, Role::output)});
  h.set_target(1);
  h.add_node("n1", std::make_shared<Nop>(), {a, p}, {h.tensor("o1", {2, 4}, Role::output)});
  Status s = insert_transfers(h);
  REQUIRE(!s.ok());
  CHECK_MESSAGE(s.error().message.find("parameter 'p'") != std::string::npos, s.error().message);
}

TEST_CASE("split: a ResNet placed stage by stage (place_by_prefix) on two devices equals one device") {
  // The policy "a whole stage on one device": layer3, the pooling, fc and the loss on target 1.
  auto build = [](bool placed) {
    Model m = cifar_resnet({.depth = 8, .batch = 2, .training = true});
    if (placed) {
      place_by_prefix(m.graph, {{"layer3", 1}, {"avgpool", 1}, {"fc", 1}, {"loss", 1}});
      REQUIRE_OK(insert_transfers(m.graph));
    }
    REQUIRE_OK(build_backward(m.graph));
    REQUIRE_OK(add_sgd(m.graph, SgdParams{}));
    return m;
  };
  Model a = build(false), b = build(true);
  // One activation crosses forward (layer2's output, into layer3's two branches) and its
  // gradient comes back.
  const uint64_t crossing = uint64_t(b.graph.shape(b.graph.find("layer2.0.relu")).bytes());
  CHECK(transfer_bytes(b.graph, false) == crossing);
  CHECK(transfer_bytes(b.graph, true) == 2 * crossing);
  ExecutorOptions eo;
  eo.seed = 3;
  auto one = Executor::create(gpu(), a.graph, eo);
  eo.targets = {{&gpu(), 0}, {&second_device(), 0}};
  auto two = Executor::create(gpu(), b.graph, eo);
  REQUIRE(one.ok());
  REQUIRE_MESSAGE(two.ok(), (two.ok() ? "" : two.error().what()));
  // The labels live only on device 1 (where the loss runs); the images on both.
  CHECK((*two)->buffer(b.labels).valid());
  CHECK((*two)->read(b.labels).ok());
  for (uint32_t step = 0; step < 3; ++step) {
    const auto images = random_floats(size_t(a.graph.shape(a.images).numel()), 50 + step);
    const std::vector<int32_t> labels{int32_t(step % 10), int32_t((step + 4) % 10)};
    for (auto* ex : {&*one, &*two}) {
      REQUIRE_OK((*ex)->set_input(a.images, images));
      REQUIRE_OK((*ex)->set_input(a.labels, labels));
      REQUIRE_OK((*ex)->run());
    }
    for (TensorId p : a.graph.parameters()) {
      const std::string& name = a.graph.desc(p).name;
      auto x = (*two)->read(b.graph.find(name));
      auto y = (*one)->read(p);
      REQUIRE(x.ok());
      REQUIRE(y.ok());
      check_close(*x, to_double(*y), {1e-6, 1e-4}, "step " + std::to_string(step) + ": " + name);
    }
    for (const char* state : {"layer3.0.bn1.running_mean", "bn1.running_var"}) {
      auto x = (*two)->read(b.graph.find(state));
      auto y = (*one)->read(a.graph.find(state));
      REQUIRE(x.ok());
      REQUIRE(y.ok());
      check_close(*x, to_double(*y), {1e-6, 1e-4}, state);
    }
  }
}

TEST_CASE("split: grouped convolutions split by channel groups (split_grouped_convolutions) equal the unsplit net") {
  // Two grouped convolutions (2 groups each) and a classifier; the policy runs each group on
  // its own device, with the weights as slices of the named tensors.
  struct Net {
    Graph g;
    TensorId x, labels;
  };
  auto build = [](bool split) {
    Net n;
    Graph& g = n.g;
    n.x = g.input("x", {2, 4, 7, 7});
    n.labels = g.input("labels", {2}, DType::i32);
    Conv2dParams p1;
    p1.pad_h = p1.pad_w = 1;
    p1.groups = 2;
    p1.relu = true;
    TensorId h = conv2d(g, n.x, g.parameter("conv1.weight", {6, 2, 3, 3}, Init::normal(0.3f)),
                        g.parameter("conv1.bias", {6}, Init::uniform(0.1f)), p1, "conv1");
    Conv2dParams p2 = p1;
    p2.stride_h = p2.stride_w = 2;
    h = conv2d(g, h, g.parameter("conv2.weight", {4, 3, 3, 3}, Init::normal(0.3f)),
               g.parameter("conv2.bias", {4}, Init::uniform(0.1f)), p2, "conv2");
    TensorId logits = linear(g, flatten(g, h), g.parameter("fc.weight", {5, 64}, Init::normal(0.2f)),
                             g.parameter("fc.bias", {5}, Init::zeros()), {}, "fc");
    softmax_cross_entropy(g, logits, n.labels);
    if (split) {
      REQUIRE_OK(split_grouped_convolutions(g, 2));
      REQUIRE_OK(insert_transfers(g));
    }
    REQUIRE_OK(build_backward(g));
    REQUIRE_OK(add_sgd(g, SgdParams{}));
    return n;
  };
  Net a = build(false), b = build(true);
  // conv1's part 1 runs on target 1, and the weights are slices of the named tensors.
  bool part1_on_1 = false;
  for (const Node& nd : b.g.nodes()) part1_on_1 |= nd.name == "conv1.part1" && nd.target == 1;
  CHECK(part1_on_1);
  CHECK(b.g.desc(b.g.find("conv1.weight.part1")).slice_of == b.g.find("conv1.weight"));
  // Each layer's second half of the input goes to target 1 and its output comes back:
  // conv1 2x2x7x7 and 2x3x7x7, conv2 2x3x7x7 and 2x2x4x4. Backward the same as gradients,
  // except the images' half (an input has no gradient).
  const uint64_t forward = 4u * (2 * 2 * 49 + 2 * 3 * 49 + 2 * 3 * 49 + 2 * 2 * 16);
  CHECK(transfer_bytes(b.g, false) == forward);
  CHECK(transfer_bytes(b.g, true) == 2 * forward - 4u * 2 * 2 * 49);
  ExecutorOptions eo;
  eo.seed = 9;
  auto one = Executor::create(gpu(), a.g, eo);
  eo.targets = {{&gpu(), 0}, {&second_device(), 0}};
  auto two = Executor::create(gpu(), b.g, eo);
  REQUIRE(one.ok());
  REQUIRE_MESSAGE(two.ok(), (two.ok() ? "" : two.error().what()));
  const std::vector<std::string> names = {"conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias",
                                          "fc.weight",    "conv1.weight.momentum", "conv2.bias.momentum"};
  auto compare = [&](const std::string& what, Tolerance tol) {
    for (const auto& name : names) {
      auto x = (*two)->read(b.g.find(name));
      auto y = (*one)->read(a.g.find(name));
      REQUIRE_MESSAGE(x.ok(), name);
      REQUIRE_MESSAGE(y.ok(), name);
      check_close(*x, to_double(*y), tol, what + ": " + name);
    }
  };
  compare("initial values", {0, 0});  // the slices start from their whole tensor's values
  for (uint32_t step = 0; step < 3; ++step) {
    const auto images = random_floats(2 * 4 * 7 * 7, 70 + step);
    const std::vector<int32_t> labels{int32_t(step % 5), int32_t((step + 2) % 5)};
    REQUIRE_OK((*one)->set_input(a.x, images));
    REQUIRE_OK((*one)->set_input(a.labels, labels));
    REQUIRE_OK((*two)->set_input(b.x, images));
    REQUIRE_OK((*two)->set_input(b.labels, labels));
    REQUIRE_OK((*one)->run());
    REQUIRE_OK((*two)->run());
    auto la = (*one)->read_scalar(a.g.loss), lb = (*two)->read_scalar(b.g.loss);
    REQUIRE(la.ok());
    REQUIRE(lb.ok());
    CHECK(std::fabs(*la - *lb) <= 1e-5f * std::max(1.0f, std::fabs(*la)));
    compare("step " + std::to_string(step), {1e-6, 1e-4});
  }
  // Checkpoints name the whole tensors: the split run's loads into the unsplit one.
  const auto path = std::filesystem::temp_directory_path() / "vknn-grouped-split.safetensors";
  REQUIRE_OK((*two)->save_checkpoint(path));
  auto fresh = Executor::create(gpu(), a.g, ExecutorOptions{});
  REQUIRE(fresh.ok());
  REQUIRE_OK((*fresh)->load_checkpoint(path));
  for (const auto& name : names) {
    auto x = (*fresh)->read(a.g.find(name));
    auto y = (*two)->read(b.g.find(name));
    REQUIRE(x.ok());
    REQUIRE(y.ok());
    check_close(*x, to_double(*y), {0, 0}, "checkpoint: " + name);
  }
  std::filesystem::remove(path);
}
