// ResNet-18 weights as PyTorch writes them (a torchvision state_dict saved with torch.save,
// then converted by scripts/torchvision-to-safetensors.py, num_batches_tracked kept as I64)
// give PyTorch's logits. tests/models/torchvision_resnet18.py writes the files into
// VKNN_TORCHVISION_DIR and then runs this case alone; the normal run skips it, since it has
// nothing to compare without those files.
#include "gpu.h"
#include "vknn/graph/executor.h"
#include "vknn/models/resnet.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>

using namespace vknn;
using namespace vknn::models;
using namespace vknn::test;

namespace {

std::vector<float> read_floats(const std::filesystem::path& p, size_t n) {
  std::ifstream f(p, std::ios::binary);
  REQUIRE_MESSAGE(f, "cannot open " << p.string());
  std::vector<float> v(n);
  f.read(reinterpret_cast<char*>(v.data()), std::streamsize(n * sizeof(float)));
  REQUIRE_MESSAGE(size_t(f.gcount()) == n * sizeof(float), p.string() << " holds fewer than " << n << " floats");
  return v;
}

}  // namespace

TEST_CASE("models: torchvision ResNet-18 weights give PyTorch's logits" * doctest::skip()) {
  const char* env = std::getenv("VKNN_TORCHVISION_DIR");
  REQUIRE_MESSAGE(env != nullptr, "run by tests/models/torchvision_resnet18.py, which sets VKNN_TORCHVISION_DIR");
  const std::filesystem::path dir(env);
  const int64_t batch = 2;
  Model m = resnet18({.batch = batch});
  auto ex = Executor::create(gpu(), m.graph, {});
  REQUIRE_OK(ex);

  // Strictly, the I64 num_batches_tracked entries are not part of the model; allowed, they
  // are skipped.
  const auto weights = dir / "resnet18.safetensors";
  const Status strict = (*ex)->load_weights(weights, false);
  REQUIRE_FALSE(strict.ok());
  CHECK_MESSAGE(strict.error().message.find("num_batches_tracked") != std::string::npos, strict.error().message);
  REQUIRE_OK((*ex)->load_weights(weights, true));

  const auto x = read_floats(dir / "input.f32", size_t(m.graph.shape(m.images).numel()));
  const auto want = read_floats(dir / "logits.f32", size_t(batch * 1000));
  REQUIRE_OK((*ex)->set_input(m.images, std::span<const float>(x)));
  REQUIRE_OK((*ex)->infer());
  auto got = (*ex)->read(m.logits);
  REQUIRE_OK(got);
  REQUIRE(got->size() == want.size());
  double worst = 0, scale = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    worst = std::max(worst, double(std::abs((*got)[i] - want[i])));
    scale = std::max(scale, double(std::abs(want[i])));
  }
  MESSAGE("largest logit difference " << worst << " (" << worst / scale << " of the largest logit, " << scale << ")");
  CHECK(worst <= 1e-4 * scale);
  // The same ranking, as a user sees it.
  for (int64_t n = 0; n < batch; ++n) {
    const auto row = [&](const std::vector<float>& v) { return v.begin() + n * 1000; };
    CHECK(std::max_element(row(*got), row(*got) + 1000) - row(*got) ==
          std::max_element(row(want), row(want) + 1000) - row(want));
  }
}
