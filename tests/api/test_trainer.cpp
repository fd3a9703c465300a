// The Trainer through the public API, on the host's lent device: LeNet on a few hundred
// images of the CLI tests' fixture data (the VKNN_TEST_TRAIN_DATA the build names). Stopped, destroyed and
// resumed, it ends with the weights of an uninterrupted run, byte for byte; the C functions
// return statuses for every misuse.
#include "helpers.h"

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iterator>

using namespace apitest;

namespace {

std::string train_data() {
#ifdef VKNN_TEST_TRAIN_DATA
  if (std::filesystem::is_directory(VKNN_TEST_TRAIN_DATA)) return VKNN_TEST_TRAIN_DATA;
#endif
  return "";
}

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

// Steps to the end, ending each epoch; returns the validations.
std::vector<vknn::api::Evaluation> run_to_end(vknn::api::Trainer& t) {
  std::vector<vknn::api::Evaluation> v;
  while (!t.finished()) {
    const auto s = t.step();
    CHECK(std::isfinite(s.loss));
    if (s.epoch_done) v.push_back(t.end_epoch());
  }
  return v;
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
    REQUIRE(vknn_trainer_create(ctx, &spec, &t) == VKNN_SUCCESS);
    vknn_train_step s{};
    REQUIRE(vknn_trainer_step(t, &s) == VKNN_SUCCESS);
    CHECK(s.step == 1);
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
