// vknn bench --model M --train under mpirun: data-parallel training steps, the whole job's
// images/s and its scaling efficiency against one rank alone.
//
// --batch is the global batch; each rank steps at batch/N. In rounds, rank 0 first times
// steps alone (no all-reduce; the other ranks wait idle), then every rank times
// data-parallel steps (the Trainer's path: bucket cut points and the all-reducer as the
// step hook); alternating the two keeps a drifting machine load from favouring either.
// Scaling efficiency = job images/s / (N x one rank's images/s at batch/N) (weak scaling).
// The projection adds the all-reduce time the backward pass did not hide to the step time
// alone: what N ranks on N devices of their own would take if the network cost what it
// cost here. On ranks that share one device (lavapipe), the measured efficiency mostly says
// that they share it. With --sync-bn the job's graph synchronizes its batch norms (two host
// steps each, gathering over the ranks, as `vknn train --sync-bn`), while one rank alone
// runs the plain graph: alone, its statistics are its batch's.
#include "bench_model.h"
#include "cli.h"
#include "timing.h"

#include "vknn/dist/allreduce.h"
#include "vknn/graph/autodiff.h"
#include "vknn/ops/batchnorm.h"
#include "vknn/ops/sgd.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <random>

namespace vknn::tools {
namespace {

using Ms = std::chrono::duration<double, std::milli>;

struct Measured {
  Stats alone, job;
  dist::ReduceStats reduce;  // summed over the timed data-parallel steps
  int steps = 0;
  size_t buckets = 0;
  size_t synced = 0;  // batch norms with the global batch's statistics (--sync-bn)
  uint64_t bytes = 0;
};

Status feed(Executor& ex, const models::Model& m, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(-1, 1);
  std::vector<float> images(size_t(ex.graph().shape(m.images).numel()));
  for (auto& x : images) x = d(rng);
  VKNN_TRY(ex.set_input(m.images, std::span<const float>(images)));
  std::vector<int32_t> labels(size_t(ex.graph().shape(m.labels).numel()));
  const int64_t classes = ex.graph().shape(m.logits)[1];
  for (auto& l : labels) l = int32_t(rng() % uint64_t(classes));
  return ex.set_input(m.labels, std::span<const int32_t>(labels));
}

// The training graph at one rank's batch; with sync_bn its batch norms use the global batch's
// statistics. `synced`: how many batch norms were synchronized.
Result<models::Model> training_graph(const DataParallelBench& cfg, int64_t batch, bool sync_bn, size_t* synced) {
  VKNN_ASSIGN(models::Model m, bench_network(cfg.model, batch, true));
  if (sync_bn) {
    VKNN_ASSIGN(*synced, synchronize_batchnorm(m.graph));
  }
  VKNN_TRY(build_backward(m.graph));
  SgdParams sgd;  // the paper's rule, as `vknn bench --train`
  sgd.rule = SgdRule::sgd_paper;
  VKNN_TRY(add_sgd(m.graph, sgd));
  return m;
}

Result<Measured> measure(dist::Communicator& comm, const DataParallelBench& cfg, Context& ctx) {
  VKNN_ASSIGN(dist::Slice slice, dist::rank_slice(cfg.batch, comm.rank(), comm.size()));
  Measured out;
  VKNN_ASSIGN(models::Model m, training_graph(cfg, slice.end - slice.begin, cfg.sync_bn, &out.synced));
  auto buckets = dist::plan_buckets(m.graph, cfg.bucket_bytes);
  out.buckets = buckets.size();
  for (const auto& b : buckets) out.bytes += b.bytes;
  ExecutorOptions dp;
  dp.cut_after = dist::cut_points(buckets);
  dp.batch_offset = slice.begin;
  dist::RankGather gather(comm, cfg.timeout);
  dp.collective = &gather;
  VKNN_ASSIGN(auto job, Executor::create(ctx, m.graph, dp));
  VKNN_TRY(feed(*job, m, 1 + uint32_t(comm.rank())));
  std::unique_ptr<Executor> alone;
  models::Model plain;  // one rank alone: the graph without synchronized batch norms
  if (comm.rank() == 0) {
    size_t none = 0;
    VKNN_ASSIGN(plain, training_graph(cfg, slice.end - slice.begin, false, &none));
    VKNN_ASSIGN(alone, Executor::create(ctx, plain.graph, ExecutorOptions{}));
    VKNN_TRY(feed(*alone, plain, 1));
  }
  dist::GradientAllReducer reducer(comm, std::move(buckets), cfg.timeout);
  // Rank 0 alone may take long while the others wait: their deadline covers it.
  const auto wait_alone = cfg.timeout + std::chrono::milliseconds(int64_t(cfg.rounds) * 600'000);
  const double nothing[1] = {0};
  for (int i = 0; i < cfg.warmup; ++i) {
    if (alone) VKNN_TRY(alone->run());
    VKNN_TRY(job->run(&reducer));
  }
  std::vector<double> alone_ms, job_ms;
  for (int round = 0; round < cfg.rounds; ++round) {
    VKNN_TRY(comm.gather(nothing, wait_alone, "the benchmark's round start"));
    for (int i = 0; alone && i < cfg.iters; ++i) {
      const auto t0 = std::chrono::steady_clock::now();
      VKNN_TRY(alone->run());
      alone_ms.push_back(Ms(std::chrono::steady_clock::now() - t0).count());
    }
    VKNN_TRY(comm.gather(nothing, wait_alone, "the end of rank 0's steps alone"));
    for (int i = 0; i < cfg.iters; ++i) {
      const auto t0 = std::chrono::steady_clock::now();
      VKNN_TRY(job->run(&reducer));
      job_ms.push_back(Ms(std::chrono::steady_clock::now() - t0).count());
      out.reduce += reducer.last();
      ++out.steps;
    }
  }
  out.alone = summarize(std::move(alone_ms));
  out.job = summarize(std::move(job_ms));
  return out;
}

}  // namespace

int bench_data_parallel(const DataParallelBench& cfg, const std::string& device) {
  auto made = dist::make_communicator(nullptr, nullptr, cfg.timeout);
  if (!made.ok()) {
    fmt::print(stderr, "vknn bench: {}\n", made.error().what());
    return 1;
  }
  dist::Communicator& comm = **made;
  auto fail = [&](const Error& e) {
    fmt::print(stderr, "vknn bench: {}: {}\n", comm.describe(comm.rank()), e.what());
    std::fflush(stderr);
    comm.abort(1);
    return 1;  // not reached
  };
  ContextOptions copt = context_options(device);
  pick_rank_device(comm.local_rank(), comm.size(), device, copt);
  auto ctx = Context::create(copt);
  if (!ctx.ok()) return fail(ctx.error());
  auto r = measure(comm, cfg, **ctx);
  if (!r.ok()) return fail(r.error());
  if (comm.rank() != 0) return 0;
  const int n = comm.size();
  const int64_t b = cfg.batch / n;
  const double alone_ips = r->alone.median_ms > 0 ? double(b) * 1000 / r->alone.median_ms : 0;
  const double job_ips = r->job.median_ms > 0 ? double(cfg.batch) * 1000 / r->job.median_ms : 0;
  const double eff = alone_ips > 0 ? job_ips / (n * alone_ips) : 0;
  const double steps = std::max(1, r->steps);
  const double comm_ms = r->reduce.comm_ms / steps, hidden_ms = r->reduce.hidden_ms / steps,
               exposed_ms = r->reduce.exposed_ms / steps, copy_ms = r->reduce.copy_ms / steps;
  const double projected = r->alone.median_ms / (r->alone.median_ms + exposed_ms + copy_ms);
  const auto& caps = (*ctx)->caps();
  if (cfg.json) {
    nlohmann::ordered_json j = {
        {"schema", kBenchSchema},
        {"benchmark", "model-data-parallel"},
        {"device", {{"name", caps.name}, {"driver", caps.driver_name}, {"driver_info", caps.driver_info}}},
        {"model", cfg.model},
        {"ranks", n},
        {"hosts", nlohmann::ordered_json::array()},
        {"batch", cfg.batch},
        {"batch_per_rank", b},
        {"sync_bn", cfg.sync_bn},
        {"synchronized_batchnorms", r->synced},
        {"iters", cfg.iters},
        {"rounds", cfg.rounds},
        {"warmup", cfg.warmup},
        {"one_rank", {{"step_ms", {{"median", r->alone.median_ms}, {"p90", r->alone.p90_ms}, {"min", r->alone.min_ms}}},
                      {"images_per_s", alone_ips}}},
        {"job", {{"step_ms", {{"median", r->job.median_ms}, {"p90", r->job.p90_ms}, {"min", r->job.min_ms}}},
                 {"images_per_s", job_ips}}},
        {"scaling_efficiency", eff},
        {"allreduce",
         {{"buckets", r->buckets}, {"bytes", r->bytes}, {"in_flight_ms", comm_ms}, {"hidden_ms", hidden_ms},
          {"exposed_ms", exposed_ms}, {"copy_ms", copy_ms}, {"hidden_share", r->reduce.hidden_share()}}},
        {"projected_efficiency", projected}};
    for (int k = 0; k < n; ++k) j["hosts"].push_back(comm.host_of(k));
    fmt::print("{}\n", j.dump());
    return 0;
  }
  fmt::print("{} data-parallel training on {} ranks, global batch {} ({} per rank), on {} ({}, {})\n", cfg.model, n,
             cfg.batch, b, caps.name, caps.driver_name, caps.driver_info);
  if (cfg.sync_bn)
    fmt::print("  --sync-bn: {} batch norm{} of the job use the statistics of the global batch (one rank alone: its "
               "own)\n", r->synced, r->synced == 1 ? "" : "s");
  fmt::print("  one rank alone at batch {}: median {:.2f} ms, {:.1f} images/s\n", b, r->alone.median_ms, alone_ips);
  fmt::print("  the job of {} ranks:       median {:.2f} ms, {:.1f} images/s: scaling efficiency {:.0f}%\n", n,
             r->job.median_ms, job_ips, 100 * eff);
  fmt::print("  all-reduce per step: {:.2f} MB in {} bucket{}, {:.2f} ms in flight, {:.0f}% hidden behind the backward "
             "pass, {:.2f} ms exposed, {:.2f} ms of copies\n",
             double(r->bytes) / 1e6, r->buckets, r->buckets == 1 ? "" : "s", comm_ms, 100 * r->reduce.hidden_share(),
             exposed_ms, copy_ms);
  fmt::print("  projected on a device per rank: {:.0f}% (step alone + exposed all-reduce + copies)\n", 100 * projected);
  fmt::print("  ({} rounds of {} steps alone then {} together, after {} warm-up)\n", cfg.rounds, cfg.iters, cfg.iters,
             cfg.warmup);
  return 0;
}

}  // namespace vknn::tools
