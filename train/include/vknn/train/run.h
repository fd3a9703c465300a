// A training run on disk: what decides it (RunConfig), where it stands (RunState), and the
// one-file commit that keeps both together with the weights.
//
// The run folder holds checkpoint.safetensors: the parameters, the optimizer state and, in
// its metadata, the run (config, data identity and state as JSON under "vknn.run") and what
// the weights are (model, classes, input size, normalisation). One file written beside the
// old one, fsynced, renamed over it and the folder fsynced: a kill at any instant leaves the
// old commit or the new one, never a mix. state.json is a readable copy of the run written
// after each commit; resuming reads the checkpoint only.
#pragma once

#include "vknn/engine/result.h"
#include "vknn/train/curves.h"

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

namespace vknn::train {

// Everything that decides the numbers a run produces. Each field is a `vknn train` flag of
// the same name (run_flags()); a resumed run takes the saved values of the flags not given.
struct RunConfig {
  std::string model, data;
  int epochs = 10, batch = 64;
  double lr = 0.01, momentum = 0.9, weight_decay = 5e-4, label_smoothing = 0;
  // optimizer: sgd (rule: paper | pytorch, with momentum) | adamw (betas, eps; torch.optim.AdamW)
  std::string optimizer = "sgd";
  std::string rule = "paper";
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
  std::string schedule = "step";  // step | cosine | plateau, after warmup_epochs of linear warmup (schedule.h)
  int step_epochs = 30, patience = 2, warmup_epochs = 0;
  uint64_t seed = 1;
  int64_t limit = 0, val_limit = 0;  // stratified subsets of the training and test splits (0: all)
  std::string split = "none";        // none | two-devices | two-queues
  int input_size = 0;                // square input side (0: the model's); ImageNet nets resize to size*256/224
  // Fine-tuning: start from the weights in `init` (extra entries such as torchvision's
  // num_batches_tracked are ignored), with a new classifier for the data's classes when
  // replace_head > 0 (it must equal them), and no updates for parameters whose names start
  // with one of the comma-separated prefixes in `freeze`.
  std::string init;
  int64_t replace_head = 0;
  std::string freeze;
  // Data-parallel: batch normalization over the global batch (synchronize_batchnorm);
  // otherwise each rank normalizes by its own slice, as PyTorch DDP does by default.
  bool sync_bn = false;
  // Mixed precision: fp32, or fp16 (activations stored in fp16 where an op has an fp16
  // variant, fp32 master weights and gradients, the loss scaled dynamically as
  // torch.amp.GradScaler does: from loss_scale, halved on an overflowed step, which is
  // skipped, and doubled after loss_scale_interval good steps; vknn/graph/precision.h).
  std::string precision = "fp32";
  double loss_scale = 65536;
  int64_t loss_scale_interval = 2000;
};

// The flags of RunConfig ("--model", "--lr", ...), in a fixed order.
const std::vector<std::string>& run_flags();

// What the data was: resuming on other data is a difference like a flag's.
struct DataIdentity {
  std::string kind;  // IDX, CIFAR-10 binary, image folder
  int64_t train = 0, test = 0;
  int32_t classes = 0;
  std::string augmentation;  // the recipe's training augmentation, in words
  bool operator==(const DataIdentity&) const = default;
};

// --precision fp16: the dynamic loss scaler's state (LossScaler), so that a resumed run scales
// and skips exactly as an uninterrupted one.
struct LossScaleState {
  double scale = 0;         // the scale of the next step (a float, exact in a double)
  int64_t good_steps = 0;   // good steps since the scale last changed
  bool operator==(const LossScaleState&) const = default;
};

// Where the run stands after its last committed step.
struct RunState {
  int epoch = 0;               // current epoch (0-based)
  int64_t batch_in_epoch = 0;  // batches of `epoch` done: the loader's position
  uint64_t step = 0;           // optimizer steps in all
  double lr = 0;               // learning rate of the current epoch
  double best_val_top1 = 0, best_val_loss = 0;
  bool has_best = false;
  int bad_epochs = 0;  // plateau: epochs since the validation loss last improved
  double plateau_scale = 1;  // plateau: 0.1 per reduction
  double loss_sum = 0, top1_sum = 0, seconds = 0;  // this epoch so far
  int64_t samples = 0;
  std::vector<EpochRow> history;
  std::vector<uint64_t> resumed_at;  // steps at which the run was resumed
  // --precision fp16: the loss scaler. Absent in an fp32 run and in a file saved before it
  // was kept (a resumed fp16 run then starts again from --loss-scale).
  std::optional<LossScaleState> loss_scale;
  // --precision fp16: steps skipped because their gradients overflowed. They count in `step`
  // (a batch was used) but not in the executor's step, which counts updates.
  int64_t skipped_steps = 0;
};

struct SavedRun {
  RunConfig config;
  DataIdentity data;
  RunState state;
};

// The JSON of a run (format "vknn-run-1"), and back. Doubles round-trip exactly.
std::string run_to_json(const SavedRun& run);
Result<SavedRun> run_from_json(const std::string& text, const std::string& source);

// The config of a resumed run: `saved` with the flags in `given` taken from `wanted`. A given
// flag whose value differs from the saved one is refused with the list of every difference
// (and a data identity that differs, too), unless `override_saved`; then each difference is
// appended to `changes` ("--lr 0.1 (the run had 0.05)").
Result<RunConfig> resume_config(const SavedRun& saved, const RunConfig& wanted, const std::set<std::string>& given,
                                const DataIdentity& data, bool override_saved, std::vector<std::string>& changes);

// Writes `bytes` to `path` as one commit: a temporary file beside it (name + ".tmp.<pid>"),
// fsynced, renamed over `path`, then the folder fsynced.
//
// Fault injection for tests: with VKNN_TRAIN_FAULT=K:before (or K:after) in the environment,
// the process ends with _exit(86) at its K-th commit, before (after) the rename.
// (VKNN_TRAIN_FAULT=K:nan is the Trainer's: a NaN in the weights after step K.)
Status commit_file(const std::filesystem::path& path, std::span<const uint8_t> bytes);
Status commit_text(const std::filesystem::path& path, const std::string& text);
// Removes what a killed commit left in `dir`: files named <name>.tmp.<digits>. Returns how many.
int remove_stale_temporaries(const std::filesystem::path& dir);

// metrics.csv: one row per epoch.
std::string metrics_csv(const std::vector<EpochRow>& rows);

// steps.csv: one row per optimizer step ("step,epoch,batch,loss,top1,lr,images_per_s"). The
// Trainer appends a row after each step and syncs the file before each commit, so the file
// holds at least the committed steps; a resumed run cuts it back to them (the steps after the
// commit run again). Equal steps give equal rows but for images_per_s.
std::string steps_csv_header();
std::string steps_csv_row(const StepRow& r);
// The rows of a steps.csv, up to the first line that is not a whole row (a kill in the middle
// of an append leaves a torn last line); `ignored` counts the lines from there on.
Result<std::vector<StepRow>> parse_steps_csv(const std::string& text, const std::string& source, size_t& ignored);

}  // namespace vknn::train
