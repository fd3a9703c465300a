#include "vknn/models/alexnet.h"

#include "common.h"
#include "vknn/graph/placement.h"
#include "vknn/ops/concat.h"
#include "vknn/ops/conv2d.h"
#include "vknn/ops/dropout.h"
#include "vknn/ops/linear.h"
#include "vknn/ops/lrn.h"
#include "vknn/ops/maxpool.h"
#include "vknn/ops/reshape.h"

#include <algorithm>
#include <cmath>

namespace vknn::models {

namespace {

struct Builder {
  Graph& g;
  const AlexNetOptions& opt;

  int64_t scaled(int64_t channels) const {
    return std::max<int64_t>(1, int64_t(std::lround(double(channels) * opt.width)));
  }

  // conv + fused ReLU with col<c>.<name>.weight/.bias
  TensorId conv(TensorId x, const std::string& name, int64_t out, int64_t kernel, int stride, int pad, float bias) {
    const int64_t in = g.shape(x)[1];
    TensorId w = g.parameter(name + ".weight", {out, in, kernel, kernel}, Init::normal(opt.weight_std));
    TensorId b = g.parameter(name + ".bias", {out}, bias == 0.0f ? Init::zeros() : Init::constant(bias));
    Conv2dParams p;
    p.stride_h = p.stride_w = stride;
    p.pad_h = p.pad_w = pad;
    p.relu = true;
    return conv2d(g, x, w, b, p, name);
  }

  TensorId fc(TensorId x, const std::string& name, int64_t out, float bias, bool relu) {
    const int64_t in = g.shape(x)[1];
    TensorId w = g.parameter(name + ".weight", {out, in}, Init::normal(opt.weight_std));
    TensorId b = g.parameter(name + ".bias", {out}, bias == 0.0f ? Init::zeros() : Init::constant(bias));
    LinearParams p;
    p.relu = relu;
    return linear(g, x, w, b, p, name);
  }

  TensorId pool(TensorId x, const std::string& name) { return maxpool(g, x, Pool2dParams{3, 3, 2, 2, 0, 0}, name); }

  // Both columns' (N,F) vectors as one (N,2F): reshape to (N,F,1,1), concat, flatten.
  TensorId join_vectors(TensorId a, TensorId b, const std::string& name) {
    const int64_t n = g.shape(a)[0];
    TensorId a4 = reshape(g, a, {n, g.shape(a)[1], 1, 1}, name + ".col0");
    TensorId b4 = reshape(g, b, {n, g.shape(b)[1], 1, 1}, name + ".col1");
    return flatten(g, concat(g, {a4, b4}, name), name + ".flat");
  }
};

}  // namespace

AlexNet alexnet(const AlexNetOptions& opt) {
  VKNN_CHECK(opt.width > 0, "alexnet: width must be positive, got {}", opt.width);
  AlexNet m;
  Graph& g = m.graph;
  detail::add_inputs(m, opt.batch, 3, opt.input_size, opt.training);
  Builder b{g, opt};
  const LrnParams lrn_p;  // the paper's k=2, n=5, alpha=1e-4, beta=0.75
  const float hb = opt.hidden_bias;

  // Column c runs on target c, as the paper ran it on GPU c. conv1, conv2: each column on
  // its own.
  std::array<TensorId, 2> x2;
  for (int c = 0; c < 2; ++c) {
    g.set_target(c);
    const std::string col = "col" + std::to_string(c) + ".";
    auto& taps = m.columns[size_t(c)];
    taps.conv1 = b.conv(m.images, col + "conv1", b.scaled(48), 11, 4, 0, 0.0f);
    taps.pool1 = b.pool(lrn(g, taps.conv1, lrn_p, col + "lrn1"), col + "pool1");
    TensorId c2 = b.conv(taps.pool1, col + "conv2", b.scaled(128), 5, 1, 2, hb);
    taps.pool2 = b.pool(lrn(g, c2, lrn_p, col + "lrn2"), col + "pool2");
    x2[size_t(c)] = taps.pool2;
  }
  // conv3 sees both columns (each column joins the other's pool2 to its own); conv4,
  // conv5 their own.
  std::array<TensorId, 2> x5;
  for (int c = 0; c < 2; ++c) {
    g.set_target(c);
    const std::string col = "col" + std::to_string(c) + ".";
    TensorId both2 = concat(g, {x2[0], x2[1]}, col + "conv3.concat");
    TensorId c3 = b.conv(both2, col + "conv3", b.scaled(192), 3, 1, 1, 0.0f);
    TensorId c4 = b.conv(c3, col + "conv4", b.scaled(192), 3, 1, 1, hb);
    TensorId c5 = b.conv(c4, col + "conv5", b.scaled(128), 3, 1, 1, hb);
    m.columns[size_t(c)].pool5 = b.pool(c5, col + "pool5");
    x5[size_t(c)] = m.columns[size_t(c)].pool5;
  }
  // fc6 and fc7 see both columns' features (9216 and 4096 at full size).
  const int64_t hidden = b.scaled(2048);
  std::array<TensorId, 2> h6, h7;
  for (int c = 0; c < 2; ++c) {
    g.set_target(c);
    const std::string col = "col" + std::to_string(c) + ".";
    TensorId f5 = flatten(g, concat(g, {x5[0], x5[1]}, col + "fc6.concat"), col + "fc6.flat");
    h6[size_t(c)] = dropout(g, b.fc(f5, col + "fc6", hidden, hb, true), opt.dropout, col + "drop6");
  }
  for (int c = 0; c < 2; ++c) {
    g.set_target(c);
    const std::string col = "col" + std::to_string(c) + ".";
    TensorId f6 = b.join_vectors(h6[0], h6[1], col + "fc7.concat");
    h7[size_t(c)] = dropout(g, b.fc(f6, col + "fc7", hidden, hb, true), opt.dropout, col + "drop7");
  }
  // fc8 and the loss on target 0.
  g.set_target(0);
  TensorId f7 = b.join_vectors(h7[0], h7[1], "fc8.concat");
  m.logits = b.fc(f7, "fc8", opt.classes, 0.0f, false);
  detail::add_loss(m, opt.label_smoothing);
  // Where a column reads the other's output, a transfer node carries it (and its gradient).
  if (auto st = insert_transfers(g); !st.ok()) VKNN_CHECK(false, "alexnet: {}", st.error().message);
  g.set_target(0);
  return m;
}

}  // namespace vknn::models
