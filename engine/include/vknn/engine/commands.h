// Command recording. A CommandList records dispatches and copies into one command
// buffer and inserts the barriers each buffer range needs, from the last access to it
// (read-after-write, write-after-write and write-after-read hazards). It can be
// submitted many times once recorded. Recording errors are sticky and returned by end().
// A secondary list (Options::secondary) is recorded the same way but never submitted: a
// host's primary command buffer executes it with vkCmdExecuteCommands.
#pragma once

#include "vknn/engine/context.h"
#include "vknn/engine/memory.h"
#include "vknn/engine/pipeline.h"

#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

namespace vknn {

enum class Access { read, write, read_write };

struct Binding {
  BufferRef buffer;
  Access access = Access::read;
};

struct Timing {
  std::string label;
  double ms = 0;  // from this timestamp to the next one (or the end)
};

class CommandList {
 public:
  struct Options {
    uint32_t queue = 0;
    uint32_t max_timestamps = 0;  // 0: timestamps off
    // Insert barriers from the declared accesses. Only tests turn this off, to show that
    // the validation layer catches the missing barriers.
    bool derive_barriers = true;
    // A VK_COMMAND_BUFFER_LEVEL_SECONDARY buffer, begun with SIMULTANEOUS_USE (one
    // recording may sit in several primaries, pending at once) and an empty inheritance
    // (no render pass, no queries). It cannot be submitted (submit/run are contract
    // violations), takes no timestamps (max_timestamps must be 0), and end() adds no
    // host-visibility barrier: making results visible is the executing primary's job.
    // The leading barrier of begin() is kept: it orders the list after earlier commands
    // of the primary that executes it.
    bool secondary = false;
  };
  static Result<CommandList> create(Context& ctx, Options options);
  static Result<CommandList> create(Context& ctx) { return create(ctx, Options{}); }
  CommandList() = default;
  CommandList(CommandList&&) noexcept;
  CommandList& operator=(CommandList&&) noexcept;
  ~CommandList();

  // Starts (or restarts) recording; previous contents and descriptor sets are dropped.
  Status begin();

  // Binds, pushes and dispatches `groups` workgroups. Group counts over the device
  // limit are split into several vkCmdDispatchBase calls, invisible to the shader.
  CommandList& dispatch(ShaderId shader, std::span<const uint32_t> spec, std::initializer_list<Binding> bindings,
                        const void* push, uint32_t push_size, uint32_t gx, uint32_t gy = 1, uint32_t gz = 1);
  template <class Push>
  CommandList& dispatch(ShaderId shader, std::span<const uint32_t> spec, std::initializer_list<Binding> bindings,
                        const Push& push, uint32_t gx, uint32_t gy = 1, uint32_t gz = 1) {
    static_assert(sizeof(Push) <= kMaxPushConstantBytes);
    return dispatch(shader, spec, bindings, &push, sizeof(Push), gx, gy, gz);
  }
  CommandList& copy(const BufferRef& src, const BufferRef& dst);
  CommandList& fill(const BufferRef& dst, uint32_t value);
  // A full memory barrier, regardless of tracked hazards.
  CommandList& barrier();
  // Marks the start of a labelled region for timing (ignored when timestamps are off).
  CommandList& timestamp(std::string label);

  // Finishes recording: makes device writes visible to the host and returns the first
  // recording error, if any.
  Status end();

  // Submits to the list's queue; returns the timeline value that marks completion.
  Result<uint64_t> submit(std::span<const SemaphoreWait> waits = {});
  Status wait(uint64_t value, uint64_t timeout_ns = UINT64_MAX);
  // submit() then wait().
  Status run();

  // Per-label times of the last completed submission.
  Result<std::vector<Timing>> timings();

  VkCommandBuffer handle() const { return cmd_; }
  bool secondary() const { return options_.secondary; }
  Context& context() const { return *ctx_; }
  uint32_t barrier_count() const { return barriers_; }
  uint32_t dispatch_count() const { return dispatches_; }

 private:
  void track(const BufferRef& ref, Access access);
  void fail(Error e);
  void release();

  Context* ctx_ = nullptr;
  Options options_;
  VkCommandPool pool_ = VK_NULL_HANDLE;
  VkCommandBuffer cmd_ = VK_NULL_HANDLE;
  std::vector<VkDescriptorPool> descriptor_pools_;
  size_t pool_cursor_ = 0;
  uint32_t sets_in_pool_ = 0;
  uint64_t last_submit_ = 0;
  VkQueryPool query_pool_ = VK_NULL_HANDLE;
  std::vector<std::string> labels_;
  std::vector<BufferRef> pending_writes_, pending_reads_;  // since the last barrier
  bool recording_ = false;
  std::optional<Error> error_;
  uint32_t barriers_ = 0, dispatches_ = 0;
};

}  // namespace vknn
