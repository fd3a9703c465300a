// The multi-target schedule (schedule.h), without a device: over random graphs placed on
// three targets, running the segments with an adversarial interleaving that honours only
// what the schedule promises (each target runs its segments in order; a segment starts
// once the segments it waits on are done) must compute what running the nodes one by one
// computes, and every wait must point to an earlier segment of another target.
#include "vknn/graph/placement.h"
#include "vknn/graph/schedule.h"

#include <doctest/doctest.h>

#include <array>
#include <map>
#include <random>

using namespace vknn;

namespace {

struct Nop final : OpNode {
  const char* type() const override { return "nop"; }
  Status record(CommandList&, const NodeIO&) const override { return {}; }
};

// A host node (synchronized batch norm's kind), optionally left out of inference.
struct HostNop final : OpNode {
  bool training = false;
  const char* type() const override { return "host_nop"; }
  Status record(CommandList&, const NodeIO&) const override { return {}; }
  bool host() const override { return true; }
  bool training_only() const override { return training; }
};

constexpr size_t kParts = 4;  // a tensor's value, in parts so that chunked transfers can be modelled
using Value = std::array<uint64_t, kParts>;

uint64_t mix(uint64_t h, uint64_t v) { return (h ^ v) * 1099511628211ull + 0x9e3779b97f4a7c15ull; }

Value node_value(size_t node, const std::vector<Value>& inputs) {
  uint64_t h = mix(14695981039346656037ull, node);
  for (const Value& v : inputs)
    for (uint64_t p : v) h = mix(h, p);
  Value out;
  for (size_t i = 0; i < kParts; ++i) out[i] = mix(h, i);
  return out;
}

struct Case {
  Graph g;
  ScheduleInput in;
};

// A random DAG of `n` nodes on `targets` targets, with transfers inserted; each transfer
// randomly aliases, copies, or crosses devices in 1, 2 or 4 chunks.
Case random_case(std::mt19937& rng, int n, int32_t targets, bool training, bool hosts = false) {
  Case c;
  Graph& g = c.g;
  std::vector<TensorId> pool{g.input("x", {4})};
  for (int k = 0; k < n; ++k) {
    g.set_target(int32_t(rng() % uint32_t(targets)));
    std::vector<TensorId> ins;
    const int fan_in = 1 + int(rng() % 3);
    for (int i = 0; i < fan_in; ++i) {
      // Prefer recent tensors, so that chains are long.
      const size_t back = std::min<size_t>(pool.size(), 1 + rng() % 4);
      TensorId t = pool[pool.size() - back + rng() % back];
      if (std::find(ins.begin(), ins.end(), t) == ins.end()) ins.push_back(t);
    }
    TensorId out = g.tensor("t" + std::to_string(k), {4}, Role::activation);
    std::shared_ptr<OpNode> op = std::make_shared<Nop>();
    if (hosts && rng() % 4 == 0) op = std::make_shared<HostNop>();
    g.add_node("n" + std::to_string(k), op, ins, {out});
    pool.push_back(out);
  }
  REQUIRE(insert_transfers(g).ok());
  ScheduleInput& in = c.in;
  in.graph = &c.g;
  in.training = training;
  in.targets = targets;
  in.root.resize(g.tensors().size());
  for (size_t i = 0; i < in.root.size(); ++i) in.root[i] = int32_t(i);
  in.alias.assign(g.nodes().size(), 0);
  in.from_target.assign(g.nodes().size(), -1);
  for (size_t k = 0; k < g.nodes().size(); ++k) {
    const Node& node = g.nodes()[k];
    in.node_target.push_back(node.target);
    if (const TransferOp* tr = as_transfer(node)) {
      in.from_target[k] = tr->from();
      switch (rng() % 3) {
        case 0:
          in.alias[k] = 1;
          in.root[size_t(node.outputs[0].index)] = in.root[size_t(node.inputs[0].index)];
          break;
        case 1: break;  // a copy within one device
        default: in.chunks[k] = size_t(1) << (rng() % 3);
      }
    }
  }
  return c;
}

// Node by node, in schedule order: every tensor's value.
std::vector<Value> run_sequentially(const Graph& g) {
  std::vector<Value> v(g.tensors().size(), Value{});
  v[0] = Value{1, 2, 3, 4};  // the input
  for (size_t k = 0; k < g.nodes().size(); ++k) {
    const Node& n = g.nodes()[k];
    if (as_transfer(n)) {
      v[size_t(n.outputs[0].index)] = v[size_t(n.inputs[0].index)];
      continue;
    }
    std::vector<Value> ins;
    for (TensorId t : n.inputs) ins.push_back(v[size_t(t.index)]);
    v[size_t(n.outputs[0].index)] = node_value(k, ins);
  }
  return v;
}

// The segments, item by item, in a random interleaving of the targets that respects the
// waits; memory is per root tensor, plus the host-visible chunks of each transfer.
std::vector<Value> run_interleaved(const Case& c, const std::vector<ScheduleSegment>& segs, std::mt19937& rng) {
  const Graph& g = c.g;
  std::vector<Value> mem(g.tensors().size(), Value{});
  mem[size_t(c.in.root[0])] = Value{1, 2, 3, 4};
  std::map<size_t, Value> bridge;
  auto at = [&](TensorId t) -> Value& { return mem[size_t(c.in.root[size_t(t.index)])]; };
  // Per target: its segments in submission order, and where it is.
  std::vector<std::vector<size_t>> queue(size_t(c.in.targets));
  for (size_t s = 0; s < segs.size(); ++s) queue[size_t(segs[s].target)].push_back(s);
  std::vector<size_t> seg_pos(size_t(c.in.targets), 0), item_pos(size_t(c.in.targets), 0);
  std::vector<int8_t> done(segs.size(), 0);
  for (;;) {
    std::vector<int32_t> runnable;
    for (int32_t t = 0; t < c.in.targets; ++t) {
      if (seg_pos[size_t(t)] >= queue[size_t(t)].size()) continue;
      const ScheduleSegment& seg = segs[queue[size_t(t)][seg_pos[size_t(t)]]];
      if (std::all_of(seg.waits.begin(), seg.waits.end(), [&](size_t w) { return done[w] != 0; })) runnable.push_back(t);
    }
    if (runnable.empty()) break;
    const int32_t t = runnable[rng() % runnable.size()];
    const size_t s = queue[size_t(t)][seg_pos[size_t(t)]];
    const ScheduleSegment& seg = segs[s];
    if (!seg.items.empty()) {
      const ScheduleItem& item = seg.items[item_pos[size_t(t)]];
      const Node& n = g.nodes()[item.node];
      const size_t chunks = c.in.chunks.count(item.node) ? c.in.chunks.at(item.node) : 1;
      switch (item.kind) {
        case ScheduleItem::Kind::node:
        case ScheduleItem::Kind::host: {
          std::vector<Value> ins;
          for (TensorId i : n.inputs) ins.push_back(at(i));
          at(n.outputs[0]) = node_value(item.node, ins);
          break;
        }
        case ScheduleItem::Kind::copy: at(n.outputs[0]) = at(n.inputs[0]); break;
        case ScheduleItem::Kind::send:
        case ScheduleItem::Kind::recv:
          for (size_t p = 0; p < kParts; ++p) {
            if (p * chunks / kParts != item.chunk) continue;
            Value& b = bridge[item.node];
            if (item.kind == ScheduleItem::Kind::send) b[p] = at(n.inputs[0])[p];
            else at(n.outputs[0])[p] = b[p];
          }
          break;
      }
    }
    if (seg.items.empty() || ++item_pos[size_t(t)] == seg.items.size()) {
      done[s] = 1;
      ++seg_pos[size_t(t)];
      item_pos[size_t(t)] = 0;
    }
  }
  CHECK_MESSAGE(std::all_of(done.begin(), done.end(), [](int8_t d) { return d != 0; }), "the segments deadlocked");
  std::vector<Value> v(g.tensors().size());
  for (size_t i = 0; i < v.size(); ++i) v[i] = mem[size_t(c.in.root[i])];
  return v;
}

}  // namespace

TEST_CASE("schedule: random placed graphs give the sequential result under any interleaving the waits allow") {
  std::mt19937 rng(11);
  size_t segments = 0, waits = 0;
  for (int trial = 0; trial < 200; ++trial) {
    const int32_t targets = 1 + int32_t(rng() % 3);
    Case c = random_case(rng, 5 + int(rng() % 30), targets, true);
    const auto segs = build_schedule(c.in);
    segments += segs.size();
    // Structure: waits point to earlier segments of other targets; every node appears once,
    // on its target, and each target's items keep schedule order.
    std::vector<int> seen(c.g.nodes().size(), 0);
    std::vector<int64_t> last(size_t(targets), -1);
    for (size_t s = 0; s < segs.size(); ++s) {
      for (size_t w : segs[s].waits) {
        CHECK(w < s);
        CHECK(segs[w].target != segs[s].target);
        ++waits;
      }
      for (const ScheduleItem& item : segs[s].items) {
        if (item.kind == ScheduleItem::Kind::send) {
          CHECK(segs[s].target == c.in.from_target[item.node]);
          continue;
        }
        CHECK(segs[s].target == c.in.node_target[item.node]);
        if (item.chunk == 0) ++seen[item.node];
        CHECK(int64_t(item.node) >= last[size_t(segs[s].target)]);
        last[size_t(segs[s].target)] = int64_t(item.node);
      }
    }
    for (size_t k = 0; k < seen.size(); ++k) {
      INFO("trial " << trial << ", node " << c.g.nodes()[k].name);
      CHECK(seen[k] == (c.in.alias[k] ? 0 : 1));
    }
    // Semantics: five random interleavings each.
    const auto want = run_sequentially(c.g);
    for (int i = 0; i < 5; ++i) {
      INFO("trial " << trial << ", interleaving " << i << ", " << segs.size() << " segments");
      CHECK(run_interleaved(c, segs, rng) == want);
    }
  }
  MESSAGE(segments << " segments and " << waits << " waits over 200 random graphs");
}

TEST_CASE("schedule: a schedule that drops a wait is caught by the interleaving check") {
  // The property test above can fail: remove one wait and some interleaving reads a stale value.
  std::mt19937 rng(5);
  int caught = 0, tried = 0;
  for (int trial = 0; trial < 100 && tried < 20; ++trial) {
    Case c = random_case(rng, 20, 2, true);
    auto segs = build_schedule(c.in);
    auto it = std::find_if(segs.begin(), segs.end(), [](const ScheduleSegment& s) { return !s.waits.empty(); });
    if (it == segs.end()) continue;
    it->waits.clear();
    ++tried;
    const auto want = run_sequentially(c.g);
    bool differs = false;
    for (int i = 0; i < 40 && !differs; ++i) differs = run_interleaved(c, segs, rng) != want;
    caught += differs;
  }
  MESSAGE("caught " << caught << " of " << tried << " schedules with a wait removed");
  CHECK(tried >= 10);
  CHECK(caught * 2 >= tried);
}

TEST_CASE("schedule: each column of a two-column graph runs up to the first crossing without waiting") {
  // Two independent chains, then a crossing in both directions, as AlexNet's conv3.
  Graph g;
  TensorId x = g.input("x", {4});
  std::array<TensorId, 2> h;
  for (int32_t c = 0; c < 2; ++c) {
    g.set_target(c);
    h[size_t(c)] = x;
    for (int i = 0; i < 3; ++i) {
      TensorId o = g.tensor(fmt::format("c{}.{}", c, i), {4}, Role::activation);
      g.add_node(fmt::format("c{}.n{}", c, i), std::make_shared<Nop>(), {h[size_t(c)]}, {o});
      h[size_t(c)] = o;
    }
  }
  for (int32_t c = 0; c < 2; ++c) {
    g.set_target(c);
    g.add_node(fmt::format("c{}.join", c), std::make_shared<Nop>(), {h[0], h[1]},
               {g.tensor(fmt::format("c{}.joined", c), {4}, Role::output)});
  }
  REQUIRE(insert_transfers(g).ok());
  ScheduleInput in;
  in.graph = &g;
  in.targets = 2;
  in.root.resize(g.tensors().size());
  for (size_t i = 0; i < in.root.size(); ++i) in.root[i] = int32_t(i);
  in.alias.assign(g.nodes().size(), 0);
  in.from_target.assign(g.nodes().size(), -1);
  for (size_t k = 0; k < g.nodes().size(); ++k) {
    in.node_target.push_back(g.nodes()[k].target);
    if (const TransferOp* tr = as_transfer(g.nodes()[k])) {
      in.from_target[k] = tr->from();
      in.chunks[k] = 1;  // between devices
    }
  }
  const auto segs = build_schedule(in);
  // Target 0: its chain and the send; target 1 likewise; then each receives and joins.
  REQUIRE(segs.size() == 4);
  CHECK(segs[0].target == 0);
  CHECK(segs[0].waits.empty());
  CHECK(segs[0].items.size() == 4);  // 3 nodes + send
  CHECK(segs[1].target == 1);
  CHECK(segs[1].waits.empty());
  CHECK(segs[1].items.size() == 4);
  CHECK(segs[2].waits.size() == 1);
  CHECK(segs[3].waits.size() == 1);
}

TEST_CASE("schedule: cut_after ends a segment after each named node and keeps the result") {
  // Data-parallel training cuts after each gradient bucket's last writer, so the host learns
  // from the segment's timeline value when the bucket is written.
  std::mt19937 rng(23);
  for (int trial = 0; trial < 100; ++trial) {
    const int32_t targets = 1 + int32_t(rng() % 3);
    Case c = random_case(rng, 5 + int(rng() % 30), targets, true);
    const size_t before = build_schedule(c.in).size();
    for (size_t k = 0; k < c.g.nodes().size(); ++k)
      if (!as_transfer(c.g.nodes()[k]) && rng() % 4 == 0) c.in.cut_after.push_back(k);
    const auto segs = build_schedule(c.in);
    INFO("trial " << trial << ", " << c.in.cut_after.size() << " cuts");
    CHECK(segs.size() >= before);
    // The node ends its segment, or only the sends of transfers leaving right after it follow.
    for (size_t k : c.in.cut_after) {
      bool last_of_segment = false;
      for (const auto& s : segs)
        for (size_t i = 0; i < s.items.size(); ++i)
          if (s.items[i].kind == ScheduleItem::Kind::node && s.items[i].node == k)
            last_of_segment = std::all_of(s.items.begin() + long(i) + 1, s.items.end(),
                                          [](const ScheduleItem& it) { return it.kind == ScheduleItem::Kind::send; });
      CHECK_MESSAGE(last_of_segment, "node " << c.g.nodes()[k].name << " does not end a segment");
    }
    const auto want = run_sequentially(c.g);
    for (int i = 0; i < 3; ++i) CHECK(run_interleaved(c, segs, rng) == want);
  }
  // One target, no crossings: without cuts one segment; with k cuts (not at the end) k + 1.
  std::mt19937 rng1(3);
  Case c = random_case(rng1, 12, 1, true);
  CHECK(build_schedule(c.in).size() == 1);
  c.in.cut_after = {2, 5, 9};
  CHECK(build_schedule(c.in).size() == 4);
}

TEST_CASE("schedule: a host node is alone in its segment, and the result is the sequential one") {
  std::mt19937 rng(41);
  size_t hosts = 0;
  for (int trial = 0; trial < 100; ++trial) {
    const int32_t targets = 1 + int32_t(rng() % 3);
    Case c = random_case(rng, 5 + int(rng() % 30), targets, true, /*hosts=*/true);
    const auto segs = build_schedule(c.in);
    INFO("trial " << trial);
    for (const auto& seg : segs)
      for (const ScheduleItem& item : seg.items) {
        const bool host = c.g.nodes()[item.node].op->host() && item.kind != ScheduleItem::Kind::send &&
                          item.kind != ScheduleItem::Kind::recv && item.kind != ScheduleItem::Kind::copy;
        CHECK((item.kind == ScheduleItem::Kind::host) == host);
        if (host) {
          ++hosts;
          CHECK(seg.items.size() == 1);
        }
      }
    const auto want = run_sequentially(c.g);
    for (int i = 0; i < 3; ++i) CHECK(run_interleaved(c, segs, rng) == want);
  }
  CHECK(hosts > 100);
}

TEST_CASE("schedule: the inference pass leaves out training_only nodes") {
  Graph g;
  TensorId x = g.input("x", {4});
  TensorId a = g.tensor("a", {4}, Role::activation), b = g.tensor("b", {4}, Role::activation);
  TensorId y = g.tensor("y", {4}, Role::activation);
  auto stats = std::make_shared<HostNop>();
  stats->training = true;
  g.add_node("stats", stats, {x}, {a});
  g.add_node("sync", std::make_shared<HostNop>(), {a}, {b});
  g.add_node("use", std::make_shared<Nop>(), {x, b}, {y});
  ScheduleInput in;
  in.graph = &g;
  in.node_target.assign(3, 0);
  in.from_target.assign(3, -1);
  in.alias.assign(3, 0);
  for (size_t i = 0; i < g.tensors().size(); ++i) in.root.push_back(int32_t(i));
  auto names = [&](const std::vector<ScheduleSegment>& segs) {
    std::string out;
    for (const auto& seg : segs) {
      out += "[";
      for (const auto& item : seg.items) out += g.nodes()[item.node].name + " ";
      out += "]";
    }
    return out;
  };
  in.training = true;
  CHECK(names(build_schedule(in)) == "[stats ][sync ][use ]");
  in.training = false;
  CHECK(names(build_schedule(in)) == "[sync ][use ]");
}
