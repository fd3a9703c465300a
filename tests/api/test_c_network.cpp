// Networks defined in code through the C API (vknn_network_*): c_network.c (C11) trains and
// resumes one; the same network made through vknn.h and through api::Network trains and runs
// bit-identically (so every argument reaches the builder where it belongs); every misuse is a
// status and a message naming the layer and the argument.
#include "helpers.h"

#include "vknn/network.hpp"

#include <cmath>
#include <cstring>
#include <limits>

using namespace apitest;
namespace api = vknn::api;

extern "C" int vknn_c_network(const vknn_host_device* host, const char* data, const char* run_whole,
                              const char* run_cut, char* why, size_t why_size);

namespace {

// The C network: each call must succeed.
struct CNet {
  vknn_network net = nullptr;
  CNet(int64_t c, int64_t h, int64_t w) { REQUIRE(vknn_network_create(c, h, w, &net) == VKNN_SUCCESS); }
  ~CNet() { vknn_network_destroy(net); }
  CNet(const CNet&) = delete;
  CNet& operator=(const CNet&) = delete;

  static vknn_tensor ok(vknn_status st, vknn_tensor t) {
    INFO(vknn_last_error());
    REQUIRE(st == VKNN_SUCCESS);
    return t;
  }
  vknn_tensor input() {
    vknn_tensor t{};
    return ok(vknn_network_input(net, &t), t);
  }
  vknn_tensor conv(vknn_tensor x, const char* name, vknn_conv2d_params p) {
    vknn_tensor t{};
    return ok(vknn_network_conv2d(net, x, name, &p, &t), t);
  }
  vknn_tensor bn(vknn_tensor x, const char* name) {
    vknn_tensor t{};
    return ok(vknn_network_batchnorm(net, x, name, &t), t);
  }
  vknn_tensor relu(vknn_tensor x) {
    vknn_tensor t{};
    return ok(vknn_network_relu(net, x, &t), t);
  }
  vknn_tensor maxpool(vknn_tensor x, vknn_pool_params p) {
    vknn_tensor t{};
    return ok(vknn_network_maxpool(net, x, &p, &t), t);
  }
  vknn_tensor avgpool(vknn_tensor x, vknn_pool_params p) {
    vknn_tensor t{};
    return ok(vknn_network_avgpool(net, x, &p, &t), t);
  }
  vknn_tensor gap(vknn_tensor x) {
    vknn_tensor t{};
    return ok(vknn_network_global_avgpool(net, x, &t), t);
  }
  vknn_tensor add(vknn_tensor a, vknn_tensor b) {
    vknn_tensor t{};
    return ok(vknn_network_add(net, a, b, &t), t);
  }
  vknn_tensor concat(std::vector<vknn_tensor> xs) {
    vknn_tensor t{};
    return ok(vknn_network_concat(net, xs.data(), xs.size(), &t), t);
  }
  vknn_tensor dropout(vknn_tensor x, float rate) {
    vknn_tensor t{};
    return ok(vknn_network_dropout(net, x, rate, &t), t);
  }
  vknn_tensor flatten(vknn_tensor x) {
    vknn_tensor t{};
    return ok(vknn_network_flatten(net, x, &t), t);
  }
  vknn_tensor linear(vknn_tensor x, const char* name, int64_t out, bool bias) {
    vknn_tensor t{};
    return ok(vknn_network_linear(net, x, name, out, bias ? 1 : 0, &t), t);
  }
  vknn_tensor act(vknn_tensor x, vknn_activation kind, float alpha = 0, float beta = 0) {
    vknn_tensor t{};
    return ok(vknn_network_activation(net, x, kind, alpha, beta, &t), t);
  }
  vknn_tensor mul(vknn_tensor a, vknn_tensor b) {
    vknn_tensor t{};
    return ok(vknn_network_mul(net, a, b, &t), t);
  }
  vknn_tensor softmax(vknn_tensor x, int32_t axis, bool log) {
    vknn_tensor t{};
    return ok(log ? vknn_network_log_softmax(net, x, axis, &t) : vknn_network_softmax(net, x, axis, &t), t);
  }
  vknn_tensor matmul(vknn_tensor a, vknn_tensor b, const vknn_tensor* c, vknn_matmul_params p) {
    vknn_tensor t{};
    return ok(vknn_network_matmul(net, a, b, c, &p, &t), t);
  }
  void output(vknn_tensor x) { ok(vknn_network_output(net, x), x); }
};

// Every layer kind, with arguments that differ from their neighbours' and from the C++
// defaults (a swapped field changes the network): 1x28x28 -> 10 classes.
void define_rich(CNet& c) {
  vknn_tensor h = c.relu(c.bn(c.conv(c.input(), "conv1", {8, 3, 1, 1, 1, 0}), "bn1"));
  const vknn_tensor r = c.conv(h, "conv2", {8, 3, 1, 1, 8, 1});  // depthwise
  h = c.relu(c.add(h, r));
  h = c.concat({c.maxpool(h, {3, 2, 1}), c.avgpool(h, {3, 2, 1})});  // (N,16,14,14)
  h = c.relu(c.bn(c.conv(c.dropout(h, 0.25f), "conv3", {16, 1, 1, 0, 2, 1}), "bn2"));
  h = c.relu(c.linear(c.flatten(c.maxpool(h, {2, 2, 0})), "fc1", 32, false));
  c.output(c.linear(h, "fc", 10, true));
}

api::Network rich() {
  api::Network n(1, 28, 28);
  api::Network::Value h = n.relu(n.batchnorm(n.conv2d(n.input(), "conv1", {8, 3, 1, 1, 1, false}), "bn1"));
  const api::Network::Value r = n.conv2d(h, "conv2", {8, 3, 1, 1, 8, true});
  h = n.relu(n.add(h, r));
  h = n.concat({n.maxpool(h, {3, 2, 1}), n.avgpool(h, {3, 2, 1})});
  h = n.relu(n.batchnorm(n.conv2d(n.dropout(h, 0.25f), "conv3", {16, 1, 1, 0, 2, true}), "bn2"));
  h = n.relu(n.linear(n.flatten(n.maxpool(h, {2, 2, 0})), "fc1", 32, false));
  n.output(n.linear(h, "fc", 10, true));
  return n;
}

// 2 epochs of 2 steps (64 images, batch 32) with torch.optim.SGD's rule.
vknn_trainer_spec c_spec(const std::string& data, const std::string& out) {
  vknn_trainer_spec s;
  vknn_trainer_spec_defaults(&s);
  s.data = data.c_str(), s.out = out.c_str();
  s.epochs = 2, s.batch = 32, s.limit = 64, s.val_limit = 32, s.seed = 9;
  s.lr = 0.05, s.rule = "pytorch", s.force = 1;
  return s;
}

api::TrainerSpec cpp_spec(const std::string& data, const std::string& out) {
  api::TrainerSpec s;
  s.data = data, s.out = out;
  s.epochs = 2, s.batch = 32, s.limit = 64, s.val_limit = 32, s.seed = 9;
  s.lr = 0.05, s.rule = "pytorch", s.force = true;
  return s;
}

// One device lent to both APIs: a C context and a C++ one, both ended with the test.
struct BothApis {
  host::Device dev;
  vknn_host_device h = lend_c(dev);
  vknn_context c = nullptr;
  api::Context cpp = api::Context::borrow(lend(dev));
  BothApis() { REQUIRE(vknn_context_borrow(&h, &c) == VKNN_SUCCESS); }
  ~BothApis() { vknn_context_destroy(c); }
  BothApis(const BothApis&) = delete;
  BothApis& operator=(const BothApis&) = delete;
};

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

}  // namespace

TEST_CASE("C11: c_network.c defines a network, trains it, checkpoints and resumes it through vknn.h") {
  if (train_data().empty()) {
    MESSAGE("no fixture data (cli: train fixture data): skipped");
    return;
  }
  host::Device dev;
  const vknn_host_device h = lend_c(dev);
  const auto whole = temp_path("c-network-whole"), cut = temp_path("c-network-cut");
  char why[1024] = "";
  CHECK_MESSAGE(
      vknn_c_network(&h, train_data().c_str(), whole.string().c_str(), cut.string().c_str(), why, sizeof why) == 0,
      why);
  std::filesystem::remove_all(whole);
  std::filesystem::remove_all(cut);
}

TEST_CASE("C network: the same network through vknn.h and api::Network trains bit-identically") {
  if (train_data().empty()) {
    MESSAGE("no fixture data (cli: train fixture data): skipped");
    return;
  }
  BothApis both;
  vknn_context cctx = both.c;
  api::Context& ctx = both.cpp;
  const auto c_run = temp_path("c-network-same-c"), cpp_run = temp_path("c-network-same-cpp");
  const std::string data = train_data(), c_out = c_run.string();
  CNet c(1, 28, 28);
  define_rich(c);
  const vknn_trainer_spec cs = c_spec(data, c_out);
  vknn_trainer ct = nullptr;
  REQUIRE_MESSAGE(vknn_trainer_create_from_network(cctx, c.net, &cs, &ct) == VKNN_SUCCESS, vknn_last_error());
  api::Trainer t = api::Trainer::create(ctx, rich(), cpp_spec(data, cpp_run.string()));
  for (int k = 0; k < 4; ++k) {
    vknn_train_step a{};
    REQUIRE_MESSAGE(vknn_trainer_step(ct, &a) == VKNN_SUCCESS, vknn_last_error());
    const api::TrainStep b = t.step();
    INFO("step " << k << ": loss " << a.loss << " (C++ " << b.loss << ")");
    CHECK(std::isfinite(a.loss));
    CHECK(std::memcmp(&a.loss, &b.loss, sizeof a.loss) == 0);
    CHECK(a.top1 == b.top1);
    CHECK(a.lr == b.lr);
    CHECK((a.epoch_done != 0) == b.epoch_done);
    if (b.epoch_done) {
      vknn_evaluation ea{};
      REQUIRE(vknn_trainer_end_epoch(ct, &ea) == VKNN_SUCCESS);
      const api::Evaluation eb = t.end_epoch();
      CHECK(ea.loss == eb.loss);
      CHECK(ea.top1 == eb.top1);
    }
  }
  REQUIRE(t.finished());
  const auto c_final = c_run / "final.safetensors", cpp_final = cpp_run / "final.safetensors";
  REQUIRE(vknn_trainer_save_weights(ct, c_final.string().c_str()) == VKNN_SUCCESS);
  t.save_weights(cpp_final.string());
  const auto wa = read_safetensors(c_final), wb = read_safetensors(cpp_final);
  CHECK(wa.size() == 16);  // 7 layers: weights, biases (not conv1's and fc1's), batch norm statistics
  REQUIRE(wa.size() == wb.size());
  for (const auto& [name, v] : wb) {
    INFO(name);
    REQUIRE(wa.count(name) == 1);
    CHECK(same_bits(wa.at(name), v));
  }
  // The runs name the same network: each resumes with the other API's.
  vknn_trainer_destroy(ct);
  t = {};
  api::Trainer other = api::Trainer::resume(ctx, rich(), c_out);
  CHECK(other.finished());
  CHECK(other.step_count() == 4);
  other = {};
  ct = nullptr;
  CHECK(vknn_trainer_resume_from_network(cctx, c.net, cpp_run.string().c_str(), &ct) == VKNN_SUCCESS);
  vknn_trainer_destroy(ct);
  std::filesystem::remove_all(c_run);
  std::filesystem::remove_all(cpp_run);
}

TEST_CASE("C network: a session of the same network through vknn.h and api::Network gives the same logits") {
  BothApis both;
  vknn_context cctx = both.c;
  api::Context& ctx = both.cpp;
  CNet c(3, 12, 12);  // grouped conv, batch norm, average pool with padding, concat, global average pool
  vknn_tensor x = c.relu(c.bn(c.conv(c.input(), "conv", {6, 3, 1, 1, 3, 1}), "bn"));
  x = c.concat({x, c.avgpool(x, {3, 1, 1})});
  c.output(c.linear(c.gap(x), "fc", 5, true));
  api::Network n(3, 12, 12);
  api::Network::Value y = n.relu(n.batchnorm(n.conv2d(n.input(), "conv", {6, 3, 1, 1, 3, true}), "bn"));
  y = n.concat({y, n.avgpool(y, {3, 1, 1})});
  n.output(n.linear(n.global_avgpool(y), "fc", 5, true));

  const std::vector<float> in = inputs(2 * 3 * 12 * 12, 4);
  auto run_c = [&](uint64_t seed) {
    vknn_session s = nullptr;
    REQUIRE_MESSAGE(vknn_session_create_from_network(cctx, c.net, nullptr, 2, seed, &s) == VKNN_SUCCESS,
                    vknn_last_error());
    int64_t dims[2] = {};
    REQUIRE(vknn_session_output_shape(s, dims) == VKNN_SUCCESS);
    CHECK((dims[0] == 2 && dims[1] == 5));
    std::vector<float> out(10);
    REQUIRE(vknn_session_run(s, in.data(), in.size(), out.data(), out.size()) == VKNN_SUCCESS);
    vknn_session_destroy(s);
    return out;
  };
  api::Session s = api::Session::create(ctx, n, "", 2, /*seed=*/11);
  std::vector<float> want(s.output_count());
  s.run(in.data(), in.size(), want.data(), want.size());
  const std::vector<float> got = run_c(11);
  for (float v : got) CHECK(std::isfinite(v));
  CHECK(same_bits(got, want));
  CHECK(!same_bits(run_c(12), want));  // the seed reaches the weights
  s = {};
}

TEST_CASE("C network: activations and a squeeze-excitation mul through vknn.h give api::Network's logits") {
  BothApis both;
  vknn_context cctx = both.c;
  api::Context& ctx = both.cpp;
  // Every kind once, each with arguments of its own, so that a swapped kind or bound shows.
  CNet c(3, 8, 8);
  vknn_tensor x = c.act(c.conv(c.input(), "conv", {8, 3, 1, 1, 1, 1}), VKNN_ACTIVATION_HARDSWISH);
  const vknn_tensor se = c.relu(c.linear(c.gap(x), "se1", 4, true));
  x = c.mul(x, c.act(c.linear(se, "se2", 8, true), VKNN_ACTIVATION_HARDSIGMOID));
  x = c.act(c.act(x, VKNN_ACTIVATION_LEAKY_RELU, 0.2f), VKNN_ACTIVATION_CLIP, -0.05f, 0.3f);
  x = c.act(c.act(c.act(x, VKNN_ACTIVATION_SILU), VKNN_ACTIVATION_TANH), VKNN_ACTIVATION_SIGMOID);
  c.output(c.linear(c.gap(x), "fc", 5, true));
  api::Network n(3, 8, 8);
  api::Network::Value y = n.hardswish(n.conv2d(n.input(), "conv", {8, 3, 1, 1, 1, true}));
  const api::Network::Value nse = n.relu(n.linear(n.global_avgpool(y), "se1", 4, true));
  y = n.mul(y, n.hardsigmoid(n.linear(nse, "se2", 8, true)));
  y = n.clip(n.leaky_relu(y, 0.2f), -0.05f, 0.3f);
  y = n.sigmoid(n.tanh(n.silu(y)));
  n.output(n.linear(n.global_avgpool(y), "fc", 5, true));

  const std::vector<float> in = inputs(2 * 3 * 8 * 8, 6);
  vknn_session cs = nullptr;
  REQUIRE_MESSAGE(vknn_session_create_from_network(cctx, c.net, nullptr, 2, 4, &cs) == VKNN_SUCCESS, vknn_last_error());
  std::vector<float> got(10), want(10);
  REQUIRE(vknn_session_run(cs, in.data(), in.size(), got.data(), got.size()) == VKNN_SUCCESS);
  vknn_session_destroy(cs);
  api::Session s = api::Session::create(ctx, n, "", 2, /*seed=*/4);
  s.run(in.data(), in.size(), want.data(), want.size());
  for (float v : got) CHECK(std::isfinite(v));
  CHECK(same_bits(got, want));
  s = {};

  // Kinds and parameters are checked at the call.
  vknn_tensor t{};
  const vknn_tensor in0 = c.input();
  CNet d(3, 8, 8);
  const vknn_tensor d0 = d.input();
  check_status(vknn_network_activation(d.net, d0, 7, 0, 0, &t), VKNN_ERROR_INVALID_ARGUMENT,
               {"vknn_network_activation", "layer 1 (activation)", "kind 7"});
  check_status(vknn_network_activation(d.net, d0, -1, 0, 0, &t), VKNN_ERROR_INVALID_ARGUMENT, {"kind -1"});
  check_status(vknn_network_activation(d.net, d0, VKNN_ACTIVATION_LEAKY_RELU, NAN, 0, &t), VKNN_ERROR_INVALID_ARGUMENT,
               {"layer 1 (activation)", "leaky_relu alpha nan and beta 0 must be finite"});
  check_status(vknn_network_activation(d.net, d0, VKNN_ACTIVATION_CLIP, 2, 1, &t), VKNN_ERROR_INVALID_ARGUMENT,
               {"layer 1 (activation)", "clip bounds [2, 1] are not an interval"});
  check_status(vknn_network_mul(d.net, d0, in0, &t), VKNN_ERROR_INVALID_ARGUMENT,
               {"layer 1 (mul)", "b is a tensor of another network"});
  CHECK(d.act(d0, VKNN_ACTIVATION_CLIP, -INFINITY, 6).index == 1);  // an open end is fine
}

TEST_CASE("C network: misuse of the builder is refused, naming the layer and the argument") {
  vknn_network_destroy(nullptr);
  vknn_network n = reinterpret_cast<vknn_network>(&n);  // must be overwritten with NULL on failure
  check_status(vknn_network_create(0, 28, 28, &n), VKNN_ERROR_INVALID_ARGUMENT,
               {"vknn_network_create", "channels is 0"});
  CHECK(n == nullptr);
  check_status(vknn_network_create(1, -28, 28, &n), VKNN_ERROR_INVALID_ARGUMENT, {"height is -28"});
  check_status(vknn_network_create(1, 28, int64_t(1) << 40, &n), VKNN_ERROR_INVALID_ARGUMENT, {"width"});
  check_status(vknn_network_create(1, 28, 28, nullptr), VKNN_ERROR_INVALID_ARGUMENT, {"out is NULL"});
  REQUIRE(vknn_network_create(1, 28, 28, &n) == VKNN_SUCCESS);
  vknn_network other = nullptr;
  REQUIRE(vknn_network_create(1, 28, 28, &other) == VKNN_SUCCESS);
  vknn_tensor x{}, y{}, foreign{};
  REQUIRE(vknn_network_input(n, &x) == VKNN_SUCCESS);
  REQUIRE(vknn_network_input(other, &foreign) == VKNN_SUCCESS);
  CHECK(x.network != foreign.network);

  // Handles, out-pointers and tensors. A refusal leaves *out the zero tensor.
  y = x;
  check_status(vknn_network_relu(nullptr, x, &y), VKNN_ERROR_INVALID_ARGUMENT,
               {"vknn_network_relu", "network is NULL"});
  CHECK((y.network == 0 && y.index == 0));
  check_status(vknn_network_input(nullptr, &y), VKNN_ERROR_INVALID_ARGUMENT, {"network is NULL"});
  check_status(vknn_network_input(n, nullptr), VKNN_ERROR_INVALID_ARGUMENT, {"out is NULL"});
  check_status(vknn_network_relu(n, x, nullptr), VKNN_ERROR_INVALID_ARGUMENT, {"out is NULL"});
  check_status(vknn_network_relu(n, vknn_tensor{}, &y), VKNN_ERROR_INVALID_ARGUMENT,
               {"layer 1 (relu)", "x is no tensor"});
  check_status(vknn_network_relu(n, foreign, &y), VKNN_ERROR_INVALID_ARGUMENT, {"layer 1 (relu)", "another network"});
  check_status(vknn_network_relu(n, vknn_tensor{x.network, 5}, &y), VKNN_ERROR_INVALID_ARGUMENT,
               {"x is tensor 5", "tensors are 0..0"});
  check_status(vknn_network_relu(n, vknn_tensor{x.network, -1}, &y), VKNN_ERROR_INVALID_ARGUMENT, {"x is tensor -1"});
  check_status(vknn_network_add(n, x, foreign, &y), VKNN_ERROR_INVALID_ARGUMENT,
               {"layer 1 (add)", "b is a tensor of another network"});
  const vknn_tensor two[2] = {x, vknn_tensor{}};
  check_status(vknn_network_concat(n, two, 2, &y), VKNN_ERROR_INVALID_ARGUMENT,
               {"layer 1 (concat)", "xs[1] is no tensor"});
  check_status(vknn_network_concat(n, nullptr, 2, &y), VKNN_ERROR_INVALID_ARGUMENT, {"xs is NULL"});
  check_status(vknn_network_concat(n, two, 0, &y), VKNN_ERROR_INVALID_ARGUMENT, {"count is 0"});

  // Layer arguments.
  vknn_conv2d_params conv{8, 3, 1, 1, 1, 1};
  check_status(vknn_network_conv2d(n, x, "conv1", nullptr, &y), VKNN_ERROR_INVALID_ARGUMENT,
               {"vknn_network_conv2d", "layer 1 (conv2d \"conv1\")", "params is NULL"});
  check_status(vknn_network_conv2d(n, x, nullptr, &conv, &y), VKNN_ERROR_INVALID_ARGUMENT,
               {"layer 1 (conv2d)", "name is NULL"});
  check_status(vknn_network_conv2d(n, x, "", &conv, &y), VKNN_ERROR_INVALID_ARGUMENT, {"name is empty"});
  check_status(vknn_network_conv2d(n, x, "conv 1", &conv, &y), VKNN_ERROR_INVALID_ARGUMENT,
               {"\"conv 1\"", "whitespace"});
  const std::pair<vknn_conv2d_params, const char*> bad_convs[] = {
      {{0, 3, 1, 1, 1, 1}, "params->out_channels is 0"}, {{8, 0, 1, 1, 1, 1}, "params->kernel is 0"},
      {{8, 3, 0, 1, 1, 1}, "params->stride is 0"},       {{8, 3, 1, -1, 1, 1}, "params->pad is -1"},
      {{8, 3, 1, 1, 0, 1}, "params->groups is 0"},       {{8, 3, 1, 1, 3, 1}, "params->groups 3 does not divide"}};
  for (const auto& [p, message] : bad_convs)
    check_status(vknn_network_conv2d(n, x, "conv1", &p, &y), VKNN_ERROR_INVALID_ARGUMENT,
                 {"layer 1 (conv2d \"conv1\")", message});
  const std::pair<vknn_pool_params, const char*> bad_pools[] = {{{0, 1, 0}, "params->kernel is 0"},
                                                                {{2, 0, 0}, "params->stride is 0"},
                                                                {{2, 2, -1}, "params->pad is -1"}};
  for (const auto& [p, message] : bad_pools) {
    check_status(vknn_network_maxpool(n, x, &p, &y), VKNN_ERROR_INVALID_ARGUMENT, {"layer 1 (maxpool)", message});
    check_status(vknn_network_avgpool(n, x, &p, &y), VKNN_ERROR_INVALID_ARGUMENT, {"layer 1 (avgpool)", message});
  }
  check_status(vknn_network_maxpool(n, x, nullptr, &y), VKNN_ERROR_INVALID_ARGUMENT, {"params is NULL"});
  for (float rate : {1.0f, -0.5f, std::numeric_limits<float>::quiet_NaN()})
    check_status(vknn_network_dropout(n, x, rate, &y), VKNN_ERROR_INVALID_ARGUMENT,
                 {"layer 1 (dropout)", "outside [0, 1)"});
  check_status(vknn_network_linear(n, x, "fc", 0, 1, &y), VKNN_ERROR_INVALID_ARGUMENT,
               {"layer 1 (linear \"fc\")", "out_features is 0"});

  // Refused calls take no layer number; a name is taken once.
  REQUIRE(vknn_network_conv2d(n, x, "conv1", &conv, &y) == VKNN_SUCCESS);
  CHECK(y.index == 1);
  check_status(vknn_network_batchnorm(n, y, "conv1", &y), VKNN_ERROR_INVALID_ARGUMENT,
               {"layer 2 (batchnorm \"conv1\")", "already layer 1's"});
  CHECK(y.index == 0);  // the zero tensor, which the next call refuses
  check_status(vknn_network_relu(n, y, &y), VKNN_ERROR_INVALID_ARGUMENT, {"layer 2 (relu)", "no tensor"});

  // The output: once, of a layer, and the last call.
  check_status(vknn_network_output(nullptr, x), VKNN_ERROR_INVALID_ARGUMENT,
               {"vknn_network_output", "network is NULL"});
  check_status(vknn_network_output(n, x), VKNN_ERROR_INVALID_ARGUMENT, {"x is the network's input"});
  check_status(vknn_network_output(n, foreign), VKNN_ERROR_INVALID_ARGUMENT, {"another network"});
  REQUIRE(vknn_network_output(n, vknn_tensor{x.network, 1}) == VKNN_SUCCESS);
  check_status(vknn_network_output(n, vknn_tensor{x.network, 1}), VKNN_ERROR_INVALID_ARGUMENT, {"already given"});
  check_status(vknn_network_relu(n, x, &y), VKNN_ERROR_INVALID_ARGUMENT, {"layer 2 (relu)", "already given"});
  vknn_network_destroy(other);
  vknn_network_destroy(n);
}

TEST_CASE("C network: sessions and trainers refuse bad handles, no output, misfit shapes and another run") {
  host::Device dev;
  const vknn_host_device h = lend_c(dev);
  vknn_context ctx = nullptr;
  REQUIRE(vknn_context_borrow(&h, &ctx) == VKNN_SUCCESS);
  CNet none(1, 28, 28);
  vknn_session s = reinterpret_cast<vknn_session>(&s);
  check_status(vknn_session_create_from_network(ctx, none.net, nullptr, 1, 1, &s), VKNN_ERROR_INVALID_ARGUMENT,
               {"vknn_session_create_from_network", "no output()"});
  CHECK(s == nullptr);
  check_status(vknn_session_create_from_network(ctx, nullptr, nullptr, 1, 1, &s), VKNN_ERROR_INVALID_ARGUMENT,
               {"network is NULL"});
  check_status(vknn_session_create_from_network(nullptr, none.net, nullptr, 1, 1, &s), VKNN_ERROR_INVALID_ARGUMENT,
               {"context is NULL"});
  check_status(vknn_session_create_from_network(ctx, none.net, nullptr, 1, 1, nullptr), VKNN_ERROR_INVALID_ARGUMENT,
               {"out is NULL"});

  // Shapes are checked when the network is built, naming the layer and the shapes.
  CNet grouped(1, 28, 28);  // groups 2 on one input channel
  grouped.output(
      grouped.linear(grouped.gap(grouped.conv(grouped.input(), "split", {4, 3, 1, 1, 2, 1})), "fc", 10, true));
  check_status(vknn_session_create_from_network(ctx, grouped.net, nullptr, 1, 1, &s), VKNN_ERROR_INVALID_ARGUMENT,
               {"split", "groups"});
  CNet misfit(1, 28, 28);  // (8,28,28) + (8,14,14)
  const vknn_tensor a = misfit.conv(misfit.input(), "a", {8, 3, 1, 1, 1, 1});
  const vknn_tensor b = misfit.conv(misfit.input(), "b", {8, 3, 2, 1, 1, 1});
  misfit.output(misfit.linear(misfit.gap(misfit.add(a, b)), "fc", 10, true));
  check_status(vknn_session_create_from_network(ctx, misfit.net, nullptr, 1, 1, &s), VKNN_ERROR_INVALID_ARGUMENT,
               {"add", "(1,8,28,28)", "(1,8,14,14)"});
  CNet five(1, 28, 28);
  five.output(five.linear(five.flatten(five.input()), "fc", 5, true));
  check_status(vknn_session_create_from_network(ctx, five.net, nullptr, 0, 1, &s), VKNN_ERROR_INVALID_ARGUMENT,
               {"batch"});
  const std::string missing = temp_path("c-network-missing.safetensors").string();
  check_status(vknn_session_create_from_network(ctx, five.net, missing.c_str(), 1, 1, &s), VKNN_ERROR_IO, {missing});

  vknn_trainer t = reinterpret_cast<vknn_trainer>(&t);
  const std::string data = train_data().empty() ? std::string("no-such-data") : train_data();
  const std::string out = temp_path("c-network-refused").string();
  vknn_trainer_spec spec = c_spec(data, out);
  check_status(vknn_trainer_create_from_network(ctx, none.net, nullptr, &t), VKNN_ERROR_INVALID_ARGUMENT,
               {"vknn_trainer_create_from_network", "spec is NULL"});
  CHECK(t == nullptr);
  check_status(vknn_trainer_create_from_network(ctx, nullptr, &spec, &t), VKNN_ERROR_INVALID_ARGUMENT,
               {"network is NULL"});
  check_status(vknn_trainer_create_from_network(nullptr, none.net, &spec, &t), VKNN_ERROR_INVALID_ARGUMENT,
               {"context is NULL"});
  check_status(vknn_trainer_create_from_network(ctx, none.net, &spec, nullptr), VKNN_ERROR_INVALID_ARGUMENT,
               {"out is NULL"});
  vknn_trainer_spec no_data = spec;
  no_data.data = nullptr;
  check_status(vknn_trainer_create_from_network(ctx, none.net, &no_data, &t), VKNN_ERROR_INVALID_ARGUMENT,
               {"spec->data"});
  check_status(vknn_trainer_resume_from_network(ctx, none.net, nullptr, &t), VKNN_ERROR_INVALID_ARGUMENT,
               {"out_dir is NULL"});
  check_status(vknn_trainer_resume_from_network(ctx, nullptr, out.c_str(), &t), VKNN_ERROR_INVALID_ARGUMENT,
               {"network is NULL"});
  if (!train_data().empty()) {
    check_status(vknn_trainer_create_from_network(ctx, none.net, &spec, &t), VKNN_ERROR_INVALID_ARGUMENT,
                 {"no output()"});
    check_status(vknn_trainer_create_from_network(ctx, five.net, &spec, &t), VKNN_ERROR_INVALID_ARGUMENT,
                 {"5 classes", "10"});
  }
  CHECK(t == nullptr);
  std::filesystem::remove_all(out);
  vknn_context_destroy(ctx);
}

TEST_CASE("C network: softmax, log_softmax, matmul and a pool padded past kernel / 2 give api::Network's logits") {
  BothApis both;
  // Each with arguments of its own (axes, transposes, alpha, beta), so that a swapped field shows.
  CNet c(2, 3, 4);
  const vknn_tensor x = c.input();
  const vknn_tensor p = c.maxpool(x, {3, 1, 2});                                      // (N,2,5,6)
  const vknn_tensor s = c.softmax(c.matmul(p, p, nullptr, {0, 1, 0.5f, 1}), 1, false);  // (N,2,5,5)
  const vknn_tensor f = c.flatten(c.softmax(s, -1, true));                             // (N,50)
  const vknn_tensor cc = c.linear(f, "fc1", 1, true);                                  // (N,1)
  c.output(c.matmul(f, c.relu(f), &cc, {0, 1, 0.25f, 3}));                             // (N,N)
  api::Network n(2, 3, 4);
  const api::Network::Value np = n.maxpool(n.input(), {3, 1, 2});
  const api::Network::Value ns = n.softmax(n.matmul(np, np, {.trans_b = true, .alpha = 0.5f}), 1);
  const api::Network::Value nf = n.flatten(n.log_softmax(ns, -1));
  n.output(n.matmul(nf, n.relu(nf), n.linear(nf, "fc1", 1, true), {.trans_b = true, .alpha = 0.25f, .beta = 3}));

  const std::vector<float> in = inputs(2 * 2 * 3 * 4, 8);
  vknn_session cs = nullptr;
  REQUIRE_MESSAGE(vknn_session_create_from_network(both.c, c.net, nullptr, 2, 4, &cs) == VKNN_SUCCESS,
                  vknn_last_error());
  std::vector<float> got(4), want(4);
  REQUIRE(vknn_session_run(cs, in.data(), in.size(), got.data(), got.size()) == VKNN_SUCCESS);
  vknn_session_destroy(cs);
  api::Session session = api::Session::create(both.cpp, n, "", 2, /*seed=*/4);
  session.run(in.data(), in.size(), want.data(), want.size());
  for (float v : got) CHECK(std::isfinite(v));
  CHECK(same_bits(got, want));
  session = {};

  // At the call: a NULL params, a c of another network, alpha or beta not finite.
  CNet d(2, 3, 4);
  const vknn_tensor d0 = d.input();
  vknn_tensor t{};
  const vknn_matmul_params plain{0, 0, 1, 1};
  check_status(vknn_network_matmul(d.net, d0, d0, nullptr, nullptr, &t), VKNN_ERROR_INVALID_ARGUMENT,
               {"vknn_network_matmul", "layer 1 (matmul)", "params is NULL"});
  check_status(vknn_network_matmul(d.net, d0, d0, &x, &plain, &t), VKNN_ERROR_INVALID_ARGUMENT,
               {"layer 1 (matmul)", "c is a tensor of another network"});
  const vknn_matmul_params inf{0, 0, 1, INFINITY};
  check_status(vknn_network_matmul(d.net, d0, d0, nullptr, &inf, &t), VKNN_ERROR_INVALID_ARGUMENT,
               {"params->beta inf"});
  check_status(vknn_network_softmax(d.net, x, 1, &t), VKNN_ERROR_INVALID_ARGUMENT,
               {"vknn_network_softmax", "layer 1 (softmax)", "x is a tensor of another network"});
  check_status(vknn_network_log_softmax(d.net, d0, 1, nullptr), VKNN_ERROR_INVALID_ARGUMENT,
               {"vknn_network_log_softmax", "out is NULL"});
  // When a session builds it: the op's refusals, naming the layer.
  d.output(d.flatten(d.softmax(d.maxpool(d0, {2, 1, 2}), 1, false)));  // a pad of the kernel
  check_status(vknn_session_create_from_network(both.c, d.net, nullptr, 1, 1, &cs), VKNN_ERROR_INVALID_ARGUMENT,
               {"maxpool (layer 1)", "below the kernel 2x2"});
  CHECK(cs == nullptr);
}
