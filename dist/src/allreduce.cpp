#include "vknn/dist/allreduce.h"

#include <algorithm>
#include <map>
#include <thread>

namespace vknn::dist {
namespace {

double ms_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

// Length of the union of intervals, and of its part before `cut`.
std::pair<double, double> union_length(std::vector<std::pair<Clock::time_point, Clock::time_point>> iv,
                                       Clock::time_point cut) {
  std::sort(iv.begin(), iv.end());
  double total = 0, before = 0;
  Clock::time_point cur_a{}, cur_b{};
  bool open = false;
  auto flush = [&] {
    if (!open) return;
    total += ms_between(cur_a, cur_b);
    if (cur_a < cut) before += ms_between(cur_a, std::min(cur_b, cut));
  };
  for (auto [a, b] : iv) {
    if (open && a <= cur_b) {
      cur_b = std::max(cur_b, b);
      continue;
    }
    flush();
    cur_a = a;
    cur_b = b;
    open = true;
  }
  flush();
  return {total, before};
}

}  // namespace

ReduceStats& ReduceStats::operator+=(const ReduceStats& o) {
  comm_ms += o.comm_ms;
  hidden_ms += o.hidden_ms;
  exposed_ms += o.exposed_ms;
  copy_ms += o.copy_ms;
  bytes += o.bytes;
  buckets += o.buckets;
  return *this;
}

std::vector<GradientBucket> plan_buckets(const Graph& g, uint64_t bucket_bytes) {
  const auto& nodes = g.nodes();
  // The last backward node writing each parameter gradient (accumulations come after the
  // first write).
  std::vector<int64_t> last_writer(g.tensors().size(), -1);
  for (size_t k = 0; k < nodes.size(); ++k) {
    if (nodes[k].phase != Phase::backward) continue;
    for (TensorId o : nodes[k].outputs) {
      const TensorDesc& d = g.desc(o);
      if (d.role == Role::gradient && d.grad_of.valid() && g.desc(d.grad_of).role == Role::parameter)
        last_writer[size_t(o.index)] = int64_t(k);
    }
  }
  std::vector<std::pair<int64_t, int32_t>> order;
  for (size_t i = 0; i < last_writer.size(); ++i)
    if (last_writer[i] >= 0) order.push_back({last_writer[i], int32_t(i)});
  std::sort(order.begin(), order.end());
  std::vector<GradientBucket> out;
  std::map<int32_t, size_t> last_on_target;  // of the bucket being filled
  auto close = [&] {
    if (out.empty()) return;
    for (auto [target, k] : last_on_target) out.back().last_nodes.push_back(k);
    std::sort(out.back().last_nodes.begin(), out.back().last_nodes.end());
    last_on_target.clear();
  };
  for (auto [k, i] : order) {
    if (out.empty() || (bucket_bytes > 0 && out.back().bytes >= bucket_bytes)) {
      close();
      out.emplace_back();
    }
    GradientBucket& b = out.back();
    b.grads.push_back(TensorId{i});
    b.bytes += g.tensors()[size_t(i)].shape.bytes();
    last_on_target[nodes[size_t(k)].target] = size_t(k);  // k grows: the last one stays
  }
  close();
  return out;
}

std::vector<size_t> cut_points(const std::vector<GradientBucket>& buckets) {
  std::vector<size_t> out;
  for (const auto& b : buckets) out.insert(out.end(), b.last_nodes.begin(), b.last_nodes.end());
  return out;
}

Result<Slice> rank_slice(int64_t global_batch, int rank, int ranks) {
  if (ranks < 1 || rank < 0 || rank >= ranks)
    return make_error(Errc::invalid_argument, "rank {} of {} ranks", rank, ranks);
  if (global_batch < ranks || global_batch % ranks != 0)
    return make_error(Errc::invalid_argument,
                      "a global batch of {} does not split into {} equal slices (averaging the ranks' gradients equals "
                      "the global batch's gradient only for equal slices)",
                      global_batch, ranks);
  const int64_t b = global_batch / ranks;
  return Slice{rank * b, (rank + 1) * b};
}

GradientAllReducer::GradientAllReducer(Communicator& comm, std::vector<GradientBucket> buckets,
                                       std::chrono::milliseconds timeout)
    : comm_(comm), buckets_(std::move(buckets)), timeout_(timeout) {
  for (const auto& b : buckets_) staging_.emplace_back(size_t(b.bytes / 4));
}

Status GradientAllReducer::before_update(Executor& ex) {
  const Graph& g = ex.graph();
  ReduceStats st;
  const std::string what = fmt::format("gradient all-reduce of step {}", step_);
  VKNN_TRY(comm_.check_in(step_));
  std::vector<std::unique_ptr<Reduction>> pending(buckets_.size());
  std::vector<std::pair<Clock::time_point, Clock::time_point>> in_flight(buckets_.size());
  std::vector<int8_t> done(buckets_.size(), 0);
  size_t started = 0, finished = 0;
  Clock::time_point compute_end{}, deadline{};
  bool heard_all = false;
  if (buckets_.empty()) {
    compute_end = Clock::now();
    deadline = compute_end + timeout_;
  }
  while (finished < buckets_.size() || !heard_all) {
    bool progressed = false;
    comm_.serve();
    // Start every bucket whose gradients are written. While the device is still busy,
    // wait on its timeline a little, so that the host does not spin on the device's cores.
    while (started < buckets_.size()) {
      const bool nothing_in_flight = finished == started;
      bool ready = true;
      for (size_t k : buckets_[started].last_nodes) {
        VKNN_ASSIGN(ready, ex.node_done(k, nothing_in_flight ? 20'000'000 : 200'000));
        if (!ready) break;
      }
      if (!ready) break;
      const auto c0 = Clock::now();
      float* dst = staging_[started].data();
      for (TensorId t : buckets_[started].grads) {
        VKNN_ASSIGN(auto v, ex.read(t));
        std::copy(v.begin(), v.end(), dst);
        dst += v.size();
      }
      st.copy_ms += ms_between(c0, Clock::now());
      VKNN_ASSIGN(pending[started], comm_.start_sum(staging_[started]));
      in_flight[started].first = Clock::now();
      st.bytes += buckets_[started].bytes;
      ++started;
      progressed = true;
      if (started == buckets_.size()) {
        compute_end = Clock::now();
        deadline = compute_end + timeout_;
      }
    }
    for (size_t b = 0; b < started; ++b) {
      if (done[b]) continue;
      VKNN_ASSIGN(bool ok, pending[b]->test());
      if (!ok) continue;
      done[b] = 1;
      in_flight[b].second = Clock::now();
      ++finished;
      progressed = true;
    }
    if (!heard_all) {
      VKNN_ASSIGN(auto m, comm_.missing());
      heard_all = m.empty();
    }
    if (started == buckets_.size() && Clock::now() > deadline) return comm_.timed_out(what, timeout_);
    if (!progressed && started == buckets_.size()) std::this_thread::sleep_for(std::chrono::microseconds(50));
  }
  // Average and write back: every rank now holds the same sums.
  const auto c0 = Clock::now();
  const float scale = 1.0f / float(comm_.size());
  for (size_t b = 0; b < buckets_.size(); ++b) {
    const float* src = staging_[b].data();
    for (TensorId t : buckets_[b].grads) {
      const size_t n = size_t(g.desc(t).shape.numel());
      std::vector<float> v(src, src + n);
      if (comm_.size() > 1)
        for (float& x : v) x *= scale;
      VKNN_TRY(ex.write(t, v));
      src += n;
    }
  }
  st.copy_ms += ms_between(c0, Clock::now());
  const auto [total, before] = union_length(in_flight, compute_end);
  st.comm_ms = total;
  st.hidden_ms = before;
  st.exposed_ms = total - before;
  st.buckets = buckets_.size();
  last_ = st;
  total_ += st;
  ++step_;
  return {};
}

Status RankGather::allgather(std::span<const double> mine, std::span<double> all, const std::string& what) {
  if (all.size() != mine.size() * size_t(comm_.size()))
    return make_error(Errc::invalid_argument, "{}: gather of {} values from {} ranks into {}", what, mine.size(),
                      comm_.size(), all.size());
  VKNN_ASSIGN(auto got, comm_.gather(mine, timeout_, what));
  std::copy(got.begin(), got.end(), all.begin());
  return {};
}

}  // namespace vknn::dist
