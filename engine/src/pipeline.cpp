#include "vknn/engine/pipeline.h"

#include "vknn/engine/context.h"
#include "vknn/engine/file.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <unistd.h>

namespace vknn {
namespace {

constexpr uint32_t kSpirvMagic = 0x07230203;
constexpr uint32_t kOpExecutionMode = 16, kOpDecorate = 71;
constexpr uint32_t kDecorationBinding = 33, kExecutionModeLocalSize = 17;

std::string hex(const std::array<uint8_t, VK_UUID_SIZE>& u) {
  std::string s;
  for (uint8_t b : u) s += fmt::format("{:02x}", b);
  return s;
}

std::filesystem::path default_cache_dir() {
  if (const char* d = std::getenv("VKNN_PIPELINE_CACHE_DIR"); d && *d) return d;
  if (const char* d = std::getenv("XDG_CACHE_HOME"); d && *d) return std::filesystem::path(d) / "vknn";
  if (const char* d = std::getenv("HOME"); d && *d) return std::filesystem::path(d) / ".cache" / "vknn";
  return {};
}

std::string cache_header_problem(const std::vector<char>& data, const DeviceCaps& caps) {
  return pipeline_cache_header_problem({reinterpret_cast<const uint8_t*>(data.data()), data.size()}, caps.vendor_id,
                                       caps.device_id, caps.pipeline_cache_uuid);
}

}  // namespace

// Drivers must reject mismatches themselves (Vulkan spec 10.6.4), but a corrupt file is
// better refused before it reaches a driver.
std::string pipeline_cache_header_problem(std::span<const uint8_t> data, uint32_t vendor_id, uint32_t device_id,
                                          const std::array<uint8_t, VK_UUID_SIZE>& cache_uuid) {
  constexpr size_t kHeaderBytes = 16 + VK_UUID_SIZE;  // VkPipelineCacheHeaderVersionOne
  if (data.size() < kHeaderBytes) return fmt::format("{} bytes is too short for a cache header", data.size());
  uint32_t words[4];
  std::memcpy(words, data.data(), 16);
  if (words[0] < kHeaderBytes || words[0] > data.size()) return fmt::format("header size {} is invalid", words[0]);
  if (words[1] != VK_PIPELINE_CACHE_HEADER_VERSION_ONE) return fmt::format("header version {} is unknown", words[1]);
  if (words[2] != vendor_id || words[3] != device_id) return "it was written by another device";
  if (std::memcmp(data.data() + 16, cache_uuid.data(), VK_UUID_SIZE) != 0) return "it was written by another driver version";
  return {};
}

Result<SpirvInfo> reflect_spirv(std::span<const uint32_t> words) {
  if (words.size() < 5 || words[0] != kSpirvMagic)
    return make_error(Errc::parse, "not a SPIR-V module ({} words, magic {:#x})", words.size(),
                      words.empty() ? 0u : words[0]);
  SpirvInfo info;
  for (size_t i = 5; i < words.size();) {
    const uint32_t count = words[i] >> 16, op = words[i] & 0xffff;
    if (count == 0 || i + count > words.size()) return make_error(Errc::parse, "truncated SPIR-V instruction at word {}", i);
    if (op == kOpDecorate && count >= 4 && words[i + 2] == kDecorationBinding)
      info.binding_count = std::max(info.binding_count, words[i + 3] + 1);
    if (op == kOpExecutionMode && count >= 6 && words[i + 2] == kExecutionModeLocalSize)
      for (int d = 0; d < 3; ++d) info.local_size[d] = words[i + 3 + d];
    i += count;
  }
  return info;
}

Result<std::unique_ptr<PipelineCache>> PipelineCache::create(Context& ctx, const std::string& dir) {
  std::unique_ptr<PipelineCache> pc(new PipelineCache());
  pc->ctx_ = &ctx;
  std::filesystem::path d = dir.empty() ? default_cache_dir() : std::filesystem::path(dir);
  if (d == "-") d.clear();  // "-" disables the disk cache, from the option or the environment
  std::vector<char> data;
  if (!d.empty()) {
    const auto& c = ctx.caps();
    pc->path_ = d / fmt::format("pipelines-{:04x}-{:04x}-{}.bin", c.vendor_id, c.device_id, hex(c.driver_uuid));
    // The disk cache only saves time: anything wrong with its folder or file (a file where
    // the folder should be, a directory where the file should be, no permission) is a
    // warning, and the run goes on without it.
    std::error_code ec;
    if (std::filesystem::exists(d, ec) && !std::filesystem::is_directory(d, ec)) {
      std::fprintf(stderr, "vknn: warning: pipeline cache folder %s is not a directory; running without the disk cache\n",
                   d.c_str());
      pc->path_.clear();
    } else if (std::filesystem::exists(pc->path_, ec)) {
      auto bytes = read_file_bytes(pc->path_);
      if (!bytes.ok()) {
        std::fprintf(stderr, "vknn: warning: %s; running without the disk cache\n", bytes.error().message.c_str());
        pc->path_.clear();
      } else {
        data.assign(bytes->begin(), bytes->end());
        if (auto why = cache_header_problem(data, c); !why.empty()) {
          std::fprintf(stderr, "vknn: warning: ignoring pipeline cache %s: %s\n", pc->path_.c_str(), why.c_str());
          data.clear();
        }
      }
    }
  }
  VkPipelineCacheCreateInfo ci{VK_STRUCTURE_TYPE_PIPELINE_CACHE_CREATE_INFO};
  ci.initialDataSize = data.size();
  ci.pInitialData = data.empty() ? nullptr : data.data();
  VkResult r = vkCreatePipelineCache(ctx.device(), &ci, nullptr, &pc->cache_);
  if (r != VK_SUCCESS && !data.empty()) {
    std::fprintf(stderr, "vknn: warning: ignoring pipeline cache %s: the driver refused it (%s)\n", pc->path_.c_str(),
                 vk_result_name(r));
    ci.initialDataSize = 0;
    ci.pInitialData = nullptr;
    data.clear();
    r = vkCreatePipelineCache(ctx.device(), &ci, nullptr, &pc->cache_);
  }
  if (r != VK_SUCCESS) return vk_error(r, "vkCreatePipelineCache");
  pc->loaded_ = !data.empty();
  return pc;
}

PipelineCache::~PipelineCache() {
  if (!ctx_) return;
  if (!path_.empty()) {
    if (auto s = save(); !s.ok()) std::fprintf(stderr, "vknn: warning: %s\n", s.error().what().c_str());
  }
  VkDevice dev = ctx_->device();
  for (auto& [key, p] : pipelines_) {
    vkDestroyPipeline(dev, p->pipeline, nullptr);
    vkDestroyPipelineLayout(dev, p->layout, nullptr);
    vkDestroyDescriptorSetLayout(dev, p->set_layout, nullptr);
  }
  vkDestroyPipelineCache(dev, cache_, nullptr);
}

Status PipelineCache::save() {
  if (path_.empty()) return {};
  size_t size = 0;
  VKNN_VK(vkGetPipelineCacheData(ctx_->device(), cache_, &size, nullptr));
  std::vector<char> data(size);
  VKNN_VK(vkGetPipelineCacheData(ctx_->device(), cache_, &size, data.data()));
  std::error_code ec;
  std::filesystem::create_directories(path_.parent_path(), ec);
  if (ec) return make_error(Errc::io, "creating the pipeline cache directory {}: {}", path_.parent_path().string(), ec.message());
  // Atomic, so a crash never leaves a half-written cache behind.
  return write_file_atomic(path_, {reinterpret_cast<const uint8_t*>(data.data()), size});
}

Result<const Pipeline*> PipelineCache::get(ShaderId shader, std::span<const uint32_t> spec) {
  std::lock_guard lock(mutex_);
  auto key = std::make_pair(uint32_t(shader), std::vector<uint32_t>(spec.begin(), spec.end()));
  if (auto it = pipelines_.find(key); it != pipelines_.end()) return it->second.get();

  const auto words = shader_spirv(shader);
  VKNN_ASSIGN(SpirvInfo info, reflect_spirv(words));
  VkDevice dev = ctx_->device();
  auto p = std::make_unique<Pipeline>();
  p->shader = shader;
  p->binding_count = info.binding_count;
  std::memcpy(p->local_size, info.local_size, sizeof(p->local_size));

  std::vector<VkDescriptorSetLayoutBinding> bindings(info.binding_count);
  for (uint32_t i = 0; i < info.binding_count; ++i)
    bindings[i] = {i, VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, 1, VK_SHADER_STAGE_COMPUTE_BIT, nullptr};
  VkDescriptorSetLayoutCreateInfo dl{VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO};
  dl.bindingCount = info.binding_count;
  dl.pBindings = bindings.data();
  VKNN_VK(vkCreateDescriptorSetLayout(dev, &dl, nullptr, &p->set_layout));

  VkPushConstantRange range{VK_SHADER_STAGE_COMPUTE_BIT, 0, kMaxPushConstantBytes};
  VkPipelineLayoutCreateInfo pl{VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO};
  pl.setLayoutCount = 1;
  pl.pSetLayouts = &p->set_layout;
  pl.pushConstantRangeCount = 1;
  pl.pPushConstantRanges = &range;
  VkResult r = vkCreatePipelineLayout(dev, &pl, nullptr, &p->layout);
  if (r != VK_SUCCESS) {
    vkDestroyDescriptorSetLayout(dev, p->set_layout, nullptr);
    return vk_error(r, "vkCreatePipelineLayout", shader_name(shader));
  }

  VkShaderModuleCreateInfo sm{VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO};
  sm.codeSize = words.size() * 4;
  sm.pCode = words.data();
  VkShaderModule module = VK_NULL_HANDLE;
  r = vkCreateShaderModule(dev, &sm, nullptr, &module);
  std::vector<VkSpecializationMapEntry> entries(spec.size());
  for (uint32_t i = 0; i < spec.size(); ++i) entries[i] = {i, i * 4, 4};
  VkSpecializationInfo si{uint32_t(entries.size()), entries.data(), spec.size() * 4, spec.data()};
  VkComputePipelineCreateInfo ci{VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO};
  // DISPATCH_BASE lets the recorder split group counts over the device limit.
  ci.flags = VK_PIPELINE_CREATE_DISPATCH_BASE_BIT;
  ci.stage = {VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO};
  ci.stage.stage = VK_SHADER_STAGE_COMPUTE_BIT;
  ci.stage.module = module;
  ci.stage.pName = "main";
  ci.stage.pSpecializationInfo = spec.empty() ? nullptr : &si;
  ci.layout = p->layout;
  if (r == VK_SUCCESS) r = vkCreateComputePipelines(dev, cache_, 1, &ci, nullptr, &p->pipeline);
  if (module) vkDestroyShaderModule(dev, module, nullptr);
  if (r != VK_SUCCESS) {
    vkDestroyPipelineLayout(dev, p->layout, nullptr);
    vkDestroyDescriptorSetLayout(dev, p->set_layout, nullptr);
    return vk_error(r, "vkCreateComputePipelines", shader_name(shader));
  }
  const Pipeline* out = p.get();
  pipelines_.emplace(std::move(key), std::move(p));
  return out;
}

}  // namespace vknn
