// Training an imported model: torchvision resnet18 exported in training mode (its
// BatchNormalization nodes kept), and a small network of MatMul and Gemm nodes, take 3 SGD
// steps (momentum 0.9, weight decay 5e-4) in vknn and in torch.optim.SGD from the same weights
// and batch (train_reference.py). The loss, every parameter's gradient and every parameter
// after each step agree within 1e-4 (relative, in the 2-norm over each tensor).
#include "onnx_test.h"

#include "vknn/data/npy.h"
#include "vknn/graph/autodiff.h"
#include "vknn/ops/sgd.h"

#include <algorithm>

namespace vknn::test {

namespace {

size_t count_nodes(const Graph& g, const std::string& type) {
  return size_t(std::count_if(g.nodes().begin(), g.nodes().end(),
                              [&](const Node& n) { return std::string(n.op->type()) == type; }));
}

struct Imported {
  data::NpyArray x, labels;
  onnx::ImportedModel m;
};

Imported import_for_training(const std::filesystem::path& dir) {
  auto x = data::read_npy(dir / "input.npy");
  auto labels = data::read_npy(dir / "labels.npy");
  REQUIRE_OK(x);
  REQUIRE_OK(labels);
  onnx::ImportOptions opt;
  opt.batch = x->shape[0];
  opt.training = true;
  auto m = onnx::import_file(dir / "model.onnx", opt);
  REQUIRE_OK(m);
  return {std::move(*x), std::move(*labels), std::move(*m)};
}

// 3 SGD steps of the imported model against train_reference.py's.
void check_sgd_steps(const std::filesystem::path& dir, Imported& im, size_t parameters) {
  Graph& g = im.m.model.graph;
  REQUIRE_OK(build_backward(g));
  SgdParams sgd;
  sgd.rule = SgdRule::sgd_pytorch;
  sgd.momentum = 0.9f;
  sgd.weight_decay = 5e-4f;
  REQUIRE_OK(add_sgd(g, sgd));
  ExecutorOptions eo;
  eo.learning_rate = 0.01f;  // train_reference.py's LR
  auto ex = Executor::create(gpu(), g, eo);
  REQUIRE_OK(ex);
  REQUIRE_OK((*ex)->set_input(im.m.model.images, im.x.values));
  std::vector<int32_t> y(im.labels.values.begin(), im.labels.values.end());
  REQUIRE_OK((*ex)->set_input(im.m.model.labels, std::span<const int32_t>(y)));

  const std::vector<TensorId> params = g.parameters();
  REQUIRE(params.size() == parameters);
  for (int step = 1; step <= 3; ++step) {
    CAPTURE(step);
    REQUIRE_OK((*ex)->run());
    const auto sdir = dir / fmt::format("step{}", step);
    auto loss = (*ex)->read_scalar(g.loss);
    auto want_loss = data::read_npy(sdir / "loss.npy");
    REQUIRE_OK(loss);
    REQUIRE_OK(want_loss);
    const double loss_err = std::abs(double(*loss) - want_loss->values[0]) / std::abs(want_loss->values[0]);
    MESSAGE("step " << step << ": loss " << *loss << " (PyTorch " << want_loss->values[0] << ", relative error "
                    << loss_err << ")");
    CHECK(loss_err <= 1e-4);
    double worst_grad = 0, worst_weight = 0;
    std::string worst_grad_name, worst_weight_name;
    for (TensorId p : params) {
      const std::string& name = g.desc(p).name;
      auto want_grad = data::read_npy(sdir / "grad" / (name + ".npy"));
      auto want_weight = data::read_npy(sdir / "weight" / (name + ".npy"));
      REQUIRE_MESSAGE(want_grad.ok(), name);
      REQUIRE_MESSAGE(want_weight.ok(), name);
      auto grad = (*ex)->read(g.desc(p).grad);
      auto weight = (*ex)->read(p);
      REQUIRE_OK(grad);
      REQUIRE_OK(weight);
      const double eg = normwise_error(*grad, want_grad->values), ew = normwise_error(*weight, want_weight->values);
      CHECK_MESSAGE(eg <= 1e-4, name << " gradient: relative error " << eg);
      CHECK_MESSAGE(ew <= 1e-4, name << " after the step: relative error " << ew);
      if (eg > worst_grad) worst_grad = eg, worst_grad_name = name;
      if (ew > worst_weight) worst_weight = ew, worst_weight_name = name;
    }
    MESSAGE("step " << step << ": worst gradient error " << worst_grad << " (" << worst_grad_name
                    << "), worst weight error " << worst_weight << " (" << worst_weight_name << ")");
  }
}

}  // namespace

TEST_CASE("onnx training: resnet18 exported in training mode takes the same 3 SGD steps as PyTorch") {
  const auto dir = onnx_fixture("resnet18_train");
  Imported im = import_for_training(dir);
  // BatchNormalization nodes were kept (the eval export folds them into the convolutions).
  CHECK(count_nodes(im.m.model.graph, "batchnorm") == 20);
  check_sgd_steps(dir, im, 62);
}

TEST_CASE("onnx training: MatMul and Gemm with weight initializers take the same 3 SGD steps as PyTorch") {
  const auto dir = onnx_fixture("matmul_train");
  Imported im = import_for_training(dir);
  // Two MatMul (one batched over a shared weight) and the Gemm with alpha 2 and beta 0.5 (its C
  // the node's third input): matmul nodes.
  CHECK(count_nodes(im.m.model.graph, "matmul") == 3);
  CHECK(count_nodes(im.m.model.graph, "linear") == 0);
  check_sgd_steps(dir, im, 5);
}

}  // namespace vknn::test
