// The trainer library without a device: the run state's JSON (exact doubles), the list of
// flags that differ on resume, stratified subsets and the commit's temporary files.
#include "vknn/train/recipe.h"
#include "vknn/train/run.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <unistd.h>

using namespace vknn;
using namespace vknn::train;
namespace fs = std::filesystem;

namespace {

SavedRun sample_run() {
  SavedRun r;
  r.config.model = "lenet", r.config.data = "some/dir", r.config.lr = 0.1 / 3, r.config.seed = 1ull << 60;
  r.config.precision = "fp16", r.config.loss_scale = 1024, r.config.loss_scale_interval = 7;
  r.data = {"IDX", 320, 100, 10, "none"};
  r.state.epoch = 1, r.state.batch_in_epoch = 3, r.state.step = 9, r.state.lr = std::nextafter(0.05, 1.0);
  r.state.loss_sum = 1.0 / 7, r.state.top1_sum = 13, r.state.samples = 96, r.state.seconds = 0.25;
  r.state.has_best = true, r.state.best_val_loss = std::sqrt(2.0);
  EpochRow row;
  row.epoch = 1, row.epoch_fraction = 1, row.step = 6, row.train_loss = M_PI, row.val_top1 = 0.375;
  r.state.history.push_back(row);
  r.state.resumed_at = {4, 9};
  r.state.loss_scale = LossScaleState{std::ldexp(1.0, 100), 5};
  r.state.skipped_steps = 2;
  return r;
}

}  // namespace

TEST_CASE("a run's JSON round-trips every value exactly") {
  const SavedRun r = sample_run();
  auto back = run_from_json(run_to_json(r), "test");
  REQUIRE(back.ok());
  CHECK(back->config.lr == r.config.lr);
  CHECK(back->config.seed == r.config.seed);
  CHECK(back->config.precision == "fp16");
  CHECK(back->config.loss_scale == 1024);
  CHECK(back->config.loss_scale_interval == 7);
  CHECK(back->data == r.data);
  CHECK(back->state.lr == r.state.lr);
  CHECK(back->state.loss_sum == r.state.loss_sum);
  CHECK(back->state.best_val_loss == r.state.best_val_loss);
  CHECK(back->state.batch_in_epoch == 3);
  REQUIRE(back->state.history.size() == 1);
  CHECK(back->state.history[0].train_loss == M_PI);
  CHECK(back->state.resumed_at == std::vector<uint64_t>{4, 9});
  CHECK(back->state.loss_scale == LossScaleState{std::ldexp(1.0, 100), 5});
  CHECK(back->state.skipped_steps == 2);
  CHECK(run_to_json(*back) == run_to_json(r));
}

TEST_CASE("a run state without a loss scale (fp32, or saved before it was kept) reads as none") {
  SavedRun r = sample_run();
  r.state.loss_scale.reset();
  r.state.skipped_steps = 0;
  const std::string text = run_to_json(r);
  CHECK(text.find("loss_scale\"") == std::string::npos);
  CHECK(text.find("skipped_steps") == std::string::npos);
  auto back = run_from_json(text, "test");
  REQUIRE(back.ok());
  CHECK_FALSE(back->state.loss_scale.has_value());
  CHECK(back->state.skipped_steps == 0);
  // More skipped steps than steps, or a scale that is not a positive number: refused.
  SavedRun bad = sample_run();
  bad.state.skipped_steps = 10;
  auto refused = run_from_json(run_to_json(bad), "state.json");
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().message.find("state.json: 10 skipped steps of 9") != std::string::npos);
  bad = sample_run();
  bad.state.loss_scale->scale = 0;
  refused = run_from_json(run_to_json(bad), "state.json");
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().message.find("loss scale 0") != std::string::npos);
}

TEST_CASE("a malformed or foreign run state is an error naming the source") {
  for (const char* text : {"", "{}", "[1,2]", R"({"format":"vknn-run-0"})", R"({"format":"vknn-run-1","config":{}})"}) {
    auto r = run_from_json(text, "ckpt.safetensors");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message.find("ckpt.safetensors") != std::string::npos);
  }
}

TEST_CASE("resume: flags left out keep the saved values, differing ones are listed") {
  const SavedRun saved = sample_run();
  RunConfig wanted;  // defaults everywhere: only the given flags count
  wanted.lr = 0.2, wanted.batch = 16, wanted.seed = saved.config.seed;
  std::vector<std::string> changes;
  auto same = resume_config(saved, wanted, {"--seed"}, saved.data, false, changes);
  REQUIRE(same.ok());
  CHECK(same->lr == saved.config.lr);
  CHECK(same->model == "lenet");
  CHECK(changes.empty());

  auto refused = resume_config(saved, wanted, {"--lr", "--batch", "--seed"}, saved.data, false, changes);
  REQUIRE_FALSE(refused.ok());
  const std::string& m = refused.error().message;
  CHECK(m.find("in 2 places") != std::string::npos);
  CHECK(m.find("--lr 0.2 (the run has 0.03333") != std::string::npos);
  CHECK(m.find("--batch 16 (the run has 64)") != std::string::npos);
  CHECK(m.find("--seed") == std::string::npos);

  auto overridden = resume_config(saved, wanted, {"--lr", "--batch"}, saved.data, true, changes);
  REQUIRE(overridden.ok());
  CHECK(overridden->lr == 0.2);
  CHECK(overridden->batch == 16);
  CHECK(overridden->model == "lenet");
  CHECK(changes.size() == 2);

  DataIdentity other = saved.data;
  other.train = 321;
  changes.clear();
  auto data = resume_config(saved, saved.config, {}, other, false, changes);
  REQUIRE_FALSE(data.ok());
  CHECK(data.error().message.find("the data: IDX with 321 training") != std::string::npos);
}

TEST_CASE("run_flags names every recorded field once") {
  const auto& f = run_flags();
  CHECK(f.size() == 29);
  CHECK(std::count(f.begin(), f.end(), "--sync-bn") == 1);
  CHECK(std::count(f.begin(), f.end(), "--precision") == 1);
  CHECK(std::count(f.begin(), f.end(), "--loss-scale-interval") == 1);
  CHECK(std::set<std::string>(f.begin(), f.end()).size() == f.size());
  CHECK(f.front() == "--model");
}

TEST_CASE("stratified subsets keep each class's share, drawn by the seed") {
  std::vector<int32_t> labels;
  for (int i = 0; i < 1000; ++i) labels.push_back(i < 600 ? 0 : i < 900 ? 1 : 2);  // sorted: a prefix is one class
  auto s = stratified_subset(labels, 100, 5);
  REQUIRE(s.size() == 100);
  std::map<int32_t, int> count;
  for (int64_t i : s) ++count[labels[size_t(i)]];
  CHECK(count[0] == 60);
  CHECK(count[1] == 30);
  CHECK(count[2] == 10);
  CHECK(std::is_sorted(s.begin(), s.end()));
  CHECK(std::adjacent_find(s.begin(), s.end()) == s.end());
  CHECK(stratified_subset(labels, 100, 5) == s);
  CHECK(stratified_subset(labels, 100, 6) != s);
  CHECK(s.back() > 900);  // not the first 100
  // Rounding: 7 of 3 classes of equal size give 3, 2, 2.
  std::vector<int32_t> three = {0, 1, 2, 0, 1, 2, 0, 1, 2};
  auto t = stratified_subset(three, 7, 1);
  REQUIRE(t.size() == 7);
  std::map<int32_t, int> c3;
  for (int64_t i : t) ++c3[three[size_t(i)]];
  CHECK(c3[0] == 3);
  CHECK(c3[1] == 2);
  CHECK(c3[2] == 2);
  CHECK(stratified_subset(three, 0, 1).size() == 9);
  CHECK(stratified_subset(three, 50, 1).size() == 9);
}

TEST_CASE("a commit replaces the file, stale temporaries of a killed commit are removed") {
  const fs::path dir = fs::temp_directory_path() / ("vknn-train-test-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string a = "first", b = "second";
  REQUIRE(commit_file(dir / "ckpt", std::span(reinterpret_cast<const uint8_t*>(a.data()), a.size())).ok());
  REQUIRE(commit_file(dir / "ckpt", std::span(reinterpret_cast<const uint8_t*>(b.data()), b.size())).ok());
  std::ifstream in(dir / "ckpt");
  std::string got((std::istreambuf_iterator<char>(in)), {});
  CHECK(got == "second");
  std::ofstream(dir / "ckpt.tmp.12345") << "half";
  std::ofstream(dir / "keep.tmp") << "not ours";
  CHECK(remove_stale_temporaries(dir) == 1);
  CHECK(fs::exists(dir / "keep.tmp"));
  CHECK_FALSE(fs::exists(dir / "ckpt.tmp.12345"));
  CHECK_FALSE(commit_file(dir / "no-such-dir" / "x", {}).ok());
  fs::remove_all(dir);
}
