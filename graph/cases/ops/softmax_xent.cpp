// Softmax cross-entropy: loss, top-1/top-5 (a row whose label shares the maximum with another
// class is planted, still top-1 correct), the backward with a dloss buffer and accumulating
// without one, with and without label smoothing, at odd shapes and CIFAR (K=10) and ImageNet
// (K=1000) widths at batch 1, 2 and 128.
#include "vknn/cases/case.h"
#include "vknn/ops/softmax_xent.h"

#include <fmt/format.h>

#include <cstring>

namespace vknn::cases {
namespace {

OpCase xent_case(int64_t n, int64_t k, uint32_t seed, float range, float smoothing = 0.0f, std::string model = {},
                 std::string layer = {}, bool bench = true) {
  const SoftmaxXentParams p{smoothing};
  OpCase c;
  c.name = fmt::format("N {} K {} smoothing {}", n, k, smoothing);
  c.model = std::move(model), c.layer = std::move(layer), c.bench = bench;
  c.params = p;
  c.seed = seed;
  const Shape z{n, k}, one{1};
  c.tensors = {{"z", z, uniform(-range, range)}, {"labels", Shape{n}, labels(k)},
               {"loss", one, uniform()},         {"top1", one, uniform()},
               {"top5", one, uniform()},         {"invalid", one, uniform()},
               {"dloss", one, zeros()},          {"dz", z, uniform()},
               {"dz_acc", z, uniform()}};
  c.adjust = [n, k, range](std::map<std::string, std::vector<float>>& t) {
    t.at("dloss")[0] = 2.5f;
    if (n > 1 && k > 1) {  // a tie at row 1's label
      int32_t label;
      std::memcpy(&label, &t.at("labels")[1], 4);
      float* row = &t.at("z")[size_t(k)];
      row[label] = row[(label + 1) % k] = range + 1;
    }
  };
  c.steps = {
      {"softmax_xent_forward",
       [p](CommandList& cl, const Views& v) {
         return record_softmax_xent_forward(cl, v.at("z"), v.at("labels"),
                                            {v.at("loss"), v.at("top1"), v.at("top5"), v.at("invalid")}, p);
       },
       true, 0, double(z.bytes())},
      {"softmax_xent_backward",
       [p](CommandList& cl, const Views& v) {
         return record_softmax_xent_backward(cl, v.at("z"), v.at("labels"), v.at("dloss"), v.at("dz"), false, p);
       },
       true, 0, 2.0 * double(z.bytes())},
      {"softmax_xent_backward (no dloss, accumulate)",
       [p](CommandList& cl, const Views& v) {
         return record_softmax_xent_backward(cl, v.at("z"), v.at("labels"), TensorView{}, v.at("dz_acc"), true, p);
       }},
  };
  const Tolerance exact{0, 0};
  c.checks = {{"loss", "loss", {1e-5, 1e-5}}, {"top1", "top1", exact},   {"top5", "top5", exact},
              {"invalid", "invalid", exact},  {"dz", "dz_dloss", {}},    {"dz_acc", "dz", {}, true}};
  c.gradients = {{"z", "dz"}};
  c.loss = {{"loss", ""}};
  c.shaders = {ShaderId::softmax_xent_forward, ShaderId::softmax_xent_backward};
  return c;
}

}  // namespace

std::vector<OpCase> softmax_xent_cases(int64_t n) {
  std::vector<OpCase> out = {
      xent_case(1, 1, 1, 3),
      xent_case(1, 3, 2, 3),
      xent_case(3, 10, 3, 3),
      xent_case(65, 17, 4, 5),
      xent_case(100, 7, 5, 20),  // more rows than the forward's 64 invocations
      xent_case(4, 10, 6, 3),
  };
  for (float eps : {0.1f, 0.25f, 1.0f}) {
    out.push_back(xent_case(1, 1, 31, 3, eps));
    out.push_back(xent_case(3, 10, 32, 3, eps));
    out.push_back(xent_case(65, 17, 33, 5, eps));
  }
  // CIFAR (K=10) and ImageNet (K=1000) at batch 1, 2 and 128.
  out.push_back(xent_case(n, 1000, 13, 8, 0, "alexnet", "loss"));
  out.push_back(xent_case(1, 10, 11, 4, 0, "cifar", "loss (batch 1)", false));
  out.push_back(xent_case(128, 10, 12, 4, 0, "cifar", "loss (batch 128)", false));
  out.push_back(xent_case(2, 1000, 14, 8, 0, "imagenet", "loss (batch 2)", false));
  out.push_back(xent_case(128, 1000, 15, 8, 0, "imagenet", "loss (batch 128)", false));
  out.push_back(xent_case(128, 10, 34, 4, 0.1f, "cifar", "loss, smoothing 0.1 (batch 128)", false));
  out.push_back(xent_case(2, 1000, 35, 8, 0.1f, "imagenet", "loss, smoothing 0.1 (batch 2)", false));
  out.push_back(xent_case(128, 1000, 36, 8, 0.1f, "imagenet", "loss, smoothing 0.1 (batch 128)", false));
  return out;
}

}  // namespace vknn::cases
