#include "helpers.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>

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
