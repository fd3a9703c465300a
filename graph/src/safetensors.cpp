#include "vknn/graph/safetensors.h"

#include "vknn/engine/checked.h"
#include "vknn/engine/file.h"

#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <unistd.h>

namespace vknn {
namespace {

constexpr uint64_t kMaxHeaderBytes = 100u << 20;  // the reference implementation's limit
constexpr size_t kMaxRank = 64;

std::string shape_str(const std::vector<int64_t>& s) {
  std::string out = "(";
  for (size_t i = 0; i < s.size(); ++i) out += fmt::format("{}{}", i ? "," : "", s[i]);
  return out + ")";
}

}  // namespace

size_t safetensors_dtype_size(const std::string& d) {
  if (d == "F64" || d == "I64" || d == "U64") return 8;
  if (d == "F32" || d == "I32" || d == "U32") return 4;
  if (d == "F16" || d == "BF16" || d == "I16" || d == "U16") return 2;
  if (d == "I8" || d == "U8" || d == "BOOL") return 1;
  return 0;
}

Result<SafetensorsFile> SafetensorsFile::read(const std::filesystem::path& path) {
  VKNN_ASSIGN(auto bytes, read_file_bytes(path));  // a directory or unreadable file: an error naming it
  return parse(std::move(bytes), path.string());
}

Result<SafetensorsFile> SafetensorsFile::parse(std::vector<uint8_t> bytes, std::string source) {
  SafetensorsFile f;
  f.source_ = std::move(source);
  const std::string& src = f.source_;
  if (bytes.size() < 8)
    return make_error(Errc::parse, "{}: {} bytes is too short for a safetensors file (truncated?)", src, bytes.size());
  uint64_t header_len = 0;
  for (int i = 7; i >= 0; --i) header_len = (header_len << 8) | bytes[size_t(i)];
  if (header_len > kMaxHeaderBytes || header_len > bytes.size() - 8)
    return make_error(Errc::parse, "{}: header length {} does not fit in a file of {} bytes (truncated or not safetensors)",
                      src, header_len, bytes.size());
  f.data_start_ = 8 + header_len;
  const uint64_t data_len = bytes.size() - f.data_start_;

  nlohmann::json header = nlohmann::json::parse(bytes.begin() + 8, bytes.begin() + 8 + std::ptrdiff_t(header_len),
                                                nullptr, /*allow_exceptions=*/false);
  if (header.is_discarded() || !header.is_object())
    return make_error(Errc::parse, "{}: the header is not a JSON object", src);
  for (auto it = header.begin(); it != header.end(); ++it) {
    const std::string& name = it.key();
    const auto& v = it.value();
    if (name == "__metadata__") {
      if (!v.is_object()) return make_error(Errc::parse, "{}: __metadata__ is not an object", src);
      for (auto m = v.begin(); m != v.end(); ++m) {
        if (!m.value().is_string()) return make_error(Errc::parse, "{}: metadata '{}' is not a string", src, m.key());
        f.metadata_[m.key()] = m.value().get<std::string>();
      }
      continue;
    }
    if (!v.is_object() || !v.contains("dtype") || !v.contains("shape") || !v.contains("data_offsets"))
      return make_error(Errc::parse, "{}: tensor '{}' lacks dtype, shape or data_offsets", src, name);
    const auto& jd = v["dtype"];
    const auto& js = v["shape"];
    const auto& jo = v["data_offsets"];
    if (!jd.is_string() || !js.is_array() || !jo.is_array() || jo.size() != 2)
      return make_error(Errc::parse, "{}: tensor '{}' has a malformed dtype, shape or data_offsets", src, name);
    SafetensorsEntry e;
    e.name = name;
    e.dtype = jd.get<std::string>();
    const size_t elem = safetensors_dtype_size(e.dtype);
    if (elem == 0) return make_error(Errc::parse, "{}: tensor '{}' has unknown dtype '{}'", src, name, e.dtype);
    if (js.size() > kMaxRank) return make_error(Errc::parse, "{}: tensor '{}' has {} dimensions", src, name, js.size());
    std::vector<uint64_t> dims;
    for (const auto& d : js) {
      if (!d.is_number_unsigned()) return make_error(Errc::parse, "{}: tensor '{}' has a non-integer or negative dimension", src, name);
      dims.push_back(d.get<uint64_t>());
      if (dims.back() > uint64_t(INT64_MAX))
        return make_error(Errc::parse, "{}: tensor '{}' has dimension {} beyond int64", src, name, dims.back());
    }
    // The byte count as an exact product: count * element size wrapped to 0 for F32 [2^31, 2^31].
    const std::optional<uint64_t> nbytes = checked_product<uint64_t>(dims, uint64_t(elem), data_len);
    if (!nbytes)
      return make_error(Errc::parse, "{}: tensor '{}' {} of shape ({}) needs more bytes than the {}-byte data section holds",
                        src, name, e.dtype, fmt::join(dims, ","), data_len);
    for (uint64_t d : dims) e.shape.push_back(int64_t(d));
    if (!jo[0].is_number_unsigned() || !jo[1].is_number_unsigned())
      return make_error(Errc::parse, "{}: tensor '{}' has non-integer data offsets", src, name);
    e.begin = jo[0].get<uint64_t>();
    e.end = jo[1].get<uint64_t>();
    if (e.begin > e.end || e.end > data_len)
      return make_error(Errc::parse, "{}: tensor '{}' has byte range [{}, {}) outside the {}-byte data section (truncated?)",
                        src, name, e.begin, e.end, data_len);
    if (e.end - e.begin != *nbytes)
      return make_error(Errc::parse, "{}: tensor '{}' {} {} needs {} bytes but its range holds {}", src, name, e.dtype,
                        shape_str(e.shape), *nbytes, e.end - e.begin);
    f.index_[name] = f.entries_.size();
    f.entries_.push_back(std::move(e));
  }
  f.bytes_ = std::move(bytes);
  return f;
}

const SafetensorsEntry* SafetensorsFile::find(const std::string& name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : &entries_[it->second];
}

std::span<const uint8_t> SafetensorsFile::data(const SafetensorsEntry& e) const {
  return {bytes_.data() + data_start_ + e.begin, size_t(e.end - e.begin)};
}

Result<std::vector<float>> SafetensorsFile::read_f32(const std::string& name, const std::vector<int64_t>& shape) const {
  const SafetensorsEntry* e = find(name);
  if (!e) return make_error(Errc::parse, "{}: no tensor named '{}'", source_, name);
  if (e->dtype != "F32") return make_error(Errc::parse, "{}: tensor '{}' is {}, expected F32", source_, name, e->dtype);
  if (e->shape != shape)
    return make_error(Errc::parse, "{}: tensor '{}' has shape {}, expected {}", source_, name, shape_str(e->shape),
                      shape_str(shape));
  std::vector<float> out((e->end - e->begin) / 4);
  // An empty tensor has no bytes to copy, and memcpy from or to a null pointer is undefined
  // even for 0 bytes (C11 7.24.1p2).
  if (!out.empty()) std::memcpy(out.data(), data(*e).data(), out.size() * 4);  // little-endian, as are our targets
  // NaN or Inf weights would load and run: NaN logits win every arg-max, so an evaluation
  // would report 100% top-1. Every weight load (Executor::load_weights, load_checkpoint, the
  // CLI and the C API through them) reads here.
  for (size_t i = 0; i < out.size(); ++i)
    if (!std::isfinite(out[i]))
      return make_error(Errc::parse, "{}: tensor '{}' {} holds a non-finite value ({}) at element {}", source_, name,
                        shape_str(e->shape), out[i], i);
  return out;
}

void SafetensorsWriter::add(std::string name, std::string dtype, std::vector<int64_t> shape,
                            std::span<const uint8_t> bytes) {
  items_.push_back({std::move(name), std::move(dtype), std::move(shape), {bytes.begin(), bytes.end()}});
}

void SafetensorsWriter::add_f32(std::string name, std::vector<int64_t> shape, std::span<const float> values) {
  add(std::move(name), "F32", std::move(shape),
      {reinterpret_cast<const uint8_t*>(values.data()), values.size() * sizeof(float)});
}

std::vector<uint8_t> SafetensorsWriter::serialize() const {
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata_.empty()) header["__metadata__"] = metadata_;
  uint64_t offset = 0;
  for (const auto& it : items_) {
    header[it.name] = {{"dtype", it.dtype}, {"shape", it.shape}, {"data_offsets", {offset, offset + it.bytes.size()}}};
    offset += it.bytes.size();
  }
  std::string h = header.dump();
  while ((8 + h.size()) % 8) h += ' ';  // keeps the data section 8-byte aligned, as the reference writer does
  std::vector<uint8_t> out;
  out.reserve(8 + h.size() + offset);
  for (int i = 0; i < 8; ++i) out.push_back(uint8_t(uint64_t(h.size()) >> (8 * i)));
  out.insert(out.end(), h.begin(), h.end());
  for (const auto& it : items_) out.insert(out.end(), it.bytes.begin(), it.bytes.end());
  return out;
}

Status SafetensorsWriter::write_atomic(const std::filesystem::path& path) const {
  const auto bytes = serialize();
  return write_file_atomic(path, bytes);
}


}  // namespace vknn
