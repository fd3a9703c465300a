// The Trainer through the public API, on the host's lent device: LeNet on a few hundred
// images of the CLI tests' fixture data (the VKNN_TEST_TRAIN_DATA the build names). Stopped, destroyed and
// resumed, it ends with the weights of an uninterrupted run, byte for byte (with SGD, and with
// AdamW under a cosine schedule after warmup); the optimizer, schedule and label smoothing
// settings reach the run; the C functions return statuses for every misuse.
#include "helpers.h"

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iterator>

using namespace apitest;

namespace {

vknn::api::TrainerSpec small_run(const std::filesystem::path& out) {
  vknn::api::TrainerSpec s;
  s.model = "lenet", s.data = train_data(), s.out = out.string();
  s.epochs = 2, s.batch = 32, s.lr = 0.05, s.seed = 3, s.limit = 96, s.val_limit = 32;
  s.force = true;
  return s;
}

std::string bytes_of(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), {}};
}

}  // namespace

TEST_CASE("Trainer: stopped, destroyed and resumed ends bit-identical to an uninterrupted run") {
  if (train_data().empty()) {
    MESSAGE("no fixture data (cli: train fixture data): skipped");
    return;
  }
  host::Device dev;
  auto ctx = vknn::api::Context::borrow(lend(dev));
  const auto a = temp_path("trainer-a"), b = temp_path("trainer-b");

  auto whole = vknn::api::Trainer::create(ctx, small_run(a));
  const auto evals = run_to_end(whole);
  REQUIRE(evals.size() == 2);
  CHECK(evals[1].samples == 32);
  CHECK(whole.step_count() == 6);
  check_throws([&] { whole.step(); }, VKNN_ERROR_INVALID_ARGUMENT, {"finished"});
  whole.save_weights((a / "final.safetensors").string());

  {
    auto first = vknn::api::Trainer::create(ctx, small_run(b));
    first.step(), first.step(), first.step();  // the first epoch: 3 steps
    check_throws([&] { first.step(); }, VKNN_ERROR_INVALID_ARGUMENT, {"end_epoch"});
    first.end_epoch();
    first.step();
    first.save();
    first.destroy();
    check_throws([&] { first.step(); }, VKNN_ERROR_INVALID_STATE, {"destroyed"});
  }
  auto resumed = vknn::api::Trainer::resume(ctx, b.string());
  CHECK(resumed.step_count() == 4);
  run_to_end(resumed);
  resumed.save_weights((b / "final.safetensors").string());
  const std::string wa = bytes_of(a / "final.safetensors"), wb = bytes_of(b / "final.safetensors");
  CHECK(wa.size() > 1000);
  CHECK(wa == wb);
  // Self-describing: the weights say what they are.
  CHECK(wa.find("\"model\":\"lenet\"") != std::string::npos);
  CHECK(wa.find("\"classes\":\"10\"") != std::string::npos);
  CHECK(wa.find("momentum") == std::string::npos);

  // A folder holding a run is not overwritten unless asked.
  auto again = small_run(a);
  again.force = false;
  check_throws([&] { vknn::api::Trainer::create(ctx, again); }, VKNN_ERROR_INVALID_ARGUMENT, {"holds a run"});
  whole = {};
  resumed = {};
  std::filesystem::remove_all(a);
  std::filesystem::remove_all(b);
}

TEST_CASE("Trainer: AdamW, a cosine schedule after warmup and label smoothing take effect and resume exactly") {
  if (train_data().empty()) {
    MESSAGE("no fixture data (cli: train fixture data): skipped");
    return;
  }
  host::Device dev;
  auto ctx = vknn::api::Context::borrow(lend(dev));
  const auto a = temp_path("trainer-adamw-a"), b = temp_path("trainer-adamw-b"), c = temp_path("trainer-plain");
  auto spec = [](const std::filesystem::path& out) {
    vknn::api::TrainerSpec s = small_run(out);  // 3 steps an epoch
    s.epochs = 3, s.lr = 0.002, s.weight_decay = 0.05;
    s.optimizer = "adamw", s.beta1 = 0.8, s.beta2 = 0.99, s.eps = 1e-7;
    s.schedule = "cosine", s.warmup_epochs = 1;
    s.label_smoothing = 0.1;
    return s;
  };

  // The rate per epoch: 0.01 x lr in the warmup, then lr (1 + cos(pi e / 2)) / 2 for e = 0, 1.
  auto whole = vknn::api::Trainer::create(ctx, spec(a));
  std::vector<double> lr;
  float first_loss = 0;
  while (!whole.finished()) {
    const auto s = whole.step();
    if (s.step == 1) first_loss = s.loss;
    if (s.batch_in_epoch == 1) lr.push_back(s.lr);
    if (s.epoch_done) whole.end_epoch();
  }
  REQUIRE(lr.size() == 3);
  CHECK(lr[0] == doctest::Approx(0.002 * 0.01).epsilon(1e-12));
  CHECK(lr[1] == doctest::Approx(0.002).epsilon(1e-12));
  CHECK(lr[2] == doctest::Approx(0.001).epsilon(1e-12));
  whole.save_weights((a / "final.safetensors").string());
  // The run records them; the checkpoint holds AdamW's moments (torch's names), no momentum.
  const std::string state = bytes_of(a / "state.json"), ckpt = bytes_of(a / "checkpoint.safetensors");
  for (const char* field : {"\"optimizer\": \"adamw\"", "\"beta1\": 0.8", "\"beta2\": 0.99", "\"eps\": 1e-07",
                            "\"schedule\": \"cosine\"", "\"warmup-epochs\": 1", "\"label-smoothing\": 0.1"})
    CHECK_MESSAGE(state.find(field) != std::string::npos, field);
  CHECK(ckpt.find(".exp_avg_sq\"") != std::string::npos);
  CHECK(ckpt.find(".momentum\"") == std::string::npos);  // SGD's state tensors

  // Label smoothing changes the loss of the same first batch from the same weights.
  {
    auto plain_spec = spec(c);
    plain_spec.label_smoothing = 0;
    auto plain = vknn::api::Trainer::create(ctx, plain_spec);
    const float plain_loss = plain.step().loss;
    CHECK(std::isfinite(plain_loss));
    CHECK(plain_loss != first_loss);
  }

  // Stopped in the warmup epoch and resumed: the same weights, byte for byte.
  {
    auto first = vknn::api::Trainer::create(ctx, spec(b));
    first.step(), first.step();
    first.save();
  }
  auto resumed = vknn::api::Trainer::resume(ctx, b.string());
  run_to_end(resumed);
  resumed.save_weights((b / "final.safetensors").string());
  CHECK(bytes_of(a / "final.safetensors") == bytes_of(b / "final.safetensors"));
  whole = {};
  resumed = {};
  for (const auto& p : {a, b, c}) std::filesystem::remove_all(p);
}

TEST_CASE("C: trainer functions return statuses, never throw") {
  host::Device dev;
  const vknn_host_device h = lend_c(dev);
  vknn_context ctx = nullptr;
  REQUIRE(vknn_context_borrow(&h, &ctx) == VKNN_SUCCESS);
  vknn_trainer_spec spec;
  vknn_trainer_spec_defaults(&spec);
  CHECK(spec.epochs == 10);
  CHECK(spec.batch == 64);
  vknn_trainer t = reinterpret_cast<vknn_trainer>(&dev);  // must be overwritten with NULL
  check_status(vknn_trainer_create(ctx, &spec, &t), VKNN_ERROR_INVALID_ARGUMENT, {"vknn_trainer_create", "spec->model"});
  CHECK(t == nullptr);
  spec.model = "lenet";
  check_status(vknn_trainer_create(ctx, &spec, &t), VKNN_ERROR_INVALID_ARGUMENT, {"spec->data"});
  spec.data = "/nonexistent/vknn-data";
  check_status(vknn_trainer_create(ctx, &spec, &t), VKNN_ERROR_IO, {"/nonexistent/vknn-data"});
  spec.model = "no-such-net";
  check_status(vknn_trainer_create(ctx, &spec, &t), VKNN_ERROR_INVALID_ARGUMENT, {"no-such-net"});
  spec.model = "lenet";
  spec.lr = -1;
  check_status(vknn_trainer_create(ctx, &spec, &t), VKNN_ERROR_INVALID_ARGUMENT, {"--lr"});
  spec.lr = 0.01;
  spec.rule = "adam";
  check_status(vknn_trainer_create(ctx, &spec, &t), VKNN_ERROR_INVALID_ARGUMENT, {"--rule adam"});
  spec.rule = nullptr;
  CHECK(spec.optimizer == nullptr);  // "sgd"
  CHECK(spec.beta1 == 0.9);
  CHECK(spec.beta2 == 0.999);
  CHECK(spec.eps == 1e-8);
  CHECK(spec.warmup_epochs == 0);
  spec.optimizer = "adam";
  check_status(vknn_trainer_create(ctx, &spec, &t), VKNN_ERROR_INVALID_ARGUMENT, {"--optimizer adam"});
  spec.optimizer = "adamw";
  spec.beta2 = 1;
  check_status(vknn_trainer_create(ctx, &spec, &t), VKNN_ERROR_INVALID_ARGUMENT, {"--beta2"});
  spec.beta2 = 0.999;
  spec.schedule = "linear";
  check_status(vknn_trainer_create(ctx, &spec, &t), VKNN_ERROR_INVALID_ARGUMENT, {"--schedule linear"});
  spec.schedule = "cosine";
  spec.warmup_epochs = spec.epochs;
  check_status(vknn_trainer_create(ctx, &spec, &t), VKNN_ERROR_INVALID_ARGUMENT, {"--warmup-epochs"});
  spec.warmup_epochs = 0;
  spec.label_smoothing = 1.5;
  check_status(vknn_trainer_create(ctx, &spec, &t), VKNN_ERROR_INVALID_ARGUMENT, {"--label-smoothing"});
  spec.label_smoothing = 0;
  check_status(vknn_trainer_create(nullptr, &spec, &t), VKNN_ERROR_INVALID_ARGUMENT, {"context"});
  check_status(vknn_trainer_create(ctx, nullptr, &t), VKNN_ERROR_INVALID_ARGUMENT, {"spec"});
  check_status(vknn_trainer_create(ctx, &spec, nullptr), VKNN_ERROR_INVALID_ARGUMENT, {"out"});
  check_status(vknn_trainer_resume(ctx, temp_path("no-run").c_str(), &t), VKNN_ERROR_IO, {"nothing to resume"});
  check_status(vknn_trainer_resume(ctx, nullptr, &t), VKNN_ERROR_INVALID_ARGUMENT, {"out_dir"});
  check_status(vknn_trainer_step(nullptr, nullptr), VKNN_ERROR_INVALID_ARGUMENT, {"vknn_trainer_step", "NULL"});
  check_status(vknn_trainer_end_epoch(nullptr, nullptr), VKNN_ERROR_INVALID_ARGUMENT, {"NULL"});
  check_status(vknn_trainer_save(nullptr), VKNN_ERROR_INVALID_ARGUMENT, {"NULL"});
  check_status(vknn_trainer_save_weights(nullptr, "x"), VKNN_ERROR_INVALID_ARGUMENT, {"NULL"});
  vknn_evaluation e;
  check_status(vknn_trainer_validate(nullptr, &e), VKNN_ERROR_INVALID_ARGUMENT, {"NULL"});
  vknn_trainer_destroy(nullptr);

  if (!train_data().empty()) {
    const auto out = temp_path("c-trainer");
    const std::string out_s = out.string(), data = train_data();
    spec.rule = nullptr;
    spec.data = data.c_str(), spec.out = out_s.c_str();
    spec.epochs = 1, spec.batch = 32, spec.limit = 64, spec.val_limit = 32, spec.force = 1;
    spec.optimizer = "adamw", spec.lr = 0.001, spec.label_smoothing = 0.1;  // schedule: cosine, from above
    REQUIRE(vknn_trainer_create(ctx, &spec, &t) == VKNN_SUCCESS);
    vknn_train_step s{};
    REQUIRE(vknn_trainer_step(t, &s) == VKNN_SUCCESS);
    CHECK(s.step == 1);
    CHECK(s.lr == 0.001);
    CHECK(std::isfinite(s.loss));
    CHECK(s.epoch_done == 0);
    REQUIRE(vknn_trainer_step(t, &s) == VKNN_SUCCESS);
    CHECK(s.epoch_done == 1);
    check_status(vknn_trainer_step(t, &s), VKNN_ERROR_INVALID_ARGUMENT, {"end_epoch"});
    REQUIRE(vknn_trainer_end_epoch(t, &e) == VKNN_SUCCESS);
    CHECK(e.samples == 32);
    CHECK(e.top1 >= 0.0);
    REQUIRE(vknn_trainer_validate(t, &e) == VKNN_SUCCESS);
    check_status(vknn_trainer_step(t, &s), VKNN_ERROR_INVALID_ARGUMENT, {"finished"});
    check_status(vknn_trainer_save_weights(t, nullptr), VKNN_ERROR_INVALID_ARGUMENT, {"path"});
    vknn_trainer_destroy(t);
    std::filesystem::remove_all(out);
  }
  vknn_context_destroy(ctx);
}
