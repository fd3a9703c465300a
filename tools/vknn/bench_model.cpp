// vknn bench --model: a whole network through the Executor, as a user would run it.
//
// Inference (default): the forward graph, timed as whole infer() calls (upload of the step
// parameters, submit, wait) after warm-up; --train: forward + backward + SGD (paper rule),
// timed as run() steps. Latency is wall clock, reported as median / p90 / min; images/s is
// batch / median. Memory is the executor's plan: persistent bytes (parameters, state,
// gradients, outputs) and the transient arena (activations and workspaces, shared by
// lifetime), plus what the transient tensors would take without sharing.
// Per-layer times come from a separate executor built with timestamps on (so the timed runs
// above carry no timestamp overhead): one warm-up run and one timed run, per node.
// JSON schema: docs/bench-json.md.
#include "bench_model.h"
#include "model_source.h"
#include "cli.h"
#include "timing.h"

#include "vknn/graph/executor.h"
#include "vknn/graph/loss_scaler.h"
#include "vknn/graph/placement.h"
#include "vknn/models/by_name.h"
#include "vknn/dist/communicator.h"
#include "vknn/onnx/resolve.h"
#include "vknn/ops/sgd.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <optional>
#include <random>

namespace vknn::tools {

Result<models::Model> bench_network(const std::string& name, int64_t batch, bool training, bool optimize,
                                    Precision precision) {
  onnx::ModelRequest req;
  req.options.name = name;
  req.options.batch = batch, req.options.training = training;
  req.optimize = optimize && !training;
  req.precision = precision;
  VKNN_ASSIGN(onnx::ResolvedModel r, onnx::resolve_model(req));
  return std::move(r.model);
}

namespace {

struct Config {
  std::string model, weights, split, device2;
  int64_t batch = 1;
  int iters = 10, warmup = 2;
  bool train = false, json = false, layers = false, no_optimize = false, sync_bn = false;
  std::string precision = "fp32";
  double bucket_mb = 25;
};

struct Inputs {
  std::vector<float> images;
  std::vector<int32_t> labels;
};

Inputs make_inputs(const models::Model& m) {
  Inputs in;
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> d(-1, 1);
  in.images.resize(size_t(m.graph.shape(m.images).numel()));
  for (auto& x : in.images) x = d(rng);
  if (m.labels.valid()) {
    const int64_t classes = m.graph.shape(m.logits)[1];
    in.labels.resize(size_t(m.graph.shape(m.labels).numel()));
    for (auto& l : in.labels) l = int32_t(rng() % uint64_t(classes));
  }
  return in;
}

Result<std::unique_ptr<Executor>> make_executor(Context& c, const models::Model& m, const Config& cfg,
                                                const Inputs& in, bool timing,
                                                std::vector<ExecutionTarget> targets = {}) {
  ExecutorOptions eo;
  eo.timing = timing;
  eo.targets = std::move(targets);
  VKNN_ASSIGN(auto ex, Executor::create(c, m.graph, eo));
  if (!cfg.weights.empty()) VKNN_TRY(ex->load_weights(cfg.weights, /*allow_extra=*/true));
  VKNN_TRY(ex->set_input(m.images, std::span<const float>(in.images)));
  if (m.labels.valid()) VKNN_TRY(ex->set_input(m.labels, std::span<const int32_t>(in.labels)));
  return ex;
}

// The training step `vknn train` takes: the backward pass in `precision` (fp16: fp16
// activations, fp32 master weights, the overflow check) and SGD, the paper's rule (momentum
// 0.9, weight decay 5e-4).
Status add_training(Graph& g, Precision precision) {
  VKNN_TRY(build_training_backward(g, precision));
  SgdParams sgd;
  sgd.rule = SgdRule::sgd_paper;
  return add_sgd(g, sgd);
}

// One timed step. fp16 training scales the loss as `vknn train` does (LossScaler, from its
// default 65536): the step reads the overflow flag back, and an overflowed one is skipped.
struct Stepper {
  explicit Stepper(bool training) : train(training) {}
  bool train = false;
  LossScaler scaler;
  int64_t skipped = 0;
  Status operator()(Executor& ex) {
    if (!train) return ex.infer();
    const bool scaled = ex.graph().grad_overflow.valid();
    if (scaled) ex.set_loss_scale(scaler.scale());
    VKNN_TRY(ex.run());
    if (scaled && ex.last_step_skipped()) ++skipped;
    if (scaled) scaler.update(ex.last_step_skipped());
    return {};
  }
};

struct LayerRow {
  std::string name, type, phase;
  double ms = 0, share = 0, flops = 0;
  double gflops() const { return flops > 0 && ms > 0 ? flops / (ms * 1e6) : 0; }
};

std::string mib(uint64_t b) { return fmt::format("{:.1f} MiB", double(b) / (1 << 20)); }

Status run(const Config& cfg, const ContextOptions& copt) {
  VKNN_ASSIGN(auto ctx, Context::create(copt));
  Context& c = *ctx;
  VKNN_ASSIGN(const Precision precision, parse_precision(cfg.precision));
  // The import alone: reading the model and building its graph, before any pipeline is made.
  const auto import_start = std::chrono::steady_clock::now();
  // Training converts its own graph (build_training_backward): the forward graph stays fp32 here.
  VKNN_ASSIGN(models::Model m, bench_network(cfg.model, cfg.batch, cfg.train, !cfg.no_optimize,
                                             cfg.train ? Precision::fp32 : precision));
  const double import_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - import_start).count();
  if (cfg.train) VKNN_TRY(add_training(m.graph, precision));
  const Inputs in = make_inputs(m);
  const char* mode = cfg.train ? "train" : "inference";

  Stats st;
  uint64_t persistent = 0, staging = 0;
  MemoryPlan plan;
  std::optional<float> loss;
  Stepper step(cfg.train);
  {
    VKNN_ASSIGN(auto ex, make_executor(c, m, cfg, in, false));
    persistent = ex->persistent_bytes();
    staging = ex->staging_bytes();
    plan = ex->plan();
    for (int i = 0; i < cfg.warmup; ++i) VKNN_TRY(step(*ex));
    std::vector<double> ms;
    for (int i = 0; i < cfg.iters; ++i) {
      auto t0 = std::chrono::steady_clock::now();
      VKNN_TRY(step(*ex));
      ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    }
    st = summarize(std::move(ms));
    if (cfg.train && m.graph.loss.valid()) {
      VKNN_ASSIGN(float l, ex->read_scalar(m.graph.loss));
      loss = l;
    }
  }  // freed before the timing executor is made: only one copy of the model at a time

  std::vector<LayerRow> rows;
  double layer_sum = 0, layer_wall = 0;
  if (cfg.json || cfg.layers) {
    VKNN_ASSIGN(auto ex, make_executor(c, m, cfg, in, true));
    Stepper layer_step(cfg.train);
    VKNN_TRY(layer_step(*ex));  // warm-up (first-touch of memory, pipeline creation)
    auto t0 = std::chrono::steady_clock::now();
    VKNN_TRY(layer_step(*ex));
    layer_wall = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    VKNN_ASSIGN(auto t, ex->timings());
    for (const auto& n : t) layer_sum += n.ms;
    for (const auto& n : t)
      rows.push_back({n.name, n.type, phase_name(n.phase), n.ms, layer_sum > 0 ? n.ms / layer_sum : 0, n.flops});
  }

  const auto& caps = c.caps();
  const double ips = st.median_ms > 0 ? double(cfg.batch) * 1000.0 / st.median_ms : 0;
  if (cfg.json) {
    nlohmann::ordered_json j = {
        {"schema", kBenchSchema},
        {"benchmark", "model"},
        {"device",
         {{"name", caps.name}, {"driver", caps.driver_name}, {"driver_info", caps.driver_info},
          {"api", api_version_string(caps.api_version)}}},
        {"model", cfg.model},
        {"batch", cfg.batch},
        {"mode", mode},
        {"precision", cfg.precision},
        {"iters", cfg.iters},
        {"warmup", cfg.warmup},
        {"weights", cfg.weights.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(cfg.weights)},
        {"import_ms", import_ms},
        {"latency_ms", {{"median", st.median_ms}, {"p90", st.p90_ms}, {"min", st.min_ms}}},
        {"images_per_s", ips},
        {"loss", loss ? nlohmann::ordered_json(*loss) : nlohmann::ordered_json(nullptr)},
        {"skipped_steps", cfg.train && precision == Precision::fp16 ? nlohmann::ordered_json(step.skipped)
                                                                     : nlohmann::ordered_json(nullptr)},
        {"memory",
         {{"persistent_bytes", persistent},
          {"transient_peak_bytes", plan.peak_bytes},
          {"naive_bytes", plan.naive_bytes},
          {"live_lower_bound_bytes", plan.live_lower_bound},
          {"total_bytes", persistent + plan.peak_bytes},
          {"prepare_staging_bytes", staging}}},
        {"layer_run", {{"wall_ms", layer_wall}, {"sum_ms", layer_sum}}},
        {"layers", nlohmann::ordered_json::array()}};
    for (const auto& r : rows)
      j["layers"].push_back({{"name", r.name}, {"type", r.type}, {"phase", r.phase}, {"ms", r.ms},
                             {"share", r.share}, {"flops", r.flops},
                             {"gflops", r.flops > 0 ? nlohmann::ordered_json(r.gflops()) : nlohmann::ordered_json(nullptr)}});
    fmt::print("{}\n", j.dump());
    return {};
  }

  fmt::print("{} batch {} {} {} on {} ({}, {}, Vulkan {}){}\n", cfg.model, cfg.batch, mode, cfg.precision, caps.name,
             caps.driver_name, caps.driver_info, api_version_string(caps.api_version),
             cfg.weights.empty() ? "" : fmt::format(", weights {}", cfg.weights));
  fmt::print("  latency   median {:.2f} ms  p90 {:.2f} ms  min {:.2f} ms  ({} iterations after {} warm-up)\n",
             st.median_ms, st.p90_ms, st.min_ms, cfg.iters, cfg.warmup);
  fmt::print("  throughput {:.2f} images/s{}{}\n", ips, loss ? fmt::format("  (loss after the last step {:.4f})", *loss) : "",
             step.skipped ? fmt::format("; {} steps skipped, their gradients overflowed the loss scale", step.skipped)
                          : "");
  fmt::print("  memory    {} total = {} persistent + {} transient peak (naive, one buffer per tensor: {}; "
             "live lower bound {}){}\n",
             mib(persistent + plan.peak_bytes), mib(persistent), mib(plan.peak_bytes), mib(plan.naive_bytes),
             mib(plan.live_lower_bound),
             staging ? fmt::format("; the weights wait on the host, {} while derived weights are prepared", mib(staging))
                     : std::string());
  fmt::print("  import    {:.1f} ms (reading the model and building its graph; pipelines not included)\n", import_ms);
  if (cfg.layers) {
    fmt::print("  per node (timestamps, one run): sum {:.2f} ms, wall {:.2f} ms; top {} of {} by time\n", layer_sum,
               layer_wall, std::min<size_t>(25, rows.size()), rows.size());
    std::vector<LayerRow> sorted = rows;
    std::stable_sort(sorted.begin(), sorted.end(), [](const LayerRow& a, const LayerRow& b) { return a.ms > b.ms; });
    fmt::print("  {:<36} {:<22} {:<9} {:>9} {:>7} {:>9}\n", "node", "op", "phase", "ms", "share", "GFLOP/s");
    double rest_ms = 0;
    for (size_t i = 0; i < sorted.size(); ++i) {
      const auto& r = sorted[i];
      if (i >= 25) {
        rest_ms += r.ms;
        continue;
      }
      fmt::print("  {:<36} {:<22} {:<9} {:>9.3f} {:>6.1f}% {:>9}\n", r.name, r.type, r.phase, r.ms, 100 * r.share,
                 r.flops > 0 ? fmt::format("{:.2f}", r.gflops()) : "-");
    }
    if (sorted.size() > 25)
      fmt::print("  {:<36} {:<22} {:<9} {:>9.3f} {:>6.1f}%\n", fmt::format("({} others)", sorted.size() - 25), "", "",
                 rest_ms, layer_sum > 0 ? 100 * rest_ms / layer_sum : 0);
  }
  return {};
}


// ---------------------------------------------------------------------------- --split

struct SplitResult {
  std::string mode, note;
  Stats st;
  uint64_t crossing = 0, copied = 0, planned = 0;
  std::vector<TargetStats> targets;
  double stats_wall_ms = 0;
};

Result<SplitResult> run_split_mode(const std::string& mode, const Config& cfg, const ContextOptions& copt,
                                   const models::Model& m, const Inputs& in) {
  SplitResult r;
  r.mode = mode;
  std::vector<std::shared_ptr<Context>> keep;
  std::vector<ExecutionTarget> targets;
  VKNN_ASSIGN(auto first, Context::create(copt));
  keep.push_back(first);
  if (mode == "two-devices") {
    ContextOptions o2 = copt;
    if (!cfg.device2.empty()) o2.device = device_selector(cfg.device2);
    VKNN_ASSIGN(auto second, Context::create(o2));
    keep.push_back(second);
    targets = {{first.get(), 0}, {second.get(), 0}};
    r.note = fmt::format("{} and {}", first->caps().name, second->caps().name);
  } else if (mode == "two-queues") {
    ContextOptions oq = copt;
    oq.queue_count = 2;
    VKNN_ASSIGN(auto q, Context::create(oq));
    keep[0] = q;
    const uint32_t second_queue = q->queue_count() > 1 ? 1 : 0;
    targets = {{q.get(), 0}, {q.get(), second_queue}};
    r.note = second_queue ? fmt::format("queues 0 and 1 of {}", q->caps().name)
                          : fmt::format("{} has one compute queue: both targets share it", q->caps().name);
  } else {
    r.note = fmt::format("one target on {}", first->caps().name);
  }
  Context& c = *keep[0];
  r.crossing = transfer_bytes(m.graph, cfg.train);
  {
    VKNN_ASSIGN(auto ex, make_executor(c, m, cfg, in, false, targets));
    r.copied = ex->bytes_copied_per_run(cfg.train);
    r.planned = ex->planned_bytes();
    Stepper step(cfg.train);
    for (int i = 0; i < cfg.warmup; ++i) VKNN_TRY(step(*ex));
    std::vector<double> ms;
    for (int i = 0; i < cfg.iters; ++i) {
      VKNN_TRY(step(*ex));
      ms.push_back(ex->last_run_ms());
    }
    r.st = summarize(std::move(ms));
  }
  // Where the time goes: a separate executor with timestamps, one warm-up and one step.
  VKNN_ASSIGN(auto ex, make_executor(c, m, cfg, in, true, targets));
  Stepper step(cfg.train);
  VKNN_TRY(step(*ex));
  VKNN_TRY(step(*ex));
  r.targets = ex->target_stats();
  r.stats_wall_ms = ex->last_run_ms();
  return r;
}

Status run_split(const Config& cfg, const ContextOptions& copt) {
  VKNN_ASSIGN(models::Model m, bench_network(cfg.model, cfg.batch, cfg.train, !cfg.no_optimize));
  if (m.graph.target_count() < 2)
    return make_error(Errc::invalid_argument, "--split: model '{}' is not placed on two targets (alexnet is)", cfg.model);
  if (cfg.train) VKNN_TRY(add_training(m.graph, Precision::fp32));
  const Inputs in = make_inputs(m);
  std::vector<std::string> modes =
      cfg.split == "all" ? std::vector<std::string>{"none", "two-queues", "two-devices"} : std::vector<std::string>{cfg.split};
  std::vector<SplitResult> results;
  for (const auto& mode : modes) {
    auto r = run_split_mode(mode, cfg, copt, m, in);
    if (!r.ok()) return Error{r.error().code, r.error().vk, fmt::format("--split {}: {}", mode, r.error().message)};
    results.push_back(std::move(*r));
  }
  const double base = results.front().mode == "none" ? results.front().st.median_ms : 0;
  const char* what = cfg.train ? "train" : "inference";
  if (cfg.json) {
    nlohmann::ordered_json j = {{"schema", kBenchSchema}, {"benchmark", "model-split"}, {"model", cfg.model},
                                {"batch", cfg.batch},     {"mode", what},               {"iters", cfg.iters},
                                {"warmup", cfg.warmup},   {"splits", nlohmann::ordered_json::array()}};
    for (const auto& r : results) {
      nlohmann::ordered_json t = nlohmann::ordered_json::array();
      for (const auto& ts : r.targets)
        t.push_back({{"device", ts.device}, {"queue", ts.queue}, {"compute_ms", ts.compute_ms},
                     {"transfer_ms", ts.transfer_ms}, {"wait_ms", ts.wait_ms}, {"bytes_received", ts.bytes_copied}});
      j["splits"].push_back({{"split", r.mode},
                             {"note", r.note},
                             {"step_ms", {{"median", r.st.median_ms}, {"p90", r.st.p90_ms}, {"min", r.st.min_ms}}},
                             {"ratio_to_none", base > 0 ? nlohmann::ordered_json(r.st.median_ms / base) : nlohmann::ordered_json(nullptr)},
                             {"bytes_crossing_per_step", r.crossing},
                             {"bytes_copied_per_step", r.copied},
                             {"planned_device_bytes", r.planned},
                             {"timed_step_ms", r.stats_wall_ms},
                             {"targets", t}});
    }
    fmt::print("{}\n", j.dump());
    return {};
  }
  fmt::print("{} batch {} {}, split across targets ({} iterations after {} warm-up)\n", cfg.model, cfg.batch, what,
             cfg.iters, cfg.warmup);
  for (const auto& r : results) {
    fmt::print("  --split {:<11} median {:9.2f} ms  p90 {:9.2f} ms  min {:9.2f} ms{}   [{}]\n", r.mode, r.st.median_ms,
               r.st.p90_ms, r.st.min_ms, base > 0 ? fmt::format("  {:.2f}x none", r.st.median_ms / base) : "", r.note);
    fmt::print("      bytes crossing targets per step {} ({:.1f} KiB); copied between devices {} ({:.1f} KiB); "
               "planned device memory {}\n",
               r.crossing, double(r.crossing) / 1024, r.copied, double(r.copied) / 1024, mib(r.planned));
    for (size_t t = 0; t < r.targets.size(); ++t) {
      const auto& ts = r.targets[t];
      const double w = r.stats_wall_ms > 0 ? r.stats_wall_ms : 1;
      fmt::print("      target {} [{} queue {}]: compute {:.1f} ms ({:.0f}%), transfer {:.2f} ms ({:.1f}%), wait {:.1f} ms "
                 "({:.0f}%) of a {:.1f} ms timed step\n",
                 t, ts.device, ts.queue, ts.compute_ms, 100 * ts.compute_ms / w, ts.transfer_ms, 100 * ts.transfer_ms / w,
                 ts.wait_ms, 100 * ts.wait_ms / w, r.stats_wall_ms);
    }
  }
  return {};
}


int bench_model(const Config& cfg, const std::string& device, const CLI::App& self) {
  if (cfg.model.empty()) {
    std::string subs;
    for (const CLI::App* sub : self.get_subcommands({})) subs += (subs.empty() ? "" : ", ") + sub->get_name();
    fmt::print(stderr, "vknn bench: which benchmark? Give --model NAME or one of: {} (vknn bench --help)\n", subs);
    return 2;
  }
  if (!onnx::is_onnx_path(cfg.model) && !models::model_defaults(cfg.model).ok()) {
    fmt::print(stderr, "vknn bench: --model: unknown model '{}' (known: {})\n", cfg.model, onnx::model_choices());
    return 2;
  }
  if (!cfg.weights.empty())
    if (auto w = check_input_file("--weights", cfg.weights); !w.ok()) {
      fmt::print(stderr, "vknn bench: {}\n", w.error().what());
      return 2;
    }
  if (cfg.precision != "fp32" && !cfg.split.empty()) {
    fmt::print(stderr, "vknn bench: --precision {} runs on one target; leave out --split\n", cfg.precision);
    return 2;
  }
  if (dist::launcher_size() > 1) {  // started by mpirun with several processes: data-parallel training
    if (!cfg.train || !cfg.split.empty() || cfg.layers || !cfg.weights.empty() || cfg.precision != "fp32") {
      fmt::print(stderr, "vknn bench: under mpirun, bench times data-parallel training: --model M --train [--batch "
                         "B] [--iters N] [--warmup N] [--bucket-mb MB] [--sync-bn] [--json] only\n");
      return 2;
    }
    DataParallelBench dp;
    dp.model = cfg.model, dp.batch = cfg.batch, dp.iters = cfg.iters, dp.warmup = cfg.warmup, dp.json = cfg.json;
    dp.bucket_bytes = uint64_t(cfg.bucket_mb * 1e6);
    dp.sync_bn = cfg.sync_bn;
    return bench_data_parallel(dp, device);
  }
  const ContextOptions copt = context_options(device);
  const Status s = cfg.split.empty() ? run(cfg, copt) : run_split(cfg, copt);
  if (!s.ok()) {
    fmt::print(stderr, "vknn bench --model {}: {}\n", cfg.model, s.error().what());
    return 1;
  }
  return 0;
}

Run setup(CLI::App& app) {
  auto cfg = std::make_shared<Config>();
  auto device = std::make_shared<std::string>();
  app.add_option("--model", cfg->model, fmt::format("whole network: {}", onnx::model_choices()))->type_name("MODEL");
  add_int(app, "--batch", cfg->batch, "images per step", 1, kMaxBatch);
  add_int(app, "--iters", cfg->iters, "timed steps (median, p90, min)", 1, 1000000);
  add_int(app, "--warmup", cfg->warmup, "untimed steps first", 0, 1000000);
  app.add_flag("--train", cfg->train,
               "time training steps (forward, backward, SGD) instead of inference; under mpirun, data-parallel "
               "steps at the global --batch against one rank alone (scaling efficiency)");
  add_real(app, "--bucket-mb", cfg->bucket_mb, "under mpirun: all-reduce bucket size in MB (0: one bucket)", 0, 1e6);
  app.add_flag("--sync-bn", cfg->sync_bn,
               "under mpirun: the job's batch norms use the statistics of the global batch (as vknn train --sync-bn); "
               "one process: changes nothing");
  app.add_option("--weights", cfg->weights,
                 "safetensors parameters to load (extra names such as num_batches_tracked are ignored)")
      ->type_name("FILE");
  app.add_flag("--layers", cfg->layers, "add the per-node table (top 25 by time)");
  app.add_flag("--no-optimize", cfg->no_optimize, "run the graph as built: no BatchNorm folding, ReLU fusion or dropout removal");
  add_precision(app, cfg->precision);
  app.add_flag("--json", cfg->json, "print one JSON document (docs/bench-json.md) with every node");
  add_choice(app, "--split", cfg->split,
             "the two-column model on two VkDevices (--device2 picks the second), two queues of one device, "
             "or one target; all: the three in one process",
             {"none", "two-devices", "two-queues", "all"});
  add_device(app, *device);
  add_device(app, cfg->device2, "--device2", "second device of --split two-devices (default: the same as --device)");
  const CLI::App* self = &app;
  return [cfg, device, self] { return bench_model(*cfg, *device, *self); };
}

[[maybe_unused]] const bool registered = register_command(
    {"bench", "time a whole network (--model) or one of the benchmarks below; medians, optional JSON", setup});

}  // namespace

}  // namespace vknn::tools
