// Data-parallel training steps of a LeNet (or a small CIFAR ResNet) through the graph
// executor and the gradient all-reducer (dist/), the same path `vknn train` takes under
// mpirun. Started alone it is one process; under mpirun each rank computes its slice of the
// same global batches.
//
//   dp_train_step run --batch B --steps S --bucket-bytes X --out FILE
//                     [--timeout-ms T] [--fail-rank R --fail-step S --fail kill|stop]
//                     [--force-staging 1] [--wide 1] [--model lenet|cifar|alexnet] [--sync-bn 1]
//                     [--split none|two-devices|two-queues] [--depth D] [--size S] [--reverse 1]
//     cifar: by default the ResNet-8 of cifar.h (n = 1) on 16x16 inputs, 7 batch norms
//     (--depth and --size change both); --sync-bn gives it batch statistics over all ranks
//     (synchronize_batchnorm).
//     --reverse 1: each rank feeds its slice's samples in reverse order; every loss and
//     gradient is a sum or mean over the batch, so only the rounding may change.
//     alexnet: the 2012 paper's two columns at 1/8 width, 67x67 inputs, 10 classes; --split
//     runs column c on target c, either two VkDevices (two contexts on the device) or two
//     queues of one, as `vknn train --split` does; without it both columns run on one target.
//     rank 0 writes, per step, the loss (averaged over ranks) and every gradient after the
//     reduction, and the weights after the last step, as safetensors.
//   dp_train_step compare A B --rel TOL
//     every tensor of A equals B's within TOL relative (see `close`).
#include "vknn/dist/allreduce.h"
#include "vknn/graph/autodiff.h"
#include "vknn/graph/safetensors.h"
#include "vknn/models/alexnet.h"
#include "vknn/models/cifar.h"
#include "vknn/models/lenet.h"
#include "vknn/ops/batchnorm.h"
#include "vknn/ops/sgd.h"

#include <csignal>
#include <cstdio>
#include <cstring>
#include <map>
#include <random>
#include <string>

using namespace vknn;

namespace {

struct Config {
  int64_t batch = 8;
  int steps = 3;
  uint64_t bucket_bytes = 0;
  std::string out;
  int64_t timeout_ms = 30000;
  int fail_rank = -1, fail_step = -1;
  std::string fail = "kill";
  bool force_staging = false;  // copies through staging buffers, as on a GPU whose memory is not mapped
  bool wide = false;           // LeNet at 32/64/512 (1.7M parameters) instead of 6/16/120
  std::string model = "lenet";
  bool sync_bn = false;
  std::string split = "none";
  int depth = 8, size = 16;  // cifar: the ResNet's depth and input size
  bool reverse = false;      // each rank takes its slice's samples in reverse order (the same math)
};

// Sample j of the synthetic data set: its image and label depend on j and the seed only,
// so the global batch is the same set of samples whatever the number of ranks.
void sample(uint64_t seed, int64_t j, float* image, int64_t pixels, int32_t* label) {
  std::mt19937_64 rng(seed * 0x9E3779B97F4A7C15ull + uint64_t(j));
  for (int64_t i = 0; i < pixels; ++i) image[i] = float(double(rng() >> 11) * 0x1.0p-53 * 2.0 - 1.0);
  *label = int32_t(rng() % 10);
}

// Kills or stops this rank in the middle of a step (after its backward pass was submitted,
// before its gradients are reduced), for the failure test.
class Failing final : public StepHook {
 public:
  Failing(StepHook& inner, bool now, bool stop) : inner_(inner), now_(now), stop_(stop) {}
  Status before_update(Executor& ex) override {
    if (now_) {
      std::fprintf(stderr, "dp_train_step: this rank %s itself mid-step\n", stop_ ? "stops" : "kills");
      std::fflush(stderr);
      std::raise(stop_ ? SIGSTOP : SIGKILL);
    }
    return inner_.before_update(ex);
  }

 private:
  StepHook& inner_;
  bool now_, stop_;
};

Status train(dist::Communicator& comm, const Config& cfg) {
  VKNN_ASSIGN(dist::Slice slice, dist::rank_slice(cfg.batch, comm.rank(), comm.size()));
  const int64_t local = slice.end - slice.begin;
  ContextOptions copt;
  copt.validation = true;
  copt.force_staging = cfg.force_staging;
  if (cfg.split == "two-queues") copt.queue_count = 2;
  VKNN_ASSIGN(auto ctx, Context::create(copt));
  std::shared_ptr<Context> ctx2;
  if (cfg.split == "two-devices") {
    VKNN_ASSIGN(ctx2, Context::create(copt));
  }
  models::Model m;
  if (cfg.model == "alexnet") {
    models::AlexNetOptions ao;
    ao.batch = local;
    ao.classes = 10;
    ao.input_size = 67;
    ao.width = 0.125;
    ao.training = true;
    m = models::alexnet(ao);
  } else if (cfg.model == "cifar") {
    models::CifarNetOptions co;
    co.depth = cfg.depth;
    co.batch = local;
    co.input_size = cfg.size;
    co.training = true;
    m = models::cifar_resnet(co);
  } else {
    models::LeNetOptions lo;
    lo.batch = local;
    lo.training = true;
    if (cfg.wide) {
      lo.conv1_channels = 32;
      lo.conv2_channels = 64;
      lo.hidden = 512;
    }
    m = models::lenet(lo);
  }
  Graph& g = m.graph;
  VKNN_TRY(g.status());
  if (cfg.sync_bn) VKNN_TRY(synchronize_batchnorm(g));
  VKNN_TRY(build_backward(g));
  SgdParams sgd;
  sgd.rule = SgdRule::sgd_pytorch;
  sgd.momentum = 0.9f;
  sgd.weight_decay = 5e-4f;
  VKNN_TRY(add_sgd(g, sgd));
  auto buckets = dist::plan_buckets(g, cfg.bucket_bytes);
  ExecutorOptions eo;
  eo.seed = 7;
  eo.learning_rate = 0.05f;
  eo.cut_after = dist::cut_points(buckets);
  dist::RankGather gather(comm, std::chrono::milliseconds(cfg.timeout_ms));
  eo.collective = &gather;
  eo.batch_offset = slice.begin;  // dropout masks by the sample's place in the global batch
  if (cfg.split == "two-devices") eo.targets = {{ctx.get(), 0}, {ctx2.get(), 0}};
  if (cfg.split == "two-queues") eo.targets = {{ctx.get(), 0}, {ctx.get(), ctx->queue_count() > 1 ? 1u : 0u}};
  VKNN_ASSIGN(auto ex, Executor::create(*ctx, g, eo));
  dist::GradientAllReducer reducer(comm, buckets, std::chrono::milliseconds(cfg.timeout_ms));
  std::fprintf(stderr, "%s of %d (%s): %s%s, split %s, batch %lld of %lld, %zu bucket(s)\n",
               comm.describe(comm.rank()).c_str(), comm.size(), comm.kind(), cfg.model.c_str(),
               cfg.sync_bn ? " (synchronized batch norm)" : "", cfg.split.c_str(), (long long)local,
               (long long)cfg.batch, buckets.size());

  SafetensorsWriter w;
  dist::ReduceStats warm;  // steps after the first (which includes the pipelines' creation)
  const int64_t pixels = g.shape(m.images).numel() / local;
  std::vector<float> images(size_t(local * pixels));
  std::vector<int32_t> labels(static_cast<size_t>(local));
  for (int s = 0; s < cfg.steps; ++s) {
    for (int64_t i = 0; i < local; ++i)
      sample(eo.seed, int64_t(s) * cfg.batch + slice.begin + (cfg.reverse ? local - 1 - i : i), images.data() + i * pixels, pixels,
             &labels[size_t(i)]);
    VKNN_TRY(ex->set_input(m.images, std::span<const float>(images)));
    VKNN_TRY(ex->set_input(m.labels, std::span<const int32_t>(labels)));
    Failing hook(reducer, comm.rank() == cfg.fail_rank && s == cfg.fail_step, cfg.fail == "stop");
    VKNN_TRY(ex->run(&hook));
    VKNN_ASSIGN(float loss, ex->read_scalar(g.loss));
    std::vector<float> mean{loss};
    VKNN_TRY(comm.sum(mean, std::chrono::milliseconds(cfg.timeout_ms), fmt::format("loss average of step {}", s)));
    mean[0] /= float(comm.size());
    w.add_f32(fmt::format("step{}/loss", s), {1}, mean);
    for (const auto& b : reducer.buckets())
      for (TensorId t : b.grads) {
        VKNN_ASSIGN(auto v, ex->read(t));
        w.add_f32(fmt::format("step{}/{}", s, g.desc(t).name), g.desc(t).shape.dims, v);
      }
    const auto& st = reducer.last();
    if (s > 0) warm += st;
    std::fprintf(stderr,
                 "%s step %d: loss %.6f, step %.1f ms, all-reduce %.2f ms in flight, %.2f hidden, %.2f exposed, "
                 "copies %.2f ms\n",
                 comm.describe(comm.rank()).c_str(), s, double(mean[0]), ex->last_run_ms(), st.comm_ms, st.hidden_ms,
                 st.exposed_ms, st.copy_ms);
  }
  for (size_t i = 0; i < g.tensors().size(); ++i) {
    const TensorDesc& d = g.tensors()[i];
    // Rank 0's running statistics: with batch statistics over all ranks they are those of
    // one process at the global batch too.
    const bool running = d.role == Role::state && (d.name.ends_with(".running_mean") || d.name.ends_with(".running_var"));
    if (d.role != Role::parameter && !running) continue;
    VKNN_ASSIGN(auto v, ex->read(TensorId{int32_t(i)}));
    w.add_f32("final/" + d.name, d.shape.dims, v);
  }
  if (comm.size() > 1 && cfg.steps > 1)
    std::fprintf(stderr,
                 "%s: %zu bucket(s), %.2f MB per step; steps 1-%d: all-reduce hidden behind backward %.0f%% "
                 "(%.2f of %.2f ms in flight)\n",
                 comm.describe(comm.rank()).c_str(), buckets.size(), double(warm.bytes) / (cfg.steps - 1) / 1e6,
                 cfg.steps - 1, 100 * warm.hidden_share(), warm.hidden_ms, warm.comm_ms);
  if (const uint64_t n = validation_message_count(); n > 0)
    return make_error(Errc::vulkan, "the validation layer printed {} message(s)", n);
  if (comm.rank() == 0 && !cfg.out.empty()) VKNN_TRY(w.write_atomic(cfg.out));
  return {};
}

// |a - b| <= rel * max|tensor|: relative to the tensor's largest magnitude. Two batch
// slices summed separately round differently from one batch summed at once, and an element
// that cancels to near zero keeps the rounding of its large terms, so element-wise relative
// differences of tiny elements say nothing (2e-4 was seen at an element 1e-3 of the
// tensor's largest). The element-wise worst is printed too.
int compare(const std::string& a_path, const std::string& b_path, double rel) {
  auto a = SafetensorsFile::read(a_path);
  auto b = SafetensorsFile::read(b_path);
  if (!a.ok() || !b.ok()) {
    std::fprintf(stderr, "compare: %s\n", (!a.ok() ? a.error() : b.error()).what().c_str());
    return 1;
  }
  int bad = 0;
  double worst = 0, worst_elementwise = 0;
  std::string worst_name;
  for (const auto& e : a->entries()) {
    auto x = a->read_f32(e.name, e.shape);
    auto y = b->read_f32(e.name, e.shape);
    if (!x.ok() || !y.ok()) {
      std::fprintf(stderr, "compare: %s: %s\n", e.name.c_str(), (!x.ok() ? x.error() : y.error()).what().c_str());
      ++bad;
      continue;
    }
    double scale = 0;
    for (size_t i = 0; i < x->size(); ++i) scale = std::max({scale, std::fabs(double((*x)[i])), std::fabs(double((*y)[i]))});
    for (size_t i = 0; i < x->size(); ++i) {
      const double p = (*x)[i], q = (*y)[i];
      const double err = std::fabs(p - q) / std::max(scale, 1e-30);
      worst_elementwise = std::max(worst_elementwise, std::fabs(p - q) / std::max({std::fabs(p), std::fabs(q), 1e-30}));
      if (err > worst) {
        worst = err;
        worst_name = fmt::format("{}[{}] ({} vs {})", e.name, i, p, q);
      }
      if (!(err <= rel)) {  // NaN fails too
        if (bad < 5) std::fprintf(stderr, "compare: %s[%zu]: %.9g vs %.9g (relative %.3g)\n", e.name.c_str(), i, p, q, err);
        ++bad;
      }
    }
  }
  if (a->entries().size() != b->entries().size()) {
    std::fprintf(stderr, "compare: %zu tensors in %s, %zu in %s\n", a->entries().size(), a_path.c_str(),
                 b->entries().size(), b_path.c_str());
    ++bad;
  }
  std::fprintf(stderr,
               "compare: %zu tensors, worst difference relative to its tensor's largest magnitude %.3g at %s; "
               "%d over %.3g (element-wise relative, worst %.3g)\n",
               a->entries().size(), worst, worst_name.c_str(), bad, rel, worst_elementwise);
  return bad == 0 && !a->entries().empty() ? 0 : 1;
}

bool parse(int argc, char** argv, Config& cfg) {
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    try {
      if (k == "--batch") cfg.batch = std::stoll(v);
      else if (k == "--steps") cfg.steps = std::stoi(v);
      else if (k == "--bucket-bytes") cfg.bucket_bytes = std::stoull(v);
      else if (k == "--out") cfg.out = v;
      else if (k == "--timeout-ms") cfg.timeout_ms = std::stoll(v);
      else if (k == "--fail-rank") cfg.fail_rank = std::stoi(v);
      else if (k == "--fail-step") cfg.fail_step = std::stoi(v);
      else if (k == "--fail") cfg.fail = v;
      else if (k == "--force-staging") cfg.force_staging = v == "1";
      else if (k == "--wide") cfg.wide = v == "1";
      else if (k == "--model" && (v == "lenet" || v == "cifar" || v == "alexnet")) cfg.model = v;
      else if (k == "--split" && (v == "none" || v == "two-devices" || v == "two-queues")) cfg.split = v;
      else if (k == "--depth") cfg.depth = std::stoi(v);
      else if (k == "--size") cfg.size = std::stoi(v);
      else if (k == "--reverse") cfg.reverse = v == "1";
      else if (k == "--sync-bn") cfg.sync_bn = v == "1";
      else return false;
    } catch (const std::exception&) {
      return false;
    }
  }
  return argc % 2 == 0 && cfg.batch > 0 && cfg.steps > 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 2 && std::strcmp(argv[1], "compare") == 0) {
    if (argc != 6 || std::strcmp(argv[4], "--rel") != 0) return 2;
    return compare(argv[2], argv[3], std::atof(argv[5]));
  }
  Config cfg;
  if (argc < 2 || std::strcmp(argv[1], "run") != 0 || !parse(argc, argv, cfg)) {
    std::fprintf(stderr, "usage: dp_train_step run --batch B --steps S --bucket-bytes X --out FILE ... | compare A B --rel TOL\n");
    return 2;
  }
  auto comm = dist::make_communicator(&argc, &argv);
  if (!comm.ok()) {
    std::fprintf(stderr, "dp_train_step: %s\n", comm.error().what().c_str());
    return 1;
  }
  if (auto s = train(**comm, cfg); !s.ok()) {
    std::fprintf(stderr, "dp_train_step: %s: %s\n", (*comm)->describe((*comm)->rank()).c_str(), s.error().what().c_str());
    std::fflush(stderr);
    if (s.error().code == Errc::no_device) return 77;
    (*comm)->abort(3);
  }
  return 0;
}
