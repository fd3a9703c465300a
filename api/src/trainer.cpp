// vknn::api::Trainer and the C vknn_trainer_* functions: the library's Trainer (train/) behind
// the public headers. The C functions catch everything (no exception crosses them).
#include "state.h"

#include "vknn/engine/file.h"
#include "vknn/network.hpp"
#include "vknn/train/trainer.h"

#include <fmt/format.h>

#include <mutex>
#include <new>

namespace vknn::api {

struct __attribute__((visibility("hidden"))) Trainer::State {
  std::mutex mutex;
  std::shared_ptr<vknn::Context> ctx;  // kept alive while the trainer exists
  std::unique_ptr<train::Trainer> trainer;  // null once destroyed
};

namespace {

std::shared_ptr<vknn::Context> engine_context(Context& ctx, const std::shared_ptr<Context::State>& s, const char* call) {
  (void)ctx;
  if (!s) raise(VKNN_ERROR_INVALID_STATE, fmt::format("Trainer::{}: empty Context", call));
  std::shared_lock lock(s->mutex);
  if (!s->ctx) raise(VKNN_ERROR_INVALID_STATE, fmt::format("Trainer::{}: the context was destroyed", call));
  return s->ctx;
}

train::TrainerOptions options_of(const TrainerSpec& spec) {
  train::TrainerOptions o;
  train::RunConfig& c = o.run;
  c.model = spec.model, c.data = spec.data;
  c.epochs = spec.epochs, c.batch = spec.batch;
  c.lr = spec.lr, c.momentum = spec.momentum, c.weight_decay = spec.weight_decay;
  c.label_smoothing = spec.label_smoothing;
  c.optimizer = spec.optimizer, c.rule = spec.rule;
  c.beta1 = spec.beta1, c.beta2 = spec.beta2, c.eps = spec.eps;
  c.schedule = spec.schedule, c.warmup_epochs = spec.warmup_epochs;
  c.step_epochs = spec.step_epochs, c.patience = spec.patience;
  c.seed = spec.seed, c.limit = spec.limit, c.val_limit = spec.val_limit;
  c.init = spec.init;
  c.precision = spec.precision, c.loss_scale = spec.loss_scale, c.loss_scale_interval = spec.loss_scale_interval;
  o.out = spec.out;
  o.force = spec.force;
  if (spec.threads < 1) raise(VKNN_ERROR_INVALID_ARGUMENT, fmt::format("threads {}: must be at least 1", spec.threads));
  o.threads = spec.threads;
  o.log = [](const std::string&) {};  // an embedded library does not print
  return o;
}

Evaluation evaluation_of(const train::EvalResult& r) { return {r.loss, r.top1, r.top5, r.samples}; }

// The network as the training library takes it: its layers replayed at the trainer's batch.
// The state is shared, not copied: a network takes no layers after output(), and build()
// only reads it.
std::shared_ptr<const train::CodeModel> code_model(const std::shared_ptr<Network::State>& s, const char* call) {
  if (!s) raise(VKNN_ERROR_INVALID_ARGUMENT, fmt::format("Trainer::{}: the network was moved from", call));
  auto code = std::make_shared<train::CodeModel>();
  code->description = s->description;
  code->build = [s](int64_t batch) { return s->build(batch); };
  return code;
}

std::unique_ptr<Trainer::State> start(Context& ctx, const std::shared_ptr<Context::State>& cs,
                                      train::TrainerOptions o, const char* call) {
  if (!o.resume) {  // a fresh run's settings, before the device; a resumed run's are its own
    if (auto s = train::check_config(o.run, o.code.get()); !s.ok()) raise(s.error());
  }
  o.context = engine_context(ctx, cs, call);
  auto st = std::make_unique<Trainer::State>();
  st->ctx = o.context;
  st->trainer = take(train::Trainer::create(std::move(o)));
  return st;
}

train::TrainerOptions resume_options(const std::string& out) {
  train::TrainerOptions o;
  o.out = out;
  o.resume = true;
  o.log = [](const std::string&) {};
  return o;
}

}  // namespace

Trainer Trainer::create(Context& ctx, const TrainerSpec& spec) {
  return Trainer(start(ctx, ctx.state_, options_of(spec), "create"));
}

Trainer Trainer::create(Context& ctx, const Network& network, const TrainerSpec& spec) {
  train::TrainerOptions o = options_of(spec);
  o.code = code_model(network.state_, "create");
  return Trainer(start(ctx, ctx.state_, std::move(o), "create"));
}

Trainer Trainer::resume(Context& ctx, const std::string& out) {
  return Trainer(start(ctx, ctx.state_, resume_options(out), "resume"));
}

Trainer Trainer::resume(Context& ctx, const Network& network, const std::string& out) {
  train::TrainerOptions o = resume_options(out);
  o.code = code_model(network.state_, "resume");
  return Trainer(start(ctx, ctx.state_, std::move(o), "resume"));
}

namespace {
train::Trainer& live(Trainer::State* s, const char* call) {
  if (!s) raise(VKNN_ERROR_INVALID_STATE, fmt::format("Trainer::{} on an empty Trainer", call));
  if (!s->trainer) raise(VKNN_ERROR_INVALID_STATE, fmt::format("Trainer::{}: the trainer was destroyed", call));
  return *s->trainer;
}
}  // namespace

TrainStep Trainer::step() {
  if (!state_) live(nullptr, "step");
  std::lock_guard lock(state_->mutex);
  train::Trainer& t = live(state_.get(), "step");
  const auto& st = t.state();
  TrainStep r;
  r.epoch = st.epoch;
  const train::StepResult s = take(t.step());
  r.lr = st.lr;
  r.loss = s.loss, r.top1 = s.top1, r.skipped = s.skipped;
  r.step = st.step, r.batch_in_epoch = st.batch_in_epoch;
  r.epoch_done = t.epoch_done();
  r.finished = t.finished();
  return r;
}

Evaluation Trainer::end_epoch() {
  if (!state_) live(nullptr, "end_epoch");
  std::lock_guard lock(state_->mutex);
  train::Trainer& t = live(state_.get(), "end_epoch");
  const train::EpochRow row = take(t.end_epoch());
  return {row.val_loss, row.val_top1, row.val_top5, t.data_identity().test};
}

Evaluation Trainer::validate() {
  if (!state_) live(nullptr, "validate");
  std::lock_guard lock(state_->mutex);
  return evaluation_of(take(live(state_.get(), "validate").validate()));
}

void Trainer::save() {
  if (!state_) live(nullptr, "save");
  std::lock_guard lock(state_->mutex);
  check(live(state_.get(), "save").save());
}

void Trainer::save_weights(const std::string& path) {
  if (!state_) live(nullptr, "save_weights");
  std::lock_guard lock(state_->mutex);
  const std::vector<uint8_t> bytes = take(live(state_.get(), "save_weights").checkpoint_bytes(true));
  check(write_file_atomic(path, bytes));
}

bool Trainer::finished() const {
  if (!state_) live(nullptr, "finished");
  std::lock_guard lock(state_->mutex);
  return live(state_.get(), "finished").finished();
}

uint64_t Trainer::step_count() const {
  if (!state_) live(nullptr, "step_count");
  std::lock_guard lock(state_->mutex);
  return live(state_.get(), "step_count").state().step;
}

void Trainer::destroy() {
  if (!state_) return;
  std::lock_guard lock(state_->mutex);
  state_->trainer.reset();
  state_->ctx.reset();
}

Trainer::Trainer() = default;
Trainer::Trainer(std::unique_ptr<State> s) : state_(std::move(s)) {}
Trainer::~Trainer() = default;
Trainer::Trainer(Trainer&&) noexcept = default;
Trainer& Trainer::operator=(Trainer&&) noexcept = default;

}  // namespace vknn::api

// ------------------------------------------------------------------------------------ C API

namespace {

using vknn::api::guarded;
[[noreturn]] void invalid(const std::string& what) { vknn::api::raise(VKNN_ERROR_INVALID_ARGUMENT, what); }

vknn::api::Trainer& trainer_of(vknn_trainer t) {
  if (!t) invalid("the trainer is NULL");
  return t->trainer;
}

}  // namespace

vknn::api::TrainerSpec vknn::api::trainer_spec_of(const vknn_trainer_spec* spec, bool network) {
  if (!spec) invalid("spec is NULL");
  if (!network && !spec->model) invalid("spec->model is NULL");
  if (!spec->data) invalid("spec->data is NULL");
  TrainerSpec s;
  if (!network) s.model = spec->model;  // a network takes the model's place
  s.data = spec->data;
  if (spec->out) s.out = spec->out;
  s.epochs = spec->epochs, s.batch = spec->batch;
  s.lr = spec->lr, s.momentum = spec->momentum, s.weight_decay = spec->weight_decay;
  s.label_smoothing = spec->label_smoothing;
  if (spec->rule) s.rule = spec->rule;
  if (spec->schedule) s.schedule = spec->schedule;
  if (spec->optimizer) s.optimizer = spec->optimizer;
  s.beta1 = spec->beta1, s.beta2 = spec->beta2, s.eps = spec->eps, s.warmup_epochs = spec->warmup_epochs;
  s.step_epochs = spec->step_epochs, s.patience = spec->patience;
  s.seed = spec->seed, s.limit = spec->limit, s.val_limit = spec->val_limit;
  s.threads = spec->threads, s.force = spec->force != 0;
  if (spec->init) s.init = spec->init;
  if (spec->precision) s.precision = spec->precision;
  if (spec->loss_scale != 0) s.loss_scale = spec->loss_scale;
  if (spec->loss_scale_interval != 0) s.loss_scale_interval = spec->loss_scale_interval;
  return s;
}

extern "C" {

void vknn_trainer_spec_defaults(vknn_trainer_spec* spec) {
  if (!spec) return;
  const vknn::api::TrainerSpec d;
  *spec = vknn_trainer_spec{};
  spec->out = nullptr, spec->rule = nullptr, spec->schedule = nullptr, spec->optimizer = nullptr;
  spec->init = nullptr, spec->precision = nullptr;
  spec->loss_scale = d.loss_scale, spec->loss_scale_interval = d.loss_scale_interval;
  spec->beta1 = d.beta1, spec->beta2 = d.beta2, spec->eps = d.eps, spec->warmup_epochs = d.warmup_epochs;
  spec->epochs = d.epochs, spec->batch = d.batch;
  spec->lr = d.lr, spec->momentum = d.momentum, spec->weight_decay = d.weight_decay;
  spec->label_smoothing = d.label_smoothing;
  spec->step_epochs = d.step_epochs, spec->patience = d.patience;
  spec->seed = d.seed, spec->limit = d.limit, spec->val_limit = d.val_limit;
  spec->threads = d.threads, spec->force = 0;
}

vknn_status vknn_trainer_create(vknn_context ctx, const vknn_trainer_spec* spec, vknn_trainer* out) {
  if (out) *out = nullptr;
  return guarded("vknn_trainer_create", [&] {
    if (!out) invalid("out is NULL");
    if (!ctx) invalid("the context is NULL");
    auto h = std::make_unique<vknn_trainer_t>();
    h->trainer = vknn::api::Trainer::create(ctx->ctx, vknn::api::trainer_spec_of(spec, false));
    *out = h.release();
  });
}

vknn_status vknn_trainer_resume(vknn_context ctx, const char* out_dir, vknn_trainer* out) {
  if (out) *out = nullptr;
  return guarded("vknn_trainer_resume", [&] {
    if (!out) invalid("out is NULL");
    if (!ctx) invalid("the context is NULL");
    if (!out_dir) invalid("out_dir is NULL");
    auto h = std::make_unique<vknn_trainer_t>();
    h->trainer = vknn::api::Trainer::resume(ctx->ctx, out_dir);
    *out = h.release();
  });
}

vknn_status vknn_trainer_step(vknn_trainer t, vknn_train_step* out) {
  return guarded("vknn_trainer_step", [&] {
    const vknn::api::TrainStep s = trainer_of(t).step();
    if (out)
      *out = vknn_train_step{s.loss,           s.top1, s.step, s.epoch, s.batch_in_epoch, s.epoch_done ? 1 : 0,
                             s.finished ? 1 : 0, s.lr};
  });
}

vknn_status vknn_trainer_end_epoch(vknn_trainer t, vknn_evaluation* out) {
  return guarded("vknn_trainer_end_epoch", [&] {
    const vknn::api::Evaluation e = trainer_of(t).end_epoch();
    if (out) *out = vknn_evaluation{e.loss, e.top1, e.top5, e.samples};
  });
}

vknn_status vknn_trainer_validate(vknn_trainer t, vknn_evaluation* out) {
  return guarded("vknn_trainer_validate", [&] {
    if (!out) invalid("out is NULL");
    const vknn::api::Evaluation e = trainer_of(t).validate();
    *out = vknn_evaluation{e.loss, e.top1, e.top5, e.samples};
  });
}

vknn_status vknn_trainer_save(vknn_trainer t) {
  return guarded("vknn_trainer_save", [&] { trainer_of(t).save(); });
}

vknn_status vknn_trainer_save_weights(vknn_trainer t, const char* path) {
  return guarded("vknn_trainer_save_weights", [&] {
    if (!path) invalid("path is NULL");
    trainer_of(t).save_weights(path);
  });
}

vknn_status vknn_trainer_finished(vknn_trainer t, int32_t* finished) {
  if (finished) *finished = 0;
  return guarded("vknn_trainer_finished", [&] {
    if (!finished) invalid("finished is NULL");
    *finished = trainer_of(t).finished() ? 1 : 0;
  });
}

void vknn_trainer_destroy(vknn_trainer t) { delete t; }

}  // extern "C"
