#include "vknn/cases/case.h"

#include "vknn/ops/cast.h"

#include <cmath>
#include <cstring>
#include <random>
#include <stdexcept>

namespace vknn::cases {

Fill uniform(float lo, float hi) {
  Fill f;
  f.lo = lo, f.hi = hi;
  return f;
}
Fill zeros() {
  Fill f;
  f.kind = Fill::Kind::zeros;
  return f;
}
Fill labels(int64_t classes) {
  Fill f;
  f.kind = Fill::Kind::labels;
  f.classes = classes;
  return f;
}
Fill copy_of(std::string tensor) {
  Fill f;
  f.kind = Fill::Kind::copy;
  f.source = std::move(tensor);
  return f;
}

const TensorSpec& OpCase::tensor(const std::string& tensor_name) const {
  for (const auto& t : tensors)
    if (t.name == tensor_name) return t;
  throw std::out_of_range(title() + ": no tensor '" + tensor_name + "'");
}

std::string device_output(const std::string& tensor) { return tensor + "@device"; }

std::vector<ShaderId> claimed_shaders(const OpCase& c, Context& ctx) {
  return c.shaders_on ? c.shaders_on(ctx) : c.shaders;
}

std::vector<size_t> checked_indices(const OpCase& c, const Check& k) {
  const size_t count = size_t(c.shape(k.tensor).numel());
  std::vector<size_t> idx;
  if (k.samples == 0 || count <= k.samples + 2) {
    idx.resize(count);
    for (size_t i = 0; i < count; ++i) idx[i] = i;
    return idx;
  }
  uint32_t salt = 2166136261u;  // FNV-1a of the expected output's name
  for (char ch : k.expect) salt = (salt ^ uint8_t(ch)) * 16777619u;
  std::mt19937 rng(c.seed ^ salt);
  idx = {0, count - 1};
  for (size_t i = 0; i < k.samples; ++i) idx.push_back(rng() % count);
  return idx;
}

std::vector<OpCase> op_cases(const std::string& op, int64_t batch) {
  std::vector<OpCase> out;
  for (auto& c : all_cases(batch))
    if (c.op == op) out.push_back(std::move(c));
  return out;
}

std::map<std::string, std::vector<float>> initial_contents(const OpCase& c, bool special) {
  std::map<std::string, std::vector<float>> out;
  for (size_t i = 0; i < c.tensors.size(); ++i) {
    const TensorSpec& t = c.tensors[i];
    const size_t n = size_t(t.shape.numel());
    std::vector<float> v(n, 0.0f);
    // One stream per tensor, so adding a tensor to a case leaves the others' data alone.
    std::mt19937 rng(c.seed * 1000003u + uint32_t(i) * 7919u);
    switch (t.fill.kind) {
      case Fill::Kind::zeros:
        break;
      case Fill::Kind::copy:
        v = out.at(t.fill.source);
        break;
      case Fill::Kind::labels:
        for (auto& x : v) {
          const int32_t label = int32_t(rng() % uint32_t(t.fill.classes));
          std::memcpy(&x, &label, 4);
        }
        break;
      case Fill::Kind::uniform: {
        std::uniform_real_distribution<float> d(t.fill.lo, t.fill.hi);
        for (auto& x : v) x = d(rng);
        if (t.fill.quantize > 0)
          for (auto& x : v) x = std::round(x * t.fill.quantize) / t.fill.quantize;
        if (special)
          for (size_t k = 0; k < n && k < t.fill.special.size(); ++k) v[(k * 7919) % n] = t.fill.special[k];
        break;
      }
    }
    out[t.name] = std::move(v);
  }
  if (c.adjust) c.adjust(out);
  return out;
}

Result<DeviceTensors> upload(Context& ctx, const OpCase& c, const std::map<std::string, std::vector<float>>& contents) {
  DeviceTensors out;
  for (const TensorSpec& t : c.tensors) {
    const auto& data = contents.at(t.name);
    auto b = Buffer::create(ctx, t.shape.bytes());
    if (!b.ok()) return b.error();
    if (!data.empty()) VKNN_TRY(ctx.upload(b->ref(), data.data(), t.shape.bytes()));
    out.views[t.name] = TensorView{b->ref(0, t.shape.bytes()), t.shape};
    out.buffers.push_back(std::move(b).value());
  }
  if (c.workspace) {
    auto bytes = c.workspace(ctx);
    if (!bytes.ok()) return bytes.error();
    TensorView& w = out.views["workspace"];
    if (*bytes > 0) {
      auto b = Buffer::create(ctx, *bytes);
      if (!b.ok()) return b.error();
      w = TensorView{b->ref(), Shape{int64_t(*bytes / 4)}};
      out.buffers.push_back(std::move(b).value());
    }
  }
  return out;
}

Status record_steps(CommandList& cl, const OpCase& c, const Views& views, size_t first, size_t last) {
  for (size_t i = first; i < last && i < c.steps.size(); ++i) {
    const Status s = c.steps[i].record(cl, views);
    if (!s.ok()) return Error{s.error().code, s.error().vk, c.title() + ", step " + c.steps[i].name + ": " + s.error().message};
  }
  return {};
}

Step cast_step(std::string from, std::string to, bool to_half) {
  Step s;
  s.name = to_half ? "cast (to fp16)" : "cast (to fp32)";
  s.record = [from = std::move(from), to = std::move(to), to_half](CommandList& cl, const Views& v) {
    return to_half ? record_cast(cl, v.at(from), as_f16(v.at(to))) : record_cast(cl, as_f16(v.at(from)), v.at(to));
  };
  return s;
}

}  // namespace vknn::cases
