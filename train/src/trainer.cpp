#include "vknn/train/trainer.h"

#include "vknn/engine/file.h"
#include "vknn/graph/precision.h"
#include "vknn/graph/safetensors.h"
#include "vknn/models/by_name.h"
#include "vknn/ops/adamw.h"
#include "vknn/ops/batchnorm.h"
#include "vknn/ops/sgd.h"
#include "vknn/train/schedule.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <unistd.h>

namespace vknn::train {
namespace fs = std::filesystem;

namespace {

// The files of a run folder that a fresh run would overwrite.
const char* const kRunFiles[] = {"checkpoint.safetensors", "state.json", "metrics.csv", "curves.svg",
                                 "best.safetensors", "classes.txt", "steps.csv"};

std::string json_array(const std::vector<float>& v) { return nlohmann::json(v).dump(); }

// Fault injection for tests: VKNN_TRAIN_FAULT=K:nan makes step K's update leave a NaN in the
// last parameter (the classifier's, so that the logits see it), as an overflowing update would,
// while that step's own loss stays finite.
// 0 when unset (the commit faults, K:before and K:after, are run.cpp's).
uint64_t nan_fault_step() {
  const char* env = std::getenv("VKNN_TRAIN_FAULT");
  unsigned long long k = 0;
  char where[16] = {};
  if (!env || std::sscanf(env, "%llu:%15s", &k, where) != 2 || std::strcmp(where, "nan") != 0) return 0;
  return k;
}

}  // namespace

Status check_config(const RunConfig& c, const CodeModel* code) {
  if (code) {
    if (c.input_size != 0)
      return make_error(Errc::invalid_argument, "--input-size {}: a network defined in code fixes its own input",
                        c.input_size);
  } else {
    if (c.model.empty()) return make_error(Errc::invalid_argument, "--model: no model given");
    auto spec = model_spec(c.model);
    if (!spec.ok()) return make_error(spec.error().code, "--model: {}", spec.error().message);
    VKNN_TRY(with_input_size(*spec, c.input_size));
  }
  if (c.data.empty()) return make_error(Errc::invalid_argument, "--data: no dataset given");
  if (c.epochs < 1) return make_error(Errc::invalid_argument, "--epochs {}: must be at least 1", c.epochs);
  if (c.batch < 1) return make_error(Errc::invalid_argument, "--batch {}: must be at least 1", c.batch);
  if (!(c.lr > 0) || !std::isfinite(c.lr)) return make_error(Errc::invalid_argument, "--lr {}: must be positive", c.lr);
  if (!(c.momentum >= 0 && c.momentum <= 1))
    return make_error(Errc::invalid_argument, "--momentum {}: must be in [0, 1]", c.momentum);
  if (!(c.weight_decay >= 0 && c.weight_decay <= 1))
    return make_error(Errc::invalid_argument, "--weight-decay {}: must be in [0, 1]", c.weight_decay);
  if (!(c.label_smoothing >= 0 && c.label_smoothing <= 1))
    return make_error(Errc::invalid_argument, "--label-smoothing {}: must be in [0, 1]", c.label_smoothing);
  if (c.optimizer != "sgd" && c.optimizer != "adamw")
    return make_error(Errc::invalid_argument, "--optimizer {}: must be sgd or adamw", c.optimizer);
  if (c.rule != "paper" && c.rule != "pytorch")
    return make_error(Errc::invalid_argument, "--rule {}: must be paper or pytorch", c.rule);
  if (c.precision != "fp32" && c.precision != "fp16")
    return make_error(Errc::invalid_argument, "--precision {}: must be fp32 or fp16", c.precision);
  if (c.precision == "fp16" && c.split != "none")
    return make_error(Errc::invalid_argument, "--precision fp16 trains on one target; leave out --split {}", c.split);
  if (!(c.loss_scale >= 1 && c.loss_scale <= 1e30))
    return make_error(Errc::invalid_argument, "--loss-scale {}: must be in [1, 1e30]", c.loss_scale);
  if (c.loss_scale_interval < 1)
    return make_error(Errc::invalid_argument, "--loss-scale-interval {}: must be at least 1", c.loss_scale_interval);
  if (!(c.beta1 >= 0 && c.beta1 < 1) || !(c.beta2 >= 0 && c.beta2 < 1))
    return make_error(Errc::invalid_argument, "--beta1 {} and --beta2 {}: must be in [0, 1)", c.beta1, c.beta2);
  if (!(c.eps > 0 && c.eps < 1)) return make_error(Errc::invalid_argument, "--eps {}: must be in (0, 1)", c.eps);
  if (c.schedule != "step" && c.schedule != "cosine" && c.schedule != "plateau")
    return make_error(Errc::invalid_argument, "--schedule {}: must be step, cosine or plateau", c.schedule);
  if (c.warmup_epochs < 0 || c.warmup_epochs >= c.epochs)
    return make_error(Errc::invalid_argument, "--warmup-epochs {}: must be at least 0 and less than --epochs {}",
                      c.warmup_epochs, c.epochs);
  if (c.split != "none" && c.split != "two-devices" && c.split != "two-queues")
    return make_error(Errc::invalid_argument, "--split {}: must be none, two-devices or two-queues", c.split);
  if (c.step_epochs < 1 || c.patience < 1)
    return make_error(Errc::invalid_argument, "--step-epochs and --patience must be at least 1");
  if (c.limit < 0 || c.val_limit < 0) return make_error(Errc::invalid_argument, "--limit and --val-limit must be >= 0");
  return {};
}

Trainer::~Trainer() = default;

void Trainer::say(const std::string& s) const {
  if (!writer() && !s.starts_with("warning")) return;  // data-parallel: rank 0 speaks for all
  if (opt_.log) opt_.log(s);
  else fmt::print(stderr, "{}\n", s);
}

void Trainer::phase(const std::string& what) const {
  if (writer() && opt_.progress) opt_.progress(what, 0, 0);
}

Result<std::unique_ptr<Trainer>> Trainer::create(TrainerOptions options) {
  std::unique_ptr<Trainer> t(new Trainer());
  VKNN_TRY(t->open(options));
  VKNN_TRY(t->build());
  return t;
}

// Everything that needs no device: the arguments, the run folder, the saved run and the data.
Status Trainer::open(TrainerOptions& o) {
  opt_ = std::move(o);
  const fs::path& out = opt_.out;
  ckpt_ = out / "checkpoint.safetensors";
  std::error_code ec;
  if (opt_.resume) {
    if (!fs::is_regular_file(ckpt_, ec))
      return make_error(Errc::io, "{}: no checkpoint, nothing to resume (start the run without --resume)",
                        ckpt_.string());
    VKNN_ASSIGN(SafetensorsFile f, SafetensorsFile::read(ckpt_));
    const auto it = f.metadata().find("vknn.run");
    if (it == f.metadata().end())
      return make_error(Errc::parse, "{}: holds no run state (a weights-only file cannot be resumed)", ckpt_.string());
    VKNN_ASSIGN(SavedRun saved, run_from_json(it->second, ckpt_.string()));
    std::vector<std::string> changes;
    VKNN_ASSIGN(RunConfig merged, resume_config(saved, opt_.run, opt_.given, saved.data, opt_.override_saved, changes));
    for (const auto& c : changes) say("override: " + c);
    saved_loss_scale_ = saved.state.loss_scale.has_value();
    loss_scale_given_ = merged.loss_scale != saved.config.loss_scale;  // --override --loss-scale S
    run_ = std::move(saved);
    run_.config = merged;
  } else {
    // Data-parallel: rank 0 alone owns the folder (the others would see its first commit).
    bool has_run = false;
    if (writer())
      for (const char* name : kRunFiles) has_run = has_run || fs::exists(out / name, ec);
    if (has_run && !opt_.force)
      return make_error(Errc::invalid_argument,
                        "{} holds a run already: continue it with --resume, or replace it with --force", out.string());
    if (has_run)
      for (const char* name : kRunFiles) fs::remove(out / name, ec);
    run_.config = opt_.run;
    run_.state.lr = scheduled_lr(opt_.run, 0);
  }
  VKNN_TRY(check_config(run_.config, opt_.code.get()));
  VKNN_ASSIGN(ModelSpec spec, opt_.code ? code_model_spec(opt_.code) : model_spec(run_.config.model));
  VKNN_ASSIGN(spec_, with_input_size(std::move(spec), run_.config.input_size));
  if (spec_.code && !opt_.resume) run_.config.model = spec_.id;  // resuming compares it with the checkpoint's
  const RunConfig& c = run_.config;
  if (opt_.resume) {  // an ONNX file is named by its contents: another file at the same path is another model
    VKNN_ASSIGN(CheckpointInfo info, read_checkpoint_info(ckpt_));
    if (!info.model.empty() && info.model != spec_.id) {
      if (spec_.code && !opt_.override_saved)
        return make_error(Errc::invalid_argument, "{}: the run trained '{}' but the network given is '{}'",
                          ckpt_.string(), info.model, spec_.id);
      if (!opt_.override_saved)
        return make_error(Errc::invalid_argument,
                          "{}: the run trained '{}' but --model {} is '{}' now (--override to continue anyway)",
                          ckpt_.string(), info.model, c.model, spec_.id);
      say(fmt::format("override: --model {} is '{}' (the run had '{}')", c.model, spec_.id, info.model));
    }
  }
  phase("opening the data");
  VKNN_ASSIGN(DataSource src, open_data(c.data, true));
  src_ = std::make_unique<DataSource>(std::move(src));
  for (const auto& w : src_->warnings) say("warning: " + w);
  DataIdentity id{src_->kind_name(), src_->size(true), src_->size(false), src_->classes,
                  augmentation_name(spec_, *src_)};
  if (c.limit > 0) id.train = std::min(id.train, c.limit);
  if (c.val_limit > 0) id.test = std::min(id.test, c.val_limit);
  if (opt_.resume && !(id == run_.data)) {
    std::vector<std::string> changes;
    VKNN_TRY(resume_config(run_, run_.config, {}, id, opt_.override_saved, changes));
    for (const auto& ch : changes) say("override: " + ch);
  }
  run_.data = id;
  say(fmt::format("data: {} ({}), {} training and {} test images, {} classes", c.data, id.kind, id.train, id.test,
                  id.classes));
  // Data-parallel: this rank's slice of every global batch, and every ranks()-th validation batch.
  auto slice = dist::rank_slice(c.batch, rank(), ranks());
  if (!slice.ok()) return make_error(slice.error().code, "--batch: {}", slice.error().message);
  slice_ = *slice;
  const int local_batch = int(slice_.end - slice_.begin);
  data::Partition train_part, val_part;
  if (ranks() > 1) {
    train_part.slice_begin = slice_.begin, train_part.slice_end = slice_.end;
    val_part.shard = rank(), val_part.shards = ranks();
    say(fmt::format("data-parallel: {} ranks ({}), global batch {}, {} per rank", ranks(), opt_.comm->kind(), c.batch,
                    local_batch));
  }
  auto train_loader = make_loader(*src_, spec_, true, true, c.batch, opt_.threads, c.seed, c.limit, false, train_part);
  if (!train_loader.ok()) return train_loader.error();
  train_loader_ = std::move(*train_loader);
  auto val_loader =
      make_loader(*src_, spec_, false, false, local_batch, opt_.threads, c.seed, c.val_limit, false, val_part);
  if (!val_loader.ok()) return val_loader.error();
  val_loader_ = std::move(*val_loader);
  per_epoch_ = train_loader_->batches_per_epoch();
  if (per_epoch_ < 1)
    return make_error(Errc::invalid_argument, "{} training images are fewer than one batch of {}", id.train, c.batch);
  if (run_.state.batch_in_epoch > per_epoch_)
    return make_error(Errc::parse, "{}: the run is at batch {} of an epoch of {}", ckpt_.string(),
                      run_.state.batch_in_epoch, per_epoch_);
  if ((spec_.onnx || spec_.code) && spec_.default_classes != src_->classes)
    return make_error(Errc::invalid_argument, "--model {}: its output has {} classes but the data has {}", c.model,
                      spec_.default_classes, src_->classes);
  if (c.replace_head > 0 && c.replace_head != src_->classes)
    return make_error(Errc::invalid_argument, "--replace-head {}: the data has {} classes", c.replace_head,
                      src_->classes);
  if (c.replace_head > 0 && c.init.empty())
    return make_error(Errc::invalid_argument, "--replace-head needs --init (the weights whose head it replaces)");
  if (!c.init.empty() && !fs::is_regular_file(c.init, ec))
    return make_error(Errc::io, "--init {}: not a file", c.init);
  phase("building the graph");
  VKNN_TRY(build_graph());
  if (!writer()) return {};
  fs::create_directories(out, ec);
  if (ec) return make_error(Errc::io, "{}: cannot create: {}", out.string(), ec.message());
  if (int n = remove_stale_temporaries(out); n > 0)
    say(fmt::format("removed {} temporary file{} of an interrupted commit in {}", n, n == 1 ? "" : "s", out.string()));
  if (opt_.resume) VKNN_TRY(restore_steps());
  return {};
}

// steps.csv of a resumed run: the rows of the committed steps. Rows after them (steps taken
// after the last commit, which run again now) and a torn last line are cut off.
Status Trainer::restore_steps() {
  const fs::path path = opt_.out / "steps.csv";
  const uint64_t step = run_.state.step;
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    if (step > 0) say(fmt::format("warning: {} is missing: steps 1 to {} have no rows", path.string(), step));
    return {};
  }
  VKNN_ASSIGN(std::vector<uint8_t> bytes, read_file_bytes(path));
  size_t ignored = 0;
  VKNN_ASSIGN(std::vector<StepRow> rows,
              parse_steps_csv(std::string(bytes.begin(), bytes.end()), path.string(), ignored));
  size_t keep = 0;
  while (keep < rows.size() && rows[keep].step <= step) ++keep;
  const size_t dropped = rows.size() - keep;
  rows.resize(keep);
  for (size_t i = 0; i < rows.size(); ++i)
    if (rows[i].step != i + 1)
      return make_error(Errc::parse, "{}: row {} is step {}, not {}", path.string(), i + 1, rows[i].step, i + 1);
  if (rows.size() < step)
    say(fmt::format("warning: {} ends at step {} but the run is at step {}: those steps have no rows", path.string(),
                    rows.size(), step));
  if (dropped > 0 || ignored > 0) {
    say(fmt::format("{}: cut back to step {} ({} later row{} from after the last commit)", path.string(), rows.size(),
                    dropped + ignored, dropped + ignored == 1 ? "" : "s"));
    std::string text = steps_csv_header();
    for (const auto& r : rows) text += steps_csv_row(r);
    VKNN_TRY(commit_text(path, text));
  }
  steps_ = std::move(rows);
  return {};
}

Status Trainer::append_step(const StepRow& row) {
  steps_.push_back(row);
  if (!steps_file_) {
    const fs::path path = opt_.out / "steps.csv";
    steps_file_.reset(std::fopen(path.c_str(), "a"));
    if (!steps_file_) return make_error(Errc::io, "{}: cannot open: {}", path.string(), std::strerror(errno));
    if (std::ftell(steps_file_.get()) == 0) std::fputs(steps_csv_header().c_str(), steps_file_.get());
  }
  const std::string line = steps_csv_row(row);
  // Flushed at once: the file is a live record (tail -f), and at most this line is torn by a kill.
  if (std::fputs(line.c_str(), steps_file_.get()) < 0 || std::fflush(steps_file_.get()) != 0)
    return make_error(Errc::io, "{}: write failed: {}", (opt_.out / "steps.csv").string(), std::strerror(errno));
  return {};
}

// The training graph: model, loss, frozen parameters, autodiff, SGD. No device needed.
Status Trainer::build_graph() {
  const RunConfig& c = run_.config;
  VKNN_ASSIGN(model_, build_model(spec_, slice_.end - slice_.begin, src_->classes, true, float(c.label_smoothing)));
  Graph& g = model_.graph;
  if (!c.freeze.empty()) {
    size_t frozen = 0;
    for (size_t start = 0; start <= c.freeze.size();) {
      const size_t comma = std::min(c.freeze.find(',', start), c.freeze.size());
      const std::string prefix = c.freeze.substr(start, comma - start);
      start = comma + 1;
      if (prefix.empty()) continue;
      size_t matched = 0;
      for (TensorId w : g.parameters())
        if (g.desc(w).name.starts_with(prefix)) g.desc(w).frozen = true, ++matched;
      if (matched == 0)
        return make_error(Errc::invalid_argument, "--freeze {}: no parameter of '{}' starts with '{}'", c.freeze,
                          c.model, prefix);
      frozen += matched;
    }
    say(fmt::format("frozen: {} parameter tensors", frozen));
  }
  if (c.replace_head > 0) {  // the parameters that feed the logits: not taken from --init
    const int32_t producer = g.desc(model_.logits).producer;
    if (producer < 0) return make_error(Errc::invalid_argument, "--replace-head: the logits have no producer");
    for (TensorId in : g.nodes()[size_t(producer)].inputs)
      if (g.desc(in).role == Role::parameter) head_.insert(g.desc(in).name);
    if (head_.empty())
      return make_error(Errc::invalid_argument, "--replace-head: no parameter feeds the logits of '{}'", c.model);
  }
  if (c.sync_bn && ranks() > 1) {  // one process: its own statistics are the batch's
    VKNN_ASSIGN(size_t n, synchronize_batchnorm(g));
    say(n == 0 ? fmt::format("--sync-bn: '{}' has no batch norm", c.model)
               : fmt::format("--sync-bn: {} batch norm{} use the statistics of the global batch", n, n == 1 ? "" : "s"));
  }
  // fp16: fp16 activations, fp32 master weights, an overflow check the optimizer reads (precision.h)
  VKNN_ASSIGN(const Precision precision, parse_precision(c.precision));
  VKNN_ASSIGN(const TrainingRewrites rw, build_training_backward(g, precision));
  if (precision == Precision::fp16) {
    say(fmt::format("--precision fp16: {} nodes store fp16 activations, {} weight casts per step", rw.half.half_nodes,
                    rw.half.weight_casts));
    say(fmt::format("--precision fp16: the backward pass reads fp32 casts of {} fp16 tensors", rw.backward_casts));
  }
  start_loss_scale();
  if (c.optimizer == "adamw") {
    AdamWParams p;
    p.beta1 = c.beta1, p.beta2 = c.beta2, p.eps = float(c.eps), p.weight_decay = float(c.weight_decay);
    return add_adamw(g, p);
  }
  SgdParams sgd;
  sgd.rule = c.rule == "paper" ? SgdRule::sgd_paper : SgdRule::sgd_pytorch;
  sgd.momentum = float(c.momentum), sgd.weight_decay = float(c.weight_decay), sgd.learning_rate = float(c.lr);
  return add_sgd(g, sgd);
}

// --precision fp16: the loss scaler from --loss-scale, or, resuming, where the run left it.
void Trainer::start_loss_scale() {
  const RunConfig& c = run_.config;
  RunState& st = run_.state;
  if (c.precision != "fp16") {
    st.loss_scale.reset();
    return;
  }
  scaler_ = LossScaler({float(c.loss_scale), 2.0f, 0.5f, c.loss_scale_interval});
  if (opt_.resume && loss_scale_given_)
    say(fmt::format("--precision fp16: the loss scale starts again from --loss-scale {}", c.loss_scale));
  else if (opt_.resume && st.loss_scale)
    scaler_.restore(float(st.loss_scale->scale), st.loss_scale->good_steps);
  else if (opt_.resume)
    say(fmt::format("--precision fp16: {} holds no loss scale (saved by an fp32 run or an older vknn): the scale "
                    "starts from --loss-scale {}",
                    ckpt_.string(), c.loss_scale));
  st.loss_scale = LossScaleState{scaler_.scale(), scaler_.good_steps()};
}

// The device and the executor; then the weights (resume) or the first
// commit (a fresh run, so that a kill from here on leaves a resumable run).
Status Trainer::build() {
  const RunConfig& c = run_.config;
  ctx_ = opt_.context, ctx2_ = opt_.context2;
  if (!ctx_) {
    ContextOptions copt = opt_.device;
    if (c.split == "two-queues") copt.queue_count = std::max(copt.queue_count, 2u);
    phase("opening the device");
    VKNN_ASSIGN(ctx_, Context::create(copt));
  }
  if (c.split == "two-devices" && !ctx2_) {
    auto made = Context::create(opt_.device2);
    if (!made.ok()) return make_error(made.error().code, "second device: {}", made.error().message);
    ctx2_ = *made;
  }
  say(fmt::format("device: {}", ctx_->caps().name));
  if (c.precision == "fp16" && !ctx_->caps().storage_buffer_16bit)
    return make_error(Errc::unsupported,
                      "--precision fp16: {} has no 16-bit storage (storageBuffer16BitAccess); train in fp32",
                      ctx_->caps().name);
  if (ctx_->caps().type == VK_PHYSICAL_DEVICE_TYPE_CPU)
    say(fmt::format("warning: {} is a CPU driver (VK_PHYSICAL_DEVICE_TYPE_CPU): training runs on the processor, "
                    "many times slower than on a GPU (list the devices with `vknn devices`, pick one with --device)",
                    ctx_->caps().name));

  ExecutorOptions eo;
  eo.seed = c.seed;
  eo.learning_rate = float(run_.state.lr);
  if (c.split != "none") {
    if (model_.graph.target_count() < 2)
      return make_error(Errc::invalid_argument, "--split {}: model '{}' is not placed on two targets (alexnet is)",
                        c.split, c.model);
    if (c.split == "two-devices") eo.targets = {{ctx_.get(), 0}, {ctx2_.get(), 0}};
    else eo.targets = {{ctx_.get(), 0}, {ctx_.get(), ctx_->queue_count() > 1 ? 1u : 0u}};
    say(fmt::format("split: {}: target 0 on {} queue 0, target 1 on {} queue {}", c.split, ctx_->caps().name,
                    eo.targets[1].context->caps().name, eo.targets[1].queue));
  }
  std::vector<dist::GradientBucket> buckets;
  if (ranks() > 1) {
    buckets = dist::plan_buckets(model_.graph, opt_.bucket_bytes);
    eo.cut_after = dist::cut_points(buckets);
    eo.batch_offset = slice_.begin;
    gather_ = std::make_unique<dist::RankGather>(*opt_.comm, opt_.dist_timeout);
    eo.collective = gather_.get();
  }
  phase("compiling the pipelines");
  VKNN_ASSIGN(ex_, Executor::create(*ctx_, model_.graph, eo));
  if (ranks() > 1) {
    uint64_t bytes = 0;
    for (const auto& b : buckets) bytes += b.bytes;
    say(fmt::format("gradient all-reduce: {:.2f} MB in {} bucket{}, overlapped with the backward pass",
                    double(bytes) / 1e6, buckets.size(), buckets.size() == 1 ? "" : "s"));
    reducer_ = std::make_unique<dist::GradientAllReducer>(*opt_.comm, std::move(buckets), opt_.dist_timeout);
  }
  RunState& st = run_.state;
  if (opt_.resume) {
    VKNN_ASSIGN(SafetensorsFile f, SafetensorsFile::read(ckpt_));
    VKNN_TRY(ex_->load_checkpoint(f));
    // The executor counts updates; the run counts batches, skipped ones too. A file saved
    // before the skipped steps were kept: the difference is theirs.
    if (c.precision == "fp16" && !saved_loss_scale_ && ex_->step() <= st.step)
      st.skipped_steps = int64_t(st.step - ex_->step());
    if (uint64_t(ex_->step()) + uint64_t(st.skipped_steps) != st.step)
      return make_error(Errc::parse, "{}: the weights are at step {} ({} skipped) but the run state at step {}",
                        ckpt_.string(), ex_->step(), st.skipped_steps, st.step);
    st.resumed_at.push_back(st.step);
    committed_step_ = st.step;
    say(fmt::format("resuming {} at epoch {} batch {} (step {}, lr {:.6g})", opt_.out.string(), st.epoch + 1,
                    st.batch_in_epoch, st.step, st.lr));
  } else {
    if (!c.init.empty()) {
      VKNN_TRY(ex_->load_weights(c.init, /*allow_extra=*/true, head_));
      std::string head;
      for (const auto& h : head_) head += (head.empty() ? "" : ", ") + h;
      say(fmt::format("initial weights from {}{}", c.init, head.empty() ? "" : "; new " + head));
    }
  }
  if (ranks() > 1) VKNN_TRY(share_rank0_weights());
  if (!opt_.resume) {
    phase("writing the first checkpoint");
    VKNN_TRY(save());
  }
  ex_->set_learning_rate(float(st.lr));
  return {};
}

// Data-parallel start: every rank must run the same run from the same weights. The run (as
// JSON) is compared over ranks, then rank 0's parameters and state (momentum, running
// statistics) are summed with zeros from the others, which copies them exactly (as DDP
// broadcasts rank 0's module at construction). It is also where the ranks first meet, so a
// rank that failed to start is named here, after dist_timeout.
Status Trainer::share_rank0_weights() {
  dist::Communicator& comm = *opt_.comm;
  const std::string run = run_to_json(run_);
  uint64_t h = 1469598103934665603ull;
  for (unsigned char ch : run) h = (h ^ ch) * 1099511628211ull;
  const double mine[2] = {double(uint32_t(h)), double(uint32_t(h >> 32))};
  VKNN_ASSIGN(auto all, comm.gather(mine, opt_.dist_timeout, "the start of data-parallel training"));
  for (int r = 1; r < comm.size(); ++r)
    if (all[size_t(2 * r)] != all[0] || all[size_t(2 * r + 1)] != all[1])
      return make_error(Errc::invalid_argument,
                        "{} is not running the run of {} (a different --resume folder, flags or data): every rank "
                        "must run the same command on the same files",
                        comm.describe(r), comm.describe(0));
  const Graph& g = model_.graph;
  std::vector<TensorId> shared;
  std::vector<float> flat;
  for (size_t i = 0; i < g.tensors().size(); ++i) {
    const TensorDesc& d = g.tensors()[i];
    if ((d.role != Role::parameter && d.role != Role::state) || d.dtype != DType::f32) continue;
    shared.push_back(TensorId{int32_t(i)});
    VKNN_ASSIGN(auto v, ex_->read(shared.back()));
    if (comm.rank() != 0) std::fill(v.begin(), v.end(), 0.0f);
    flat.insert(flat.end(), v.begin(), v.end());
  }
  VKNN_TRY(comm.sum(flat, opt_.dist_timeout, "the copy of rank 0's weights"));
  const float* src = flat.data();
  for (TensorId t : shared) {
    const size_t n = size_t(g.desc(t).shape.numel());
    VKNN_TRY(ex_->write(t, std::span<const float>(src, n)));
    src += n;
  }
  return {};
}

bool Trainer::interrupted() const {
  if (ranks() > 1) return stop_agreed_;
  return opt_.interrupted && opt_.interrupted();
}

Status Trainer::begin_epoch() {
  RunState& st = run_.state;
  st.lr = scheduled_lr(run_.config, st.epoch, st.plateau_scale);
  ex_->set_learning_rate(float(st.lr));
  train_loader_->start_epoch(uint64_t(st.epoch), st.batch_in_epoch);
  epoch_open_ = true;
  return {};
}

bool Trainer::epoch_done() const { return run_.state.batch_in_epoch >= per_epoch_; }

bool Trainer::finished() const {
  const RunState& st = run_.state;
  return st.epoch >= run_.config.epochs || (opt_.max_steps > 0 && int64_t(st.step) >= opt_.max_steps);
}

Result<StepResult> Trainer::step() {
  RunState& st = run_.state;
  if (st.epoch >= run_.config.epochs)
    return make_error(Errc::invalid_argument, "the run has finished its {} epochs", run_.config.epochs);
  if (epoch_done()) return make_error(Errc::invalid_argument, "epoch {} is done: end_epoch() first", st.epoch + 1);
  if (!epoch_open_) VKNN_TRY(begin_epoch());
  const auto start = std::chrono::steady_clock::now();
  auto batch = train_loader_->next();
  if (!batch) {
    VKNN_TRY(train_loader_->status());  // unreadable images: the error names the class and a file
    return make_error(Errc::invalid_argument, "the loader ended epoch {} early", st.epoch + 1);
  }
  const Graph& g = model_.graph;
  VKNN_TRY(ex_->set_input(model_.images, std::span<const float>(batch->images)));
  VKNN_TRY(ex_->set_input(model_.labels, std::span<const int32_t>(batch->labels)));
  const bool scaled = run_.config.precision == "fp16";
  if (scaled) ex_->set_loss_scale(scaler_.scale());
  VKNN_TRY(ex_->run(reducer_.get()));
  const bool skipped = ex_->last_step_skipped();
  if (scaled) {
    const float was = scaler_.scale(), now = scaler_.update(skipped);
    st.loss_scale = LossScaleState{now, scaler_.good_steps()};
    if (skipped) {
      ++st.skipped_steps;
      say(fmt::format("step {}: the gradients overflowed at loss scale {}: the update was skipped, the scale is now {} "
                      "({} skipped so far)", st.step + 1, was, now, st.skipped_steps));
    }
  }
  VKNN_ASSIGN(float loss, ex_->read_scalar(g.loss));
  VKNN_ASSIGN(float top1, ex_->read_scalar(g.top1));
  double loss_sum = double(loss) * double(batch->n), top1_sum = top1;
  int64_t n = batch->n;
  if (ranks() > 1) {  // the batch's metrics over all ranks, summed in rank order: the same on every rank
    const bool stop = opt_.interrupted && opt_.interrupted();
    const double mine[4] = {loss_sum, double(top1), double(n), stop ? 1.0 : 0.0};
    VKNN_ASSIGN(auto all, opt_.comm->gather(mine, opt_.dist_timeout, fmt::format("the metrics of step {}", st.step + 1)));
    loss_sum = top1_sum = 0, n = 0;
    for (int r = 0; r < ranks(); ++r) {
      loss_sum += all[size_t(4 * r)], top1_sum += all[size_t(4 * r + 1)], n += int64_t(all[size_t(4 * r + 2)]);
      stop_agreed_ = stop_agreed_ || all[size_t(4 * r + 3)] != 0;
    }
    loss = float(loss_sum / double(n)), top1 = float(top1_sum);
  }
  if (!std::isfinite(loss) && !skipped) {  // a skipped step changed no weight
    auto inv = ex_->read_scalar(g.invalid_labels);
    if (inv.ok() && *inv > 0)
      return make_error(Errc::invalid_argument, "{} labels outside [0, {}) in epoch {} batch {}", *inv, src_->classes,
                        st.epoch + 1, batch->index);
    // The weights are the diverged step's now: the run must not commit them. The last commit
    // stays as it is.
    ex_.reset();
    return make_error(Errc::invalid_argument,
                      "the loss is {} at step {} (diverged: try a smaller --lr); nothing was saved from this step, "
                      "the last checkpoint is at step {}",
                      loss, st.step + 1, committed_step_);
  }
  ++st.step, ++st.batch_in_epoch;
  if (st.step == nan_fault_step()) VKNN_TRY(inject_nan());
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  st.loss_sum += loss_sum;
  st.top1_sum += top1_sum;
  st.samples += n;
  st.seconds += seconds;
  if (writer())
    VKNN_TRY(append_step({st.step, st.epoch + 1, st.batch_in_epoch, double(loss), top1_sum / double(n), st.lr,
                          seconds > 0 ? double(n) / seconds : 0}));
  return StepResult{loss, top1, n, seconds, skipped};
}

Status Trainer::inject_nan() {
  const auto& tensors = model_.graph.tensors();
  for (size_t i = tensors.size(); i-- > 0;) {
    const TensorDesc& d = tensors[i];
    if (d.role != Role::parameter || d.slice_of.valid()) continue;
    VKNN_ASSIGN(std::vector<float> v, ex_->read(TensorId{int32_t(i)}));
    v.at(0) = std::numeric_limits<float>::quiet_NaN();
    say(fmt::format("VKNN_TRAIN_FAULT: a NaN in '{}' after step {}", d.name, run_.state.step));
    return ex_->write(TensorId{int32_t(i)}, v);
  }
  return make_error(Errc::invalid_argument, "VKNN_TRAIN_FAULT: the model has no parameter");
}

Result<EvalResult> Trainer::validate() {
  if (!ex_) return make_error(Errc::invalid_argument, "the trainer stopped after an error");
  EvalProgress on_batch;
  if (writer() && opt_.progress) {
    const int64_t total = val_loader_->size();
    on_batch = [this, total](int64_t done) { opt_.progress("validating", done, total); };
    on_batch(0);
  }
  if (ranks() == 1) return evaluate(*ex_, model_, *val_loader_, 1, on_batch);
  VKNN_ASSIGN(EvalSums mine, evaluate_sums(*ex_, model_, *val_loader_, on_batch));
  const double part[4] = {mine.loss, mine.top1, mine.top5, double(mine.samples)};
  VKNN_ASSIGN(auto all, opt_.comm->gather(part, opt_.dist_timeout, "the validation results"));
  EvalSums s;
  for (int r = 0; r < ranks(); ++r) {
    s.loss += all[size_t(4 * r)], s.top1 += all[size_t(4 * r + 1)], s.top5 += all[size_t(4 * r + 2)];
    s.samples += int64_t(all[size_t(4 * r + 3)]);
  }
  if (s.samples == 0) return make_error(Errc::invalid_argument, "the evaluation split is empty");
  EvalResult r;
  r.samples = s.samples;
  r.loss = s.loss / double(s.samples), r.top1 = s.top1 / double(s.samples), r.top5 = s.top5 / double(s.samples);
  return r;
}

Result<EpochRow> Trainer::end_epoch() {
  RunState& st = run_.state;
  if (!epoch_done()) return make_error(Errc::invalid_argument, "epoch {} is not done", st.epoch + 1);
  if (train_loader_->failed_samples() > 0)
    say(fmt::format("warning: {} unreadable training samples replaced (last: {})", train_loader_->failed_samples(),
                    train_loader_->last_failure()));
  VKNN_ASSIGN(EvalResult r, validate());
  if (!std::isfinite(r.loss)) {
    // The last step's loss was finite but its update was not: the weights give a non-finite
    // validation loss. Commit nothing from them (the loaders would refuse them anyway).
    ex_.reset();
    return make_error(Errc::invalid_argument,
                      "the validation loss is {} after step {} (diverged: try a smaller --lr); nothing was saved "
                      "from epoch {}, the last checkpoint is at step {}",
                      r.loss, st.step, st.epoch + 1, committed_step_);
  }
  EpochRow row;
  row.epoch = st.epoch + 1;
  row.epoch_fraction = st.epoch + 1;
  row.step = st.step;
  row.train_loss = st.samples ? st.loss_sum / double(st.samples) : 0;
  row.train_top1 = st.samples ? st.top1_sum / double(st.samples) : 0;
  row.val_loss = r.loss, row.val_top1 = r.top1, row.val_top5 = r.top5;
  row.lr = st.lr, row.seconds = st.seconds;
  row.images_per_s = st.seconds > 0 ? double(st.samples) / st.seconds : 0;
  st.history.push_back(row);
  const bool best = !st.has_best || r.top1 > st.best_val_top1;
  if (!st.has_best || r.loss < st.best_val_loss) {
    st.bad_epochs = 0;
  } else if (++st.bad_epochs >= run_.config.patience && run_.config.schedule == "plateau") {
    st.plateau_scale /= 10;
    st.bad_epochs = 0;
    say(fmt::format("plateau: validation loss has not improved for {} epochs, lr -> {:.6g}", run_.config.patience,
                    scheduled_lr(run_.config, st.epoch + 1, st.plateau_scale)));
  }
  st.best_val_top1 = std::max(st.has_best ? st.best_val_top1 : 0.0, r.top1);
  st.best_val_loss = st.has_best ? std::min(st.best_val_loss, r.loss) : r.loss;
  st.has_best = true;
  ++st.epoch;
  st.batch_in_epoch = 0, st.loss_sum = 0, st.top1_sum = 0, st.samples = 0, st.seconds = 0;
  st.lr = scheduled_lr(run_.config, st.epoch, st.plateau_scale);
  epoch_open_ = false;
  VKNN_TRY(save());
  if (best && writer()) {
    VKNN_ASSIGN(std::vector<uint8_t> bytes, checkpoint_bytes(true));
    VKNN_TRY(write_file_atomic(opt_.out / "best.safetensors", bytes));
  }
  return row;
}

Result<std::vector<uint8_t>> Trainer::checkpoint_bytes(bool weights_only) const {
  if (!ex_) return make_error(Errc::invalid_argument, "the trainer stopped after an error");
  std::map<std::string, std::string> meta;
  meta["model"] = spec_.id;
  if (spec_.onnx) meta["onnx_file"] = fs::path(spec_.name).filename().string();
  meta["classes"] = std::to_string(src_->classes);
  if (!src_->class_names.empty()) meta["class_names"] = nlohmann::json(src_->class_names).dump();
  meta["input_channels"] = std::to_string(spec_.channels);
  meta["input_size"] = std::to_string(spec_.size);
  if (spec_.resize_shorter > 0) meta["resize_shorter"] = std::to_string(spec_.resize_shorter);
  meta["mean"] = json_array(spec_.mean);
  meta["std"] = json_array(spec_.stddev);
  if (!weights_only) meta["vknn.run"] = run_to_json(run_);
  return ex_->checkpoint_bytes(meta, weights_only);
}

Status Trainer::save() {
  if (!writer()) {  // data-parallel: rank 0 writes; the others hold the same weights and run
    committed_step_ = run_.state.step;
    return {};
  }
  // steps.csv first: once the commit is on disk, so are the rows of its steps.
  if (steps_file_ && ::fsync(::fileno(steps_file_.get())) != 0)
    return make_error(Errc::io, "{}: fsync failed: {}", (opt_.out / "steps.csv").string(), std::strerror(errno));
  VKNN_ASSIGN(std::vector<uint8_t> bytes, checkpoint_bytes(false));
  VKNN_TRY(commit_file(ckpt_, bytes));
  committed_step_ = run_.state.step;
  // Derived files: written after the commit, rewritten by the next one.
  const fs::path& out = opt_.out;
  VKNN_TRY(commit_text(out / "state.json", run_to_json(run_)));
  VKNN_TRY(commit_text(out / "metrics.csv", metrics_csv(run_.state.history)));
  CurvesInput curves;
  const RunConfig& c = run_.config;
  curves.title = fmt::format("vknn train --model {} ({}, batch {}, {}, {} schedule)",
                             fs::path(c.model).filename().string(), fs::path(c.data).filename().string(), c.batch,
                             c.optimizer == "adamw" ? "AdamW" : c.rule + " SGD", c.schedule);
  curves.epochs = run_.state.history;
  curves.steps = steps_;
  curves.resumed_at = run_.state.resumed_at;
  curves.steps_per_epoch = per_epoch_;
  VKNN_TRY(commit_text(out / "curves.svg", curves_svg(curves)));
  if (!src_->class_names.empty()) {
    std::string names;
    for (const auto& n : src_->class_names) names += n + "\n";
    VKNN_TRY(commit_text(out / "classes.txt", names));
  }
  return {};
}

}  // namespace vknn::train
