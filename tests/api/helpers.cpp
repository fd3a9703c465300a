#include "helpers.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>

#include <nlohmann/json.hpp>

#include <unistd.h>

namespace apitest {

vknn::api::HostDevice lend(host::Device& dev) {
  vknn::api::HostDevice h;
  h.instance = host::instance().instance;
  h.physical_device = host::instance().physical;
  h.device = dev.device;
  h.api_version = VK_API_VERSION_1_2;
  h.timeline_semaphore_enabled = true;
  h.queue_family = dev.family;
  h.queue_index = 0;
  h.lock_queue = [&dev] { dev.lock_queue(); };
  h.unlock_queue = [&dev] { dev.unlock_queue(); };
  return h;
}

vknn_host_device lend_c(host::Device& dev) {
  vknn_host_device h{};
  h.instance = host::instance().instance;
  h.physical_device = host::instance().physical;
  h.device = dev.device;
  h.api_version = VK_API_VERSION_1_2;
  h.timeline_semaphore_enabled = 1;
  h.queue_family = dev.family;
  h.queue_index = 0;
  h.lock_queue = [](void* d) { static_cast<host::Device*>(d)->lock_queue(); };
  h.unlock_queue = [](void* d) { static_cast<host::Device*>(d)->unlock_queue(); };
  h.user = &dev;
  return h;
}

std::vector<float> inputs(size_t n, uint32_t seed) {
  std::vector<float> v(n);
  uint32_t x = seed * 2654435761u + 12345u;
  for (auto& f : v) {
    x = x * 1664525u + 1013904223u;
    f = float(x >> 8) / float(1u << 23) - 1.0f;
  }
  return v;
}

void write_safetensors(const std::filesystem::path& path, const std::vector<NamedTensor>& tensors) {
  std::string header = "{";
  uint64_t offset = 0;
  std::vector<float> data;
  for (const auto& t : tensors) {
    int64_t n = 1;
    std::string shape;
    for (int64_t d : t.shape) {
      n *= d;
      shape += (shape.empty() ? "" : ",") + std::to_string(d);
    }
    if (header.size() > 1) header += ",";
    header += "\"" + t.name + "\":{\"dtype\":\"F32\",\"shape\":[" + shape + "],\"data_offsets\":[" +
              std::to_string(offset) + "," + std::to_string(offset + uint64_t(n) * 4) + "]}";
    offset += uint64_t(n) * 4;
    if (t.values.empty())
      data.insert(data.end(), size_t(n), 0.0f);
    else
      data.insert(data.end(), t.values.begin(), t.values.end());
  }
  header += "}";
  while (header.size() % 8) header += ' ';
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  const uint64_t len = header.size();  // little-endian, as are the targets
  out.write(reinterpret_cast<const char*>(&len), 8);
  out.write(header.data(), std::streamsize(header.size()));
  out.write(reinterpret_cast<const char*>(data.data()), std::streamsize(data.size() * 4));
  REQUIRE(out.good());
}

std::filesystem::path onnx_file(const std::string& name) {
  const std::filesystem::path p = std::filesystem::path(VKNN_API_ONNX_DIR) / name;
  if (!std::filesystem::is_regular_file(p)) {
    std::fprintf(stderr, "skipping: %s was not written (no PyTorch?)\n", p.string().c_str());
    std::_Exit(77);
  }
  return p;
}

std::map<std::string, std::vector<float>> read_safetensors(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  uint64_t len = 0;
  in.read(reinterpret_cast<char*>(&len), 8);
  REQUIRE_MESSAGE((in && len < (uint64_t(1) << 30)), path.string() << ": no safetensors header");
  std::string header(size_t(len), '\0');
  in.read(header.data(), std::streamsize(len));
  const std::string data((std::istreambuf_iterator<char>(in)), {});
  std::map<std::string, std::vector<float>> out;
  const nlohmann::json entries = nlohmann::json::parse(header);
  for (auto it = entries.begin(); it != entries.end(); ++it) {
    const std::string& name = it.key();
    const nlohmann::json& entry = it.value();
    if (name == "__metadata__") continue;
    REQUIRE_MESSAGE(entry.at("dtype") == "F32", path.string() << ": " << name << " is not F32");
    const auto a = entry.at("data_offsets")[0].get<size_t>(), b = entry.at("data_offsets")[1].get<size_t>();
    REQUIRE_MESSAGE((a <= b && b <= data.size()), path.string() << ": " << name << " lies outside the file");
    std::vector<float>& v = out[name];
    v.resize((b - a) / 4);
    std::memcpy(v.data(), data.data() + a, b - a);
  }
  return out;
}

std::vector<NamedTensor> lenet_weights(const std::vector<float>& bias, int64_t conv1_kernel) {
  return {{"conv1.weight", {6, 1, conv1_kernel, conv1_kernel}, {}},
          {"conv1.bias", {6}, {}},
          {"conv2.weight", {16, 6, 5, 5}, {}},
          {"conv2.bias", {16}, {}},
          {"fc1.weight", {120, 400}, {}},
          {"fc1.bias", {120}, {}},
          {"fc2.weight", {10, 120}, {}},
          {"fc2.bias", {10}, bias}};
}

namespace {
// The suite's temporary directory, removed at exit.
struct TempDir {
  std::filesystem::path path =
      std::filesystem::temp_directory_path() / ("vknn-api-tests-" + std::to_string(::getpid()));
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};
}  // namespace

std::filesystem::path temp_path(const std::string& name) {
  static TempDir dir;
  std::filesystem::create_directories(dir.path);
  return dir.path / name;
}

void check_status(vknn_status got, vknn_status code, std::initializer_list<std::string> parts) {
  const std::string m = vknn_last_error();
  CHECK_MESSAGE(got == code, vknn_status_name(got) << ", expected " << vknn_status_name(code) << ": " << m);
  for (const auto& p : parts) CHECK_MESSAGE(m.find(p) != std::string::npos, m << " (missing '" << p << "')");
}

std::string train_data() {
#ifdef VKNN_TEST_TRAIN_DATA
  if (std::filesystem::is_directory(VKNN_TEST_TRAIN_DATA)) return VKNN_TEST_TRAIN_DATA;
#endif
  return "";
}

std::vector<vknn::api::Evaluation> run_to_end(vknn::api::Trainer& t) {
  std::vector<vknn::api::Evaluation> v;
  while (!t.finished()) {
    const auto s = t.step();
    CHECK(std::isfinite(s.loss));
    if (s.epoch_done) v.push_back(t.end_epoch());
  }
  return v;
}

double max_rel_diff(const std::vector<float>& a, const std::vector<float>& b) {
  REQUIRE(a.size() == b.size());
  double worst = 0;
  for (size_t i = 0; i < a.size(); ++i)
    worst = std::max(worst, std::abs(double(a[i]) - double(b[i])) / std::max(1.0, std::abs(double(b[i]))));
  return worst;
}

void host_barrier(VkCommandBuffer cmd, VkPipelineStageFlags src, VkAccessFlags src_access, VkPipelineStageFlags dst,
                  VkAccessFlags dst_access) {
  VkMemoryBarrier mb{VK_STRUCTURE_TYPE_MEMORY_BARRIER};
  mb.srcAccessMask = src_access;
  mb.dstAccessMask = dst_access;
  vkCmdPipelineBarrier(cmd, src, dst, 0, 1, &mb, 0, nullptr, 0, nullptr);
}

}  // namespace apitest
