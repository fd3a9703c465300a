// vknn train: the command line of the Trainer (vknn/train/trainer.h), which holds the run:
// graph, optimizer, schedule, validation, checkpoints and exact resume. This file parses the
// flags, prints progress and turns Ctrl-C into a commit.
#include "cli.h"
#include "progress.h"

#include "vknn/dist/communicator.h"
#include "vknn/engine/file.h"
#include "vknn/train/defaults.h"
#include "vknn/train/trainer.h"

#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdlib>
#include <string>

namespace vknn::tools {
namespace {

volatile std::sig_atomic_t g_interrupted = 0;
extern "C" void on_sigint(int) { g_interrupted = 1; }

std::string hms(double s) {
  const auto t = int64_t(s + 0.5);
  if (t >= 3600) return fmt::format("{}h{:02}m{:02}s", t / 3600, t / 60 % 60, t % 60);
  if (t >= 60) return fmt::format("{}m{:02}s", t / 60, t % 60);
  return fmt::format("{}s", t);
}

// Ctrl-C stops the run at the next step boundary (it is committed, with metrics.csv, steps.csv
// and curves.svg); a second Ctrl-C ends the process at once (SA_RESETHAND).
void catch_sigint() {
  struct sigaction sa {};
  sa.sa_handler = on_sigint;
  sa.sa_flags = SA_RESETHAND;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
}

struct TrainFlags {
  train::TrainerOptions options;
  std::string device, device2, weights_only;
  int log_every = 0;  // plain progress lines (stderr not a terminal): 0 is 100
  double bucket_mb = 25, dist_timeout_s = 120;
};


int train_main(TrainFlags f) {
  const auto timeout = std::chrono::milliseconds(int64_t(f.dist_timeout_s * 1000));
  auto made_comm = dist::make_communicator(nullptr, nullptr, timeout);
  if (!made_comm.ok()) {
    fmt::print(stderr, "vknn train: {}\n", made_comm.error().what());
    return 1;
  }
  std::shared_ptr<dist::Communicator> comm = std::move(*made_comm);
  // Under mpirun a failing rank ends the whole job (MPI_Abort), after naming itself: the
  // others would otherwise wait for it until their timeout.
  auto fail = [&comm](const Error& e, int code = 1) {
    if (comm->size() == 1) {
      fmt::print(stderr, "vknn train: {}\n", e.what());
      return code;
    }
    fmt::print(stderr, "vknn train: {}: {}\n", comm->describe(comm->rank()), e.what());
    std::fflush(stderr);
    comm->abort(code);
    return code;  // not reached
  };
  const bool rank0 = comm->rank() == 0;
  train::TrainerOptions& o = f.options;
  if (!f.device.empty()) o.device = context_options(f.device);
  pick_rank_device(comm->local_rank(), comm->size(), f.device, o.device);
  o.device2 = f.device2.empty() ? o.device : context_options(f.device2);
  o.comm = comm;
  o.bucket_bytes = uint64_t(f.bucket_mb * 1e6);
  o.dist_timeout = timeout;
  o.interrupted = [] { return g_interrupted != 0; };
  if (!o.resume) {
    const std::vector<std::string> recipe = train::apply_recipe(o.run, o.given);
    if (!recipe.empty() && rank0) {
      std::string flags;
      for (const auto& r : recipe) flags += " " + r;
      fmt::print(stderr, "defaults for --model {}:{}\n", o.run.model, flags);
    }
    if (auto s = train::check_config(o.run); !s.ok()) return fail(s.error(), 2);
  }
  TrainProgress progress(f.log_every, rank0);
  o.log = [&progress](const std::string& s) { progress.message(s); };
  o.progress = [&progress](const std::string& what, int64_t done, int64_t total) {
    progress.phase(what, done, total);
  };
  g_interrupted = 0;
  catch_sigint();
  auto made = train::Trainer::create(o);
  if (!made.ok()) {
    progress.end_line();
    return fail(made.error());
  }
  train::Trainer& t = **made;
  progress.started();
  if (t.finished()) {
    if (rank0)
      fmt::print("{}: the run is at step {}, epoch {} of {}: nothing to do\n", o.out.string(), t.state().step,
               t.state().epoch, t.config().epochs);
    return 0;
  }

  const uint64_t start_step = t.state().step;
  while (!t.finished() && !t.interrupted()) {
    auto s = t.step();
    if (!s.ok()) {
      progress.end_line();
      return fail(s.error());
    }
    progress.step(t, *s, o.max_steps);
    if (!t.epoch_done()) continue;
    progress.end_line();
    auto row = t.end_epoch();
    progress.end_line();
    if (!row.ok()) return fail(row.error());
    if (rank0)
      fmt::print(stderr,
               "epoch {} done: train loss {:.4f} top1 {:.2f}% | val loss {:.4f} top1 {:.2f}% top5 {:.2f}% | {:.1f} "
               "img/s, {:.1f} s\n",
               row->epoch, row->train_loss, 100 * row->train_top1, row->val_loss, 100 * row->val_top1,
               100 * row->val_top5, row->images_per_s, row->seconds);
  }
  std::signal(SIGINT, SIG_DFL);
  progress.end_line();
  const auto& st = t.state();
  if (st.batch_in_epoch > 0) {  // stopped inside an epoch: commit where it stands
    progress.end_line();
    if (auto s = t.save(); !s.ok()) return fail(s.error());
  }
  if (t.interrupted()) {
    if (rank0)
      fmt::print(stderr,
                 "vknn train: interrupted at epoch {} batch {} (step {}); saved {} with steps.csv, metrics.csv and "
                 "curves.svg beside it; continue with --resume\n",
                 st.epoch + 1, st.batch_in_epoch, st.step, t.checkpoint_path().string());
    return 130;
  }
  const bool cut = st.epoch < t.config().epochs;
  if (cut) {
    auto r = t.validate();
    if (!r.ok()) return fail(r.error());
    if (rank0)
      fmt::print(stderr, "validation at step {}: loss {:.4f} top1 {:.2f}% top5 {:.2f}% ({} images)\n", st.step, r->loss,
               100 * r->top1, 100 * r->top5, r->samples);
  }
  if (t.reducer() && t.state().step > start_step + 1) {
    // Steps after the first (which builds the pipelines) of this process.
    const dist::ReduceStats& total = t.reducer()->total();
    if (rank0)
      fmt::print(stderr, "gradient all-reduce: {:.0f}% of its time hidden behind the backward pass ({:.1f} of {:.1f} ms)\n",
                 100 * total.hidden_share(), total.hidden_ms, total.comm_ms);
  }
  if (!rank0) return 0;
  if (!f.weights_only.empty()) {
    auto bytes = t.checkpoint_bytes(true);
    if (!bytes.ok()) return fail(bytes.error());
    if (auto s = write_file_atomic(f.weights_only, *bytes); !s.ok()) return fail(s.error());
  }
  // The best validation is kept at epochs' ends only (best.safetensors); a run stopped before
  // its first epoch ended has none, which is not a top-1 of 0%.
  const std::string best = st.has_best ? fmt::format("best val top1 {:.2f}%", 100 * st.best_val_top1)
                                       : std::string("no epoch ended yet, so no best validation");
  fmt::print("trained {} to step {} (epoch {}, batch {}{}) in {}; {}; wrote {}\n", t.config().model, st.step,
             st.epoch + (st.batch_in_epoch > 0 ? 1 : 0), st.batch_in_epoch, cut ? ", stopped by --max-steps" : "",
             hms(progress.elapsed()), best, o.out.string());
  return 0;
}

Run setup(CLI::App& app) {
  auto f = std::make_shared<TrainFlags>();
  train::RunConfig& c = f->options.run;
  app.add_option("--model", c.model, "network to train: a built-in name (lenet, cifar-resnet20, resnet18, alexnet, ...) or "
                 "FILE.onnx (its initializers train under their ONNX names)")
      ->type_name("MODEL");
  app.add_option("--data", c.data, "IDX, CIFAR-10 binary, or train/ and test/ (or val/) image folders")
      ->type_name("DIR");
  add_int(app, "--epochs", c.epochs, "epochs to train", 1, 1000000);
  add_int(app, "--batch", c.batch,
          "images per step: the global batch (under mpirun -np N each rank computes B/N of it; N must divide B)", 1,
          int(kMaxBatch));
  add_real(app, "--lr", c.lr, "learning rate", 0, 100, /*lo_open=*/true);
  add_choice(app, "--optimizer", c.optimizer,
             "sgd (momentum, --rule) or adamw (torch.optim.AdamW: --beta1, --beta2, --eps, decoupled --weight-decay)",
             {"sgd", "adamw"});
  add_real(app, "--momentum", c.momentum, "SGD momentum", 0, 1);
  add_real(app, "--weight-decay", c.weight_decay, "weight decay (SGD: L2 in the gradient; AdamW: decoupled)", 0, 1);
  add_real(app, "--beta1", c.beta1, "AdamW: decay of the first moment", 0, 1);
  add_real(app, "--beta2", c.beta2, "AdamW: decay of the second moment", 0, 1);
  add_real(app, "--eps", c.eps, "AdamW: added to the root of the second moment", 0, 1, /*lo_open=*/true);
  add_real(app, "--label-smoothing", c.label_smoothing, "label smoothing of the loss (CrossEntropyLoss's)", 0, 1);
  add_choice(app, "--precision", c.precision,
             "fp16: activations stored in fp16 where an op has an fp16 variant, fp32 master weights and gradients, "
             "dynamic loss scaling (needs 16-bit storage)",
             {"fp32", "fp16"});
  add_real(app, "--loss-scale", c.loss_scale, "fp16: the initial loss scale (halved on overflow)", 1, 1e30);
  add_int(app, "--loss-scale-interval", c.loss_scale_interval,
          "fp16: good steps after which the loss scale doubles", int64_t(1));
  add_choice(app, "--rule", c.rule, "SGD update: paper (Krizhevsky et al. 2012) or pytorch (torch.optim.SGD)",
             {"paper", "pytorch"});
  add_choice(app, "--schedule", c.schedule,
             "learning rate per epoch, after the warmup: step (x0.1 every --step-epochs), cosine (to 0 at the last "
             "epoch) or plateau (x0.1 after --patience epochs without a better validation loss)",
             {"step", "cosine", "plateau"});
  add_int(app, "--warmup-epochs", c.warmup_epochs,
          "epochs of linear warmup from 0.01 x --lr before the schedule (torch's LinearLR)", 0, 1000000);
  add_int(app, "--step-epochs", c.step_epochs, "epochs between the step schedule's x0.1", 1, 1000000);
  add_int(app, "--patience", c.patience, "plateau schedule: epochs without improvement", 1, 1000000);
  add_int(app, "--seed", c.seed, "initial weights, data order and augmentation", uint64_t(0));
  add_int(app, "--limit", c.limit, "train on a stratified random subset of N images (0: all)", int64_t(0));
  add_int(app, "--val-limit", c.val_limit, "validate on a stratified random subset of N test images (0: all)",
          int64_t(0));
  add_int(app, "--input-size", c.input_size, "square input side (0: the model's; ImageNet nets resize to size*256/224)",
          0, 4096);
  app.add_option("--init", c.init, "start from these weights (safetensors; torchvision names; extra entries such as "
                                   "num_batches_tracked are ignored)")
      ->type_name("FILE");
  add_int(app, "--replace-head", c.replace_head, "with --init: a new classifier for K classes (the data's)",
          int64_t(0), int64_t(1) << 24);
  app.add_option("--freeze", c.freeze, "no updates for parameters whose names start with PREFIX (comma-separated)")
      ->type_name("PREFIX");
  app.add_option("--weights-only", f->weights_only,
                 "at the end, also write the weights alone (no momentum, no run state) to FILE, for deployment")
      ->type_name("FILE");
  add_choice(app, "--split", c.split,
             "model-parallel training of a model placed on two targets (alexnet: one column each): two "
             "VkDevices or two queues of one device; validation runs on one",
             {"none", "two-devices", "two-queues"});
  app.add_option("--out", f->options.out, "run folder: checkpoint.safetensors (weights and run state), state.json, "
                                          "metrics.csv, curves.svg, best.safetensors")
      ->type_name("DIR");
  app.add_flag("--resume", f->options.resume,
               "continue the run in --out where it stopped; flags left out keep the run's values");
  app.add_flag("--override", f->options.override_saved, "with --resume: change flags that differ from the saved run");
  app.add_flag("--force", f->options.force, "start a new run in an --out folder that holds one, replacing it");
  add_int(app, "--threads", f->options.threads, "data loading threads", 1, kMaxThreads);
  add_int(app, "--max-steps", f->options.max_steps, "stop after this many steps in all (0: no limit)", int64_t(0));
  add_int(app, "--log-every", f->log_every,
          "steps between progress lines when stderr is not a terminal (0: 100); a terminal gets a bar redrawn in place",
          0);
  app.add_flag("--eval-every-epoch")->description("validate after every epoch (always on)");
  app.add_flag("--sync-bn", c.sync_bn,
               "under mpirun: batch norm uses the statistics of the global batch, all-reduced over the ranks "
               "(default: each rank's own, as PyTorch DDP)");
  add_real(app, "--bucket-mb", f->bucket_mb,
           "under mpirun: gradients are all-reduced in buckets of about this many MB while backward runs (0: one "
           "bucket at the end)",
           0, 1e6);
  add_real(app, "--dist-timeout", f->dist_timeout_s,
           "under mpirun: seconds to wait for the other ranks before failing, naming those not heard from", 0, 1e6,
           /*lo_open=*/true);
  add_device(app, f->device);
  add_device(app, f->device2, "--device2", "second device of --split two-devices (default: the same as --device)");
  app.footer("Defaults per model, for the flags left out (the optimizer's flags --optimizer, --lr, --momentum, "
             "--weight-decay, --rule, --beta1, --beta2, --eps are taken together, or not at all when one of them "
             "is given; so are the schedule's, --schedule, --step-epochs, --warmup-epochs). The values in brackets "
             "above are those of an ONNX model.\n" +
             train::recipes_text());
  return [f, &app] {
    for (const auto& flag : train::run_flags())
      if (app.count(flag) > 0) f->options.given.insert(flag);
    if (!f->options.resume && (app.count("--model") == 0 || app.count("--data") == 0)) {
      fmt::print(stderr, "vknn train: --model and --data are required (except with --resume)\n");
      return 2;
    }
    return train_main(*f);
  };
}

[[maybe_unused]] const bool registered = register_command(
    {"train", "train with per-epoch validation, metrics.csv, curves.svg and checkpoints; Ctrl-C saves, --resume "
              "continues exactly", setup});

}  // namespace
}  // namespace vknn::tools
