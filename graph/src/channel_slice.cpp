#include "channel_slice.h"

#include "rewrite.h"

#include "vknn/ops/concat.h"

#include <algorithm>
#include <numeric>

namespace vknn::detail {

Result<std::vector<int32_t>> channel_slice_storage(const Graph& g) {
  const auto& tensors = g.tensors();
  std::vector<int32_t> storage(tensors.size());
  std::iota(storage.begin(), storage.end(), 0);
  std::vector<std::vector<std::pair<int64_t, size_t>>> slices(tensors.size());  // per parent: (first channel, slice)
  for (size_t i = 0; i < tensors.size(); ++i) {
    const TensorDesc& d = tensors[i];
    if (!d.channel_slice_of.valid()) continue;
    const TensorDesc& p = g.desc(d.channel_slice_of);
    bool fits = d.shape.rank() == 4 && p.shape.rank() == 4 && !p.channel_slice_of.valid() && d.channel_offset >= 0 &&
                d.channel_offset + d.shape[1] <= p.shape[1];
    for (size_t a = 0; fits && a < 4; ++a) fits = a == 1 || d.shape[a] == p.shape[a];
    if (!fits)
      return make_error(Errc::invalid_argument, "tensor '{}' {} is no channel slice [{}, +{}) of '{}' {}", d.name,
                        d.shape.str(), d.channel_offset, d.shape.rank() > 1 ? d.shape[1] : 0, p.name, p.shape.str());
    storage[i] = d.channel_slice_of.index;
    slices[size_t(d.channel_slice_of.index)].push_back({d.channel_offset, i});
  }
  for (auto& s : slices) {
    std::sort(s.begin(), s.end());
    for (size_t j = 1; j < s.size(); ++j)
      if (s[j - 1].first + tensors[s[j - 1].second].shape[1] > s[j].first)
        return make_error(Errc::invalid_argument, "channel slices '{}' and '{}' of '{}' overlap",
                          tensors[s[j - 1].second].name, tensors[s[j].second].name,
                          g.desc(tensors[s[j].second].channel_slice_of).name);
  }
  for (const Node& n : g.nodes()) {
    for (TensorId t : n.inputs)
      if (g.desc(t).channel_slice_of.valid())
        return make_error(Errc::invalid_argument, "node '{}' reads '{}', a channel slice of '{}'; slices are only written",
                          n.name, g.desc(t).name, g.desc(g.desc(t).channel_slice_of).name);
    for (TensorId t : n.outputs)
      if (g.desc(t).channel_slice_of.valid() && (n.outputs.size() != 1 || !n.op->writes_channel_slice(n)))
        return make_error(Errc::invalid_argument, "node '{}' ({}) cannot write '{}' as a channel slice of '{}'", n.name,
                          n.op->type(), g.desc(t).name, g.desc(g.desc(t).channel_slice_of).name);
  }
  return storage;
}

Result<int> write_concats_in_place(Graph& g) {
  VKNN_TRY(g.status());
  const auto& nodes = g.nodes();
  std::vector<int32_t> readers(g.tensors().size(), 0);  // reads, counting a repeated input each time
  for (const Node& n : nodes)
    for (TensorId t : n.inputs) ++readers[size_t(t.index)];
  auto in_place = [&](TensorId t, const Node& concat) {
    const TensorDesc& d = g.desc(t);
    if (visible_outside(g, t) || readers[size_t(t.index)] != 1 || d.producer < 0 || d.channel_slice_of.valid())
      return false;
    const Node& p = nodes[size_t(d.producer)];
    return p.target == concat.target && p.outputs.size() == 1 && p.op->writes_channel_slice(p);
  };
  std::vector<int8_t> removed(nodes.size(), 0);
  int done = 0;
  for (size_t k = 0; k < nodes.size(); ++k) {
    const Node& n = nodes[k];
    if (!is_concat(n) || g.desc(n.outputs[0]).role != Role::activation) continue;
    if (!std::all_of(n.inputs.begin(), n.inputs.end(), [&](TensorId t) { return in_place(t, n); })) continue;
    int64_t c = 0;
    for (TensorId t : n.inputs) {
      TensorDesc& d = g.desc(t);
      d.channel_slice_of = n.outputs[0];
      d.channel_offset = c;
      c += d.shape[1];
    }
    removed[k] = 1;
    ++done;
  }
  if (done == 0) return 0;
  Graph out = tensors_only(g);
  for (size_t k = 0; k < nodes.size(); ++k) {
    if (removed[k]) continue;
    out.set_target(nodes[k].target);
    out.add_node(nodes[k].name, nodes[k].op, nodes[k].inputs, nodes[k].outputs, nodes[k].phase);
  }
  out.set_target(0);
  VKNN_TRY(out.status());
  g = std::move(out);
  return done;
}

}  // namespace vknn::detail
