// The Trainer: one training run as a library object. It holds the training graph (model,
// softmax cross-entropy, autodiff, SGD), the data loaders, the learning-rate schedule and the
// run folder; `vknn train`, `vknn bench --train` and the embedding API drive it.
//
//   auto t = Trainer::create(options);          // checks arguments and data, then the device
//   while (!t->finished()) {
//     auto s = t->step();                        // one optimizer step on the next batch
//     if (t->epoch_done()) t->end_epoch();       // validation, schedule, commit
//   }
//
// Validation runs the training executor's own inference pass (batch norm on running
// statistics, dropout off): no second executor and no copy of the weights.
//
// Exact resume: each commit (run.h) holds the weights, the optimizer state and the run
// (every flag, the data's identity, the epoch, the loader's position in it, the schedule's
// state, fp16's loss scale). The loader's order and augmentation are keyed by (seed, epoch,
// sample), so a run stopped anywhere (--max-steps, Ctrl-C, a kill) and resumed ends
// bit-identical to one that was not stopped.
#pragma once

#include "vknn/dist/allreduce.h"
#include "vknn/engine/context.h"
#include "vknn/graph/executor.h"
#include "vknn/graph/loss_scaler.h"
#include "vknn/models/model.h"
#include "vknn/train/recipe.h"
#include "vknn/train/run.h"

#include <cstdio>
#include <filesystem>
#include <functional>
#include <memory>
#include <set>
#include <string>

namespace vknn::train {

struct TrainerOptions {
  RunConfig run;
  // A network defined in code (the embedding API's Network) instead of run.model: a fresh
  // run records its id ("network-sha256:...") as run.model, and resuming needs it again (the
  // same network: the checkpoint's id must match).
  std::shared_ptr<const CodeModel> code;
  std::filesystem::path out = "vknn-run";  // the run folder
  bool resume = false;          // continue the run committed in `out`
  bool force = false;           // a fresh run into a folder that holds one: replace it
  bool override_saved = false;  // resume even where `given` flags differ from the saved run
  std::set<std::string> given;  // resume: the flags the caller set; the others keep their saved values
  int threads = 2;              // data loading threads (the batches do not depend on it)
  int64_t max_steps = 0;        // finished() once the run reaches this step (0: no limit)
  // The device. Null: one is made with `device` (run.split "two-devices": a second with
  // `device2`) after the arguments and the data are checked.
  std::shared_ptr<Context> context, context2;
  ContextOptions device, device2;
  // Messages for the user (the data, the device, resuming, schedule changes). Default: stderr.
  // Data-parallel: rank 0's only (and every rank's warnings).
  std::function<void(const std::string&)> log;
  // Polled at every step: the caller wants to stop (Ctrl-C). Data-parallel: every rank stops
  // after the step in which any rank asked (interrupted()).
  std::function<bool()> interrupted;
  // Progress of the slow parts outside step(): the start-up phases ("opening the device",
  // "compiling the pipelines", ...; total 0) and validation (samples done of total). Data-
  // parallel: rank 0's only.
  std::function<void(const std::string& what, int64_t done, int64_t total)> progress;

  // Data-parallel training (null, or a group of one: alone). run.batch is the global batch:
  // the same samples for a given seed whatever the number of ranks N; each rank builds the
  // graph at batch/N (which must divide) and computes its slice of each global batch; the
  // gradients are averaged (dist::GradientAllReducer, in buckets of bucket_bytes, overlapped
  // with the backward pass), so every rank applies the same update and N ranks take the steps
  // of one rank at the global batch. Validation is shared out by batches. Metrics are over
  // all ranks. Rank 0 alone writes the run folder; every rank reads it to resume, and the
  // run state counts global batches, so a run resumes on any number of ranks. Every wait for
  // the other ranks ends after dist_timeout with an error naming the ranks not heard from.
  std::shared_ptr<dist::Communicator> comm;
  uint64_t bucket_bytes = dist::kDefaultBucketBytes;
  std::chrono::milliseconds dist_timeout{120'000};
};

struct StepResult {
  float loss = 0, top1 = 0;  // this batch: mean loss, correct samples
  int64_t samples = 0;
  double seconds = 0;        // wall time of the step: loading the batch, the pass, the metrics
  // --precision fp16: the gradients overflowed at the loss scale, so the update was skipped
  // (the weights, the optimizer state and its step count are as before) and the scale halved.
  bool skipped = false;
};

class Trainer {
 public:
  static Result<std::unique_ptr<Trainer>> create(TrainerOptions options);
  ~Trainer();

  // One optimizer step on the next batch of the current epoch. A non-finite loss is an error
  // and nothing is committed from it.
  Result<StepResult> step();
  // Every batch of the current epoch is done: call end_epoch().
  bool epoch_done() const;
  // The epochs are done or max_steps is reached.
  bool finished() const;
  // Top-1, top-5 and mean loss on the test split (val_limit: a stratified subset).
  Result<EvalResult> validate();
  // Validation, a metrics row, the schedule for the next epoch, then a commit. A non-finite
  // validation loss (the last update diverged) is an error and nothing is committed.
  Result<EpochRow> end_epoch();
  // Syncs steps.csv, commits the weights, the optimizer state and the run now (at any step),
  // then writes state.json, metrics.csv and curves.svg beside it.
  Status save();
  // The checkpoint as safetensors bytes with self-describing metadata (model, classes, input
  // size, normalisation); weights_only leaves the optimizer state out.
  Result<std::vector<uint8_t>> checkpoint_bytes(bool weights_only) const;

  const RunConfig& config() const { return run_.config; }
  const RunState& state() const { return run_.state; }
  // The run's steps so far, a row each (steps.csv; rank 0 only, empty on the other ranks).
  const std::vector<StepRow>& steps() const { return steps_; }
  const DataIdentity& data_identity() const { return run_.data; }
  const DataSource& data() const { return *src_; }
  const ModelSpec& spec() const { return spec_; }
  int64_t batches_per_epoch() const { return per_epoch_; }
  const std::filesystem::path& checkpoint_path() const { return ckpt_; }
  Executor& executor() { return *ex_; }
  const models::Model& model() const { return model_; }
  Context& context() { return *ctx_; }
  // Data-parallel: this process's rank and the number of ranks (0 and 1 alone); rank 0 writes.
  int rank() const { return opt_.comm ? opt_.comm->rank() : 0; }
  int ranks() const { return opt_.comm ? opt_.comm->size() : 1; }
  // The samples of each global batch this rank computes.
  dist::Slice slice() const { return slice_; }
  // Some rank asked to stop (TrainerOptions::interrupted); alone: asks now.
  bool interrupted() const;
  // The gradient all-reduce (null alone).
  const dist::GradientAllReducer* reducer() const { return reducer_.get(); }
  // --precision fp16: the loss scale of the next step, and the steps of the run skipped so far
  // because their gradients overflowed. Both are committed with the run and restored on resume.
  float loss_scale() const { return scaler_.scale(); }
  int64_t skipped_steps() const { return run_.state.skipped_steps; }

 private:
  Trainer() = default;
  Status open(TrainerOptions& o);
  Status build_graph();
  Status build();
  Status begin_epoch();
  void start_loss_scale();
  Status inject_nan();  // VKNN_TRAIN_FAULT=K:nan (tests)
  void say(const std::string& s) const;
  void phase(const std::string& what) const;
  Status restore_steps();
  Status append_step(const StepRow& row);
  bool writer() const { return rank() == 0; }
  Status share_rank0_weights();

  TrainerOptions opt_;
  SavedRun run_;
  ModelSpec spec_;
  std::unique_ptr<DataSource> src_;
  std::shared_ptr<Context> ctx_, ctx2_;
  models::Model model_;
  std::unique_ptr<Executor> ex_;
  std::unique_ptr<data::BatchLoader> train_loader_, val_loader_;
  std::filesystem::path ckpt_;
  std::set<std::string> head_;  // --replace-head: the classifier's parameters
  int64_t per_epoch_ = 0;
  bool epoch_open_ = false;
  dist::Slice slice_;
  std::unique_ptr<dist::GradientAllReducer> reducer_;
  std::unique_ptr<dist::RankGather> gather_;  // the host nodes' collective (--sync-bn)
  bool stop_agreed_ = false;
  LossScaler scaler_;  // --precision fp16 (set when the run opens: the config's, or the saved run's)
  bool saved_loss_scale_ = false;  // resuming: the checkpoint holds the scaler's state
  bool loss_scale_given_ = false;  // resuming: --override --loss-scale changed the scale
  uint64_t committed_step_ = 0;  // the step of the checkpoint on disk
  std::vector<StepRow> steps_;    // rank 0: every step of the run
  struct FileCloser {
    void operator()(std::FILE* f) const { std::fclose(f); }
  };
  std::unique_ptr<std::FILE, FileCloser> steps_file_;  // steps.csv, appended to
};

// A fresh run's config checked without a device: known model (or, with `code`, the network
// defined in code, which fixes its input), rule, schedule and split, sizes in range. The
// first problem is the error, naming the flag.
Status check_config(const RunConfig& c, const CodeModel* code = nullptr);

}  // namespace vknn::train
