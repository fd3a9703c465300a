// The multi-target schedule: what each target records, cut into segments (one command
// buffer each) at the points where it needs another target's results, and the order in
// which the segments are submitted. Pure bookkeeping over the graph, no Vulkan: the
// executor records and submits what this returns.
//
// Guarantees (tests/unit/test_schedule.cpp checks them over random placed graphs):
// - every node (in the program) appears exactly once, in a segment of its own target, in
//   schedule order;
// - a segment waits only on segments of other targets that come earlier in submission
//   order, so two targets sharing one queue cannot deadlock;
// - whenever an item reads or writes something that another target wrote or read before,
//   its segment waits on the segment that did (directly);
// - a host node is alone in its segment; the inference pass (training = false) leaves out
//   the nodes that are OpNode::training_only.
#pragma once

#include "vknn/graph/graph.h"

#include <map>
#include <vector>

namespace vknn {

struct ScheduleItem {
  enum class Kind {
    node,  // a node's commands
    copy,  // a transfer within one device whose two tensors cannot share memory
    send,  // chunk `chunk` of a transfer between devices: source -> host-visible memory
    recv,  // its other half: host-visible memory -> destination
    host,  // a host node (OpNode::host): alone in its segment, which records no commands
  } kind = Kind::node;
  size_t node = 0;
  uint32_t chunk = 0;
};

struct ScheduleSegment {
  int32_t target = 0;
  std::vector<ScheduleItem> items;
  std::vector<size_t> waits;  // indices of earlier segments (in submission order)
};

struct ScheduleInput {
  const Graph* graph = nullptr;
  bool training = true;               // false: forward nodes only
  bool prepare = false;               // the prepare nodes only (then `training` is ignored)
  int32_t targets = 1;
  std::vector<int32_t> node_target;   // per node, resolved
  std::vector<int32_t> from_target;   // per node: a transfer's source target, else -1
  std::vector<int32_t> root;          // per tensor: the tensor whose memory it uses
  std::vector<int8_t> alias;          // per node: a transfer that only shares memory
  std::map<size_t, size_t> chunks;    // transfers between devices: node -> chunk count
  // Nodes after which their target's segment ends (its own submission, its own timeline
  // value), so that the host learns when they are done: data-parallel training starts the
  // all-reduce of a gradient bucket there while the device goes on with earlier layers.
  std::vector<size_t> cut_after;
};

// Segments in submission order.
std::vector<ScheduleSegment> build_schedule(const ScheduleInput& in);

}  // namespace vknn
