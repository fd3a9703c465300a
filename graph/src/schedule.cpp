#include "vknn/graph/schedule.h"

#include <algorithm>

namespace vknn {
namespace {

bool contains(const std::vector<size_t>& v, size_t x) { return std::find(v.begin(), v.end(), x) != v.end(); }

// Segments under construction: one open segment per target; closing one fixes its place in
// the submission order.
class Builder {
 public:
  Builder(int32_t targets, size_t resources)
      : open_(size_t(targets), -1), writer_(resources, -1), readers_(resources) {}

  // Adds `item` on target t. reads/writes are resources (tensor roots, bridge chunks).
  void add(int32_t t, ScheduleItem item, const std::vector<size_t>& reads, const std::vector<size_t>& writes) {
    std::vector<size_t> deps;
    auto dep = [&](size_t s) {
      if (segs_[s].target != t && !contains(deps, s)) deps.push_back(s);
    };
    for (const auto* list : {&reads, &writes})
      for (size_t r : *list)
        if (writer_[r] >= 0) dep(size_t(writer_[r]));  // read/write after write
    for (size_t w : writes)
      for (auto [rt, s] : readers_[w]) dep(s);  // write after read
    // What we wait for must be submitted first; and the items already in this target's
    // open segment need not wait for it, so a new segment starts here.
    for (size_t d : deps)
      if (!closed_[d]) close(segs_[d].target);
    int64_t s = open_[size_t(t)];
    if (s >= 0 && std::any_of(deps.begin(), deps.end(), [&](size_t d) { return !contains(segs_[size_t(s)].waits, d); })) {
      close(t);
      s = -1;
    }
    if (s < 0) {
      segs_.push_back({t, {}, {}});
      closed_.push_back(0);
      s = int64_t(segs_.size() - 1);
      open_[size_t(t)] = s;
    }
    ScheduleSegment& seg = segs_[size_t(s)];
    for (size_t d : deps)
      if (!contains(seg.waits, d)) seg.waits.push_back(d);
    seg.items.push_back(item);
    for (size_t w : writes) {
      writer_[w] = s;
      readers_[w].clear();
    }
    for (size_t r : reads) readers_[r][t] = size_t(s);
  }

  void close(int32_t t) {
    const int64_t s = open_[size_t(t)];
    if (s < 0) return;
    order_.push_back(size_t(s));
    closed_[size_t(s)] = 1;
    open_[size_t(t)] = -1;
  }

  // Closes what is open and renumbers everything into submission order.
  std::vector<ScheduleSegment> finish() {
    for (size_t t = 0; t < open_.size(); ++t) close(int32_t(t));
    std::vector<size_t> position(segs_.size());
    for (size_t i = 0; i < order_.size(); ++i) position[order_[i]] = i;
    std::vector<ScheduleSegment> out;
    for (size_t s : order_) {
      ScheduleSegment seg = std::move(segs_[s]);
      for (size_t& w : seg.waits) w = position[w];
      out.push_back(std::move(seg));
    }
    return out;
  }

 private:
  std::vector<ScheduleSegment> segs_;
  std::vector<int8_t> closed_;
  std::vector<size_t> order_;
  std::vector<int64_t> open_;
  std::vector<int64_t> writer_;                     // resource -> last writing segment
  std::vector<std::map<int32_t, size_t>> readers_;  // resource -> target -> segment, since that write
};

}  // namespace

std::vector<ScheduleSegment> build_schedule(const ScheduleInput& in) {
  const Graph& g = *in.graph;
  const auto& nodes = g.nodes();
  const size_t nt = g.tensors().size();
  // Resources: tensors (by the tensor whose memory they use), then one per chunk of the
  // host-visible memory of each transfer between devices.
  std::map<size_t, size_t> chunk_base;
  size_t resources = nt;
  for (const auto& [k, n] : in.chunks) {
    chunk_base[k] = resources;
    resources += n;
  }
  auto tensor = [&](TensorId t) { return size_t(in.root[size_t(t.index)]); };
  auto in_program = [&](size_t k) {
    const Phase ph = nodes[k].phase;
    if (in.prepare) return ph == Phase::prepare;
    if (!in.training && nodes[k].op && nodes[k].op->training_only()) return false;
    return ph == Phase::forward || (in.training && ph != Phase::prepare);
  };
  auto crosses = [&](size_t k) { return in.from_target[k] >= 0 && in.from_target[k] != in.node_target[k]; };
  Builder b(in.targets, resources);

  // A transfer leaves as soon as the last write of its source is done: its sends are
  // recorded there, and the source's segment ends there, so that the receiver waits for
  // nothing else.
  std::vector<std::vector<size_t>> leave_after(nodes.size());
  for (size_t k = 0; k < nodes.size(); ++k) {
    if (!in_program(k) || !crosses(k)) continue;
    int64_t last = -1;
    for (size_t j = 0; j < k; ++j)
      if (in_program(j))
        for (TensorId o : nodes[j].outputs)
          if (o == nodes[k].inputs[0]) last = int64_t(j);
    if (last >= 0) leave_after[size_t(last)].push_back(k);
  }
  // Between devices, chunk by chunk, each chunk ending a segment: the host hands chunk c to
  // the receiver while the sender copies chunk c + 1.
  std::vector<int8_t> sent(nodes.size(), 0);
  std::vector<int8_t> cut(nodes.size(), 0);
  for (size_t k : in.cut_after)
    if (k < nodes.size()) cut[k] = 1;
  auto send = [&](size_t k) {
    const int32_t from = in.from_target[k];
    for (size_t c = 0; c < in.chunks.at(k); ++c) {
      b.add(from, {ScheduleItem::Kind::send, k, uint32_t(c)}, {tensor(nodes[k].inputs[0])}, {chunk_base.at(k) + c});
      b.close(from);
    }
    sent[k] = 1;
  };
  for (size_t k = 0; k < nodes.size(); ++k) {
    if (!in_program(k)) continue;
    const Node& n = nodes[k];
    const int32_t t = in.node_target[k];
    if (in.from_target[k] >= 0) {  // a transfer
      if (in.alias[k]) {
        // No commands: whoever reads the output depends on the source's writer.
      } else if (in.chunks.count(k)) {
        if (!sent[k]) send(k);
        for (size_t c = 0; c < in.chunks.at(k); ++c)
          b.add(t, {ScheduleItem::Kind::recv, k, uint32_t(c)}, {chunk_base.at(k) + c}, {tensor(n.outputs[0])});
      } else {
        b.add(t, {ScheduleItem::Kind::copy, k}, {tensor(n.inputs[0])}, {tensor(n.outputs[0])});
      }
    } else {
      std::vector<size_t> reads, writes;
      for (TensorId i : n.inputs) reads.push_back(tensor(i));
      for (TensorId o : n.outputs) writes.push_back(tensor(o));
      if (n.op && n.op->host()) {  // the host waits for what came before and submits what follows
        b.close(t);
        b.add(t, {ScheduleItem::Kind::host, k}, reads, writes);
        b.close(t);
      } else {
        b.add(t, {ScheduleItem::Kind::node, k}, reads, writes);
      }
    }
    for (size_t j : leave_after[k]) {
      if (in.chunks.count(j)) {
        if (!sent[j]) send(j);
      } else {
        b.close(t);
      }
    }
    if (cut[k]) b.close(t);
  }
  return b.finish();
}

}  // namespace vknn
