// Constant padding and cropping of C, H and W: forward into a y that starts non-zero (the
// padding must be written), backward plain and accumulating, exact (copies and constants), at
// tiny, odd, cropped and mixed pads, another padding value, and real layer inputs.
#include "vknn/cases/case.h"
#include "vknn/ops/pad.h"

#include <fmt/format.h>

namespace vknn::cases {
namespace {

OpCase pad_case(const Shape& s, std::array<int64_t, 3> begin, std::array<int64_t, 3> end, uint32_t seed,
                float value = 0.0f, std::string model = {}, std::string layer = {}) {
  PadParams p;
  p.begin = begin, p.end = end, p.value = value;
  const Shape y = *pad_output_shape("pad", p, s);
  OpCase c;
  c.name = fmt::format("{} begin ({},{},{}) end ({},{},{}) value {}", s.str(), begin[0], begin[1], begin[2], end[0],
                       end[1], end[2], value);
  c.model = std::move(model), c.layer = std::move(layer);
  c.params = p;
  c.seed = seed;
  c.tensors = {{"x", s, uniform(-2, 2)}, {"y", y, uniform()}, {"dy", y, uniform()}, {"dx", s, uniform()},
               {"dx_acc", s, uniform()}};
  const double b = double(s.bytes() + y.bytes());
  c.steps = {
      {"pad_forward", [p](CommandList& cl, const Views& v) { return record_pad_forward(cl, p, v.at("x"), v.at("y")); },
       true, 0, b},
      {"pad_backward",
       [p](CommandList& cl, const Views& v) { return record_pad_backward(cl, p, v.at("dy"), v.at("dx"), false); }, true,
       0, b},
      {"pad_backward (accumulate)",
       [p](CommandList& cl, const Views& v) { return record_pad_backward(cl, p, v.at("dy"), v.at("dx_acc"), true); }},
  };
  c.checks = {{"y", "y", {0, 0}}, {"dx", "dx", {0, 0}}, {"dx_acc", "dx", {}, true}};  // copies and constants: exact
  c.gradients = {{"x", "dx"}};
  c.loss = {{"y", "dy"}};
  c.shaders = {ShaderId::pad};
  return c;
}

}  // namespace

std::vector<OpCase> pad_cases(int64_t n) {
  return {
      pad_case({1, 1, 1, 1}, {0, 0, 0}, {0, 0, 0}, 1),
      pad_case({1, 1, 1, 1}, {1, 2, 3}, {2, 1, 0}, 2),
      pad_case({2, 3, 7, 9}, {0, 1, 0}, {0, 0, 1}, 3),       // asymmetric H and W (TF-style SAME before a pool)
      pad_case({1, 3, 5, 6}, {2, 0, 0}, {1, 0, 0}, 4),       // channels only
      pad_case({3, 2, 4, 3}, {1, -1, 2}, {0, 2, -1}, 5),     // pad and crop mixed
      pad_case({1, 5, 6, 7}, {-2, -1, -3}, {-1, -2, 0}, 6),  // crop only
      pad_case({1, 2, 2, 17}, {0, 3, 0}, {0, 3, 0}, 7),
      pad_case({1, 24, 28, 28}, {8, 0, 0}, {8, 0, 0}, 8),        // zero channels on both sides (a shortcut)
      pad_case({2, 3, 4, 5}, {0, 1, 3}, {0, 2, 4}, 9, 1.2f),     // another value (ONNX's constant_pad test)
      pad_case({1, 2, 5, 5}, {1, -1, 0}, {0, 0, 2}, 10, -0.5f),
      pad_case({2 * n, 64, 56, 56}, {0, 1, 1}, {0, 1, 1}, 11, 0.0f, "resnet50",
               "layer1 3x3 input, padded 1 (batch 2n)"),
      pad_case({n, 96, 27, 27}, {0, 0, 0}, {0, 1, 1}, 12, 0.0f, "alexnet", "conv2 input, padded after only"),
  };
}

}  // namespace vknn::cases
