// Data-parallel gradient averaging, overlapped with the backward pass (the bucketing of
// PyTorch DDP and Horovod's tensor fusion).
//
// Parameter gradients are grouped into buckets of about `bucket_bytes`, in the order the
// backward pass finishes them. The executor ends a submission after the last writer of
// each bucket (ExecutorOptions::cut_after = cut_points(buckets)), so its timeline value
// tells the host when the bucket is written; the host then copies the bucket into a
// host-side staging array and starts a non-blocking sum over ranks (MPI_Iallreduce) while
// the device computes the earlier layers. Before the update is submitted, every sum is
// complete, scaled by 1/N and written back, so all ranks apply the same update.
//
// Averaging the gradients equals the gradient of the whole global batch only because each
// rank's loss is the mean over its slice and the slices are equal: (1/N) sum_r (1/b)
// sum_{i in slice r} = (1/B) sum_i. rank_slice() therefore refuses a global batch that
// does not divide by the number of ranks. Batch normalization uses each rank's own
// statistics (as PyTorch DDP does by default), or, in a graph made with
// synchronize_batchnorm (--sync-bn), those of the global batch: its host nodes gather every
// rank's moments through RankGather, the executor's HostCollective.
#pragma once

#include "vknn/dist/communicator.h"
#include "vknn/graph/executor.h"

namespace vknn::dist {

struct GradientBucket {
  std::vector<TensorId> grads;  // parameter gradients, in the order backward finishes them
  // The nodes after which all of them are written: the last writer on each target (graph
  // placement) that writes one, in node order. A model split across two devices or queues
  // (AlexNet's two columns) has gradients on both; a node done on one target says nothing
  // about the other, so the bucket is written when each of these is done.
  std::vector<size_t> last_nodes;
  uint64_t bytes = 0;
};

// PyTorch DDP's default bucket size.
inline constexpr uint64_t kDefaultBucketBytes = 25ull << 20;

// Buckets of at least `bucket_bytes` (the last may be smaller); 0: a single bucket
// holding every gradient (one all-reduce after the backward pass).
std::vector<GradientBucket> plan_buckets(const Graph& g, uint64_t bucket_bytes);
// The nodes to pass as ExecutorOptions::cut_after (every bucket's last_nodes).
std::vector<size_t> cut_points(const std::vector<GradientBucket>& buckets);

// Samples [begin, end) of a global batch that rank `rank` of `ranks` computes.
struct Slice {
  int64_t begin = 0, end = 0;
};
Result<Slice> rank_slice(int64_t global_batch, int rank, int ranks);

// Host-side times of one step's reduction (steady clock).
struct ReduceStats {
  double comm_ms = 0;     // time some bucket's sum was in flight
  double hidden_ms = 0;   // ... of which while the device was still computing backward
  double exposed_ms = 0;  // ... of which after it had finished (the step waited for it)
  double copy_ms = 0;     // copies into and out of the staging arrays, and the scaling
  uint64_t bytes = 0;
  size_t buckets = 0;
  ReduceStats& operator+=(const ReduceStats& o);
  double hidden_share() const { return comm_ms > 0 ? hidden_ms / comm_ms : 0; }
};

class GradientAllReducer final : public StepHook {
 public:
  // timeout: how long to wait for the other ranks once this rank's gradients are all
  // handed over.
  GradientAllReducer(Communicator& comm, std::vector<GradientBucket> buckets, std::chrono::milliseconds timeout);
  Status before_update(Executor& ex) override;
  const std::vector<GradientBucket>& buckets() const { return buckets_; }
  const ReduceStats& last() const { return last_; }
  const ReduceStats& total() const { return total_; }

 private:
  Communicator& comm_;
  std::vector<GradientBucket> buckets_;
  std::vector<std::vector<float>> staging_;
  std::chrono::milliseconds timeout_;
  uint64_t step_ = 0;
  ReduceStats last_, total_;
};

// The executor's HostCollective over the ranks (host nodes: synchronized batch norm). A
// gather that passes its deadline fails naming the ranks not heard from, as the sums do.
class RankGather final : public HostCollective {
 public:
  RankGather(Communicator& comm, std::chrono::milliseconds timeout) : comm_(comm), timeout_(timeout) {}
  int size() const override { return comm_.size(); }
  Status allgather(std::span<const double> mine, std::span<double> all, const std::string& what) override;

 private:
  Communicator& comm_;
  std::chrono::milliseconds timeout_;
};

}  // namespace vknn::dist
