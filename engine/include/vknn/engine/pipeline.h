// Compute pipelines made from the embedded SPIR-V, keyed by (shader, specialization
// constants), and a VkPipelineCache persisted on disk per device and driver.
#pragma once

#include "vknn/engine/result.h"
#include "vknn/shader_ids.h"

#include <vulkan/vulkan.h>

#include <array>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

namespace vknn {

class Context;

// Every vknn shader binds storage buffers 0..binding_count-1 in set 0 and takes at most
// kMaxPushConstantBytes of push constants.
inline constexpr uint32_t kMaxPushConstantBytes = 128;

struct Pipeline {
  ShaderId shader{};
  VkPipeline pipeline = VK_NULL_HANDLE;
  VkPipelineLayout layout = VK_NULL_HANDLE;
  VkDescriptorSetLayout set_layout = VK_NULL_HANDLE;
  uint32_t binding_count = 0;
  uint32_t local_size[3] = {1, 1, 1};  // as compiled (before specialization)
};

// What the engine needs to know about a SPIR-V compute module.
struct SpirvInfo {
  uint32_t binding_count = 0;  // highest Binding decoration in set 0, plus one
  uint32_t local_size[3] = {1, 1, 1};
};
Result<SpirvInfo> reflect_spirv(std::span<const uint32_t> words);

// Why a pipeline-cache blob read from disk must not reach the driver: its
// VkPipelineCacheHeaderVersionOne is short, inconsistent with the blob's size, of another
// version, or from another device (vendor, device id) or driver (cache UUID). Empty if none.
std::string pipeline_cache_header_problem(std::span<const uint8_t> data, uint32_t vendor_id, uint32_t device_id,
                                          const std::array<uint8_t, VK_UUID_SIZE>& cache_uuid);

class PipelineCache {
 public:
  // `dir` empty or "-": no disk cache. A cache file that is corrupt or from another
  // device or driver is ignored with a warning on stderr.
  static Result<std::unique_ptr<PipelineCache>> create(Context& ctx, const std::string& dir);
  ~PipelineCache();

  Result<const Pipeline*> get(ShaderId shader, std::span<const uint32_t> spec);
  // Writes the cache file atomically (temporary file, then rename).
  Status save();
  const std::filesystem::path& path() const { return path_; }
  bool loaded_from_disk() const { return loaded_; }
  size_t size() const { return pipelines_.size(); }

 private:
  PipelineCache() = default;
  Context* ctx_ = nullptr;
  VkPipelineCache cache_ = VK_NULL_HANDLE;
  std::filesystem::path path_;
  bool loaded_ = false;
  std::mutex mutex_;
  std::map<std::pair<uint32_t, std::vector<uint32_t>>, std::unique_ptr<Pipeline>> pipelines_;
};

}  // namespace vknn
