// Linear: forward (bias or none, fused ReLU), backward to data, weight and bias (overwriting
// and accumulating), at odd shapes and at the classifiers of CIFAR, ResNet and AlexNet (fc6's
// weight is larger than one storage-buffer binding, so every product runs in slices); the
// forward alone at batch 1..9, where the matrix-vector kernel takes over from the matmul
// kernels; and the sum over rows and per channel that the bias gradients use. Outputs start
// as garbage (or as the accumulation base), so an unwritten element shows up.
#include "vknn/cases/case.h"
#include "vknn/ops/linear.h"
#include "vknn/ops/matmul.h"

#include <fmt/format.h>

#include <cmath>

namespace vknn::cases {
namespace {

struct Where {
  std::string model, layer;
  bool bench = true;
};

// The products linear.h documents, as record_matmul strides (unsliced: the slices of a weight
// larger than one binding take the same kernel at these shapes).
MatmulDesc product(uint32_t M, uint32_t N, uint32_t K, uint32_t a_m, uint32_t a_k, uint32_t b_k, uint32_t b_n) {
  MatmulDesc m;
  m.M = M, m.N = N, m.K = K, m.a_m = a_m, m.a_k = a_k, m.b_k = b_k, m.b_n = b_n, m.c_m = N, m.c_n = 1;
  return m;
}

// The forward's kernel on this profile: the matrix-vector kernel at batch <= 8 where the
// profile has it (64-bit loads where it has those and IN is even; the case's buffers start
// aligned), else the matmul kernel chosen for y = x·Wᵀ.
ShaderId forward_shader(const DeviceProfile& prof, uint32_t n, uint32_t in, uint32_t out) {
  if (prof.linear_gemv && n <= kGemvMaxBatch)
    return prof.linear_gemv_wide && in % 2 == 0 ? ShaderId::linear_forward_gemv64 : ShaderId::linear_forward_gemv;
  return matmul_shader(choose_matmul_variant(prof, product(n, out, in, in, 1, 1, in)));
}

const std::vector<ShaderId> kForwardShaders = {ShaderId::linear_forward_gemv, ShaderId::linear_forward_gemv64,
                                               ShaderId::matmul_register,     ShaderId::matmul_shared,
                                               ShaderId::matmul_rows_dot,     ShaderId::matmul_columns};

Shape weight_shape(int64_t in, int64_t out) { return {out, in}; }

// x (n,in), weight (out,in), bias (out) where used, y (n,out); PyTorch's initialization:
// outputs of order 1.
void add_forward_tensors(OpCase& c, int64_t n, int64_t in, int64_t out, bool bias) {
  const float bound = 1.0f / std::sqrt(float(in));
  c.tensors = {{"x", {n, in}, uniform()}, {"weight", weight_shape(in, out), uniform(-bound, bound)},
               {"y", {n, out}, uniform()}};
  if (bias) c.tensors.push_back({"bias", {out}, uniform(-bound, bound)});
}

Record forward(bool bias, bool relu) {
  return [bias, relu](CommandList& cl, const Views& v) {
    return record_linear_forward(cl, LinearParams{relu}, v.at("x"), v.at("weight"), bias ? v.at("bias") : TensorView{},
                                 v.at("y"));
  };
}

// Forward and every backward.
void add(std::vector<OpCase>& out, int64_t n, int64_t in, int64_t o, bool bias, bool relu, uint32_t seed,
         Where where = {}) {
  OpCase c;
  c.name = fmt::format("({},{})->({},{}){}{}", n, in, n, o, bias ? " bias" : "", relu ? " relu" : "");
  c.model = where.model, c.layer = where.layer, c.bench = where.bench;
  c.params = LinearParams{relu};
  c.seed = seed;
  add_forward_tensors(c, n, in, o, bias);
  const Shape xs{n, in}, ws = weight_shape(in, o), ys{n, o}, bs{o};
  c.tensors.insert(c.tensors.end(), {{"dy", ys, uniform()},
                                     {"dx", xs, uniform()},
                                     {"dx_acc", xs, uniform()},
                                     {"dweight", ws, uniform()},
                                     {"dweight_acc", ws, uniform()},
                                     {"dbias", bs, uniform()},
                                     {"dbias_acc", bs, uniform()}});
  const double flops = 2.0 * double(n * in * o);
  // With relu fused, the backward takes the gradient after the ReLU's (linear.h): dy as given.
  c.steps = {
      {"linear_forward", forward(bias, relu), true, flops},
      {"linear_backward_data",
       [](CommandList& cl, const Views& v) {
         return record_linear_backward_data(cl, v.at("dy"), v.at("weight"), v.at("dx"), false);
       },
       true, flops},
      {"linear_backward_data (accumulate)",
       [](CommandList& cl, const Views& v) {
         return record_linear_backward_data(cl, v.at("dy"), v.at("weight"), v.at("dx_acc"), true);
       }},
      {"linear_backward_weight",
       [](CommandList& cl, const Views& v) {
         return record_linear_backward_weight(cl, v.at("dy"), v.at("x"), v.at("dweight"), false);
       },
       true, flops},
      {"linear_backward_weight (accumulate)",
       [](CommandList& cl, const Views& v) {
         return record_linear_backward_weight(cl, v.at("dy"), v.at("x"), v.at("dweight_acc"), true);
       }},
      {"linear_backward_bias",
       [](CommandList& cl, const Views& v) { return record_linear_backward_bias(cl, v.at("dy"), v.at("dbias"), false); },
       true, 0, double((n + 1) * o * 4)},
      {"linear_backward_bias (accumulate)",
       [](CommandList& cl, const Views& v) {
         return record_linear_backward_bias(cl, v.at("dy"), v.at("dbias_acc"), true);
       }},
  };
  c.checks = {{"y", "y"},           {"dx", "dx"},           {"dx_acc", "dx", {}, true},
              {"dweight", "dweight"}, {"dweight_acc", "dweight", {}, true},
              {"dbias", "dbias"},     {"dbias_acc", "dbias", {}, true}};
  if (!relu) {  // with the ReLU fused, dy is not d loss / d y
    c.gradients = {{"x", "dx"}, {"weight", "dweight"}};
    if (bias) c.gradients.push_back({"bias", "dbias"});
    c.loss = {{"y", "dy"}};
  }
  c.shaders = kForwardShaders;
  c.shaders.push_back(ShaderId::linear_sum_rows);
  const auto un = uint32_t(n), ui = uint32_t(in), uo = uint32_t(o);
  c.shaders_on = [un, ui, uo](Context& ctx) {
    const DeviceProfile& prof = ctx.profile();
    return std::vector<ShaderId>{
        forward_shader(prof, un, ui, uo),
        matmul_shader(choose_matmul_variant(prof, product(un, ui, uo, uo, 1, ui, 1))),  // dx = dy·W
        matmul_shader(choose_matmul_variant(prof, product(uo, ui, un, 1, uo, ui, 1))),  // dW = dyᵀ·x
        ShaderId::linear_sum_rows};
  };
  out.push_back(std::move(c));
}

// The forward alone at batch n (test only: the benchmark times the forward in `add`).
void add_forward(std::vector<OpCase>& out, int64_t n, int64_t in, int64_t o, bool bias, bool relu, uint32_t seed,
                 std::string model = {}, std::string layer = {}) {
  OpCase c;
  c.name = fmt::format("forward at batch {} ({},{})->({},{}){}{}", n, n, in, n, o, bias ? " bias" : "",
                       relu ? " relu" : "");
  c.model = std::move(model), c.layer = std::move(layer), c.bench = false;
  c.params = LinearParams{relu};
  c.seed = seed;
  add_forward_tensors(c, n, in, o, bias);
  c.steps = {{"linear_forward", forward(bias, relu)}};
  c.checks = {{"y", "y"}};
  c.shaders = kForwardShaders;
  c.shaders_on = [un = uint32_t(n), ui = uint32_t(in), uo = uint32_t(o)](Context& ctx) {
    return std::vector<ShaderId>{forward_shader(ctx.profile(), un, ui, uo)};
  };
  out.push_back(std::move(c));
}

// out (+)= the sum of x over rows (x (R,C)) or per channel (x (N,C,H,W)).
void add_sum(std::vector<OpCase>& out, const Shape& x, bool accumulate, Tolerance tol, uint32_t seed) {
  const bool rows = x.rank() == 2;
  OpCase c;
  c.name = fmt::format("{} {}{}", rows ? "sum_rows" : "channel_sum", x.str(), accumulate ? " accumulate" : "");
  c.seed = seed;
  c.tensors = {{"x", x, uniform()}, {"sum", {x[1]}, uniform()}};
  c.steps = {{c.name, [rows, accumulate](CommandList& cl, const Views& v) {
                return rows ? record_sum_rows(cl, v.at("x"), v.at("sum"), accumulate)
                            : record_channel_sum(cl, v.at("x"), v.at("sum"), accumulate);
              }}};
  c.checks = {{"sum", "sum", tol, accumulate}};
  c.gradients = {{"x", "dx"}};  // d sum(out) / dx = 1
  c.loss = {{"sum", ""}};
  c.shaders = {ShaderId::linear_sum_rows};
  out.push_back(std::move(c));
}

}  // namespace

std::vector<OpCase> linear_cases(int64_t n) {
  std::vector<OpCase> out;
  // Tiny and odd shapes.
  add(out, 1, 1, 1, true, false, 1);
  add(out, 1, 1, 1, false, true, 2);
  add(out, 1, 3, 5, true, true, 3);
  add(out, 3, 7, 2, false, false, 4);
  add(out, 5, 65, 67, true, false, 5);  // not multiples of the 64x64 tile
  add(out, 2, 129, 130, true, true, 6);
  add(out, 17, 33, 1, true, false, 7);
  // The forward at batch 1..9: the matrix-vector kernel where the device has it, then not.
  for (int b = 1; b <= 9; ++b) {
    add_forward(out, b, 2, 1, true, false, uint32_t(100 + b));
    add_forward(out, b, 130, 67, true, true, uint32_t(110 + b));   // outputs not a multiple of the 8 per workgroup
    add_forward(out, b, 642, 9, false, false, uint32_t(120 + b));  // IN/2 odd and past 64 lanes x 5 steps
    add_forward(out, b, 131, 10, true, false, uint32_t(130 + b));  // IN odd: 32-bit loads
  }
  // The sums of the bias gradients. channel_sum over 2*27*27 = 1458 terms per channel in
  // float: a looser absolute tolerance (terms of size 1, error ~ sqrt(terms) * 2^-24 * sum).
  add_sum(out, {1, 1}, false, {}, 201);
  add_sum(out, {3, 5}, false, {}, 202);
  add_sum(out, {128, 4096}, false, {}, 203);
  add_sum(out, {7, 1000}, false, {}, 204);
  add_sum(out, {2, 96, 27, 27}, true, {1e-4, 1e-4}, 205);
  // Real layers: timed at the benchmark's batch, tested at batch 1 and 2 (and the CIFAR
  // classifier at its training batch).
  add(out, n, 64, 10, true, false, 11, {"cifar", "fc"});
  add(out, 128, 64, 10, true, false, 12, {"cifar", "fc (batch 128)", false});
  add(out, n, 512, 1000, true, false, 13, {"resnet18", "fc"});
  add(out, 2, 512, 1000, true, false, 14, {"resnet18", "fc (batch 2)", false});
  add(out, n, 2048, 1000, true, false, 15, {"resnet50", "fc"});
  add(out, 2, 2048, 1000, true, false, 16, {"resnet50", "fc (batch 2)", false});
  add(out, n, 4096, 1000, true, false, 21, {"alexnet", "fc8"});
  add(out, 2, 4096, 1000, true, false, 22, {"alexnet", "fc8 (batch 2)", false});
  add(out, n, 4096, 4096, true, true, 23, {"alexnet", "fc7"});
  add(out, 2, 4096, 4096, true, true, 24, {"alexnet", "fc7 (batch 2)", false});
  add(out, n, 9216, 4096, true, true, 31, {"alexnet", "fc6"});  // a weight larger than one binding
  add(out, 2, 9216, 4096, true, true, 32, {"alexnet", "fc6 (batch 2)", false});
  // The forward at batch 1..8 at AlexNet's fc6 (sliced weight), fc7 and fc8.
  for (int b = 1; b <= 8; ++b) {
    add_forward(out, b, 9216, 4096, true, true, uint32_t(140 + b), "alexnet", fmt::format("fc6 (batch {})", b));
    add_forward(out, b, 4096, 4096, true, true, uint32_t(150 + b), "alexnet", fmt::format("fc7 (batch {})", b));
    add_forward(out, b, 4096, 1000, true, false, uint32_t(160 + b), "alexnet", fmt::format("fc8 (batch {})", b));
  }
  return out;
}

}  // namespace vknn::cases
