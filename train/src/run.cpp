#include "vknn/train/run.h"

#include "vknn/engine/file.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <regex>
#include <unistd.h>

namespace vknn::train {
namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

// Each RunConfig field once: its flag (without "--") and member.
#define VKNN_RUN_FIELDS(X)                                                                                      \
  X("model", model) X("data", data) X("epochs", epochs) X("batch", batch) X("lr", lr) X("momentum", momentum) \
  X("weight-decay", weight_decay) X("label-smoothing", label_smoothing) X("optimizer", optimizer)             \
  X("rule", rule) X("beta1", beta1) X("beta2", beta2) X("eps", eps) X("schedule", schedule)                  \
  X("step-epochs", step_epochs) X("patience", patience) X("warmup-epochs", warmup_epochs) X("seed", seed)     \
  X("limit", limit) X("val-limit", val_limit) X("split", split) X("input-size", input_size) X("init", init)     \
  X("replace-head", replace_head) X("freeze", freeze) X("sync-bn", sync_bn)      \
  X("precision", precision) X("loss-scale", loss_scale) X("loss-scale-interval", loss_scale_interval)

const std::vector<std::string>& run_flags() {
  static const std::vector<std::string> flags = [] {
    std::vector<std::string> f;
#define VKNN_FLAG(name, member) f.push_back("--" name);
    VKNN_RUN_FIELDS(VKNN_FLAG)
#undef VKNN_FLAG
    return f;
  }();
  return flags;
}

namespace {

Json config_json(const RunConfig& c) {
  Json j = Json::object();
#define VKNN_PUT(name, member) j[name] = c.member;
  VKNN_RUN_FIELDS(VKNN_PUT)
#undef VKNN_PUT
  return j;
}

RunConfig config_from(const Json& j) {
  RunConfig c;
  // Flags added after a run was saved keep their defaults, which are what such a run did.
#define VKNN_GET(name, member) \
  if (j.contains(name)) j.at(name).get_to(c.member);
  VKNN_RUN_FIELDS(VKNN_GET)
#undef VKNN_GET
  return c;
}

Json row_json(const EpochRow& r) {
  return {{"epoch", r.epoch},       {"epoch_fraction", r.epoch_fraction}, {"step", r.step},
          {"train_loss", r.train_loss}, {"train_top1", r.train_top1}, {"val_loss", r.val_loss},
          {"val_top1", r.val_top1},     {"val_top5", r.val_top5},     {"lr", r.lr},
          {"seconds", r.seconds},       {"images_per_s", r.images_per_s}};
}

EpochRow row_from(const Json& r) {
  EpochRow e;
  e.epoch = r.at("epoch"), e.epoch_fraction = r.at("epoch_fraction"), e.step = r.at("step");
  e.train_loss = r.at("train_loss"), e.train_top1 = r.at("train_top1"), e.val_loss = r.at("val_loss");
  e.val_top1 = r.at("val_top1"), e.val_top5 = r.at("val_top5"), e.lr = r.at("lr");
  e.seconds = r.at("seconds"), e.images_per_s = r.at("images_per_s");
  return e;
}

// A flag's value as the command line would spell it.
std::string shown(const Json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

}  // namespace

std::string run_to_json(const SavedRun& run) {
  const RunState& s = run.state;
  Json state = {{"epoch", s.epoch},
                {"batch_in_epoch", s.batch_in_epoch},
                {"step", s.step},
                {"lr", s.lr},
                {"has_best", s.has_best},
                {"best_val_top1", s.best_val_top1},
                {"best_val_loss", s.best_val_loss},
                {"bad_epochs", s.bad_epochs},
                {"plateau_scale", s.plateau_scale},
                {"epoch_loss_sum", s.loss_sum},
                {"epoch_top1_sum", s.top1_sum},
                {"epoch_samples", s.samples},
                {"epoch_seconds", s.seconds},
                {"resumed_at", s.resumed_at},
                {"history", Json::array()}};
  for (const auto& r : s.history) state["history"].push_back(row_json(r));
  if (s.loss_scale) state["loss_scale"] = {{"scale", s.loss_scale->scale}, {"good_steps", s.loss_scale->good_steps}};
  if (s.skipped_steps > 0) state["skipped_steps"] = s.skipped_steps;
  const DataIdentity& d = run.data;
  Json j = {{"format", "vknn-run-1"},
            {"config", config_json(run.config)},
            {"data",
             {{"kind", d.kind}, {"train", d.train}, {"test", d.test}, {"classes", d.classes},
              {"augmentation", d.augmentation}}},
            {"state", state}};
  return j.dump(2) + "\n";
}

Result<SavedRun> run_from_json(const std::string& text, const std::string& source) {
  try {
    const Json j = Json::parse(text);
    if (j.at("format") != "vknn-run-1")
      return make_error(Errc::parse, "{}: unknown run format '{}'", source, shown(j.at("format")));
    SavedRun run;
    run.config = config_from(j.at("config"));
    const Json& d = j.at("data");
    run.data.kind = d.at("kind"), run.data.train = d.at("train"), run.data.test = d.at("test");
    run.data.classes = d.at("classes"), run.data.augmentation = d.at("augmentation");
    const Json& s = j.at("state");
    RunState& st = run.state;
    st.epoch = s.at("epoch"), st.batch_in_epoch = s.at("batch_in_epoch"), st.step = s.at("step");
    st.lr = s.at("lr"), st.has_best = s.at("has_best"), st.best_val_top1 = s.at("best_val_top1");
    st.best_val_loss = s.at("best_val_loss"), st.bad_epochs = s.at("bad_epochs");
    // Saved before the scale was kept: a plateau run's rate was lowered in place.
    st.plateau_scale = s.contains("plateau_scale") ? s.at("plateau_scale").get<double>()
                       : run.config.schedule == "plateau" && run.config.lr > 0 ? st.lr / run.config.lr
                                                                                : 1.0;
    st.loss_sum = s.at("epoch_loss_sum"), st.top1_sum = s.at("epoch_top1_sum");
    st.samples = s.at("epoch_samples"), st.seconds = s.at("epoch_seconds");
    st.resumed_at = s.at("resumed_at").get<std::vector<uint64_t>>();
    for (const auto& r : s.at("history")) st.history.push_back(row_from(r));
    if (s.contains("loss_scale")) {
      const Json& ls = s.at("loss_scale");
      st.loss_scale = LossScaleState{ls.at("scale"), ls.at("good_steps")};
      if (!(st.loss_scale->scale > 0) || !std::isfinite(st.loss_scale->scale) || st.loss_scale->good_steps < 0)
        return make_error(Errc::parse, "{}: loss scale {} after {} good steps in the run state", source,
                          st.loss_scale->scale, st.loss_scale->good_steps);
    }
    st.skipped_steps = s.value("skipped_steps", int64_t(0));
    if (st.skipped_steps < 0 || uint64_t(st.skipped_steps) > st.step)
      return make_error(Errc::parse, "{}: {} skipped steps of {} in the run state", source, st.skipped_steps, st.step);
    if (st.epoch < 0 || st.batch_in_epoch < 0 || st.samples < 0)
      return make_error(Errc::parse, "{}: negative epoch, batch or sample count in the run state", source);
    return run;
  } catch (const std::exception& e) {
    return make_error(Errc::parse, "{}: malformed run state: {}", source, e.what());
  }
}

Result<RunConfig> resume_config(const SavedRun& saved, const RunConfig& wanted, const std::set<std::string>& given,
                                const DataIdentity& data, bool override_saved, std::vector<std::string>& changes) {
  const Json have = config_json(saved.config), want = config_json(wanted);
  Json merged = have;
  std::vector<std::string> diffs;
  for (const auto& [key, value] : have.items()) {
    if (!given.count("--" + key) || want.at(key) == value) continue;
    diffs.push_back(fmt::format("--{} {} (the run has {})", key, shown(want.at(key)), shown(value)));
    merged[key] = want.at(key);
  }
  if (!(data == saved.data))
    diffs.push_back(fmt::format("the data: {} with {} training, {} test images, {} classes, augmentation {} (the run "
                                "had {} with {}, {}, {}, {})",
                                data.kind, data.train, data.test, data.classes, data.augmentation, saved.data.kind,
                                saved.data.train, saved.data.test, saved.data.classes, saved.data.augmentation));
  if (!diffs.empty() && !override_saved) {
    std::string list;
    for (const auto& d : diffs) list += "\n  " + d;
    return make_error(Errc::invalid_argument,
                      "the command line disagrees with the saved run in {} place{}:{}\n(leave these out to continue "
                      "the run as it was, or give --override to change them)",
                      diffs.size(), diffs.size() == 1 ? "" : "s", list);
  }
  changes.insert(changes.end(), diffs.begin(), diffs.end());
  return config_from(merged);
}

namespace {

// VKNN_TRAIN_FAULT=K:before|after: which commit of this process ends it, and where.
void fault_point(int commit, bool after_rename) {
  const char* env = std::getenv("VKNN_TRAIN_FAULT");
  if (!env) return;
  int k = 0;
  char where[16] = {};
  if (std::sscanf(env, "%d:%15s", &k, where) != 2) return;
  if (k == commit && std::strcmp(where, after_rename ? "after" : "before") == 0) ::_exit(86);
}

}  // namespace

Status commit_file(const fs::path& path, std::span<const uint8_t> bytes) {
  static int commits = 0;
  const int commit = ++commits;
  const std::string tmp = path.string() + fmt::format(".tmp.{}", ::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return make_error(Errc::io, "{}: cannot create: {}", tmp, std::strerror(errno));
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      return make_error(Errc::io, "{}: write failed after {} of {} bytes: {}", tmp, done, bytes.size(),
                        std::strerror(err));
    }
    done += size_t(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return make_error(Errc::io, "{}: fsync/close failed: {}", tmp, std::strerror(err));
  }
  fault_point(commit, false);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return make_error(Errc::io, "renaming {} to {}: {}", tmp, path.string(), std::strerror(err));
  }
  VKNN_TRY(fsync_directory(path.parent_path()));
  fault_point(commit, true);
  return {};
}

Status commit_text(const fs::path& path, const std::string& text) {
  return write_file_atomic(path, std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
}

int remove_stale_temporaries(const fs::path& dir) {
  static const std::regex tmp_name(R"(.+\.tmp\.[0-9]+)");
  int removed = 0;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (!e.is_regular_file(ec) || !std::regex_match(name, tmp_name)) continue;
    if (fs::remove(e.path(), ec)) ++removed;
  }
  return removed;
}

std::string metrics_csv(const std::vector<EpochRow>& rows) {
  std::string s = "epoch,step,train_loss,train_top1,val_loss,val_top1,val_top5,lr,seconds,images_per_s\n";
  for (const auto& r : rows)
    s += fmt::format("{},{},{:.6f},{:.6f},{:.6f},{:.6f},{:.6f},{:.6g},{:.3f},{:.1f}\n", r.epoch, r.step, r.train_loss,
                     r.train_top1, r.val_loss, r.val_top1, r.val_top5, r.lr, r.seconds, r.images_per_s);
  return s;
}

std::string steps_csv_header() { return "step,epoch,batch,loss,top1,lr,images_per_s\n"; }

std::string steps_csv_row(const StepRow& r) {
  return fmt::format("{},{},{},{:.9g},{:.6f},{:.9g},{:.1f}\n", r.step, r.epoch, r.batch, r.loss, r.top1, r.lr,
                     r.images_per_s);
}

Result<std::vector<StepRow>> parse_steps_csv(const std::string& text, const std::string& source, size_t& ignored) {
  std::vector<StepRow> rows;
  ignored = 0;
  const std::string header = steps_csv_header();
  if (text.compare(0, header.size(), header) != 0)
    return make_error(Errc::parse, "{}: does not start with the header {}", source,
                      header.substr(0, header.size() - 1));
  size_t at = header.size();
  while (at < text.size()) {
    const size_t nl = text.find('\n', at);
    if (nl == std::string::npos) {  // a torn last line
      ++ignored;
      break;
    }
    const std::string line = text.substr(at, nl - at);
    StepRow r;
    unsigned long long step = 0;
    long long batch = 0;
    int used = 0;
    if (std::sscanf(line.c_str(), "%llu,%d,%lld,%lf,%lf,%lf,%lf%n", &step, &r.epoch, &batch, &r.loss, &r.top1, &r.lr,
                    &r.images_per_s, &used) != 7 ||
        size_t(used) != line.size()) {
      for (size_t k = at; k < text.size(); ++k) ignored += text[k] == '\n';
      ignored += text.back() != '\n';
      break;
    }
    r.step = step, r.batch = batch;
    rows.push_back(r);
    at = nl + 1;
  }
  return rows;
}

}  // namespace vknn::train
