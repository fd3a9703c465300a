// Broadcasting + - * /: every op over scalar, per-channel (squeeze-excitation), row,
// outer-product and equal shapes, forward (overwriting and accumulating) and both gradients
// (overwriting and accumulating, including sums long enough to need several passes).
#include "vknn/cases/case.h"
#include "vknn/ops/binary.h"

#include <fmt/format.h>

namespace vknn::cases {
namespace {

OpCase binary_case(BinaryOp op, const Shape& as, const Shape& bs, uint32_t seed, std::string model = {},
                   std::string layer = {}) {
  const Shape ys = *broadcast_shapes(as, bs);
  OpCase c;
  c.name = fmt::format("{} {} {}", binary_name(op), as.str(), bs.str());
  c.model = std::move(model), c.layer = std::move(layer);
  c.params = op;
  c.seed = seed;
  c.tensors = {{"a", as, uniform(-2, 2)},   {"b", bs, uniform(0.5f, 2)},  // b: a divisor away from 0
               {"dy", ys, uniform()},       {"y", ys, uniform()},        {"y_acc", ys, uniform()},
               {"da", as, uniform()},       {"db", bs, uniform()},       {"da_acc", as, uniform()},
               {"db_acc", bs, uniform()}};
  const double bytes_y = double(ys.bytes()), bytes_in = double(as.bytes() + bs.bytes());
  const std::string name = binary_name(op);
  auto backward = [op](const char* out, bool wrt_b, bool accumulate) {
    return [op, out, wrt_b, accumulate](CommandList& cl, const Views& v) {
      return record_binary_backward(cl, op, v.at("a"), v.at("b"), v.at("dy"), wrt_b, v.at(out), accumulate);
    };
  };
  c.steps = {
      {"binary_forward (" + name + ")",
       [op](CommandList& cl, const Views& v) { return record_binary_forward(cl, op, v.at("a"), v.at("b"), v.at("y")); },
       true, 0, bytes_in + bytes_y},
      {"binary_forward (accumulate)",
       [op](CommandList& cl, const Views& v) {
         return record_binary_forward(cl, op, v.at("a"), v.at("b"), v.at("y_acc"), true);
       }},
      {"binary_backward (" + name + ", da)", backward("da", false, false), true, 0, bytes_in + bytes_y},
      {"binary_backward (" + name + ", db)", backward("db", true, false), true, 0, bytes_in + bytes_y},
      {"binary_backward (da, accumulate)", backward("da_acc", false, true)},
      {"binary_backward (db, accumulate)", backward("db_acc", true, true)},
  };
  const Tolerance tol{1e-5, 1e-5};
  const Tolerance sum_tol{1e-4, 1e-4};  // sums over up to ~10^5 fp32 terms
  c.checks = {{"y", "y", tol},          {"y_acc", "y", tol, true},      {"da", "da", sum_tol},
              {"db", "db", sum_tol},    {"da_acc", "da", sum_tol, true}, {"db_acc", "db", sum_tol, true}};
  c.gradients = {{"a", "da"}, {"b", "db"}};
  c.loss = {{"y", "dy"}};
  c.shaders = {ShaderId::binary_forward, ShaderId::binary_backward};
  return c;
}

}  // namespace

std::vector<OpCase> binary_cases(int64_t n) {
  std::vector<OpCase> out;
  uint32_t seed = 1;
  const std::pair<Shape, Shape> shapes[] = {
      {{1}, {1}},          {{3}, {1}},          {{1}, {2, 3, 5, 7}}, {{2, 3, 5, 7}, {2, 3, 1, 1}},
      {{2, 3, 1, 1}, {2, 3, 5, 7}}, {{2, 3, 5, 7}, {3, 1, 1}}, {{5, 1}, {1, 7}}, {{2, 1, 5, 1}, {3, 1, 7}},
      {{2, 3, 5, 7}, {2, 3, 5, 7}}, {{65}, {65}},
  };
  for (BinaryOp op : {BinaryOp::add, BinaryOp::sub, BinaryOp::mul, BinaryOp::div})
    for (const auto& [as, bs] : shapes) {
      out.push_back(binary_case(op, as, bs, seed));
      seed += 10;
    }
  out.push_back(binary_case(BinaryOp::mul, {2 * n, 96, 1, 1}, {2 * n, 96, 28, 28}, 201, "mobilenet_v3_small",
                            "se gate x features"));
  out.push_back(binary_case(BinaryOp::mul, {n, 32, 112, 112}, {n, 32, 1, 1}, 202, "efficientnet_b0",
                            "stem se (12544 per sum)"));
  out.push_back(binary_case(BinaryOp::mul, {n, 16, 112, 112}, {n, 16, 112, 112}, 203, "efficientnet_b0",
                            "silu's x * sigmoid(x)"));
  // A scalar: one sum of 75264 terms, several passes.
  out.push_back(binary_case(BinaryOp::add, {n, 24, 56, 56}, {1}, 204, "scalar", "24x56x56 + scalar"));
  return out;
}

}  // namespace vknn::cases
