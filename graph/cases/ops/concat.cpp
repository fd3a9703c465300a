// Concat and split along channels: concat (plain and accumulating), its backward as a split
// with per-part accumulate flags (first, later, first, ... contributors), split's backward as
// an accumulating concat, and split then concat as the identity; odd shapes and the
// two-column AlexNet shapes.
#include "vknn/cases/case.h"
#include "vknn/ops/concat.h"

#include <fmt/format.h>

namespace vknn::cases {
namespace {

std::string nth(const char* prefix, size_t i) { return prefix + std::to_string(i); }

// params: the parts' channel counts (std::vector<int>).
OpCase concat_case(int64_t n, const std::vector<int>& channels, int64_t h, int64_t w, uint32_t seed,
                   std::string model = {}, std::string layer = {}) {
  OpCase c;
  int64_t total = 0;
  std::string list;
  for (int ch : channels) total += ch, list += (list.empty() ? "" : "+") + std::to_string(ch);
  const Shape ys{n, total, h, w};
  c.name = fmt::format("n {} channels {} at {}x{}", n, list, h, w);
  c.model = std::move(model), c.layer = std::move(layer);
  c.params = channels;
  c.seed = seed;
  const size_t parts = channels.size();
  for (size_t i = 0; i < parts; ++i) c.tensors.push_back({nth("x", i), Shape{n, channels[i], h, w}, uniform()});
  for (size_t i = 0; i < parts; ++i) c.tensors.push_back({nth("g", i), Shape{n, channels[i], h, w}, uniform()});
  for (size_t i = 0; i < parts; ++i) c.tensors.push_back({nth("p", i), Shape{n, channels[i], h, w}, uniform()});
  c.tensors.push_back({"y", ys, uniform()});
  c.tensors.push_back({"y_acc", ys, uniform()});
  c.tensors.push_back({"back", ys, copy_of("y_acc")});  // split's backward: concat into dx, accumulating
  c.tensors.push_back({"dy", ys, uniform()});
  c.tensors.push_back({"round", ys, uniform()});
  auto views = [parts](const Views& v, const char* prefix) {
    std::vector<TensorView> out;
    for (size_t i = 0; i < parts; ++i) out.push_back(v.at(nth(prefix, i)));
    return out;
  };
  std::vector<bool> acc(parts);
  for (size_t i = 0; i < parts; ++i) acc[i] = i % 2 == 1;  // first, later, first, ... contributors
  const double b = 2.0 * double(ys.bytes());
  c.steps = {
      {"concat", [views](CommandList& cl, const Views& v) { return record_concat(cl, views(v, "x"), v.at("y")); }, true,
       0, b},
      {"concat (accumulate)",
       [views](CommandList& cl, const Views& v) { return record_concat(cl, views(v, "x"), v.at("y_acc"), true); }},
      {"split (concat's backward)",
       [views, acc](CommandList& cl, const Views& v) { return record_split(cl, v.at("dy"), views(v, "g"), acc); }, true,
       0, b},
      {"concat (split's backward, accumulate)",
       [views](CommandList& cl, const Views& v) { return record_concat(cl, views(v, "x"), v.at("back"), true); }},
      {"split", [views](CommandList& cl, const Views& v) { return record_split(cl, v.at("y"), views(v, "p")); }},
      {"concat (of the split)",
       [views](CommandList& cl, const Views& v) { return record_concat(cl, views(v, "p"), v.at("round")); }},
  };
  const Tolerance exact{0, 0};
  c.checks = {{"y", "y", exact}, {"y_acc", "y", {}, true}, {"back", "y", {}, true}, {"round", "y", exact}};
  for (size_t i = 0; i < parts; ++i) {
    c.checks.push_back({nth("g", i), nth("dx", i), acc[i] ? Tolerance{} : exact, acc[i]});
    c.checks.push_back({nth("p", i), nth("x", i), exact});
    c.gradients.push_back({nth("x", i), nth("dx", i)});
  }
  c.loss = {{"y", "dy"}};
  c.shaders = {ShaderId::concat_copy};
  return c;
}

}  // namespace

std::vector<OpCase> concat_cases(int64_t n) {
  return {
      concat_case(1, {1}, 1, 1, 1),
      concat_case(1, {1, 2}, 1, 1, 2),
      concat_case(2, {3, 4, 1}, 5, 7, 3),
      concat_case(3, {5, 5}, 1, 1, 4),  // rank-4 with 1x1 images (a classifier's columns)
      concat_case(1, {2, 3, 4, 5}, 3, 2, 5),
      concat_case(2, {2, 1, 3}, 1, 3, 6),
      // The two columns of AlexNet joined: 2 x 128 x 27x27, 2 x 192 x 13x13, 2 x 128 x 13x13.
      concat_case(n, {128, 128}, 27, 27, 11, "alexnet", "norm2 columns"),
      concat_case(2 * n, {192, 192}, 13, 13, 12, "alexnet", "conv4 columns (batch 2n)"),
      concat_case(2 * n, {128, 128}, 13, 13, 13, "alexnet", "pool5 columns (batch 2n)"),
  };
}

}  // namespace vknn::cases
