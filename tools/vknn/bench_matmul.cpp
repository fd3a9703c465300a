// vknn bench matmul: both matrix-multiply kernel variants, timed as medians of whole submissions.
#include "bench_model.h"
#include "cli.h"
#include "timing.h"

#include "vknn/engine/commands.h"
#include "vknn/ops/matmul.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <random>

namespace vknn::tools {
namespace {

struct MatmulConfig {
  uint32_t size = 1024, m = 0, n = 0, k = 0;  // m, n, k: 0 = --size
  int iters = 10, warmup = 2;
  bool json = false;
  std::string device;
};

int bench_matmul(const MatmulConfig& cfg) {
  const bool json = cfg.json;
  const uint32_t m = cfg.m ? cfg.m : cfg.size, n = cfg.n ? cfg.n : cfg.size, k = cfg.k ? cfg.k : cfg.size;
  const int iters = cfg.iters, warmup = cfg.warmup;
  auto ctx = Context::create(context_options(cfg.device));
  if (!ctx.ok()) {
    fmt::print(stderr, "vknn bench: {}\n", ctx.error().what());
    return 1;
  }
  Context& c = **ctx;
  auto fail = [&](const Error& e) {
    fmt::print(stderr, "vknn bench matmul: {}\n", e.what());
    return 1;
  };
  auto a = Buffer::create(c, uint64_t(m) * k * 4), b = Buffer::create(c, uint64_t(k) * n * 4),
       out = Buffer::create(c, uint64_t(m) * n * 4);
  if (!a.ok()) return fail(a.error());
  if (!b.ok()) return fail(b.error());
  if (!out.ok()) return fail(out.error());
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> dist(-1, 1);
  std::vector<float> host(std::max(uint64_t(m) * k, uint64_t(k) * n));
  for (auto& x : host) x = dist(rng);
  if (auto s = c.upload(a->ref(), host.data(), uint64_t(m) * k * 4); !s.ok()) return fail(s.error());
  if (auto s = c.upload(b->ref(), host.data(), uint64_t(k) * n * 4); !s.ok()) return fail(s.error());

  const double flops = 2.0 * m * n * k;
  struct Row {
    const char* name;
    Stats stats;
  };
  std::vector<Row> rows;
  for (auto [variant, name] : {std::pair{MatmulVariant::register_blocked, "register"},
                               std::pair{MatmulVariant::shared_tiled, "shared"}}) {
    auto cl = CommandList::create(c);
    if (!cl.ok()) return fail(cl.error());
    MatmulDesc d;
    d.M = m, d.N = n, d.K = k;
    d.a_m = k, d.a_k = 1, d.b_k = n, d.b_n = 1, d.c_m = n, d.c_n = 1;
    d.variant = variant;
    if (auto s = cl->begin(); !s.ok()) return fail(s.error());
    if (auto s = record_matmul(*cl, d, a->ref(), b->ref(), {}, out->ref()); !s.ok()) return fail(s.error());
    if (auto s = cl->end(); !s.ok()) return fail(s.error());
    auto st = time_list(*cl, warmup, iters);
    if (!st.ok()) return fail(st.error());
    rows.push_back({name, *st});
  }
  const auto auto_variant = resolve_matmul_variant(c.profile(), MatmulVariant::automatic);
  if (json) {
    nlohmann::ordered_json j = {
        {"schema", kBenchSchema}, {"benchmark", "matmul"}, {"device", c.caps().name}, {"driver", c.caps().driver_name},
        {"m", m}, {"n", n}, {"k", k}, {"iters", iters},
        {"default_variant", auto_variant == MatmulVariant::register_blocked ? "register" : "shared"},
        {"variants", nlohmann::ordered_json::array()}};
    for (const auto& r : rows)
      j["variants"].push_back({{"variant", r.name},
                               {"median_ms", r.stats.median_ms},
                               {"p90_ms", r.stats.p90_ms},
                               {"min_ms", r.stats.min_ms},
                               {"gflops", flops / (r.stats.median_ms * 1e6)},
                               {"speedup_vs_register", rows[0].stats.median_ms / r.stats.median_ms}});
    fmt::print("{}\n", j.dump());
  } else {
    fmt::print("matmul {}x{}x{} on {} ({}), {} iterations after {} warm-up\n", m, n, k, c.caps().name,
               c.caps().driver_name, iters, warmup);
    for (const auto& r : rows)
      fmt::print("  {:<9} median {:8.2f} ms  p90 {:8.2f} ms  min {:8.2f} ms  {:7.2f} GFLOP/s  ({:.2f}x register){}\n",
                 r.name, r.stats.median_ms, r.stats.p90_ms, r.stats.min_ms, flops / (r.stats.median_ms * 1e6),
                 rows[0].stats.median_ms / r.stats.median_ms,
                 (std::string_view(r.name) == "register") == (auto_variant == MatmulVariant::register_blocked)
                     ? "  [default here]"
                     : "");
  }
  return 0;
}

Run setup(CLI::App& app) {
  auto cfg = std::make_shared<MatmulConfig>();
  // 16384^2 floats is 1 GiB per matrix: beyond that the benchmark measures the allocator.
  add_int(app, "--size", cfg->size, "M = N = K", 1u, 16384u);
  add_int(app, "--m", cfg->m, "rows of A and C (0: --size)", 0u, 16384u);
  add_int(app, "--n", cfg->n, "columns of B and C (0: --size)", 0u, 16384u);
  add_int(app, "--k", cfg->k, "columns of A, rows of B (0: --size)", 0u, 16384u);
  add_int(app, "--iters", cfg->iters, "timed runs", 1, 1000000);
  add_int(app, "--warmup", cfg->warmup, "untimed runs first", 0, 1000000);
  add_device(app, cfg->device);
  app.add_flag("--json", cfg->json, "print one JSON document (docs/bench-json.md)");
  return [cfg] { return bench_matmul(*cfg); };
}

[[maybe_unused]] const bool registered =
    register_command({"bench matmul", "time a matrix multiply, both kernel variants (GFLOP/s)", setup});

}  // namespace

}  // namespace vknn::tools
