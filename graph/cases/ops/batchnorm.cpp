// Batch normalization: the training forward (batch statistics, running-stat update, saved
// statistics) and the inference forward (running statistics; saving them, and without saving
// on both variants and on the profile's choice), each with the plain and the accumulating
// backward, with and without the fused ReLU; the synchronized kernels (this process's moments
// and backward sums, the forward and backward that take the whole batch's values); tiny and
// odd shapes and ResNet-50's layers. x in [-1, 3]: a nonzero mean exercises the two-pass
// variance. Outputs start as garbage (or as the accumulation base), so an unwritten element
// shows up. The fp16 variants (x and y fp16, as fp16 training stores them) at odd shapes.
#include "vknn/cases/case.h"
#include "vknn/ops/batchnorm.h"

#include <fmt/format.h>

namespace vknn::cases {
namespace {

// dgamma and dbeta (and the synchronized kernels' per-channel sums) of the big-channel layers
// are fp32 sums of M = 6272..25088 terms of magnitude ~1 (per-invocation partial sums, then a
// workgroup tree): their rounding error grows with M and reaches ~1.5e-5 absolute on lavapipe,
// so a value that happens to be near zero needs abs 1e-4. Everything else, dx included, holds
// the default 1e-5 / 1e-4.
constexpr Tolerance kBigChannelSums{1e-4, 1e-4};

struct Where {
  std::string model, layer;
  bool bench = true;
  Tolerance sums;  // of dgamma, dbeta, moments and backward sums
};

BatchNormParams bn(bool training, bool relu, float eps = 1e-5f) {
  BatchNormParams p;
  p.training = training;
  p.relu = relu;
  p.eps = eps;
  return p;
}

std::string describe(const Shape& s, const BatchNormParams& p) {
  return fmt::format("{} {}{}{}{}", s.str(), p.training ? "training" : "inference", p.relu ? " relu" : "",
                     p.eps != 1e-5f ? fmt::format(" eps {}", p.eps) : "",
                     p.biased_running_var ? " biased running var" : "");
}

OpCase base_case(const Shape& s, const BatchNormParams& p, uint32_t seed, const Where& where) {
  const Shape k{s[1]};
  OpCase c;
  c.model = where.model, c.layer = where.layer, c.bench = where.bench;
  c.params = p;
  c.seed = seed;
  c.tensors = {{"x", s, uniform(-1, 3)},         {"gamma", k, uniform(0.5f, 1.5f)},
               {"beta", k, uniform()},           {"running_mean", k, uniform()},
               {"running_var", k, uniform(0.5f, 2.0f)}, {"y", s, uniform()},
               {"save_mean", k, uniform()},      {"save_invstd", k, uniform()},
               {"dy", s, uniform()},             {"dx", s, uniform()},
               {"dgamma", k, uniform()},         {"dbeta", k, uniform()}};
  // The fused ReLU's backward masks dy by the device's y > 0 (an element within rounding of
  // zero must not flip the mask between device and reference).
  if (p.relu) c.device_outputs = {"y"};
  return c;
}

Record forward(const BatchNormParams& p, const std::string& y, bool save) {
  return [p, y, save](CommandList& cl, const Views& v) {
    return record_batchnorm_forward(cl, p, v.at("x"), v.at("gamma"), v.at("beta"), v.at("running_mean"),
                                    v.at("running_var"), v.at(y), save ? v.at("save_mean") : TensorView{},
                                    save ? v.at("save_invstd") : TensorView{});
  };
}

Record backward(const BatchNormParams& p, const std::string& suffix, bool accumulate) {
  return [p, suffix, accumulate](CommandList& cl, const Views& v) {
    return record_batchnorm_backward(cl, p, v.at("x"), v.at("gamma"), v.at("save_mean"), v.at("save_invstd"),
                                     v.at("y"), v.at("dy"), v.at("dx" + suffix), v.at("dgamma" + suffix),
                                     v.at("dbeta" + suffix), accumulate, accumulate);
  };
}

// The forward (saving its statistics), in inference also without saving them on either
// variant and on the profile's choice, then the backward overwriting and accumulating.
void add(std::vector<OpCase>& out, const Shape& s, const BatchNormParams& p, uint32_t seed, Where where = {}) {
  OpCase c = base_case(s, p, seed, where);
  c.name = describe(s, p);
  c.tensors.insert(c.tensors.end(),
                   {{"dx_acc", s, uniform()}, {"dgamma_acc", {s[1]}, uniform()}, {"dbeta_acc", {s[1]}, uniform()}});
  const double b = double(s.bytes());
  c.steps = {{p.training ? "batchnorm_forward (training)" : "batchnorm_forward (inference, saving statistics)",
              forward(p, "y", true), true, 0, 3 * b}};
  c.checks = {{"y", "y"},
              {"save_mean", "save_mean"},
              {"save_invstd", "save_invstd"},
              {"running_mean", "running_mean"},
              {"running_var", "running_var"}};
  c.shaders = {ShaderId::batchnorm_forward, ShaderId::batchnorm_backward};
  if (!p.training) {
    const std::pair<BatchNormVariant, const char*> variants[] = {{BatchNormVariant::elementwise, "elementwise"},
                                                                 {BatchNormVariant::per_channel, "per_channel"},
                                                                 {BatchNormVariant::automatic, "automatic"}};
    for (const auto& [variant, vname] : variants) {
      BatchNormParams q = p;
      q.variant = variant;
      const std::string y = std::string("y_") + vname;
      c.tensors.push_back({y, s, uniform()});
      c.steps.push_back({fmt::format("batchnorm_forward (inference, {})", vname), forward(q, y, false),
                         variant != BatchNormVariant::automatic, 0, 2 * b});
      c.checks.push_back({y, "y"});
    }
    c.shaders.push_back(ShaderId::batchnorm_inference);
  }
  c.steps.push_back({"batchnorm_backward", backward(p, "", false), true, 0, (p.relu ? 5 : 4) * b});
  c.steps.push_back({"batchnorm_backward (accumulate)", backward(p, "_acc", true)});
  c.checks.insert(c.checks.end(), {{"dx", "dx"},
                                   {"dgamma", "dgamma", where.sums},
                                   {"dbeta", "dbeta", where.sums},
                                   {"dx_acc", "dx", {}, true},
                                   {"dgamma_acc", "dgamma", where.sums, true},
                                   {"dbeta_acc", "dbeta", where.sums, true}});
  c.gradients = {{"x", "dx"}, {"gamma", "dgamma"}, {"beta", "dbeta"}};
  c.loss = {{"y", "dy"}};
  out.push_back(std::move(c));
}

// The fp16 variants: the forward on fp16 x and y (batchnorm_forward_f16; in inference also
// batchnorm_inference_f16), then the backward reading those fp16 x and y with fp32 gradients
// (batchnorm_backward_f16), as fp16 training runs them. x in multiples of 1/64, which fp16
// holds exactly, so the statistics and every gradient are fp32-accurate; y is rounded once to
// fp16 (2^-11 relative), and the fused ReLU's mask is the device's (device_outputs).
void add_half(std::vector<OpCase>& out, const Shape& s, const BatchNormParams& p, uint32_t seed, Where where = {}) {
  OpCase c = base_case(s, p, seed, where);
  c.name = "fp16 " + describe(s, p);
  c.tensors[0].fill.quantize = 64;
  c.tensors.insert(c.tensors.end(), {{"x16", s, zeros()}, {"y16", s, zeros()}});
  const auto half = [](const Views& v) {
    Views h = v;
    for (const char* t : {"x", "y"}) h[t] = as_f16(v.at(std::string(t) + "16"));
    return h;
  };
  const double e = double(s.numel());
  c.steps = {cast_step("x", "x16", true),
             {"batchnorm_forward (fp16)",
              [f = forward(p, "y", true), half](CommandList& cl, const Views& v) { return f(cl, half(v)); }, true, 0,
              6 * e},
             cast_step("y16", "y", false)};
  const Tolerance rounded{1e-3, 2e-3};  // one rounding to fp16
  c.checks = {{"y", "y", rounded},
              {"save_mean", "save_mean"},
              {"save_invstd", "save_invstd"},
              {"running_mean", "running_mean"},
              {"running_var", "running_var"}};
  c.shaders = {ShaderId::cast_to_f16, ShaderId::batchnorm_forward_f16, ShaderId::cast_to_f32,
               ShaderId::batchnorm_backward_f16};
  if (!p.training) {
    BatchNormParams q = p;
    q.variant = BatchNormVariant::elementwise;
    c.tensors.insert(c.tensors.end(), {{"y_elementwise", s, uniform()}, {"y_elementwise16", s, zeros()}});
    c.steps.push_back({"batchnorm_forward (fp16, inference, elementwise)",
                       [f = forward(q, "y_elementwise16", false), half](CommandList& cl, const Views& v) {
                         Views h = half(v);
                         h["y_elementwise16"] = as_f16(v.at("y_elementwise16"));
                         return f(cl, h);
                       },
                       true, 0, 4 * e});
    c.steps.push_back(cast_step("y_elementwise16", "y_elementwise", false));
    c.checks.push_back({"y_elementwise", "y", rounded});
    c.shaders.push_back(ShaderId::batchnorm_inference_f16);
  }
  c.steps.push_back({"batchnorm_backward (fp16 x and y)",
                     [b = backward(p, "", false), half](CommandList& cl, const Views& v) { return b(cl, half(v)); },
                     true, 0, (p.relu ? 14 : 12) * e});
  c.checks.insert(c.checks.end(), {{"dx", "dx"}, {"dgamma", "dgamma", where.sums}, {"dbeta", "dbeta", where.sums}});
  out.push_back(std::move(c));
}

// Synchronized batch norm's kernels (synchronize_batchnorm): this process's moments and
// backward sums, and the training forward and backward that take the whole batch's values,
// here values of other processes (random: the given variance in [0.5, 2]), so a kernel that
// used its own statistics instead would fail. No gradients: the given values stand for the
// other processes' share, which the backward's formula differentiates through.
void add_sync(std::vector<OpCase>& out, const Shape& s, bool relu, uint32_t seed, Where where = {}) {
  const BatchNormParams p = bn(true, relu);
  OpCase c = base_case(s, p, seed, where);
  c.name = describe(s, p) + " synchronized";
  const int64_t k = s[1];
  c.tensors.insert(c.tensors.end(), {{"moments", {2, k}, uniform()},
                                     {"given", {3, k}, uniform(0.5f, 2.0f)},
                                     {"sums", {2, k}, uniform()},
                                     {"given_means", {2, k}, uniform()}});
  const double b = double(s.bytes());
  c.steps = {
      {"batchnorm_moments",
       [](CommandList& cl, const Views& v) { return record_batchnorm_moments(cl, v.at("x"), v.at("moments")); }, true,
       0, 2 * b},
      {"batchnorm_forward (given statistics)",
       [p](CommandList& cl, const Views& v) {
         return record_batchnorm_forward(cl, p, v.at("x"), v.at("gamma"), v.at("beta"), v.at("running_mean"),
                                         v.at("running_var"), v.at("y"), v.at("save_mean"), v.at("save_invstd"),
                                         v.at("given"));
       },
       true, 0, 2 * b},
      {"batchnorm_backward_reduce",
       [p](CommandList& cl, const Views& v) {
         return record_batchnorm_backward_reduce(cl, p, v.at("x"), v.at("save_mean"), v.at("save_invstd"), v.at("y"),
                                                 v.at("dy"), v.at("sums"));
       },
       true, 0, (relu ? 3 : 2) * b},
      {"batchnorm_backward (given means)",
       [p](CommandList& cl, const Views& v) {
         return record_batchnorm_backward(cl, p, v.at("x"), v.at("gamma"), v.at("save_mean"), v.at("save_invstd"),
                                          v.at("y"), v.at("dy"), v.at("dx"), v.at("dgamma"), v.at("dbeta"), false,
                                          false, v.at("given_means"));
       },
       true, 0, (relu ? 5 : 4) * b},
  };
  c.checks = {{"moments", "moments", where.sums},
              {"y", "y"},
              {"save_mean", "save_mean"},
              {"save_invstd", "save_invstd"},
              {"running_mean", "running_mean"},
              {"running_var", "running_var"},
              {"sums", "sums", where.sums},
              {"dx", "dx"},
              {"dgamma", "dgamma", where.sums},
              {"dbeta", "dbeta", where.sums}};
  c.shaders = {ShaderId::batchnorm_moments, ShaderId::batchnorm_forward, ShaderId::batchnorm_backward_reduce,
               ShaderId::batchnorm_backward};
  out.push_back(std::move(c));
}

}  // namespace

std::vector<OpCase> batchnorm_cases(int64_t n) {
  std::vector<OpCase> out;
  for (bool training : {true, false}) {
    const uint32_t s = training ? 0 : 100;
    add(out, {1, 1, 1, 1}, bn(training, false), s + 1);  // M == 1: var 0, the running var uses it
    add(out, {1, 3, 1, 1}, bn(training, false), s + 2);
    add(out, {4, 1, 1, 1}, bn(training, false), s + 3);  // 1x1 images: statistics over the batch
    add(out, {2, 3, 5, 7}, bn(training, false), s + 4);
    add(out, {3, 5, 17, 19}, bn(training, false), s + 5);  // H*W not a multiple of the workgroup
    add(out, {2, 3, 9, 11}, bn(training, true), s + 6);
    add(out, {2, 3, 3, 4}, bn(training, false), s + 7);  // small enough for central differences
  }
  add(out, {1, 2, 1, 5}, bn(true, false), 8);
  add(out, {2, 3, 3, 3}, bn(true, true, 1e-3f), 9);
  add(out, {2, 2, 2, 3}, bn(false, true), 108);
  BatchNormParams onnx_training = bn(true, false, 1e-2f);  // ONNX's training-mode form
  onnx_training.biased_running_var = true;
  add(out, {2, 3, 5, 7}, onnx_training, 10);
  add_sync(out, {1, 1, 1, 1}, false, 31);
  add_sync(out, {2, 3, 5, 7}, false, 32);
  add_sync(out, {3, 5, 17, 19}, true, 33);
  // fp16 storage: odd shapes, both forms, with and without the fused ReLU.
  add_half(out, {1, 1, 1, 1}, bn(true, false), 41);
  add_half(out, {2, 3, 5, 7}, bn(true, true), 42);
  add_half(out, {3, 5, 17, 19}, bn(true, false), 43);
  add_half(out, {2, 3, 9, 11}, bn(false, true), 44);
  add_half(out, {1, 3, 1, 5}, bn(false, false), 45);

  // ResNet-50 (torchvision's v1.5): the stem with its ReLU, and the last block's bn3 (its
  // ReLU follows the residual add), at `n`; and, tested only, at batch 2 (statistics over two
  // images), the 64-channel layer1 and the 512-channel layer4 batch norms.
  add(out, {n, 64, 112, 112}, bn(true, true), 11, {"resnet50", "bn1", true, kBigChannelSums});
  add(out, {n, 2048, 7, 7}, bn(true, false), 17, {"resnet50", "layer4.2.bn3"});
  add(out, {2, 64, 56, 56}, bn(true, false), 12, {"resnet50", "layer1.0.bn1 (batch 2)", false, kBigChannelSums});
  add(out, {2, 64, 56, 56}, bn(false, true), 13, {"resnet50", "layer1.0.bn1 (batch 2)", false, kBigChannelSums});
  add(out, {2, 512, 7, 7}, bn(true, true), 14, {"resnet50", "layer4.1.bn1 (batch 2)", false});
  add(out, {2, 2048, 7, 7}, bn(true, false), 15, {"resnet50", "layer4.2.bn3 (batch 2)", false});
  add(out, {2, 2048, 7, 7}, bn(false, false), 16, {"resnet50", "layer4.2.bn3 (batch 2)", false});
  add_sync(out, {2, 64, 56, 56}, true, 34, {"resnet50", "layer1.0.bn1 (batch 2)", false, kBigChannelSums});
  add_half(out, {n, 16, 32, 32}, bn(true, true), 46, {"cifar-resnet20", "layer1.0.bn1 (fp16)"});
  return out;
}

}  // namespace vknn::cases
