// LRN: forward (y and the kept scale) and backward (plain and accumulating), both variants
// at every shape: tiny and odd shapes, windows wider than C, size 1, a size over the column
// variant's limit (it falls back to per_element), and AlexNet's two layers.
#include "vknn/cases/case.h"
#include "vknn/ops/lrn.h"

#include <fmt/format.h>

namespace vknn::cases {
namespace {

void add(std::vector<OpCase>& out, const LrnParams& base, const Shape& s, uint32_t seed, float range,
         std::string model = {}, std::string layer = {}, bool bench = true) {
  for (LrnVariant variant : {LrnVariant::per_element, LrnVariant::per_column}) {
    LrnParams p = base;
    p.variant = variant;
    const bool column = variant == LrnVariant::per_column && p.size <= kLrnMaxColumnSize;
    const char* vname = variant == LrnVariant::per_column ? "per_column" : "per_element";
    OpCase c;
    c.name = fmt::format("{} size {} alpha {} beta {} k {} {}", s.str(), p.size, p.alpha, p.beta, p.k, vname);
    c.model = model, c.layer = layer, c.bench = bench;
    c.params = p;
    c.seed = seed;
    c.tensors = {{"x", s, uniform(-range, range)}, {"y", s, uniform()},  {"scale", s, uniform()},
                 {"dy", s, uniform()},             {"dx", s, uniform()}, {"dx_acc", s, uniform()}};
    const double b = double(s.bytes());
    c.steps = {
        {fmt::format("lrn_forward ({})", vname),
         [p](CommandList& cl, const Views& v) { return record_lrn_forward(cl, p, v.at("x"), v.at("y"), v.at("scale")); },
         true, 0, 3 * b},
        {fmt::format("lrn_backward ({})", vname),
         [p](CommandList& cl, const Views& v) {
           return record_lrn_backward(cl, p, v.at("x"), v.at("scale"), v.at("dy"), v.at("dx"), false);
         },
         true, 0, 4 * b},
        {"lrn_backward (accumulate)",
         [p](CommandList& cl, const Views& v) {
           return record_lrn_backward(cl, p, v.at("x"), v.at("scale"), v.at("dy"), v.at("dx_acc"), true);
         }},
    };
    c.checks = {{"y", "y"}, {"scale", "scale"}, {"dx", "dx"}, {"dx_acc", "dx", {}, true}};
    c.gradients = {{"x", "dx"}};
    c.loss = {{"y", "dy"}};
    if (column)
      c.shaders = {ShaderId::lrn_forward_column, ShaderId::lrn_backward_column};
    else
      c.shaders = {ShaderId::lrn_forward, ShaderId::lrn_backward};
    out.push_back(std::move(c));
  }
}

}  // namespace

std::vector<OpCase> lrn_cases(int64_t n) {
  std::vector<OpCase> out;
  const LrnParams paper;
  add(out, paper, {1, 1, 1, 1}, 1, 3.0f);
  add(out, paper, {1, 3, 1, 1}, 2, 3.0f);
  add(out, paper, {2, 3, 5, 7}, 3, 3.0f);
  add(out, paper, {1, 7, 3, 3}, 4, 3.0f);
  add(out, {3, 0.1f, 0.75f, 1.0f}, {1, 7, 3, 3}, 5, 2.0f);  // the cross-channel term matters
  add(out, {5, 0.1f, 0.75f, 2.0f}, {2, 6, 9, 11}, 6, 2.0f);
  add(out, {9, 0.05f, 0.5f, 2.0f}, {1, 4, 2, 2}, 7, 2.0f);      // window wider than C
  add(out, {17, 0.05f, 0.75f, 2.0f}, {1, 20, 3, 1}, 9, 2.0f);   // over kLrnMaxColumnSize: per_element
  add(out, {1, 0.1f, 0.75f, 2.0f}, {1, 5, 3, 2}, 8, 2.0f);      // size 1: per element
  add(out, paper, {n, 96, 55, 55}, 11, 10.0f, "alexnet", "norm1");
  add(out, paper, {n, 256, 27, 27}, 13, 10.0f, "alexnet", "norm2");
  // The columns' halves at batch 2, where the cross-channel term matters.
  add(out, {5, 0.1f, 0.75f, 2.0f}, {2, 48, 55, 55}, 12, 2.0f, "alexnet", "norm1 (one column, alpha 0.1)", false);
  add(out, {5, 0.1f, 0.75f, 2.0f}, {2, 128, 27, 27}, 14, 2.0f, "alexnet", "norm2 (one column, alpha 0.1)", false);
  return out;
}

}  // namespace vknn::cases
