#include "vknn/models/cifar.h"

#include "blocks.h"
#include "vknn/ops/avgpool.h"
#include "vknn/ops/linear.h"

namespace vknn::models {

const char* cifar_shortcut_name(CifarShortcut s) { return s == CifarShortcut::a ? "A" : "B"; }

Result<CifarShortcut> parse_cifar_shortcut(const std::string& s) {
  if (s == "A" || s == "a") return CifarShortcut::a;
  if (s == "B" || s == "b") return CifarShortcut::b;
  return make_error(Errc::invalid_argument, "unknown shortcut '{}' (A: zero-padded identity, B: projection)", s);
}

Model cifar_resnet(const CifarNetOptions& opt) {
  VKNN_CHECK(opt.depth >= 8 && (opt.depth - 2) % 6 == 0, "cifar_resnet: depth {} is not 6n+2", opt.depth);
  VKNN_CHECK(opt.input_size >= 4 && opt.input_size % 4 == 0, "cifar_resnet: input_size {} is not a multiple of 4",
             opt.input_size);
  const int n = (opt.depth - 2) / 6;
  const detail::Shortcut kind = !opt.shortcuts                      ? detail::Shortcut::none
                                : opt.shortcut == CifarShortcut::a ? detail::Shortcut::zero_pad
                                                                   : detail::Shortcut::projection;
  Model m;
  Graph& g = m.graph;
  detail::add_inputs(m, opt.batch, 3, opt.input_size, opt.training);

  TensorId x = detail::bn(g, detail::conv_nobias(g, m.images, "conv1", 16, 3, 1, 1), "bn1", true);
  for (int s = 0; s < 3; ++s) {
    const int64_t width = int64_t(16) << s;
    for (int i = 0; i < n; ++i) {
      const std::string prefix = "layer" + std::to_string(s + 1) + "." + std::to_string(i);
      const int stride = (s > 0 && i == 0) ? 2 : 1;
      x = detail::basic_block(g, x, prefix, width, stride, kind);
    }
  }
  TensorId pooled = global_avgpool(g, x, "avgpool");
  m.logits = linear(g, pooled, g.parameter("fc.weight", {opt.classes, 64}, detail::pytorch_default(64)),
                    g.parameter("fc.bias", {opt.classes}, detail::pytorch_default(64)), {}, "fc");
  detail::add_loss(m, opt.label_smoothing);
  return m;
}

}  // namespace vknn::models
