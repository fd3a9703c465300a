// vknn bench: timings as medians over repeated runs, never asserted anywhere.
#include "bench_model.h"
#include "commands.h"
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

}  // namespace

DeviceSelector device_selector(const std::string& text) {
  DeviceSelector sel;
  if (!text.empty() && std::all_of(text.begin(), text.end(), ::isdigit)) sel.index = uint32_t(std::stoul(text));
  else sel.name_contains = text;
  return sel;
}

ContextOptions context_options(Args& args) {
  ContextOptions opt;
  std::string dev;
  if (take_option(args, "--device", dev)) opt.device = device_selector(dev);
  return opt;
}

namespace {

int bench_matmul(Args args) {
  const bool json = take_flag(args, "--json");
  std::string v;
  uint32_t m = 1024, n = 1024, k = 1024;
  int iters = 10, warmup = 2;
  if (take_option(args, "--size", v)) m = n = k = uint32_t(std::stoul(v));
  if (take_option(args, "--m", v)) m = uint32_t(std::stoul(v));
  if (take_option(args, "--n", v)) n = uint32_t(std::stoul(v));
  if (take_option(args, "--k", v)) k = uint32_t(std::stoul(v));
  if (take_option(args, "--iters", v)) iters = std::max(1, std::stoi(v));
  if (take_option(args, "--warmup", v)) warmup = std::max(0, std::stoi(v));
  ContextOptions opt = context_options(args);
  if (!args.empty()) {
    fmt::print(stderr, "vknn bench matmul: unexpected argument '{}'\n", args[0]);
    return 2;
  }
  auto ctx = Context::create(opt);
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

}  // namespace

int cmd_bench(const Args& in) {
  Args args = in;
  if (args.empty()) {
    fmt::print(stderr, "vknn bench: which benchmark? (matmul, ops, --model)\n{}", bench_usage());
    return 2;
  }
  if (args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    fmt::print("{}", bench_usage());
    return 0;
  }
  // `vknn bench --model NAME ...` (options first): a whole network.
  if (args[0].rfind("--", 0) == 0) return bench_model(args);
  std::string what = args[0];
  args.erase(args.begin());
  if (what == "matmul") return bench_matmul(args);
  if (what == "ops") return bench_ops(args);
  fmt::print(stderr, "vknn bench: unknown benchmark '{}'\n{}", what, bench_usage());
  return 2;
}

}  // namespace vknn::tools
