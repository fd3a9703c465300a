#include "vknn/models/lenet.h"

#include "common.h"
#include "vknn/ops/conv2d.h"
#include "vknn/ops/linear.h"
#include "vknn/ops/maxpool.h"
#include "vknn/ops/reshape.h"

namespace vknn::models {

namespace {

TensorId conv_relu(Graph& g, TensorId x, const std::string& name, int64_t out, int pad) {
  const int64_t in = g.shape(x)[1], fan_in = in * 25;
  TensorId w = g.parameter(name + ".weight", {out, in, 5, 5}, detail::pytorch_default(fan_in));
  TensorId b = g.parameter(name + ".bias", {out}, detail::pytorch_default(fan_in));
  Conv2dParams p;
  p.pad_h = p.pad_w = pad;
  p.relu = true;
  return conv2d(g, x, w, b, p, name);
}

TensorId fc(Graph& g, TensorId x, const std::string& name, int64_t out, bool relu) {
  const int64_t in = g.shape(x)[1];
  LinearParams p;
  p.relu = relu;
  return linear(g, x, g.parameter(name + ".weight", {out, in}, detail::pytorch_default(in)),
                g.parameter(name + ".bias", {out}, detail::pytorch_default(in)), p, name);
}

}  // namespace

Model lenet(const LeNetOptions& opt) {
  Model m;
  Graph& g = m.graph;
  detail::add_inputs(m, opt.batch, 1, 28, opt.training);
  const Pool2dParams pool{2, 2, 2, 2, 0, 0};
  TensorId x = maxpool(g, conv_relu(g, m.images, "conv1", opt.conv1_channels, 2), pool, "pool1");  // 14x14
  x = maxpool(g, conv_relu(g, x, "conv2", opt.conv2_channels, 0), pool, "pool2");                // 5x5
  x = fc(g, flatten(g, x, "flatten"), "fc1", opt.hidden, true);
  m.logits = fc(g, x, "fc2", opt.classes, false);
  detail::add_loss(m, opt.label_smoothing);
  return m;
}

}  // namespace vknn::models
