// vknn train / eval / infer: training loop with validation, checkpoints, schedules and
// resume; evaluation of a weights file; top-5 prediction for image files.
//
// Evaluation path while training: a second Executor over the same model built with
// training = true but without backward or optimizer nodes, driven only by infer() (batch
// norm on running statistics, dropout off). Before each validation every parameter and state
// tensor (BN running statistics) is copied into it by name from the training executor, in
// memory (no file round trip).
//
// Resume: state.json (written atomically after checkpoint.safetensors) records the epoch, the
// batch index within it, the global step, lr, schedule state, the epoch's running sums and
// the metric history. The loader's order is keyed by (seed, epoch), so resuming skips the
// batches already done in the interrupted epoch and continues bit-exactly.
#include "cli.h"
#include "train_common.h"
#include "train_svg.h"

#include "vknn/graph/autodiff.h"
#include "vknn/ops/sgd.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cmath>
#include <csignal>
#include <fstream>
#include <sstream>
#include <unistd.h>

namespace vknn::tools {
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

volatile std::sig_atomic_t g_interrupted = 0;
extern "C" void on_sigint(int) { g_interrupted = 1; }

std::string hms(double s) {
  if (!std::isfinite(s) || s < 0) return "?";
  const auto t = int64_t(s + 0.5);
  if (t >= 3600) return fmt::format("{}h{:02}m{:02}s", t / 3600, t / 60 % 60, t % 60);
  if (t >= 60) return fmt::format("{}m{:02}s", t / 60, t % 60);
  return fmt::format("{}s", t);
}

struct TrainConfig {
  std::string model, data, out = "vknn-run", rule = "paper", schedule = "step";
  int epochs = 10, batch = 64, threads = 2, step_epochs = 30, patience = 2, log_every = 0;  // 0: 10 on a TTY, else 100
  double lr = 0.01, momentum = 0.9, weight_decay = 5e-4;
  uint64_t seed = 1;
  int64_t max_steps = 0, val_limit = 0;
  bool resume = false;
  std::string split = "none", device, device2;
};

struct TrainState {
  int epoch = 0;               // current (0-based) epoch
  int64_t batch_in_epoch = 0;  // batches of `epoch` already done
  uint64_t step = 0;
  double lr = 0;
  double best_val_top1 = 0, best_val_loss = INFINITY;
  int bad_epochs = 0;  // plateau: epochs since the validation loss last improved
  double loss_sum = 0, top1_sum = 0, seconds = 0;
  int64_t samples = 0;
  std::vector<EpochRow> history;
};

nlohmann::ordered_json to_json(const TrainConfig& c, const TrainState& s) {
  nlohmann::ordered_json j = {{"format", "vknn-train-state-1"},
                              {"model", c.model},
                              {"batch", c.batch},
                              {"rule", c.rule},
                              {"schedule", c.schedule},
                              {"seed", c.seed},
                              {"base_lr", c.lr},
                              {"epoch", s.epoch},
                              {"batch_in_epoch", s.batch_in_epoch},
                              {"step", s.step},
                              {"lr", s.lr},
                              {"best_val_top1", s.best_val_top1},
                              {"best_val_loss", std::isfinite(s.best_val_loss) ? nlohmann::ordered_json(s.best_val_loss)
                                                                                : nlohmann::ordered_json(nullptr)},
                              {"bad_epochs", s.bad_epochs},
                              {"epoch_loss_sum", s.loss_sum},
                              {"epoch_top1_sum", s.top1_sum},
                              {"epoch_samples", s.samples},
                              {"epoch_seconds", s.seconds},
                              {"history", nlohmann::ordered_json::array()}};
  for (const auto& r : s.history)
    j["history"].push_back({{"epoch", r.epoch},       {"epoch_fraction", r.epoch_fraction}, {"step", r.step},
                            {"train_loss", r.train_loss}, {"train_top1", r.train_top1}, {"val_loss", r.val_loss},
                            {"val_top1", r.val_top1},     {"val_top5", r.val_top5},     {"lr", r.lr},
                            {"seconds", r.seconds},       {"images_per_s", r.images_per_s}});
  return j;
}

Result<TrainState> read_state(const fs::path& path, const TrainConfig& c) {
  std::ifstream f(path);
  if (!f) return make_error(Errc::io, "{}: cannot read (nothing to resume)", path.string());
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(f);
    TrainState s;
    if (j.at("format") != "vknn-train-state-1") return make_error(Errc::parse, "{}: unknown format", path.string());
    if (j.at("model") != c.model || j.at("batch") != c.batch)
      return make_error(Errc::invalid_argument, "{}: the run used --model {} --batch {}, not --model {} --batch {}",
                        path.string(), j.at("model").get<std::string>(), j.at("batch").get<int>(), c.model, c.batch);
    s.epoch = j.at("epoch");
    s.batch_in_epoch = j.at("batch_in_epoch");
    s.step = j.at("step");
    s.lr = j.at("lr");
    s.best_val_top1 = j.at("best_val_top1");
    s.best_val_loss = j.at("best_val_loss").is_null() ? INFINITY : j.at("best_val_loss").get<double>();
    s.bad_epochs = j.at("bad_epochs");
    s.loss_sum = j.at("epoch_loss_sum");
    s.top1_sum = j.at("epoch_top1_sum");
    s.samples = j.at("epoch_samples");
    s.seconds = j.at("epoch_seconds");
    for (const auto& r : j.at("history")) {
      EpochRow e;
      e.epoch = r.at("epoch"), e.epoch_fraction = r.at("epoch_fraction"), e.step = r.at("step");
      e.train_loss = r.at("train_loss"), e.train_top1 = r.at("train_top1"), e.val_loss = r.at("val_loss");
      e.val_top1 = r.at("val_top1"), e.val_top5 = r.at("val_top5"), e.lr = r.at("lr");
      e.seconds = r.at("seconds"), e.images_per_s = r.at("images_per_s");
      s.history.push_back(e);
    }
    return s;
  } catch (const std::exception& e) {
    return make_error(Errc::parse, "{}: {}", path.string(), e.what());
  }
}

std::string metrics_csv(const std::vector<EpochRow>& rows) {
  std::string s = "epoch,step,train_loss,train_top1,val_loss,val_top1,val_top5,lr,seconds,images_per_s\n";
  for (const auto& r : rows)
    s += fmt::format("{},{},{:.6f},{:.6f},{:.6f},{:.6f},{:.6f},{:.6g},{:.3f},{:.1f}\n", r.epoch, r.step, r.train_loss,
                     r.train_top1, r.val_loss, r.val_top1, r.val_top5, r.lr, r.seconds, r.images_per_s);
  return s;
}

int train_main(TrainConfig c) {
  // Nothing below needs the device until the graph is built: refuse bad data first.
  auto spec = model_spec(c.model);
  if (!spec.ok()) {
    fmt::print(stderr, "vknn train: --model: {}\n", spec.error().message);
    return 2;
  }
  auto fail = [&](const Error& e) {
    std::fputc('\n', stderr);
    fmt::print(stderr, "vknn train: {}\n", e.what());
    return 1;
  };
  auto src = open_data(c.data, true);
  if (!src.ok()) return fail(src.error());
  const int64_t classes = src->classes;
  fmt::print(stderr, "data: {} ({}), {} training and {} test images, {} classes\n", c.data, src->kind_name(),
             src->size(true), src->size(false), classes);
  ContextOptions copt = context_options(c.device);
  if (c.split == "two-queues") copt.queue_count = 2;
  std::shared_ptr<Context> ctx, ctx2;
  if (auto made = Context::create(copt); made.ok()) ctx = *made;
  else fmt::print(stderr, "vknn train: {}\n", made.error().what());
  if (ctx && c.split == "two-devices") {
    ContextOptions o2 = copt;
    if (!c.device2.empty()) o2.device = device_selector(c.device2);
    if (auto made = Context::create(o2); made.ok()) ctx2 = *made;
    else {
      fmt::print(stderr, "vknn train: second device: {}\n", made.error().what());
      ctx.reset();
    }
  }
  if (!ctx) return 1;

  const fs::path out = c.out;
  const fs::path ckpt = out / "checkpoint.safetensors", state_path = out / "state.json";
  std::error_code ec;
  fs::create_directories(out, ec);
  if (ec) return fail(make_error(Errc::io, "{}: cannot create: {}", out.string(), ec.message()));

  TrainState st;
  st.lr = c.lr;
  if (c.resume) {
    auto s = read_state(state_path, c);
    if (!s.ok()) return fail(s.error());
    st = std::move(*s);
  }

  auto built_train = build_model(*spec, c.batch, classes, true);
  if (!built_train.ok()) return fail(built_train.error());
  models::Model train_m = std::move(*built_train);
  if (auto s = build_backward(train_m.graph); !s.ok()) return fail(s.error());
  SgdParams sgd;
  sgd.rule = c.rule == "paper" ? SgdRule::sgd_paper : SgdRule::sgd_pytorch;
  sgd.momentum = float(c.momentum), sgd.weight_decay = float(c.weight_decay), sgd.learning_rate = float(c.lr);
  if (auto s = add_sgd(train_m.graph, sgd); !s.ok()) return fail(s.error());
  auto built_eval = build_model(*spec, c.batch, classes, true);
  if (!built_eval.ok()) return fail(built_eval.error());
  models::Model eval_m = std::move(*built_eval);

  ExecutorOptions eo;
  eo.seed = c.seed;
  eo.learning_rate = float(st.lr);
  ExecutorOptions split_eo = eo;
  const std::string& split = c.split;
  if (split != "none") {
    if (train_m.graph.target_count() < 2)
      return fail(make_error(Errc::invalid_argument, "--split {}: model '{}' is not placed on two targets (alexnet is)",
                             split, c.model));
    if (split == "two-devices") split_eo.targets = {{ctx.get(), 0}, {ctx2.get(), 0}};
    else split_eo.targets = {{ctx.get(), 0}, {ctx.get(), ctx->queue_count() > 1 ? 1u : 0u}};
    fmt::print(stderr, "split: {}: target 0 on {} queue 0, target 1 on {} queue {}\n", split, ctx->caps().name,
               split_eo.targets[1].context->caps().name, split_eo.targets[1].queue);
  }
  auto tex = Executor::create(*ctx, train_m.graph, split_eo);
  if (!tex.ok()) return fail(tex.error());
  auto vex = Executor::create(*ctx, eval_m.graph, eo);
  if (!vex.ok()) return fail(vex.error());
  Executor& ex = **tex;
  Executor& ev = **vex;
  if (c.resume) {
    if (auto s = ex.load_checkpoint(ckpt); !s.ok()) return fail(s.error());
    if (ex.step() != uint32_t(st.step))
      return fail(make_error(Errc::invalid_argument, "{} is at step {} but {} says step {}", ckpt.string(), ex.step(),
                             state_path.string(), st.step));
    c.seed = ex.seed();
    fmt::print(stderr, "resuming {} at epoch {} batch {} (step {}, lr {:.6g})\n", out.string(), st.epoch + 1,
               st.batch_in_epoch, st.step, st.lr);
  }
  ex.set_learning_rate(float(st.lr));

  auto train_loader = make_loader(*src, *spec, true, true, c.batch, c.threads, c.seed);
  if (!train_loader.ok()) return fail(train_loader.error());
  auto val_loader = make_loader(*src, *spec, false, false, c.batch, c.threads, c.seed, c.val_limit);
  if (!val_loader.ok()) return fail(val_loader.error());
  const int64_t per_epoch = (*train_loader)->batches_per_epoch();
  if (per_epoch < 1)
    return fail(make_error(Errc::invalid_argument, "{} training images are fewer than one batch of {}",
                           src->size(true), c.batch));

  auto save_state = [&]() -> Status {
    VKNN_TRY(ex.save_checkpoint(ckpt));
    return write_atomic(state_path, to_json(c, st).dump(2) + "\n");
  };

  g_interrupted = 0;
  std::signal(SIGINT, on_sigint);
  const bool tty = ::isatty(2);
  if (c.log_every == 0) c.log_every = tty ? 10 : 100;
  const auto run_start = Clock::now();
  const uint64_t run_start_step = st.step;
  const Graph& g = train_m.graph;
  bool stopped_by_max_steps = false;

  for (; st.epoch < c.epochs; ) {
    // The learning rate for this epoch.
    if (c.schedule == "step") st.lr = c.lr * std::pow(0.1, st.epoch / c.step_epochs);
    ex.set_learning_rate(float(st.lr));
    auto& loader = **train_loader;
    loader.start_epoch(uint64_t(st.epoch));
    for (int64_t b = 0; b < st.batch_in_epoch; ++b)
      if (!loader.next()) break;  // already done before the interruption
    const auto epoch_start = Clock::now();
    const double seconds_before = st.seconds;
    int64_t last_log_samples = st.samples;
    auto last_log = Clock::now();
    while (true) {
      if (c.max_steps > 0 && int64_t(st.step) >= c.max_steps) {
        stopped_by_max_steps = true;
        break;
      }
      auto batch = loader.next();
      if (!batch) break;
      if (auto s = ex.set_input(train_m.images, std::span<const float>(batch->images)); !s.ok()) return fail(s.error());
      if (auto s = ex.set_input(train_m.labels, std::span<const int32_t>(batch->labels)); !s.ok())
        return fail(s.error());
      if (auto s = ex.run(); !s.ok()) return fail(s.error());
      auto loss = ex.read_scalar(g.loss);
      if (!loss.ok()) return fail(loss.error());
      auto top1 = ex.read_scalar(g.top1);
      if (!top1.ok()) return fail(top1.error());
      if (!std::isfinite(*loss)) {
        auto inv = ex.read_scalar(g.invalid_labels);
        if (inv.ok() && *inv > 0)
          return fail(make_error(Errc::invalid_argument, "{} labels outside [0, {}) in epoch {} batch {}", *inv,
                                 classes, st.epoch + 1, batch->index));
        return fail(make_error(Errc::invalid_argument,
                               "the loss is {} at step {} (diverged: try a smaller --lr)", *loss, st.step + 1));
      }
      ++st.step, ++st.batch_in_epoch;
      st.loss_sum += double(*loss) * double(batch->n);
      st.top1_sum += *top1;
      st.samples += batch->n;
      st.seconds = seconds_before + std::chrono::duration<double>(Clock::now() - epoch_start).count();
      const bool last = st.batch_in_epoch == per_epoch;
      if (st.step % uint64_t(c.log_every) == 0 || last || g_interrupted) {
        const auto now = Clock::now();
        const double dt = std::chrono::duration<double>(now - last_log).count();
        const double ips = dt > 0 ? double(st.samples - last_log_samples) / dt : 0;
        last_log = now, last_log_samples = st.samples;
        const double elapsed = std::chrono::duration<double>(now - run_start).count();
        const double done = double(st.step - run_start_step);
        int64_t remaining = (per_epoch - st.batch_in_epoch) + int64_t(c.epochs - st.epoch - 1) * per_epoch;
        if (c.max_steps > 0) remaining = std::min<int64_t>(remaining, c.max_steps - int64_t(st.step));
        const double eta = done > 0 ? elapsed / done * double(std::max<int64_t>(0, remaining)) : NAN;
        const std::string line =
            fmt::format("epoch {}/{} step {}/{} ({}) {:.1f} img/s loss {:.4f} top1 {:.2f}% lr {:.4g} ETA {}",
                        st.epoch + 1, c.epochs, st.batch_in_epoch, per_epoch, st.step, ips,
                        st.loss_sum / double(st.samples), 100.0 * st.top1_sum / double(st.samples), st.lr, hms(eta));
        if (tty) fmt::print(stderr, "\r{:<100}", line);
        else fmt::print(stderr, "{}\n", line);
      }
      if (g_interrupted) break;
    }
    if (tty) std::fputc('\n', stderr);
    if (g_interrupted) {
      if (auto s = save_state(); !s.ok()) return fail(s.error());
      fmt::print(stderr, "vknn train: interrupted at epoch {} batch {} (step {}); saved {} and {}; continue with --resume\n",
                 st.epoch + 1, st.batch_in_epoch, st.step, ckpt.string(), state_path.string());
      return 130;
    }
    if (st.samples == 0) break;  // --max-steps already reached at the start of an epoch
    if (loader.failed_samples() > 0)
      fmt::print(stderr, "warning: {} unreadable training samples replaced (last: {})\n", loader.failed_samples(),
                 loader.last_failure());

    // Validation on a copy of the weights.
    if (auto s = copy_weights(ex, ev); !s.ok()) return fail(s.error());
    const auto val_start = Clock::now();
    auto r = evaluate(ev, eval_m, **val_loader);
    if (!r.ok()) return fail(r.error());
    const double val_s = std::chrono::duration<double>(Clock::now() - val_start).count();
    EpochRow row;
    row.epoch = st.epoch + 1;
    row.epoch_fraction = st.epoch + double(st.batch_in_epoch) / double(per_epoch);
    row.step = st.step;
    row.train_loss = st.loss_sum / double(st.samples), row.train_top1 = st.top1_sum / double(st.samples);
    row.val_loss = r->loss, row.val_top1 = r->top1, row.val_top5 = r->top5;
    row.lr = st.lr, row.seconds = st.seconds + val_s;
    row.images_per_s = st.seconds > 0 ? double(st.samples) / st.seconds : 0;
    st.history.push_back(row);
    fmt::print(stderr,
               "epoch {} done: train loss {:.4f} top1 {:.2f}% | val loss {:.4f} top1 {:.2f}% top5 {:.2f}% ({} images) "
               "| {:.1f} img/s, {:.1f} s\n",
               row.epoch, row.train_loss, 100 * row.train_top1, row.val_loss, 100 * row.val_top1, 100 * row.val_top5,
               r->samples, row.images_per_s, row.seconds);
    st.best_val_top1 = std::max(st.best_val_top1, r->top1);
    if (r->loss < st.best_val_loss) {
      st.best_val_loss = r->loss;
      st.bad_epochs = 0;
    } else if (++st.bad_epochs >= c.patience && c.schedule == "plateau") {
      st.lr /= 10;
      st.bad_epochs = 0;
      fmt::print(stderr, "plateau: validation loss has not improved for {} epochs, lr -> {:.6g}\n", c.patience, st.lr);
    }
    ++st.epoch;
    st.batch_in_epoch = 0, st.loss_sum = 0, st.top1_sum = 0, st.samples = 0, st.seconds = 0;
    if (c.schedule == "step") st.lr = c.lr * std::pow(0.1, st.epoch / c.step_epochs);
    if (auto s = save_state(); !s.ok()) return fail(s.error());
    if (auto s = write_atomic(out / "metrics.csv", metrics_csv(st.history)); !s.ok()) return fail(s.error());
    if (auto s = write_atomic(out / "curves.svg",
                              curves_svg(fmt::format("vknn train --model {} ({}, batch {}, {} rule)", c.model,
                                                     fs::path(c.data).filename().string(), c.batch, c.rule),
                                         st.history));
        !s.ok())
      return fail(s.error());
    if (stopped_by_max_steps) break;
  }
  std::signal(SIGINT, SIG_DFL);
  if (!src->class_names.empty()) {
    std::string names;
    for (const auto& n : src->class_names) names += n + "\n";
    (void)write_atomic(out / "classes.txt", names);
  }
  const double wall = std::chrono::duration<double>(Clock::now() - run_start).count();
  fmt::print("trained {} to step {} ({} epochs{}) in {}; best val top1 {:.2f}%; wrote {}\n", c.model, st.step,
             st.epoch, stopped_by_max_steps ? ", stopped by --max-steps" : "", hms(wall), 100 * st.best_val_top1,
             out.string());
  return 0;
}

Run setup(CLI::App& app) {
  auto c = std::make_shared<TrainConfig>();
  app.add_option("--model", c->model, "network to train (lenet, cifar-resnet20, resnet18, alexnet, ...)")
      ->type_name("MODEL")->required();
  app.add_option("--data", c->data, "IDX, CIFAR-10 binary, or train/ and test/ (or val/) image folders")
      ->type_name("DIR")->required();
  add_int(app, "--epochs", c->epochs, "epochs to train", 1, 1000000);
  add_int(app, "--batch", c->batch, "images per step", 1, int(kMaxBatch));
  add_real(app, "--lr", c->lr, "learning rate", 0, 100, /*lo_open=*/true);
  add_real(app, "--momentum", c->momentum, "SGD momentum", 0, 1);
  add_real(app, "--weight-decay", c->weight_decay, "L2 weight decay", 0, 1);
  add_choice(app, "--rule", c->rule, "SGD update: paper (Krizhevsky et al. 2012) or pytorch (torch.optim.SGD)",
             {"paper", "pytorch"});
  add_choice(app, "--schedule", c->schedule,
             "learning rate: step (x0.1 every --step-epochs) or plateau (x0.1 after --patience epochs "
             "without a better validation loss)",
             {"step", "plateau"});
  add_int(app, "--step-epochs", c->step_epochs, "epochs between the step schedule's x0.1", 1, 1000000);
  add_int(app, "--patience", c->patience, "plateau schedule: epochs without improvement", 1, 1000000);
  add_int(app, "--seed", c->seed, "initial weights, data order and augmentation", uint64_t(0));
  app.add_option("--out", c->out, "run folder: metrics.csv, curves.svg, checkpoint.safetensors, state.json")
      ->type_name("DIR");
  app.add_flag("--resume", c->resume, "continue the run in --out from its last checkpoint");
  add_int(app, "--threads", c->threads, "data loading threads", 1, kMaxThreads);
  add_int(app, "--max-steps", c->max_steps, "stop after this many steps in all (0: no limit)", int64_t(0));
  add_int(app, "--val-limit", c->val_limit, "validate on the first N test images (0: all)", int64_t(0));
  add_int(app, "--log-every", c->log_every, "steps between progress lines (0: 10 on a terminal, else 100)", 0);
  app.add_flag("--eval-every-epoch")->description("validate after every epoch (always on)");
  add_choice(app, "--split", c->split,
             "model-parallel training of a model placed on two targets (alexnet: one column each): two "
             "VkDevices or two queues of one device; validation runs on one",
             {"none", "two-devices", "two-queues"});
  add_device(app, c->device);
  add_device(app, c->device2, "--device2", "second device of --split two-devices (default: the same as --device)");
  return [c] { return train_main(*c); };
}

[[maybe_unused]] const bool registered = register_command(
    {"train", "train with per-epoch validation, metrics.csv, curves.svg and checkpoints; Ctrl-C saves, --resume "
              "continues", setup});

}  // namespace

}  // namespace vknn::tools
