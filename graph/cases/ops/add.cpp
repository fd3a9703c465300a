// The residual add: forward (plain, accumulating, in place), the fanned-out backward with each
// target's accumulate flag and absent targets, and the copy / accumulate / scale helpers, at
// odd sizes and ResNet-50's residual shapes.
#include "vknn/cases/case.h"
#include "vknn/ops/add.h"

namespace vknn::cases {
namespace {

OpCase add_case(const Shape& s, uint32_t seed, std::string model = {}, std::string layer = {}) {
  OpCase c;
  c.name = s.str();
  c.model = std::move(model), c.layer = std::move(layer);
  c.seed = seed;
  c.tensors = {{"a", s, uniform()},         {"b", s, uniform()},        {"dy", s, uniform()},
               {"y", s, uniform()},         {"y_acc", s, uniform()},    {"inplace", s, copy_of("a")},
               {"da", s, uniform()},        {"db", s, uniform()},       {"da2", s, uniform()},
               {"db2", s, uniform()},       {"only_b", s, uniform()},   {"only_a", s, uniform()},
               {"copy", s, uniform()},      {"acc", s, uniform()},      {"scaled", s, uniform()}};
  const double b = double(s.bytes());
  c.steps = {
      {"add_forward", [](CommandList& cl, const Views& v) { return record_add_forward(cl, v.at("a"), v.at("b"), v.at("y")); },
       true, 0, 3 * b},
      {"add_forward (accumulate)",
       [](CommandList& cl, const Views& v) { return record_add_forward(cl, v.at("a"), v.at("b"), v.at("y_acc"), true); }},
      {"add_forward (in place, a += b)",
       [](CommandList& cl, const Views& v) {
         return record_add_forward(cl, v.at("inplace"), v.at("b"), v.at("inplace"));
       }},
      {"add_backward",
       [](CommandList& cl, const Views& v) { return record_add_backward(cl, v.at("dy"), v.at("da"), false, v.at("db"), true); },
       true, 0, 3 * b},
      {"add_backward (accumulate a)",
       [](CommandList& cl, const Views& v) {
         return record_add_backward(cl, v.at("dy"), v.at("da2"), true, v.at("db2"), false);
       }},
      {"add_backward (b alone)",
       [](CommandList& cl, const Views& v) {
         return record_add_backward(cl, v.at("dy"), TensorView{}, false, v.at("only_b"), true);
       }},
      {"add_backward (a alone)",
       [](CommandList& cl, const Views& v) {
         return record_add_backward(cl, v.at("dy"), v.at("only_a"), false, TensorView{}, true);
       }},
      {"copy", [](CommandList& cl, const Views& v) { return record_copy(cl, v.at("dy"), v.at("copy")); }, true, 0, 2 * b},
      {"accumulate", [](CommandList& cl, const Views& v) { return record_accumulate(cl, v.at("dy"), v.at("acc")); }},
      {"scale", [](CommandList& cl, const Views& v) { return record_scale(cl, v.at("dy"), -0.5f, v.at("scaled"), false); }},
  };
  const Tolerance exact{0, 0};
  c.checks = {{"y", "y"},
              {"y_acc", "y", {}, true},
              {"inplace", "y"},
              {"da", "da", exact},
              {"db", "db", {}, true},
              {"da2", "da", {}, true},
              {"db2", "db", exact},
              {"only_b", "db", {}, true},
              {"only_a", "da", exact},
              {"copy", "dy", exact},
              {"acc", "dy", {}, true},
              {"scaled", "scaled", exact}};
  c.gradients = {{"a", "da"}, {"b", "db"}};
  c.loss = {{"y", "dy"}};
  c.shaders = {ShaderId::add_forward, ShaderId::add_backward, ShaderId::add_scaled};
  return c;
}

// The fp16 variant (add_forward_f16): a and b in multiples of 1/64 in [-1, 1], which fp16
// holds exactly, and so it does their sum: y is exact.
OpCase add_half_case(const Shape& s, uint32_t seed, std::string model = {}, std::string layer = {}) {
  OpCase c;
  c.name = "fp16 " + s.str();
  c.model = std::move(model), c.layer = std::move(layer);
  c.seed = seed;
  Fill q = uniform();
  q.quantize = 64;
  c.tensors = {{"a", s, q},          {"b", s, q},          {"dy", s, uniform()}, {"y", s, uniform()},
               {"a16", s, zeros()}, {"b16", s, zeros()}, {"y16", s, zeros()}};
  c.steps = {cast_step("a", "a16", true),
             cast_step("b", "b16", true),
             {"add_forward (fp16)",
              [](CommandList& cl, const Views& v) {
                return record_add_forward(cl, as_f16(v.at("a16")), as_f16(v.at("b16")), as_f16(v.at("y16")));
              },
              true, 0, 6 * double(s.numel())},
             cast_step("y16", "y", false)};
  c.checks = {{"y", "y", {0, 0}}};
  c.shaders = {ShaderId::cast_to_f16, ShaderId::add_forward_f16, ShaderId::cast_to_f32};
  return c;
}

}  // namespace

std::vector<OpCase> add_cases(int64_t n) {
  return {
      add_half_case({1}, 11),
      add_half_case({37}, 12),
      add_half_case({2, 3, 5, 7}, 13),
      add_half_case({n, 16, 32, 32}, 14, "cifar-resnet20", "layer1.0 residual (fp16)"),
      add_case({1}, 1),
      add_case({3}, 2),
      add_case({37}, 7),
      add_case({65}, 3),
      add_case({2, 3, 5, 7}, 4),
      add_case({n, 256, 56, 56}, 5, "resnet50", "layer1 residual"),
      add_case({2 * n, 2048, 7, 7}, 6, "resnet50", "layer4 residual (batch 2n)"),
  };
}

}  // namespace vknn::cases
