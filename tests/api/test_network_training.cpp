// Training a network defined in code (vknn/network.hpp) with the public Trainer. The network
// is the small conv net the CLI tests export with PyTorch in training mode (conv, batch norm,
// ReLU, max pool, conv, ReLU, global average pool, linear; tests/cli/onnx_cli_export.py's
// train.onnx): defined here layer by layer and started from the same weights, it must take
// the same SGD steps as the imported file (whose steps the CLI tests check against
// torch.optim.SGD), resume exactly, and refuse another network's run.
#include "helpers.h"

#include "vknn/network.hpp"

#include <algorithm>
#include <cmath>

using namespace apitest;
namespace api = vknn::api;

namespace {

// tests/cli/onnx_cli_export.py's Small, with the names of its state_dict.
api::Network small_net(float dropout = 0) {
  api::Network net(1, 28, 28);
  api::Network::Value x = net.conv2d(net.input(), "conv1", {8, 3, 1, 1});
  x = net.maxpool(net.relu(net.batchnorm(x, "bn1")), {2, 2, 0});
  x = net.relu(net.conv2d(x, "conv2", {16, 3, 2, 1}));
  x = net.global_avgpool(x);
  if (dropout > 0) x = net.dropout(x, dropout);
  net.output(net.linear(x, "fc", 10));
  return net;
}

// 3 steps an epoch (96 images, batch 32) with torch.optim.SGD's rule.
api::TrainerSpec sgd_run(const std::filesystem::path& out) {
  api::TrainerSpec s;
  s.data = train_data(), s.out = out.string();
  s.init = onnx_file("train_initial.safetensors").string();
  s.epochs = 2, s.batch = 32, s.limit = 96, s.val_limit = 32, s.seed = 3;
  s.lr = 0.05, s.momentum = 0.9, s.weight_decay = 5e-4, s.rule = "pytorch";
  s.force = true;
  return s;
}

// Normwise relative difference of two tensors, over max(|b|, 1e-30).
double norm_rel_diff(const std::vector<float>& a, const std::vector<float>& b) {
  REQUIRE(a.size() == b.size());
  double d = 0, n = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    d += (double(a[i]) - b[i]) * (double(a[i]) - b[i]);
    n += double(b[i]) * b[i];
  }
  return std::sqrt(d) / std::max(std::sqrt(n), 1e-30);
}

}  // namespace

TEST_CASE("Network training: the same SGD steps as the same network imported from PyTorch's ONNX export") {
  if (train_data().empty()) {
    MESSAGE("no fixture data (cli: train fixture data): skipped");
    return;
  }
  host::Device dev;
  api::Context ctx = api::Context::borrow(lend(dev));
  const auto a = temp_path("network-train"), b = temp_path("network-train-onnx");
  api::TrainerSpec imported = sgd_run(b);
  imported.model = onnx_file("train.onnx").string();
  api::Trainer code = api::Trainer::create(ctx, small_net(), sgd_run(a));
  api::Trainer file = api::Trainer::create(ctx, imported);
  for (int epoch = 0; epoch < 2; ++epoch) {
    for (int k = 0; k < 3; ++k) {
      const api::TrainStep s = code.step(), t = file.step();
      INFO("epoch " << epoch << " step " << k << ": loss " << s.loss << " (imported " << t.loss << ")");
      CHECK(std::isfinite(s.loss));
      CHECK(std::abs(double(s.loss) - t.loss) <= 1e-5 * std::abs(double(t.loss)));
      CHECK(s.top1 == t.top1);
      CHECK(s.epoch_done == (k == 2));
    }
    const api::Evaluation v = code.end_epoch(), w = file.end_epoch();  // on running statistics
    CHECK(v.samples == 32);
    CHECK(std::abs(v.loss - w.loss) <= 1e-5 * std::abs(w.loss));
  }
  CHECK(code.finished());
  code.save_weights((a / "final.safetensors").string());
  file.save_weights((b / "final.safetensors").string());
  const auto got = read_safetensors(a / "final.safetensors"), want = read_safetensors(b / "final.safetensors");
  const auto initial = read_safetensors(onnx_file("train_initial.safetensors"));
  CHECK(got.size() == want.size());
  REQUIRE(got.size() == initial.size());  // parameters and running statistics, under PyTorch's names
  for (const auto& [name, v] : want) {
    INFO(name);
    REQUIRE(got.count(name) == 1);
    CHECK(norm_rel_diff(got.at(name), v) <= 1e-5);
    CHECK(norm_rel_diff(got.at(name), initial.at(name)) > 1e-6);  // it trained (the running statistics too)
  }
  code = {};
  file = {};
  std::filesystem::remove_all(a);
  std::filesystem::remove_all(b);
}

TEST_CASE("Network training: stopped and resumed with the same network ends bit-identical, and another network is refused") {
  if (train_data().empty()) {
    MESSAGE("no fixture data (cli: train fixture data): skipped");
    return;
  }
  host::Device dev;
  api::Context ctx = api::Context::borrow(lend(dev));
  const auto a = temp_path("network-whole"), b = temp_path("network-cut");
  const api::Network net = small_net(0.25f);  // with dropout: its mask must follow the step too
  api::Trainer whole = api::Trainer::create(ctx, net, sgd_run(a));
  run_to_end(whole);
  whole.save_weights((a / "final.safetensors").string());
  {
    api::Trainer first = api::Trainer::create(ctx, net, sgd_run(b));
    first.step(), first.step(), first.step();
    first.end_epoch();
    first.step();
    first.save();
  }
  // The run names the network by its layers: a network with other layers, or none, is refused.
  check_throws([&] { api::Trainer::resume(ctx, small_net(), b.string()); }, VKNN_ERROR_INVALID_ARGUMENT,
               {"network-sha256:", "the network given"});
  check_throws([&] { api::Trainer::resume(ctx, b.string()); }, VKNN_ERROR_INVALID_ARGUMENT, {"defined in code"});
  api::Trainer resumed = api::Trainer::resume(ctx, small_net(0.25f), b.string());  // an equal copy
  CHECK(resumed.step_count() == 4);
  run_to_end(resumed);
  resumed.save_weights((b / "final.safetensors").string());
  const auto wa = read_safetensors(a / "final.safetensors"), wb = read_safetensors(b / "final.safetensors");
  CHECK(wa.size() == 10);
  CHECK(wa == wb);
  whole = {};
  resumed = {};
  std::filesystem::remove_all(a);
  std::filesystem::remove_all(b);
}

TEST_CASE("Network training: refusals") {
  if (train_data().empty()) {
    MESSAGE("no fixture data (cli: train fixture data): skipped");
    return;
  }
  host::Device dev;
  api::Context ctx = api::Context::borrow(lend(dev));
  const auto out = temp_path("network-refused");
  api::Network wide(1, 28, 28);  // 5 classes; the data has 10
  wide.output(wide.linear(wide.global_avgpool(wide.input()), "fc", 5));
  check_throws([&] { api::Trainer::create(ctx, wide, sgd_run(out)); }, VKNN_ERROR_INVALID_ARGUMENT,
               {"5 classes", "10"});
  api::Network oblong(1, 28, 14);
  oblong.output(oblong.linear(oblong.global_avgpool(oblong.input()), "fc", 10));
  check_throws([&] { api::Trainer::create(ctx, oblong, sgd_run(out)); }, VKNN_ERROR_UNSUPPORTED, {"square"});
  api::Network none(1, 28, 28);
  check_throws([&] { api::Trainer::create(ctx, none, sgd_run(out)); }, VKNN_ERROR_INVALID_ARGUMENT, {"no output()"});
  check_throws([&] { none.dropout(none.input(), 1.0f); }, VKNN_ERROR_INVALID_ARGUMENT, {"rate 1"});
  std::filesystem::remove_all(out);
}

TEST_CASE("Network: dropout is the identity in a session") {
  host::Device dev;
  api::Context ctx = api::Context::borrow(lend(dev));
  const std::vector<float> x = inputs(2 * 28 * 28, 5);
  auto run = [&](float rate) {
    api::Session s = api::Session::create(ctx, small_net(rate), "", 2, /*seed=*/7);
    std::vector<float> y(s.output_count());
    s.run(x.data(), x.size(), y.data(), y.size());
    return y;
  };
  CHECK(run(0.5f) == run(0));
}
