// vknn bench data: the input pipeline alone (read, decode, resize, crop, augment, normalise,
// batch), exactly as `vknn train` and `vknn eval` build it, with no device. The figure is the
// steady-state rate: images delivered per second after the warm-up batches, and that rate per
// loader thread, the unit torchvision's DataLoader is compared in (scripts/compare-dataloader.py).
#include "bench_model.h"
#include "cli.h"
#include "model_source.h"
#include "timing.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <chrono>

namespace vknn::tools {
namespace {

using Clock = std::chrono::steady_clock;

struct DataConfig {
  std::string model = "resnet18", data, split = "train";
  int batch = 32, threads = 1, batches = 20, warmup = 2, size = 0;
  bool no_augment = false, json = false;
};

// Per-batch wait times and the whole timed span of `timed` batches after `warmup`, running the
// loader's epochs over again when one ends.
struct Timing {
  std::vector<double> wait_ms;
  double span_s = 0;
  int64_t images = 0;
};

Result<Timing> time_loader(data::BatchLoader& loader, int warmup, int timed) {
  Timing t;
  uint64_t epoch = 0;
  loader.start_epoch(epoch);
  Clock::time_point start;
  for (int b = 0; b < warmup + timed; ++b) {
    if (b == warmup) start = Clock::now();
    const auto t0 = Clock::now();
    std::optional<data::Batch> batch = loader.next();
    if (!batch) {
      VKNN_TRY(loader.status());
      loader.start_epoch(++epoch);
      batch = loader.next();
      if (!batch) {
        VKNN_TRY(loader.status());
        return make_error(Errc::invalid_argument, "the split holds fewer images than one batch");
      }
    }
    if (b >= warmup) {
      t.wait_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
      t.images += batch->n;
    }
  }
  t.span_s = std::chrono::duration<double>(Clock::now() - start).count();
  return t;
}

int bench_data(const DataConfig& c) {
  auto fail = [](const Error& e) {
    fmt::print(stderr, "vknn bench data: {}\n", e.what());
    return 1;
  };
  if (auto s = check_model_name(c.model); !s.ok()) {
    fmt::print(stderr, "vknn bench data: --model: {}\n", s.error().message);
    return 2;
  }
  if (auto s = check_input_dir("--data", c.data); !s.ok()) {
    fmt::print(stderr, "vknn bench data: {}\n", s.error().what());
    return 2;
  }
  auto spec = resolve_spec(c.model);
  if (!spec.ok()) return fail(spec.error());
  auto sized = train::with_input_size(*spec, c.size);
  if (!sized.ok()) return fail(sized.error());
  const bool train_split = c.split == "train";
  auto src = open_data(c.data, train_split);
  if (!src.ok()) return fail(src.error());
  for (const auto& w : src->warnings) fmt::print(stderr, "warning: {}\n", w);
  const bool augment = train_split && !c.no_augment;
  auto loader = make_loader(*src, *sized, train_split, augment, c.batch, c.threads, 1);
  if (!loader.ok()) return fail(loader.error());
  auto t = time_loader(**loader, c.warmup, c.batches);
  if (!t.ok()) return fail(t.error());
  const Stats wait = summarize(t->wait_ms);
  const double rate = double(t->images) / t->span_s;
  const std::string transforms = augment ? train::augmentation_name(*sized, *src) : "none (evaluation preprocessing)";
  if (c.json) {
    nlohmann::ordered_json j = {{"schema", kBenchSchema},
                                {"benchmark", "data"},
                                {"model", c.model},
                                {"data", c.data},
                                {"kind", src->kind_name()},
                                {"split", c.split},
                                {"augmentation", transforms},
                                {"input", {sized->channels, sized->size, sized->size}},
                                {"batch", c.batch},
                                {"threads", c.threads},
                                {"batches", c.batches},
                                {"warmup", c.warmup},
                                {"images", t->images},
                                {"seconds", t->span_s},
                                {"images_per_s", rate},
                                {"images_per_s_per_thread", rate / c.threads},
                                {"batch_wait_ms", {{"median", wait.median_ms}, {"p90", wait.p90_ms}, {"min", wait.min_ms}}}};
    fmt::print("{}\n", j.dump());
  } else {
    fmt::print("input pipeline of {} on {} ({}, {} split), {}x{}x{}, augmentation: {}\n", c.model, c.data,
               src->kind_name(), c.split, sized->channels, sized->size, sized->size, transforms);
    fmt::print("  {} batches of {} after {} warm-up, {} thread(s): {:.1f} images/s, {:.1f} per thread;"
               " wait per batch median {:.2f} ms, p90 {:.2f} ms\n",
               c.batches, c.batch, c.warmup, c.threads, rate, rate / c.threads, wait.median_ms, wait.p90_ms);
  }
  return 0;
}

Run setup(CLI::App& app) {
  auto c = std::make_shared<DataConfig>();
  app.add_option("--model", c->model, "the model whose preprocessing is timed: a built-in name or FILE.onnx")
      ->type_name("MODEL")
      ->capture_default_str();
  app.add_option("--data", c->data, "dataset folder, as `vknn train --data` takes it")->type_name("DIR")->required();
  app.add_option("--split", c->split, "train (with the training augmentation) or test (evaluation preprocessing)")
      ->check(CLI::IsMember({"train", "test"}))
      ->capture_default_str();
  app.add_flag("--no-augment", c->no_augment, "the training split without its random augmentation");
  add_int(app, "--batch", c->batch, "images per batch", 1, int(kMaxBatch));
  add_int(app, "--threads", c->threads, "loader threads", 1, kMaxThreads);
  add_int(app, "--batches", c->batches, "timed batches", 1, 1000000);
  add_int(app, "--warmup", c->warmup, "batches first, untimed (the loader fills its queue)", 0, 1000000);
  add_int(app, "--size", c->size, "square input side (0: the model's)", 0, 8192);
  app.add_flag("--json", c->json, "print one JSON document (docs/bench-json.md)");
  return [c] { return bench_data(*c); };
}

[[maybe_unused]] const bool registered =
    register_command({"bench data", "time the input pipeline alone: decode, resize, crop, augment (images/s)", setup});

}  // namespace
}  // namespace vknn::tools
