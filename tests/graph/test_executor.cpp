// The executor end to end: gradients against finite differences of its own loss,
// training to low loss, replay determinism, checkpoints, timing and the memory plan.
#include "gpu.h"
#include "nets.h"

#include <filesystem>
#include <fstream>

using namespace vknn;
using namespace vknn::test;

namespace {

std::unique_ptr<Executor> make_executor(const Graph& g, uint64_t seed = 1, bool timing = false) {
  ExecutorOptions opt;
  opt.seed = seed;
  opt.timing = timing;
  auto ex = Executor::create(gpu(), g, opt);
  if (!ex.ok()) FAIL(ex.error().what());
  return std::move(ex).value();
}

void feed(Executor& ex, const Net& m, uint32_t seed) {
  const Shape& xs = ex.graph().shape(m.x);
  REQUIRE_OK(ex.set_input(m.x, std::span<const float>(random_floats(size_t(xs.numel()), seed))));
  std::vector<int32_t> labels(static_cast<size_t>(xs[0]));
  const Graph& g = ex.graph();
  const int64_t classes = g.shape(g.nodes()[size_t(g.desc(g.loss).producer)].inputs[0])[1];  // logits (N,K)
  for (size_t i = 0; i < labels.size(); ++i) labels[i] = int32_t((i * 7 + seed) % uint32_t(classes));
  REQUIRE_OK(ex.set_input(m.labels, std::span<const int32_t>(labels)));
}

float loss_of(Executor& ex) {
  REQUIRE_OK(ex.run());
  auto l = ex.read_scalar(ex.graph().loss);
  REQUIRE_OK(l);
  return *l;
}

// Every parameter's gradient from the executor against central differences of the
// executor's own (fp32) loss.
void check_gradients(Net m) {
  REQUIRE_OK(build_backward(m.g));
  auto ex = make_executor(m.g);
  feed(*ex, m, 3);
  const float base = loss_of(*ex);
  CHECK(std::isfinite(base));
  std::vector<std::pair<TensorId, std::vector<float>>> grads;
  for (TensorId p : m.g.parameters()) {
    auto gv = ex->read(m.g.desc(p).grad);
    REQUIRE_OK(gv);
    grads.emplace_back(p, *gv);
  }
  const float h = 2e-3f;
  int checked = 0, kinks = 0;
  for (auto& grad : grads) {
    const TensorId p = grad.first;  // INFO is a lambda: no structured binding before clang 16
    const std::vector<float>& analytic = grad.second;
    auto w = ex->read(p);
    REQUIRE_OK(w);
    std::vector<float> values = *w;
    // At most 12 elements per tensor keeps this fast; spread them over the tensor.
    const size_t stride = std::max<size_t>(1, values.size() / 12);
    for (size_t i = 0; i < values.size(); i += stride) {
      const float keep = values[i];
      values[i] = keep + h;
      REQUIRE_OK(ex->write(p, values));
      const double up = loss_of(*ex);
      values[i] = keep - h;
      REQUIRE_OK(ex->write(p, values));
      const double down = loss_of(*ex);
      values[i] = keep;
      REQUIRE_OK(ex->write(p, values));
      const double numeric = (up - down) / (2.0 * h);
      // A ReLU or max-pool switch inside [w - h, w + h] (a kink) makes central differences
      // meaningless there: the two one-sided slopes disagree. Skip such points (Caffe's
      // GradientChecker does the same), and require that they are rare.
      const double right = (up - base) / h, left = (base - down) / h;
      ++checked;
      if (std::abs(right - left) > 0.05 * std::max(std::abs(right), std::abs(left)) + 1e-3) {
        ++kinks;
        continue;
      }
      INFO(m.g.desc(p).name << "[" << i << "]: analytic " << analytic[i] << ", numeric " << numeric << " (one-sided " << left << ", " << right << ")");
      CHECK(std::abs(analytic[i] - numeric) <= 3e-3 + 3e-2 * std::abs(numeric));
    }
  }
  MESSAGE(kinks << " of " << checked << " points skipped as kinks");
  CHECK(kinks * 10 <= checked);
}

}  // namespace

TEST_CASE("graph: MLP gradients equal finite differences of the executor's loss") { check_gradients(mlp()); }

TEST_CASE("graph: conv-BN-ReLU-pool net with a residual block: gradients equal finite differences") {
  check_gradients(residual_cnn());
}

TEST_CASE("graph: option-A shortcut (channel_pad) and a label-smoothed loss: gradients equal finite differences") {
  check_gradients(option_a_cnn());
}

TEST_CASE("graph: LRN-dropout net: gradients equal finite differences (the mask is fixed within a step)") {
  check_gradients(lrn_dropout_net());
}

TEST_CASE("graph: a small CNN learns a separable problem to near-zero loss") {
  // 4 classes of 1x8x8 images: a bright horizontal bar in row 2*class, plus noise.
  Net m;
  Graph& g = m.g;
  const int64_t n = 16;
  m.x = g.input("x", {n, 1, 8, 8});
  m.labels = g.input("labels", {n}, DType::i32);
  Conv2dParams pad1;
  pad1.pad_h = pad1.pad_w = 1;
  pad1.relu = true;
  TensorId c = conv2d(g, m.x, conv_param(g, "conv", 8, 1, 3), g.parameter("conv.bias", {8}, Init::zeros()), pad1, "conv");
  TensorId p = maxpool(g, c, Pool2dParams{2, 2, 2, 2, 0, 0}, "pool");
  TensorId logits = linear(g, flatten(g, p), g.parameter("fc.weight", {4, 128}, Init::normal(0.05f)),
                           g.parameter("fc.bias", {4}, Init::zeros()), {}, "fc");
  softmax_cross_entropy(g, logits, m.labels);
  REQUIRE_OK(build_backward(g));
  SgdParams sgd;
  sgd.rule = SgdRule::sgd_pytorch;
  sgd.momentum = 0.9f;
  sgd.weight_decay = 0.0f;
  REQUIRE_OK(add_sgd(g, sgd));
  auto ex = make_executor(g);
  ex->set_learning_rate(0.05f);
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> noise(-0.3f, 0.3f);
  float first = 0, last = 0;
  for (int step = 0; step < 300; ++step) {
    std::vector<float> x(static_cast<size_t>(n * 64));
    std::vector<int32_t> labels(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) {
      labels[size_t(i)] = int32_t(rng() % 4);
      for (int64_t j = 0; j < 64; ++j)
        x[size_t(i * 64 + j)] = noise(rng) + ((j / 8) == 2 * labels[size_t(i)] ? 1.0f : 0.0f);
    }
    REQUIRE_OK(ex->set_input(m.x, std::span<const float>(x)));
    REQUIRE_OK(ex->set_input(m.labels, std::span<const int32_t>(labels)));
    const float l = loss_of(*ex);
    if (step == 0) first = l;
    last = l;
  }
  MESSAGE("loss " << first << " -> " << last << " after 300 steps");
  CHECK(first > 1.0f);
  CHECK(last < 0.05f);
  CHECK(ex->step() == 300);
}

namespace {

Net trained_net() {
  Net m = residual_cnn(4);
  REQUIRE_OK(build_backward(m.g));
  SgdParams sgd;  // the paper's rule
  REQUIRE_OK(add_sgd(m.g, sgd));
  return m;
}

std::vector<std::vector<float>> all_parameters(Executor& ex) {
  std::vector<std::vector<float>> out;
  for (TensorId p : ex.graph().parameters()) {
    auto v = ex.read(p);
    REQUIRE_OK(v);
    out.push_back(*v);
  }
  return out;
}

}  // namespace

TEST_CASE("graph: replaying the recorded step is bit-identical to recording afresh") {
  Net m = trained_net();
  auto a = make_executor(m.g, 9);
  for (uint32_t s = 0; s < 4; ++s) {
    feed(*a, m, s);
    REQUIRE_OK(a->run());
  }
  auto b = make_executor(m.g, 9);  // a fresh recording, same seed
  for (uint32_t s = 0; s < 4; ++s) {
    feed(*b, m, s);
    REQUIRE_OK(b->run());
  }
  CHECK(all_parameters(*a) == all_parameters(*b));
}

TEST_CASE("graph: save, load and continue is bit-identical to an uninterrupted run") {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / fmt::format("vknn-ckpt-{}", ::getpid());
  fs::create_directories(dir);
  const fs::path ckpt = dir / "step3.safetensors";
  Net m = trained_net();
  auto a = make_executor(m.g, 11);
  for (uint32_t s = 0; s < 3; ++s) {
    feed(*a, m, s);
    REQUIRE_OK(a->run());
  }
  REQUIRE_OK(a->save_checkpoint(ckpt));
  for (uint32_t s = 3; s < 6; ++s) {
    feed(*a, m, s);
    REQUIRE_OK(a->run());
  }
  auto b = make_executor(m.g, 999);  // different seed: the checkpoint must restore it
  REQUIRE_OK(b->load_checkpoint(ckpt));
  CHECK(b->step() == 3);
  CHECK(b->seed() == 11);
  for (uint32_t s = 3; s < 6; ++s) {
    feed(*b, m, s);
    REQUIRE_OK(b->run());
  }
  CHECK(all_parameters(*a) == all_parameters(*b));
  auto bn_a = a->read(m.g.find("bn1.running_mean")), bn_b = b->read(m.g.find("bn1.running_mean"));
  REQUIRE_OK(bn_a);
  REQUIRE_OK(bn_b);
  CHECK(*bn_a == *bn_b);

  SUBCASE("a checkpoint of another model is refused, naming the tensor") {
    Net other = mlp();
    REQUIRE_OK(build_backward(other.g));
    auto c = make_executor(other.g);
    auto s = c->load_checkpoint(ckpt);
    REQUIRE(!s.ok());
    CHECK(s.error().message.find("fc1.weight") != std::string::npos);
  }
  SUBCASE("a truncated checkpoint is an error, not a crash") {
    const auto size = fs::file_size(ckpt);
    fs::resize_file(ckpt, size / 2);
    auto s = b->load_checkpoint(ckpt);
    REQUIRE(!s.ok());
    CHECK(s.error().message.find(ckpt.string()) != std::string::npos);
  }
  fs::remove_all(dir);
}

TEST_CASE("graph: per-node timing covers every node and phase") {
  Net m = trained_net();
  auto ex = make_executor(m.g, 1, /*timing=*/true);
  feed(*ex, m, 0);
  REQUIRE_OK(ex->run());
  auto t = ex->timings();
  REQUIRE_OK(t);
  REQUIRE(t->size() == m.g.nodes().size());
  bool phases[3] = {};
  for (const auto& n : *t) {
    CHECK(n.ms >= 0);
    phases[int(n.phase)] = true;
  }
  CHECK(phases[0]);
  CHECK(phases[1]);
  CHECK(phases[2]);
}

TEST_CASE("graph: inference mode uses running statistics and leaves parameters alone") {
  Net m = trained_net();
  auto ex = make_executor(m.g);
  feed(*ex, m, 0);
  const auto before = all_parameters(*ex);
  REQUIRE_OK(ex->infer());
  CHECK(all_parameters(*ex) == before);
  CHECK(ex->step() == 0);
  auto l = ex->read_scalar(m.g.loss);
  REQUIRE_OK(l);
  CHECK(std::isfinite(*l));
}

TEST_CASE("graph: the memory plan of a ResNet-style training graph is far below the naive sum") {
  // A CIFAR ResNet-14-like graph (three stages of two basic blocks, projection shortcuts),
  // batch 16: the plan must reuse activation memory heavily.
  Graph g;
  const int64_t n = 16;
  TensorId x = g.input("x", {n, 3, 32, 32});
  TensorId labels = g.input("labels", {n}, DType::i32);
  Conv2dParams pad1;
  pad1.pad_h = pad1.pad_w = 1;
  TensorId h = relu(g, batchnorm(g, conv2d(g, x, conv_param(g, "conv1", 16, 3, 3), {}, pad1, "conv1"), "bn1"));
  int64_t channels = 16;
  for (int stage = 0; stage < 3; ++stage) {
    for (int block = 0; block < 2; ++block) {
      const std::string b = fmt::format("layer{}.{}", stage + 1, block);
      const int64_t out = 16 << stage;
      Conv2dParams first = pad1;
      first.stride_h = first.stride_w = (stage > 0 && block == 0) ? 2 : 1;
      TensorId r = relu(g, batchnorm(g, conv2d(g, h, conv_param(g, b + ".conv1", out, channels, 3), {}, first, b + ".conv1"),
                                     b + ".bn1"));
      r = batchnorm(g, conv2d(g, r, conv_param(g, b + ".conv2", out, out, 3), {}, pad1, b + ".conv2"), b + ".bn2");
      TensorId shortcut = h;
      if (out != channels) {
        Conv2dParams proj;
        proj.stride_h = proj.stride_w = 2;
        shortcut = batchnorm(g, conv2d(g, h, conv_param(g, b + ".downsample.0", out, channels, 1), {}, proj,
                                       b + ".downsample.0"),
                             b + ".downsample.1");
      }
      h = relu(g, add(g, r, shortcut, b + ".add"));
      channels = out;
    }
  }
  TensorId logits = linear(g, global_avgpool(g, h), g.parameter("fc.weight", {10, 64}, Init::normal(0.1f)),
                           g.parameter("fc.bias", {10}, Init::zeros()), {}, "fc");
  softmax_cross_entropy(g, logits, labels);
  REQUIRE_OK(build_backward(g));
  REQUIRE_OK(add_sgd(g, SgdParams{}));
  auto ex = make_executor(g);
  const MemoryPlan& plan = ex->plan();
  MESSAGE("training graph, " << g.nodes().size() << " nodes: " << plan.summary() << "; persistent "
                             << ex->persistent_bytes() / 1024 << " KiB");
  CHECK(plan.peak_bytes < plan.naive_bytes / 2);
  CHECK(plan.peak_bytes >= plan.live_lower_bound);
  // And it runs.
  std::vector<float> xs = random_floats(size_t(n) * 3 * 32 * 32, 1);
  std::vector<int32_t> ls(static_cast<size_t>(n));
  for (size_t i = 0; i < ls.size(); ++i) ls[i] = int32_t(i % 10);
  REQUIRE_OK(ex->set_input(x, std::span<const float>(xs)));
  REQUIRE_OK(ex->set_input(labels, std::span<const int32_t>(ls)));
  REQUIRE_OK(ex->run());
  auto l = ex->read_scalar(g.loss);
  REQUIRE_OK(l);
  CHECK(std::isfinite(*l));
}
