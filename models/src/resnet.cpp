#include "vknn/models/resnet.h"

#include "blocks.h"
#include "vknn/ops/avgpool.h"
#include "vknn/ops/linear.h"
#include "vknn/ops/maxpool.h"

#include <array>

namespace vknn::models {

Model resnet(const ResNetOptions& opt) {
  std::array<int, 4> blocks{};
  bool use_bottleneck = false;
  switch (opt.depth) {
    case 18: blocks = {2, 2, 2, 2}; break;
    case 34: blocks = {3, 4, 6, 3}; break;
    case 50: blocks = {3, 4, 6, 3}; use_bottleneck = true; break;
    default: VKNN_CHECK(false, "resnet: depth {} is not one of 18, 34, 50", opt.depth);
  }
  VKNN_CHECK(opt.input_size >= 32, "resnet: input_size {} is below 32", opt.input_size);
  Model m;
  Graph& g = m.graph;
  detail::add_inputs(m, opt.batch, 3, opt.input_size, opt.training);

  TensorId x = detail::bn(g, detail::conv_nobias(g, m.images, "conv1", 64, 7, 2, 3), "bn1", true);
  x = maxpool(g, x, Pool2dParams{3, 3, 2, 2, 1, 1}, "maxpool");
  for (int s = 0; s < 4; ++s) {
    const int64_t width = int64_t(64) << s;
    for (int i = 0; i < blocks[size_t(s)]; ++i) {
      const std::string prefix = "layer" + std::to_string(s + 1) + "." + std::to_string(i);
      const int stride = (s > 0 && i == 0) ? 2 : 1;
      x = use_bottleneck ? detail::bottleneck(g, x, prefix, width, stride)
                         : detail::basic_block(g, x, prefix, width, stride);
    }
  }
  TensorId pooled = global_avgpool(g, x, "avgpool");
  const int64_t features = g.shape(pooled)[1];
  m.logits = linear(g, pooled, g.parameter("fc.weight", {opt.classes, features}, detail::pytorch_default(features)),
                    g.parameter("fc.bias", {opt.classes}, detail::pytorch_default(features)), {}, "fc");
  detail::add_loss(m, opt.label_smoothing);
  return m;
}

}  // namespace vknn::models
