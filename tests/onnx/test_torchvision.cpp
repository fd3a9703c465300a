// torchvision models exported by PyTorch at test time (torchvision_export.py, one CTest
// fixture per model) must give PyTorch's eval-mode outputs: within 1e-4 relative in the
// 2-norm over each batch, and the same top-5 classes in the same order, at batch 1 and 2,
// both as imported and as the inference-graph optimizer rewrites them (optimize.h); the two
// agree with each other within fp32 noise.
#include "onnx_test.h"

#include "vknn/data/npy.h"
#include "vknn/graph/optimize.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>

namespace vknn::test {

double normwise_error(const std::vector<float>& got, const std::vector<float>& want) {
  double num = 0, den = 0;
  for (size_t k = 0; k < want.size(); ++k) {
    const double d = double(got[k]) - double(want[k]);
    num += d * d;
    den += double(want[k]) * double(want[k]);
  }
  return std::sqrt(num / std::max(den, 1e-300));
}

std::vector<int> top_k(const std::vector<float>& v, int64_t cols, int64_t r, int k) {
  std::vector<int> idx(static_cast<size_t>(cols));
  std::iota(idx.begin(), idx.end(), 0);
  const float* row = v.data() + r * cols;
  std::partial_sort(idx.begin(), idx.begin() + k, idx.end(), [&](int a, int b) { return row[a] > row[b]; });
  idx.resize(size_t(k));
  return idx;
}

namespace {

// One import at `batch`, optionally optimized, run once: its outputs.
std::vector<float> run_imported(const std::string& name, const std::filesystem::path& dir, int64_t batch,
                                bool optimize, const std::vector<float>& x) {
  onnx::ImportOptions opt;
  opt.batch = batch;
  const auto t0 = std::chrono::steady_clock::now();
  auto m = onnx::import_file(dir / "model.onnx", opt);
  const double import_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  REQUIRE_OK(m);
  MESSAGE(name << " batch " << batch << ": import " << import_ms << " ms");
  if (optimize) {
    auto rw = optimize_for_inference(m->model.graph);
    REQUIRE_OK(rw);
    MESSAGE(name << ": " << rw->batchnorms_folded << " BatchNorm folded, " << rw->residuals_fused
                 << " residual add fused, " << rw->relus_fused << " ReLU fused, "
                 << rw->dropouts_removed << " dropout removed, " << rw->concats_removed << " concat removed");
    if (name.ends_with("_bn")) CHECK(rw->batchnorms_folded == 20);  // every BatchNormalization of resnet18
  }
  auto ex = Executor::create(gpu(), m->model.graph);
  REQUIRE_OK(ex);
  REQUIRE_OK((*ex)->set_input(m->model.images, x));
  REQUIRE_OK((*ex)->infer());
  auto y = (*ex)->read(m->model.logits);
  REQUIRE_OK(y);
  return *y;
}

void check_model(const std::string& name) {
  const auto dir = onnx_fixture(name);
  auto input = data::read_npy(dir / "input.npy");
  auto expected = data::read_npy(dir / "expected.npy");
  REQUIRE_OK(input);
  REQUIRE_OK(expected);
  const int64_t per_image = input->shape[1] * input->shape[2] * input->shape[3];
  const int64_t classes = expected->shape[1];
  for (int64_t batch : {1, 2}) {
    CAPTURE(batch);
    const std::vector<float> x(input->values.begin(), input->values.begin() + batch * per_image);
    const std::vector<float> want(expected->values.begin(), expected->values.begin() + batch * classes);
    std::vector<float> plain;
    for (bool optimize : {false, true}) {
      CAPTURE(optimize);
      const std::vector<float> y = run_imported(name, dir, batch, optimize, x);
      REQUIRE(y.size() == want.size());
      const double err = normwise_error(y, want);
      MESSAGE(name << " batch " << batch << std::string(optimize ? " optimized" : "") << ": normwise relative error " << err);
      CHECK(err <= 1e-4);
      for (int64_t r = 0; r < batch; ++r) CHECK(top_k(y, classes, r, 5) == top_k(want, classes, r, 5));
      if (optimize)
        CHECK(normwise_error(y, plain) <= 1e-5);  // the folded weights' fp32 rounding only
      else
        plain = y;
    }
  }
}

}  // namespace

TEST_CASE("torchvision resnet18 matches PyTorch") { check_model("resnet18"); }
TEST_CASE("torchvision resnet18_bn matches PyTorch, optimized or not") { check_model("resnet18_bn"); }
TEST_CASE("torchvision alexnet matches PyTorch") { check_model("alexnet"); }
TEST_CASE("torchvision squeezenet1_1 matches PyTorch") { check_model("squeezenet1_1"); }
TEST_CASE("torchvision mobilenet_v2 matches PyTorch") { check_model("mobilenet_v2"); }
TEST_CASE("torchvision mobilenet_v3_small matches PyTorch") { check_model("mobilenet_v3_small"); }
TEST_CASE("torchvision googlenet matches PyTorch") { check_model("googlenet"); }
TEST_CASE("torchvision shufflenet_v2_x0_5 matches PyTorch") { check_model("shufflenet_v2_x0_5"); }
TEST_CASE("torchvision efficientnet_b0 matches PyTorch") { check_model("efficientnet_b0"); }
TEST_CASE("torchvision densenet121 matches PyTorch") { check_model("densenet121"); }

}  // namespace vknn::test
