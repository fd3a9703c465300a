#include "vknn/engine/commands.h"

#include "vknn/engine/dispatch_trace.h"

#include <algorithm>

namespace vknn {
namespace {

constexpr uint32_t kSetsPerPool = 64;
constexpr uint32_t kDescriptorsPerSet = 8;  // average; pools are per list, so this only sizes growth

constexpr VkPipelineStageFlags kDeviceStages = VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT;
constexpr VkAccessFlags kDeviceWrites = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT;
constexpr VkAccessFlags kDeviceAccess =
    VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_READ_BIT | VK_ACCESS_TRANSFER_WRITE_BIT;

thread_local DispatchTrace* t_trace = nullptr;

bool overlaps_any(const std::vector<BufferRef>& list, const BufferRef& r) {
  return std::any_of(list.begin(), list.end(), [&](const BufferRef& o) { return o.overlaps(r); });
}

}  // namespace

DispatchTrace::DispatchTrace() : outer_(t_trace) { t_trace = this; }
DispatchTrace::~DispatchTrace() { t_trace = outer_; }
void DispatchTrace::note(ShaderId id) {
  if (t_trace) t_trace->shaders_.push_back(id);
}

Result<CommandList> CommandList::create(Context& ctx, Options options) {
  if (options.queue >= ctx.queue_count())
    return make_error(Errc::invalid_argument, "CommandList: queue {} requested, the context has {}", options.queue,
                      ctx.queue_count());
  if (options.secondary && options.max_timestamps > 0)
    return make_error(Errc::invalid_argument,
                      "CommandList: a secondary list takes no timestamps (max_timestamps {} requested)",
                      options.max_timestamps);
  CommandList cl;
  cl.ctx_ = &ctx;
  cl.options_ = options;
  const uint32_t family = ctx.queue(options.queue).family();
  VkCommandPoolCreateInfo pci{VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO};
  pci.flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT;
  pci.queueFamilyIndex = family;
  VKNN_VK(vkCreateCommandPool(ctx.device(), &pci, nullptr, &cl.pool_));
  VkCommandBufferAllocateInfo ai{VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO};
  ai.commandPool = cl.pool_;
  ai.level = options.secondary ? VK_COMMAND_BUFFER_LEVEL_SECONDARY : VK_COMMAND_BUFFER_LEVEL_PRIMARY;
  ai.commandBufferCount = 1;
  VKNN_VK(vkAllocateCommandBuffers(ctx.device(), &ai, &cl.cmd_));
  if (options.max_timestamps > 0 && ctx.caps().queue_families[family].timestamp_valid_bits > 0) {
    VkQueryPoolCreateInfo qi{VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO};
    qi.queryType = VK_QUERY_TYPE_TIMESTAMP;
    qi.queryCount = options.max_timestamps + 1;  // +1 for the closing stamp
    VKNN_VK(vkCreateQueryPool(ctx.device(), &qi, nullptr, &cl.query_pool_));
  }
  return cl;
}

CommandList::CommandList(CommandList&& o) noexcept { *this = std::move(o); }

CommandList& CommandList::operator=(CommandList&& o) noexcept {
  if (this != &o) {
    release();
    ctx_ = std::exchange(o.ctx_, nullptr);
    options_ = o.options_;
    pool_ = std::exchange(o.pool_, VK_NULL_HANDLE);
    cmd_ = std::exchange(o.cmd_, VK_NULL_HANDLE);
    descriptor_pools_ = std::move(o.descriptor_pools_);
    o.descriptor_pools_.clear();
    pool_cursor_ = o.pool_cursor_;
    sets_in_pool_ = o.sets_in_pool_;
    query_pool_ = std::exchange(o.query_pool_, VK_NULL_HANDLE);
    labels_ = std::move(o.labels_);
    pending_writes_ = std::move(o.pending_writes_);
    pending_reads_ = std::move(o.pending_reads_);
    recording_ = o.recording_;
    error_ = std::move(o.error_);
    barriers_ = o.barriers_;
    dispatches_ = o.dispatches_;
    last_submit_ = o.last_submit_;
  }
  return *this;
}

CommandList::~CommandList() { release(); }

void CommandList::release() {
  if (!ctx_) return;
  VkDevice dev = ctx_->device();
  // Never free a command buffer the GPU may still be running.
  if (last_submit_ && !ctx_->lost()) (void)ctx_->queue(options_.queue).wait(last_submit_);
  for (auto p : descriptor_pools_) vkDestroyDescriptorPool(dev, p, nullptr);
  descriptor_pools_.clear();
  if (query_pool_) vkDestroyQueryPool(dev, query_pool_, nullptr);
  if (pool_) vkDestroyCommandPool(dev, pool_, nullptr);  // frees cmd_
  query_pool_ = VK_NULL_HANDLE;
  pool_ = VK_NULL_HANDLE;
  cmd_ = VK_NULL_HANDLE;
  ctx_ = nullptr;
}

void CommandList::fail(Error e) {
  if (!error_) error_ = std::move(e);
}

Status CommandList::begin() {
  VKNN_CHECK(ctx_, "CommandList::begin on an empty CommandList");
  if (last_submit_) VKNN_TRY(ctx_->queue(options_.queue).wait(last_submit_));
  VKNN_VK(vkResetCommandBuffer(cmd_, 0));
  for (auto p : descriptor_pools_) VKNN_VK(vkResetDescriptorPool(ctx_->device(), p, 0));
  sets_in_pool_ = 0;
  pool_cursor_ = 0;
  labels_.clear();
  pending_writes_.clear();
  pending_reads_.clear();
  error_.reset();
  barriers_ = dispatches_ = 0;
  VkCommandBufferBeginInfo bi{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
  // A secondary needs pInheritanceInfo (VUID-vkBeginCommandBuffer-commandBuffer-00051);
  // all-null: it is executed outside any render pass and with no query active.
  VkCommandBufferInheritanceInfo inherit{VK_STRUCTURE_TYPE_COMMAND_BUFFER_INHERITANCE_INFO};
  if (options_.secondary) {
    bi.flags = VK_COMMAND_BUFFER_USAGE_SIMULTANEOUS_USE_BIT;
    bi.pInheritanceInfo = &inherit;
  }
  VKNN_VK(vkBeginCommandBuffer(cmd_, &bi));
  recording_ = true;
  if (query_pool_) vkCmdResetQueryPool(cmd_, query_pool_, 0, options_.max_timestamps + 1);
  // Order this submission after whatever ran before on the device: the same list may be
  // replayed back to back, and queue submission order alone makes no memory dependency.
  VkMemoryBarrier mb{VK_STRUCTURE_TYPE_MEMORY_BARRIER};
  mb.srcAccessMask = kDeviceWrites;
  mb.dstAccessMask = kDeviceAccess;
  vkCmdPipelineBarrier(cmd_, kDeviceStages, kDeviceStages, 0, 1, &mb, 0, nullptr, 0, nullptr);
  return {};
}

CommandList& CommandList::barrier() {
  if (!recording_) return *this;
  VkMemoryBarrier mb{VK_STRUCTURE_TYPE_MEMORY_BARRIER};
  mb.srcAccessMask = kDeviceWrites;
  mb.dstAccessMask = kDeviceAccess;
  vkCmdPipelineBarrier(cmd_, kDeviceStages, kDeviceStages, 0, 1, &mb, 0, nullptr, 0, nullptr);
  pending_writes_.clear();
  pending_reads_.clear();
  ++barriers_;
  return *this;
}

void CommandList::track(const BufferRef& ref, Access access) {
  if (access != Access::read) pending_writes_.push_back(ref);
  if (access != Access::write) pending_reads_.push_back(ref);
}

namespace {
// True if an access to `ref` must wait for earlier accesses recorded since the last barrier.
bool hazard(const std::vector<BufferRef>& writes, const std::vector<BufferRef>& reads, const BufferRef& ref,
            Access access) {
  if (overlaps_any(writes, ref)) return true;                    // RAW or WAW
  return access != Access::read && overlaps_any(reads, ref);    // WAR
}
}  // namespace

CommandList& CommandList::dispatch(ShaderId shader, std::span<const uint32_t> spec,
                                   std::initializer_list<Binding> bindings, const void* push, uint32_t push_size,
                                   uint32_t gx, uint32_t gy, uint32_t gz) {
  if (error_) return *this;
  VKNN_CHECK(recording_, "dispatch of {} outside begin()/end()", shader_name(shader));
  auto pipe = ctx_->pipeline(shader, spec);
  if (!pipe.ok()) {
    fail(pipe.error());
    return *this;
  }
  const Pipeline& p = **pipe;
  VKNN_CHECK(bindings.size() == p.binding_count, "{} takes {} buffers, {} were bound", shader_name(shader),
             p.binding_count, bindings.size());
  VKNN_CHECK(push_size <= kMaxPushConstantBytes, "{}: push constants of {} bytes", shader_name(shader), push_size);
  if (gx == 0 || gy == 0 || gz == 0) return *this;  // nothing to do (an empty tensor)
  DispatchTrace::note(shader);

  bool need_barrier = false;
  for (const auto& b : bindings) {
    VKNN_CHECK(b.buffer.valid() && b.buffer.size > 0, "{}: binding of an empty buffer range", shader_name(shader));
    need_barrier = need_barrier || hazard(pending_writes_, pending_reads_, b.buffer, b.access);
  }
  if (need_barrier && options_.derive_barriers) barrier();
  for (const auto& b : bindings) track(b.buffer, b.access);

  // Descriptor set from the current pool, growing the pool list as needed.
  VkDevice dev = ctx_->device();
  if (pool_cursor_ >= descriptor_pools_.size() || sets_in_pool_ >= kSetsPerPool) {
    if (pool_cursor_ < descriptor_pools_.size()) ++pool_cursor_;
    if (pool_cursor_ >= descriptor_pools_.size()) {
      VkDescriptorPoolSize size{VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, kSetsPerPool * kDescriptorsPerSet * 2};
      VkDescriptorPoolCreateInfo dp{VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO};
      dp.maxSets = kSetsPerPool;
      dp.poolSizeCount = 1;
      dp.pPoolSizes = &size;
      VkDescriptorPool pool;
      if (VkResult r = vkCreateDescriptorPool(dev, &dp, nullptr, &pool); r != VK_SUCCESS) {
        fail(vk_error(r, "vkCreateDescriptorPool"));
        return *this;
      }
      descriptor_pools_.push_back(pool);
    }
    sets_in_pool_ = 0;
  }
  VkDescriptorSetAllocateInfo ai{VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO};
  ai.descriptorPool = descriptor_pools_[pool_cursor_];
  ai.descriptorSetCount = 1;
  ai.pSetLayouts = &p.set_layout;
  VkDescriptorSet set;
  if (VkResult r = vkAllocateDescriptorSets(dev, &ai, &set); r != VK_SUCCESS) {
    fail(vk_error(r, "vkAllocateDescriptorSets", shader_name(shader)));
    return *this;
  }
  ++sets_in_pool_;
  std::vector<VkDescriptorBufferInfo> infos;
  std::vector<VkWriteDescriptorSet> writes;
  infos.reserve(bindings.size());
  for (const auto& b : bindings) {
    infos.push_back({b.buffer.buffer, b.buffer.offset, b.buffer.size});
    VkWriteDescriptorSet w{VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET};
    w.dstSet = set;
    w.dstBinding = uint32_t(writes.size());
    w.descriptorCount = 1;
    w.descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
    w.pBufferInfo = &infos.back();
    writes.push_back(w);
  }
  vkUpdateDescriptorSets(dev, uint32_t(writes.size()), writes.data(), 0, nullptr);

  vkCmdBindPipeline(cmd_, VK_PIPELINE_BIND_POINT_COMPUTE, p.pipeline);
  vkCmdBindDescriptorSets(cmd_, VK_PIPELINE_BIND_POINT_COMPUTE, p.layout, 0, 1, &set, 0, nullptr);
  if (push_size) vkCmdPushConstants(cmd_, p.layout, VK_SHADER_STAGE_COMPUTE_BIT, 0, push_size, push);

  // Split counts over maxComputeWorkGroupCount; gl_WorkGroupID still runs 0..g-1
  // because vkCmdDispatchBase offsets it. Within the limit, plain vkCmdDispatch: the
  // synchronization validation of the Vulkan-ValidationLayers does not track
  // vkCmdDispatchBase (KhronosGroup/Vulkan-ValidationLayers#9851), and we want every
  // ordinary dispatch checked.
  const uint32_t* lim = ctx_->caps().max_workgroup_count;
  if (gx <= lim[0] && gy <= lim[1] && gz <= lim[2]) {
    vkCmdDispatch(cmd_, gx, gy, gz);
    ++dispatches_;
    return *this;
  }
  for (uint32_t z = 0; z < gz; z += lim[2])
    for (uint32_t y = 0; y < gy; y += lim[1])
      for (uint32_t x = 0; x < gx; x += lim[0]) {
        vkCmdDispatchBase(cmd_, x, y, z, std::min(lim[0], gx - x), std::min(lim[1], gy - y), std::min(lim[2], gz - z));
        ++dispatches_;
      }
  return *this;
}

CommandList& CommandList::copy(const BufferRef& src, const BufferRef& dst) {
  if (error_) return *this;
  VKNN_CHECK(recording_, "copy outside begin()/end()");
  VKNN_CHECK(src.size <= dst.size, "copy of {} bytes into {} bytes", src.size, dst.size);
  if (hazard(pending_writes_, pending_reads_, src, Access::read) ||
      hazard(pending_writes_, pending_reads_, dst, Access::write))
    barrier();
  track(src, Access::read);
  track(dst, Access::write);
  VkBufferCopy region{src.offset, dst.offset, src.size};
  vkCmdCopyBuffer(cmd_, src.buffer, dst.buffer, 1, &region);
  return *this;
}

CommandList& CommandList::fill(const BufferRef& dst, uint32_t value) {
  if (error_) return *this;
  VKNN_CHECK(recording_, "fill outside begin()/end()");
  VKNN_CHECK(dst.offset % 4 == 0 && dst.size % 4 == 0, "fill of a range not aligned to 4 bytes ({}+{})", dst.offset,
             dst.size);
  if (hazard(pending_writes_, pending_reads_, dst, Access::write)) barrier();
  track(dst, Access::write);
  vkCmdFillBuffer(cmd_, dst.buffer, dst.offset, dst.size, value);
  return *this;
}

CommandList& CommandList::timestamp(std::string label) {
  if (!query_pool_ || !recording_ || labels_.size() >= options_.max_timestamps) return *this;
  vkCmdWriteTimestamp(cmd_, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, query_pool_, uint32_t(labels_.size()));
  labels_.push_back(std::move(label));
  return *this;
}

Status CommandList::end() {
  VKNN_CHECK(recording_, "CommandList::end without begin");
  recording_ = false;
  if (query_pool_ && !labels_.empty())
    vkCmdWriteTimestamp(cmd_, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, query_pool_, uint32_t(labels_.size()));
  // Make every device write available to the host, which reads mapped results. A secondary
  // leaves that to the primary that executes it.
  if (!options_.secondary) {
    VkMemoryBarrier mb{VK_STRUCTURE_TYPE_MEMORY_BARRIER};
    mb.srcAccessMask = kDeviceWrites;
    mb.dstAccessMask = VK_ACCESS_HOST_READ_BIT;
    vkCmdPipelineBarrier(cmd_, kDeviceStages, VK_PIPELINE_STAGE_HOST_BIT, 0, 1, &mb, 0, nullptr, 0, nullptr);
  }
  VkResult r = vkEndCommandBuffer(cmd_);
  if (error_) return *error_;
  if (r != VK_SUCCESS) return vk_error(r, "vkEndCommandBuffer");
  return {};
}

Result<uint64_t> CommandList::submit(std::span<const SemaphoreWait> waits) {
  VKNN_CHECK(!recording_, "submit while still recording; call end() first");
  VKNN_CHECK(!options_.secondary, "submit of a secondary list; a primary must execute it (vkCmdExecuteCommands)");
  VKNN_ASSIGN(last_submit_, ctx_->queue(options_.queue).submit({&cmd_, 1}, waits));
  return last_submit_;
}

Status CommandList::wait(uint64_t value, uint64_t timeout_ns) {
  return ctx_->queue(options_.queue).wait(value, timeout_ns);
}

Status CommandList::run() {
  VKNN_ASSIGN(uint64_t v, submit());
  return wait(v);
}

Result<std::vector<Timing>> CommandList::timings() {
  std::vector<Timing> out;
  if (!query_pool_ || labels_.empty()) return out;
  const uint32_t n = uint32_t(labels_.size()) + 1;
  std::vector<uint64_t> ticks(n);
  VkResult r = vkGetQueryPoolResults(ctx_->device(), query_pool_, 0, n, n * sizeof(uint64_t), ticks.data(),
                                     sizeof(uint64_t), VK_QUERY_RESULT_64_BIT | VK_QUERY_RESULT_WAIT_BIT);
  if (r != VK_SUCCESS) return vk_error(r, "vkGetQueryPoolResults");
  const uint32_t bits = ctx_->caps().queue_families[ctx_->queue(options_.queue).family()].timestamp_valid_bits;
  const uint64_t mask = bits >= 64 ? ~0ull : ((1ull << bits) - 1);
  const double period = ctx_->caps().timestamp_period_ns;
  for (uint32_t i = 0; i + 1 < n; ++i)
    out.push_back({labels_[i], double((ticks[i + 1] - ticks[i]) & mask) * period * 1e-6});
  return out;
}

}  // namespace vknn
