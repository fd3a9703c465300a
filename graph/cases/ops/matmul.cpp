// Batched, strided matmul with its fused epilogue (alpha, bias per row or column, ReLU,
// accumulate), every kernel forced through MatmulDesc::variant: the tiled kernels
// (register-blocked, shared-memory) at odd sizes, transposes and batches, the small-M and
// small-K kernels (rows_dot, columns) where their layouts hold, and the GEMMs of real layers.
// Then the graph op (y = alpha * op(a)·op(b), MatmulNodeParams) with its backward to both
// operands: transposes, alpha, odd sizes, batch dims equal or on one side only (the shared
// operand's gradient summed over the batch), Gemm's beta * c in every broadcast ONNX allows
// with its gradient, every product on the tiled kernels and on the device's automatic choice,
// and ViT-B/16's attention products.
#include "vknn/cases/case.h"
#include "vknn/ops/matmul.h"

#include <fmt/format.h>

#include <algorithm>
#include <optional>

namespace vknn::cases {
namespace {

struct Where {
  std::string model, layer;
};

const char* variant_name(MatmulVariant v) {
  switch (v) {
    case MatmulVariant::register_blocked: return "register";
    case MatmulVariant::shared_tiled: return "shared";
    case MatmulVariant::rows_dot: return "rows_dot";
    case MatmulVariant::columns: return "columns";
    case MatmulVariant::automatic: break;
  }
  return "automatic";
}

// C[z](M,N) = relu?(0.5 * A[z]·B[z] + bias + (accumulate ? C[z] : 0)); a transposed operand is
// stored transposed and read through swapped strides. shared_a: one A for every z (the
// weights of a 1x1 convolution run as a GEMM per image).
void add(std::vector<OpCase>& out, MatmulVariant variant, uint32_t M, uint32_t N, uint32_t K, uint32_t batch,
         bool transpose_a, bool transpose_b, MatmulDesc::Bias bias, bool relu, bool accumulate, uint32_t seed,
         Where where = {}, bool shared_a = false) {
  MatmulDesc d;
  d.M = M, d.N = N, d.K = K, d.batch = batch;
  d.a_m = transpose_a ? 1 : K, d.a_k = transpose_a ? M : 1;
  d.b_k = transpose_b ? 1 : N, d.b_n = transpose_b ? K : 1;
  d.c_m = N, d.c_n = 1;
  d.a_batch = shared_a ? 0 : M * K, d.b_batch = K * N, d.c_batch = M * N, d.bias_batch = std::max(M, N);
  d.bias = bias, d.relu = relu, d.accumulate = accumulate, d.alpha = 0.5f, d.variant = variant;
  const int64_t z = batch, m = M, n = N, k = K;
  OpCase c;
  static const char* bias_names[] = {"", " bias per row", " bias per column"};
  c.name = fmt::format("{} M={} N={} K={} batch {}{}{}{}{}{}{}", variant_name(variant), M, N, K, batch,
                       transpose_a ? " A^T" : "", transpose_b ? " B^T" : "", shared_a ? " shared A" : "",
                       bias_names[int(bias)], relu ? " relu" : "", accumulate ? " accumulate" : "");
  c.model = where.model, c.layer = where.layer;
  c.params = d;
  c.seed = seed;
  const Shape a = transpose_a ? Shape{shared_a ? 1 : z, k, m} : Shape{shared_a ? 1 : z, m, k};
  c.tensors = {{"a", a, uniform()},
               {"b", transpose_b ? Shape{z, n, k} : Shape{z, k, n}, uniform()},
               {"c", {z, m, n}, uniform()}};  // the accumulation base, else garbage
  if (bias != MatmulDesc::Bias::none) c.tensors.push_back({"bias", {z, std::max(m, n)}, uniform()});
  c.steps = {{fmt::format("matmul ({})", variant_name(variant)),
              [d](CommandList& cl, const Views& v) {
                const auto has_bias = v.find("bias");
                return record_matmul(cl, d, v.at("a").buffer, v.at("b").buffer,
                                     has_bias == v.end() ? BufferRef{} : has_bias->second.buffer, v.at("c").buffer);
              },
              true, 2.0 * double(z * m * n * k)}};
  c.checks = {{"c", "c", {1e-4, 1e-4}}};
  c.shaders = {matmul_shader(variant)};
  out.push_back(std::move(c));
}

// The graph op: forward, and the backward to a and to b (overwriting and accumulating).
// Outputs start as garbage (or as the accumulation base), so an unwritten element shows up.
// With c: y = alpha * op(a)·op(b) + beta * c, and the backward to c.
void add_node(std::vector<OpCase>& out, MatmulVariant variant, const Shape& as, const Shape& bs, bool trans_a,
              bool trans_b, float alpha, uint32_t seed, Where where = {}, std::optional<Shape> cs = {},
              float beta = 1.0f) {
  MatmulNodeParams p;
  p.trans_a = trans_a, p.trans_b = trans_b, p.alpha = alpha, p.beta = beta, p.variant = variant;
  const Shape ys = *matmul_output_shape(p, as, bs, cs ? &*cs : nullptr);
  const int64_t k = trans_a ? as[as.rank() - 2] : as[as.rank() - 1];
  OpCase c;
  c.name = fmt::format("node {} {}{} x {}{} alpha {}{}", variant_name(variant), as.str(), trans_a ? "^T" : "", bs.str(),
                       trans_b ? "^T" : "", alpha, cs ? fmt::format(" + {} * c {}", beta, cs->str()) : "");
  c.model = where.model, c.layer = where.layer;
  c.params = p;
  c.seed = seed;
  c.tensors = {{"a", as, uniform()},   {"b", bs, uniform()},      {"y", ys, uniform()},
               {"dy", ys, uniform()},  {"da", as, uniform()},     {"da_acc", as, uniform()},
               {"db", bs, uniform()},  {"db_acc", bs, uniform()}};
  const double flops = 2.0 * double(ys.numel() * k);
  auto backward = [p](MatmulPass pass, bool acc) -> Record {
    return [p, pass, acc](CommandList& cl, const Views& v) {
      const BufferRef ws = v.at("workspace").buffer;
      return pass == MatmulPass::backward_a
                 ? record_matmul_backward_a(cl, p, v.at("dy"), v.at("b"), v.at(acc ? "da_acc" : "da"), acc, ws)
                 : record_matmul_backward_b(cl, p, v.at("a"), v.at("dy"), v.at(acc ? "db_acc" : "db"), acc, ws);
    };
  };
  const bool has_c = cs.has_value();
  if (has_c)
    c.tensors.insert(c.tensors.end(), {{"c", *cs, uniform()}, {"dc", *cs, uniform()}, {"dc_acc", *cs, uniform()}});
  c.steps = {{"matmul_forward",
              [p, has_c](CommandList& cl, const Views& v) {
                return record_matmul_forward(cl, p, v.at("a"), v.at("b"), v.at("y"),
                                             has_c ? v.at("c") : TensorView{}, v.at("workspace").buffer);
              },
              true, flops},
             {"matmul_backward_a", backward(MatmulPass::backward_a, false), true, flops},
             {"matmul_backward_a (accumulate)", backward(MatmulPass::backward_a, true)},
             {"matmul_backward_b", backward(MatmulPass::backward_b, false), true, flops},
             {"matmul_backward_b (accumulate)", backward(MatmulPass::backward_b, true)}};
  const Tolerance tol{1e-4, 1e-4};
  c.checks = {{"y", "y", tol},  {"da", "da", tol}, {"da_acc", "da", tol, true},
              {"db", "db", tol}, {"db_acc", "db", tol, true}};
  c.gradients = {{"a", "da"}, {"b", "db"}};
  c.loss = {{"y", "dy"}};
  if (has_c) {
    for (bool acc : {false, true})
      c.steps.push_back({acc ? "matmul_backward_c (accumulate)" : "matmul_backward_c",
                         [p, acc](CommandList& cl, const Views& v) {
                           return record_matmul_backward_c(cl, p, v.at("dy"), v.at(acc ? "dc_acc" : "dc"), acc,
                                                           v.at("workspace").buffer);
                         }});
    c.checks.push_back({"dc", "dc", tol});
    c.checks.push_back({"dc_acc", "dc", tol, true});
    c.gradients.push_back({"c", "dc"});
  }
  uint64_t ws = has_c ? 1 : 0;
  for (MatmulPass pass : {MatmulPass::backward_a, MatmulPass::backward_b})
    ws = std::max(ws, matmul_pass_workspace(p, as, bs, pass));
  c.workspace = [ws](const Context&) -> Result<uint64_t> { return ws * 4; };
  c.shaders_on = [p, as, bs, cs](Context& ctx) {
    std::vector<ShaderId> s;
    auto claim = [&s](ShaderId id) {
      if (std::find(s.begin(), s.end(), id) == s.end()) s.push_back(id);
    };
    for (MatmulPass pass : {MatmulPass::forward, MatmulPass::backward_a, MatmulPass::backward_b}) {
      claim(matmul_shader(choose_matmul_variant(ctx.profile(), *matmul_pass_desc(p, as, bs, pass))));
      if (pass != MatmulPass::forward && matmul_pass_workspace(p, as, bs, pass) > 0) claim(ShaderId::linear_sum_rows);
    }
    if (cs)
      for (MatmulPass pass : {MatmulPass::forward, MatmulPass::backward_c})
        claim(matmul_shader(choose_matmul_variant(ctx.profile(), *matmul_c_desc(p, as, bs, *cs, pass))));
    return s;
  };
  out.push_back(std::move(c));
}

void add_node_cases(std::vector<OpCase>& out, int64_t batch) {
  uint32_t seed = 60;
  for (auto v : {MatmulVariant::register_blocked, MatmulVariant::shared_tiled, MatmulVariant::automatic}) {
    add_node(out, v, {1, 1}, {1, 1}, false, false, 1.0f, seed++);
    add_node(out, v, {5, 3}, {3, 7}, false, false, 1.0f, seed++);
    add_node(out, v, {3, 5}, {3, 7}, true, false, 0.25f, seed++);
    add_node(out, v, {5, 3}, {7, 3}, false, true, -1.5f, seed++);
    add_node(out, v, {3, 5}, {7, 3}, true, true, 0.35f, seed++);
    add_node(out, v, {67, 33}, {33, 65}, false, false, 1.0f, seed++);  // past one 64x64 tile
    add_node(out, v, {33, 67}, {65, 33}, true, true, 0.5f, seed++);
    add_node(out, v, {1, 9}, {4, 9}, false, true, 1.0f, seed++);  // one row: rows_dot where automatic
    add_node(out, v, {2, 3, 4}, {2, 4, 5}, false, false, 1.0f, seed++);      // equal batch dims
    add_node(out, v, {1, 2, 3, 4}, {1, 2, 4, 3}, false, false, 1.0f, seed++);  // ONNX's test_matmul_4d
    add_node(out, v, {2, 3, 5, 4}, {4, 6}, false, false, 2.0f, seed++);  // shared b: one product for db
    add_node(out, v, {3, 4, 5}, {6, 4}, true, true, 1.0f, seed++);       // shared b, a transposed: summed
    add_node(out, v, {4, 6}, {3, 7, 6}, false, true, 0.5f, seed++);      // shared a: summed
    add_node(out, v, {1, 6, 4}, {2, 1, 6, 3}, true, false, 1.0f, seed++);  // shared a of rank 3
    // Gemm's c in every broadcast ONNX allows, with ONNX's node-test shapes among them.
    add_node(out, v, {4, 3}, {5, 4}, true, true, 0.25f, seed++, {}, Shape{1, 5}, 0.35f);
    add_node(out, v, {3, 5}, {5, 4}, false, false, 1.0f, seed++, {}, Shape{3, 4}, 1.0f);
    add_node(out, v, {2, 3}, {3, 4}, false, false, 1.0f, seed++, {}, Shape{}, 1.0f);
    add_node(out, v, {3, 7}, {7, 3}, false, false, 1.0f, seed++, {}, Shape{1}, 1.0f);
    add_node(out, v, {2, 7}, {7, 4}, false, false, 0.5f, seed++, {}, Shape{4}, -2.0f);
    add_node(out, v, {5, 6}, {3, 6}, false, true, 1.0f, seed++, {}, Shape{5, 1}, 0.5f);
    add_node(out, v, {67, 65}, {70, 65}, false, true, 1.0f, seed++, {}, Shape{67, 70}, 0.75f);  // past a tile
    add_node(out, v, {1, 1}, {1, 1}, false, false, 1.0f, seed++, {}, Shape{1, 1}, 2.0f);
  }
  // ViT-B/16's self-attention (12 heads of 64 over 197 tokens): scores = q·kᵀ / 8 and
  // out = attention·v, as batched products over (batch, heads).
  const int64_t n = batch;
  add_node(out, MatmulVariant::automatic, {n, 12, 197, 64}, {n, 12, 197, 64}, false, true, 0.125f, 90,
           {"vit_b_16", "attention scores q·kᵀ"});
  add_node(out, MatmulVariant::automatic, {n, 12, 197, 197}, {n, 12, 197, 64}, false, false, 1.0f, 91,
           {"vit_b_16", "attention · v"});
}

}  // namespace

std::vector<OpCase> matmul_cases(int64_t batch) {
  using B = MatmulDesc::Bias;
  std::vector<OpCase> out;
  uint32_t seed = 1;
  for (auto variant : {MatmulVariant::register_blocked, MatmulVariant::shared_tiled}) {
    add(out, variant, 1, 1, 1, 1, false, false, B::none, false, false, seed++);
    add(out, variant, 67, 45, 33, 1, false, false, B::per_row, true, false, seed++);
    add(out, variant, 64, 128, 70, 2, true, false, B::per_column, false, true, seed++);
    add(out, variant, 13, 7, 129, 3, false, true, B::none, true, true, seed++);
    add(out, variant, 130, 65, 9, 1, true, true, B::per_row, false, false, seed++);
  }
  // rows_dot: A and B contiguous along K (the batch-1 fully connected forward).
  for (uint32_t m : {1u, 3u, 4u}) {
    add(out, MatmulVariant::rows_dot, m, 37, 300, 1, false, true, B::per_column, true, false, seed++);
    add(out, MatmulVariant::rows_dot, m, 8, 64, 2, false, true, B::none, false, true, seed++);
  }
  // columns: B and C contiguous along N (backward to data; outer products with K = batch).
  add(out, MatmulVariant::columns, 1, 300, 70, 1, false, false, B::none, false, false, seed++);
  add(out, MatmulVariant::columns, 200, 65, 1, 1, true, false, B::per_row, false, true, seed++);
  add(out, MatmulVariant::columns, 3, 129, 5, 2, true, false, B::per_column, true, false, seed++);

  // Real layers at `batch`, each on the kernels that can take it. ResNet-50's layer1.0.conv1
  // (1x1, 64->64 on 56x56) as a GEMM per image: y(64,3136) = W(64,64)·x(64,3136) + bias.
  const auto n = uint32_t(batch);
  for (auto variant : {MatmulVariant::register_blocked, MatmulVariant::shared_tiled})
    add(out, variant, 64, 3136, 64, n, false, false, B::per_row, false, false, 40,
        {"resnet50", "layer1.0.conv1 (1x1) as a GEMM"}, true);
  // AlexNet fc8 4096->1000: forward y(n,1000) = x·Wᵀ + b, and backward to data
  // dx(n,4096) = dy(n,1000)·W. The small-M kernels only where M = batch is small.
  for (auto variant : {MatmulVariant::register_blocked, MatmulVariant::shared_tiled, MatmulVariant::rows_dot}) {
    if (variant == MatmulVariant::rows_dot && n > 4) continue;
    add(out, variant, n, 1000, 4096, 1, false, true, B::per_column, false, false, 41, {"alexnet", "fc8 forward"});
  }
  for (auto variant : {MatmulVariant::register_blocked, MatmulVariant::shared_tiled, MatmulVariant::columns}) {
    if (variant == MatmulVariant::columns && n > 4) continue;
    add(out, variant, n, 4096, 1000, 1, false, false, B::none, false, false, 42, {"alexnet", "fc8 backward data"});
  }
  add_node_cases(out, batch);
  return out;
}

}  // namespace vknn::cases
