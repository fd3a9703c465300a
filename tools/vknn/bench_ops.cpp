// vknn bench ops: every op at the real layer shapes of AlexNet, ResNet-50 and the networks
// the op cases name (graph/cases/ops/, the same descriptions the tests check), forward and
// backward, timed as medians of whole submissions. Reports GFLOP/s for compute-bound ops and
// GB/s (bytes read + written once) for memory-bound ones. The ops without a case file yet
// keep their entries here.
#include "bench_model.h"
#include "cli.h"
#include "timing.h"

#include "vknn/cases/case.h"
#include "vknn/ops/batchnorm.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <functional>

namespace vknn::tools {
namespace {

struct TensorSpec {
  Shape shape;
};

struct OpCase {
  std::string model, layer, op;
  std::vector<TensorSpec> tensors;
  double flops = 0;  // 0: memory-bound, report GB/s
  double bytes = 0;
  // Recorded once before timing (e.g. a forward whose saved state a backward needs).
  std::function<Status(CommandList&, const std::vector<TensorView>&)> setup;
  std::function<Status(CommandList&, const std::vector<TensorView>&)> record;
  // Scratch bytes the op needs on this device; passed as one extra view after the tensors.
  std::function<Result<uint64_t>(const Context&)> workspace;
};

void add_batchnorm(std::vector<OpCase>& cases, const std::string& model, const std::string& layer, Shape x) {
  const Shape c{x[1]};
  const double b = double(x.bytes());
  // x, gamma, beta, running_mean, running_var, y, save_mean, save_invstd, dy, dx, dgamma, dbeta
  std::vector<TensorSpec> t = {{x}, {c}, {c}, {c}, {c}, {x}, {c}, {c}, {x}, {x}, {c}, {c}};
  auto forward = [](CommandList& cl, const std::vector<TensorView>& v) {
    return record_batchnorm_forward(cl, {}, v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]);
  };
  cases.push_back({model, layer, "batchnorm_forward (training)", t, 0, 3 * b, nullptr, forward});
  cases.push_back({model, layer, "batchnorm_backward", t, 0, 4 * b, forward,
                   [](CommandList& cl, const std::vector<TensorView>& v) {
                     return record_batchnorm_backward(cl, {}, v[0], v[1], v[6], v[7], v[5], v[8], v[9], v[10], v[11],
                                                      false, false);
                   }});
}

std::vector<OpCase> build_cases(int64_t n) {
  std::vector<OpCase> cases;
  // ResNet-50 (He et al. 2016, torchvision's v1.5 with the stride on the 3x3).
  add_batchnorm(cases, "resnet50", "bn1", {n, 64, 112, 112});
  add_batchnorm(cases, "resnet50", "layer4.2.bn3", {n, 2048, 7, 7});
  return cases;
}

// The entries above as op cases (bench only: their references are not attached yet).
std::vector<cases::OpCase> as_cases(const std::vector<OpCase>& legacy) {
  std::vector<cases::OpCase> out;
  for (const OpCase& oc : legacy) {
    cases::OpCase c;
    c.op = oc.op, c.name = oc.op, c.model = oc.model, c.layer = oc.layer;
    c.test = false;
    const size_t count = oc.tensors.size();
    for (size_t i = 0; i < count; ++i) {
      const TensorSpec& t = oc.tensors[i];
      c.tensors.push_back({"t" + std::to_string(i), t.shape, cases::uniform()});
    }
    const bool workspace = bool(oc.workspace);
    auto in_order = [count, workspace](const cases::Views& v) {
      std::vector<TensorView> t;
      for (size_t i = 0; i < count; ++i) t.push_back(v.at("t" + std::to_string(i)));
      if (workspace) t.push_back(v.at("workspace"));
      return t;
    };
    if (oc.setup)
      c.steps.push_back({"setup", [f = oc.setup, in_order](CommandList& cl, const cases::Views& v) { return f(cl, in_order(v)); }});
    c.steps.push_back({oc.op, [f = oc.record, in_order](CommandList& cl, const cases::Views& v) { return f(cl, in_order(v)); },
                       true, oc.flops, oc.bytes});
    c.workspace = oc.workspace;
    out.push_back(std::move(c));
  }
  return out;
}

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
  std::vector<cases::OpCase> all = cases::all_cases(batch);
  for (cases::OpCase& legacy : as_cases(build_cases(batch))) all.push_back(std::move(legacy));
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
