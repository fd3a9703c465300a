// Host nodes inside a recorded step (OpNode::host): the schedule gives each a segment of
// its own, so the executor submits what comes before, waits for it, runs the node on the
// host and submits what follows. Synchronized batch normalization combines the batch
// statistics of every process of a data-parallel job this way; the collective comes from
// the layer that runs the processes (dist/), so the executor knows no MPI.
#include "vknn/graph/executor.h"

#include <algorithm>

namespace vknn {
namespace {

// The only process: every gather returns this process's values.
class LocalCollective final : public HostCollective {
 public:
  int size() const override { return 1; }
  Status allgather(std::span<const double> mine, std::span<double> all, const std::string& what) override {
    if (all.size() != mine.size())
      return make_error(Errc::invalid_argument, "{}: gather of {} values into {}", what, mine.size(), all.size());
    std::copy(mine.begin(), mine.end(), all.begin());
    return {};
  }
};

}  // namespace

Status Executor::run_host_segment(Program& p, size_t s) {
  Segment& seg = p.segments[s];
  const Node& n = graph_.nodes()[seg.items.at(0).node];
  const int32_t dev = targets_[size_t(seg.target)].device;
  Context& ctx = *devices_[size_t(dev)].ctx;
  // Everything before it: its own target's queue, and the other targets' segments it reads.
  for (size_t w : seg.waits) {
    const Segment& other = p.segments[w];
    if (auto st = queue_of(other.target).wait(other.signal); !st.ok())
      return on_device(targets_[size_t(other.target)].device, st.error());
  }
  Queue& q = queue_of(seg.target);
  if (auto st = q.wait(q.last_submitted()); !st.ok()) return on_device(dev, st.error());

  std::vector<std::vector<float>> in(n.inputs.size()), out(n.outputs.size());
  HostIO io;
  static LocalCollective local;
  io.collective = collective_ ? collective_ : &local;
  auto buffer_of = [&](TensorId t, std::vector<float>& v) -> Status {
    const TensorDesc& d = graph_.desc(t);
    if (d.dtype != DType::f32)
      return make_error(Errc::invalid_argument, "host node '{}': tensor '{}' is not f32", n.name, d.name);
    v.resize(size_t(d.shape.numel()));
    return {};
  };
  for (size_t i = 0; i < n.inputs.size(); ++i) {
    VKNN_TRY(buffer_of(n.inputs[i], in[i]));
    if (auto st = ctx.download(ref(dev, n.inputs[i]), in[i].data(), in[i].size() * 4); !st.ok())
      return on_device(dev, st.error());
    io.in.emplace_back(in[i]);
  }
  for (size_t i = 0; i < n.outputs.size(); ++i) {
    VKNN_TRY(buffer_of(n.outputs[i], out[i]));
    io.out.emplace_back(out[i]);
  }
  if (auto st = n.op->run_host(io); !st.ok())
    return Error{st.error().code, st.error().vk, fmt::format("host node '{}': {}", n.name, st.error().message)};
  for (size_t i = 0; i < n.outputs.size(); ++i)
    if (auto st = ctx.upload(ref(dev, n.outputs[i]), out[i].data(), out[i].size() * 4); !st.ok())
      return on_device(dev, st.error());
  // What waits on this segment waits on the work before it; the host work itself is done.
  seg.signal = q.last_submitted();
  return {};
}

}  // namespace vknn
