// vknn bench peak / vknn bench memory: the device's own arithmetic peak (an FMA shader with
// no memory traffic) and bandwidth (a copy kernel), the yardsticks for every kernel's
// GFLOP/s and GB/s. Medians of whole submissions, like bench matmul.
#include "bench_model.h"
#include "cli.h"
#include "timing.h"

#include "vknn/engine/probe.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <vector>

namespace vknn::tools {
namespace {

struct ProbeConfig {
  uint32_t invocations = 4096, iterations = 1024;  // peak
  uint32_t mib = 64;                               // memory
  int iters = 10, warmup = 2;
  bool json = false;
  std::string device;
};

nlohmann::ordered_json device_json(const DeviceCaps& caps) {
  return {{"name", caps.name}, {"driver", caps.driver_name}, {"driver_info", caps.driver_info}};
}

int fail(const char* what, const Error& e) {
  fmt::print(stderr, "vknn bench {}: {}\n", what, e.what());
  return 1;
}

// Records `record` into one list and times its submissions.
template <class F>
Result<Stats> time_one(Context& c, const ProbeConfig& cfg, F&& record) {
  VKNN_ASSIGN(auto cl, CommandList::create(c));
  VKNN_TRY(cl.begin());
  VKNN_TRY(record(cl));
  VKNN_TRY(cl.end());
  return time_list(cl, cfg.warmup, cfg.iters);
}

void print_stats(const Stats& s, bool json, nlohmann::ordered_json& j) {
  if (json) {
    j["median_ms"] = s.median_ms, j["p90_ms"] = s.p90_ms, j["min_ms"] = s.min_ms;
  } else {
    fmt::print("  median {:8.3f} ms  p90 {:8.3f} ms  min {:8.3f} ms\n", s.median_ms, s.p90_ms, s.min_ms);
  }
}

int bench_peak(const ProbeConfig& cfg) {
  auto ctx = Context::create(context_options(cfg.device));
  if (!ctx.ok()) return fail("peak", ctx.error());
  Context& c = **ctx;
  FmaProbe p;
  p.invocations = cfg.invocations, p.iterations = cfg.iterations;
  auto sums = Buffer::create(c, uint64_t(p.invocations) * 4);
  if (!sums.ok()) return fail("peak", sums.error());
  auto st = time_one(c, cfg, [&](CommandList& cl) { return record_probe_fma(cl, p, sums->ref()); });
  if (!st.ok()) return fail("peak", st.error());
  const double flops = probe_fma_flops(p), gflops = flops / (st->median_ms * 1e6);
  nlohmann::ordered_json j = {{"schema", kBenchSchema}, {"benchmark", "peak"}, {"device", device_json(c.caps())},
                              {"invocations", p.invocations}, {"iterations", p.iterations},
                              {"flops", flops}, {"iters", cfg.iters}, {"warmup", cfg.warmup}};
  if (!cfg.json)
    fmt::print("FMA peak on {} ({}): {} invocations x {} iterations x {} FMAs, {} iterations after {} warm-up\n",
               c.caps().name, c.caps().driver_name, p.invocations, p.iterations, kProbeFmaPerIteration, cfg.iters,
               cfg.warmup);
  print_stats(*st, cfg.json, j);
  if (cfg.json) {
    j["gflops"] = gflops;
    fmt::print("{}\n", j.dump());
  } else {
    fmt::print("  {:.2f} GFLOP/s (a multiply-add is 2 flops)\n", gflops);
  }
  return 0;
}

int bench_memory(const ProbeConfig& cfg) {
  auto ctx = Context::create(context_options(cfg.device));
  if (!ctx.ok()) return fail("memory", ctx.error());
  Context& c = **ctx;
  const uint64_t bytes = uint64_t(cfg.mib) << 20;
  auto src = Buffer::create(c, bytes), dst = Buffer::create(c, bytes);
  if (!src.ok()) return fail("memory", src.error());
  if (!dst.ok()) return fail("memory", dst.error());
  // Touch both buffers first, so the timed copies measure the copy, not first-use page faults.
  std::vector<float> host(bytes / 4, 1.0f);
  if (auto s = c.upload(src->ref(), host.data(), bytes); !s.ok()) return fail("memory", s.error());
  if (auto s = c.upload(dst->ref(), host.data(), bytes); !s.ok()) return fail("memory", s.error());
  // One list per element width (64-bit where the device has shaderInt64), timed in
  // alternation so that a shared machine's load falls on both alike.
  struct Variant {
    const char* name;
    bool wide;
    CommandList list;
    std::vector<double> ms;
    Stats stats;
  };
  std::vector<Variant> variants;
  for (bool wide : {false, true}) {
    if (wide && !c.caps().shader_int64) continue;
    auto cl = CommandList::create(c);
    if (!cl.ok()) return fail("memory", cl.error());
    Status s = cl->begin();
    if (s.ok()) s = record_probe_copy(*cl, src->ref(), dst->ref(), wide);
    if (s.ok()) s = cl->end();
    if (!s.ok()) return fail("memory", s.error());
    variants.push_back({wide ? "64-bit" : "32-bit", wide, std::move(*cl), {}, {}});
  }
  for (int i = -cfg.warmup; i < cfg.iters; ++i)
    for (auto& v : variants) {
      const auto t0 = std::chrono::steady_clock::now();
      if (auto s = v.list.run(); !s.ok()) return fail("memory", s.error());
      if (i >= 0) v.ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    }
  const double moved = 2.0 * double(bytes);
  const Variant* best = nullptr;
  for (auto& v : variants) {
    v.stats = summarize(v.ms);
    if (!best || v.stats.median_ms < best->stats.median_ms) best = &v;
  }
  auto gbps = [&](const Stats& s) { return moved / (s.median_ms * 1e6); };
  if (cfg.json) {
    nlohmann::ordered_json j = {{"schema", kBenchSchema}, {"benchmark", "memory"}, {"device", device_json(c.caps())},
                                {"bytes", bytes}, {"bytes_moved", moved}, {"iters", cfg.iters}, {"warmup", cfg.warmup},
                                {"gbytes_per_s", gbps(best->stats)}, {"best", best->name},
                                {"variants", nlohmann::ordered_json::array()}};
    for (const auto& v : variants)
      j["variants"].push_back({{"elements", v.name}, {"median_ms", v.stats.median_ms}, {"p90_ms", v.stats.p90_ms},
                               {"min_ms", v.stats.min_ms}, {"gbytes_per_s", gbps(v.stats)}});
    fmt::print("{}\n", j.dump());
  } else {
    fmt::print("copy kernel on {} ({}): {} MiB read and {} MiB written per run, {} iterations after {} warm-up, "
               "element widths interleaved\n",
               c.caps().name, c.caps().driver_name, cfg.mib, cfg.mib, cfg.iters, cfg.warmup);
    for (const auto& v : variants)
      fmt::print("  {} elements: median {:8.3f} ms  p90 {:8.3f} ms  min {:8.3f} ms  {:6.2f} GB/s{}\n", v.name,
                 v.stats.median_ms, v.stats.p90_ms, v.stats.min_ms, gbps(v.stats), &v == best ? "  [best]" : "");
    fmt::print("  bandwidth {:.2f} GB/s (bytes read + bytes written over the best median, 1 GB = 1e9 bytes)\n",
               gbps(best->stats));
  }
  return 0;
}

void add_common(CLI::App& app, ProbeConfig& cfg) {
  add_int(app, "--iters", cfg.iters, "timed runs", 1, 1000000);
  add_int(app, "--warmup", cfg.warmup, "untimed runs first", 0, 1000000);
  add_device(app, cfg.device);
  app.add_flag("--json", cfg.json, "print one JSON document (docs/bench-json.md)");
}

Run setup_peak(CLI::App& app) {
  auto cfg = std::make_shared<ProbeConfig>();
  add_int(app, "--invocations", cfg->invocations, "invocations, each with 32 vec4 FMA chains", 1u, 1u << 24);
  // The record function refuses a count past the driver's loop limit, naming it.
  add_int(app, "--iterations", cfg->iterations, "loop iterations per invocation (128 FMAs each)", 1u, 1u << 20);
  add_common(app, *cfg);
  return [cfg] { return bench_peak(*cfg); };
}

Run setup_memory(CLI::App& app) {
  auto cfg = std::make_shared<ProbeConfig>();
  add_int(app, "--mib", cfg->mib, "MiB copied per run (source and destination each)", 1u, 4096u);
  add_common(app, *cfg);
  return [cfg] { return bench_memory(*cfg); };
}

[[maybe_unused]] const bool registered_peak =
    register_command({"bench peak", "the device's FMA peak: a shader with no memory traffic (GFLOP/s)", setup_peak});
[[maybe_unused]] const bool registered_memory =
    register_command({"bench memory", "the device's bandwidth: a copy kernel (GB/s)", setup_memory});

}  // namespace
}  // namespace vknn::tools
