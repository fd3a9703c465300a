// vknn bench ops: every op at the real layer shapes of AlexNet, ResNet-50 and the networks
// the op cases name (graph/cases/ops/, the same descriptions the tests check), forward and
// backward, timed as medians of whole submissions. Reports GFLOP/s for compute-bound ops and
// GB/s (bytes read + written once) for memory-bound ones.
#include "bench_model.h"
#include "cli.h"
#include "timing.h"

#include "vknn/cases/case.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace vknn::tools {
namespace {

std::string shape_list(const cases::OpCase& c) {
  std::string s;
  for (size_t i = 0; i < c.tensors.size() && i < 2; ++i) s += (i ? " " : "") + c.tensors[i].shape.str();
  return s;
}

struct OpsConfig {
  int64_t batch = 1;
  int iters = 3, warmup = 1;
  std::string filter, device;
  bool json = false;
};

int bench_ops(const OpsConfig& cfg) {
  const bool json = cfg.json;
  const int64_t batch = cfg.batch;
  const int iters = cfg.iters, warmup = cfg.warmup;
  const std::string& filter = cfg.filter;
  auto ctx = Context::create(context_options(cfg.device));
  if (!ctx.ok()) {
    fmt::print(stderr, "vknn bench ops: {}\n", ctx.error().what());
    return 1;
  }
  Context& c = **ctx;
  nlohmann::ordered_json out = {{"schema", kBenchSchema}, {"benchmark", "ops"}, {"device", c.caps().name}, {"driver", c.caps().driver_name},
                                {"batch", batch}, {"iters", iters}, {"results", nlohmann::ordered_json::array()}};
  if (!json)
    fmt::print("ops at batch {} on {} ({}), median of {} after {} warm-up\n{:<18} {:<30} {:<34} {:>10} {:>12}\n", batch,
               c.caps().name, c.caps().driver_name, iters, warmup, "model", "layer", "op", "median ms", "rate");
  const std::vector<cases::OpCase> all = cases::all_cases(batch);
  int failures = 0;
  for (const cases::OpCase& oc : all) {
    if (oc.model.empty() || !oc.bench) continue;
    for (size_t step = 0; step < oc.steps.size(); ++step) {
      const cases::Step& st = oc.steps[step];
      if (!st.bench) continue;
      if (!filter.empty() && (oc.model + " " + oc.layer + " " + st.name).find(filter) == std::string::npos) continue;
      auto fail = [&](const Error& e) {
        ++failures;
        fmt::print(stderr, "vknn bench ops: {} {} {}: {}\n", oc.model, oc.layer, st.name, e.what());
      };
      auto tensors = cases::upload(c, oc, cases::initial_contents(oc));
      if (!tensors.ok()) {
        fail(tensors.error());
        continue;
      }
      auto record = [&](size_t first, size_t last) -> Result<CommandList> {
        VKNN_ASSIGN(CommandList cl, CommandList::create(c));
        VKNN_TRY(cl.begin());
        VKNN_TRY(cases::record_steps(cl, oc, tensors->views, first, last));
        VKNN_TRY(cl.end());
        return cl;
      };
      if (step > 0) {  // the steps before, once: a forward whose saved state a backward needs
        auto setup = record(0, step);
        if (!setup.ok() || !setup->run().ok()) {
          fail(setup.ok() ? make_error(Errc::vulkan, "setup run failed") : setup.error());
          continue;
        }
      }
      auto cl = record(step, step + 1);
      if (!cl.ok()) {
        fail(cl.error());
        continue;
      }
      auto times = time_list(*cl, warmup, iters);
      if (!times.ok()) {
        fail(times.error());
        continue;
      }
      const double ms = times->median_ms;
      const double rate = st.flops > 0 ? st.flops / (ms * 1e6) : st.bytes / (ms * 1e6);
      const char* unit = st.flops > 0 ? "GFLOP/s" : "GB/s";
      if (json)
        out["results"].push_back({{"model", oc.model}, {"layer", oc.layer}, {"op", st.name}, {"shapes", shape_list(oc)},
                                  {"median_ms", ms}, {"p90_ms", times->p90_ms}, {"min_ms", times->min_ms},
                                  {st.flops > 0 ? "gflops" : "gbytes_per_s", rate}});
      else
        fmt::print("{:<18} {:<30} {:<34} {:>10.3f} {:>7.2f} {}\n", oc.model, oc.layer, st.name, ms, rate, unit);
      std::fflush(stdout);
    }
  }
  if (json) fmt::print("{}\n", out.dump());
  return failures ? 1 : 0;
}

Run setup(CLI::App& app) {
  auto cfg = std::make_shared<OpsConfig>();
  add_int(app, "--batch", cfg->batch, "batch of every layer shape", 1, 4096);
  app.add_option("--filter", cfg->filter, "only cases whose 'model layer op' contains TEXT")->type_name("TEXT");
  add_int(app, "--iters", cfg->iters, "timed runs per case", 1, 1000000);
  add_int(app, "--warmup", cfg->warmup, "untimed runs first", 0, 1000000);
  add_device(app, cfg->device);
  app.add_flag("--json", cfg->json, "print one JSON document (docs/bench-json.md)");
  return [cfg] { return bench_ops(*cfg); };
}

[[maybe_unused]] const bool registered = register_command(
    {"bench ops", "every op at the AlexNet and ResNet-50 layer shapes, forward and backward", setup});

}  // namespace

}  // namespace vknn::tools
