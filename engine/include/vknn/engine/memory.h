// Buffers and memory. A Buffer owns one VkBuffer and its VkDeviceMemory; an Arena is
// a large Buffer that hands out aligned sub-ranges (BufferRef). Kernels and command
// lists only ever see BufferRefs.
#pragma once

#include "vknn/engine/result.h"

#include <vulkan/vulkan.h>

#include <cstdint>
#include <map>

namespace vknn {

class Context;

enum class MemoryKind {
  device,    // device-local; mapped too where the driver makes it host-visible (lavapipe, ReBAR)
  staging,   // host-visible and coherent, for uploads
  readback,  // host-visible, cached where possible, for downloads
};

// A range of a buffer, as bound to a descriptor. Offsets are multiples of the device's
// minStorageBufferOffsetAlignment when they come from an Arena.
struct BufferRef {
  VkBuffer buffer = VK_NULL_HANDLE;
  VkDeviceSize offset = 0;
  VkDeviceSize size = 0;
  void* mapped = nullptr;  // host pointer to `offset`, if the memory is mapped

  bool valid() const { return buffer != VK_NULL_HANDLE; }
  BufferRef sub(VkDeviceSize off, VkDeviceSize len) const;
  bool overlaps(const BufferRef& o) const {
    return buffer == o.buffer && offset < o.offset + o.size && o.offset < offset + size;
  }
};

class Buffer {
 public:
  // Out of memory is an Errc::out_of_memory error naming the size and the heap.
  static Result<Buffer> create(Context& ctx, VkDeviceSize size, MemoryKind kind = MemoryKind::device);
  // Wraps host memory the caller owns and keeps alive longer than the Buffer
  // (VK_EXT_external_memory_host): two devices importing the same host memory share it
  // without a copy. `host` and `size` must be multiples of host_import_alignment().
  // Errc::unsupported where the device did not enable the extension.
  static Result<Buffer> import_host(Context& ctx, void* host, VkDeviceSize size);
  // minImportedHostPointerAlignment, or 0 where importing is not available.
  static VkDeviceSize host_import_alignment(const Context& ctx);
  Buffer() = default;
  Buffer(Buffer&& o) noexcept;
  Buffer& operator=(Buffer&& o) noexcept;
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  ~Buffer();

  VkBuffer handle() const { return buffer_; }
  VkDeviceSize size() const { return size_; }
  void* mapped() const { return mapped_; }
  uint32_t heap() const { return heap_; }
  BufferRef ref() const { return {buffer_, 0, size_, mapped_}; }
  BufferRef ref(VkDeviceSize offset, VkDeviceSize size) const { return ref().sub(offset, size); }

 private:
  void reset();
  VkDevice device_ = VK_NULL_HANDLE;
  VkBuffer buffer_ = VK_NULL_HANDLE;
  VkDeviceMemory memory_ = VK_NULL_HANDLE;
  VkDeviceSize size_ = 0;
  void* mapped_ = nullptr;
  uint32_t heap_ = 0;
};

// First-fit sub-allocator over one large Buffer. Not thread-safe.
class Arena {
 public:
  static Result<Arena> create(Context& ctx, VkDeviceSize capacity, MemoryKind kind = MemoryKind::device);
  Arena() = default;

  // An aligned range, or Errc::out_of_memory naming the request and what is free.
  Result<BufferRef> allocate(VkDeviceSize size);
  void free(const BufferRef& ref);
  VkDeviceSize capacity() const { return buffer_.size(); }
  VkDeviceSize used() const { return used_; }
  VkDeviceSize alignment() const { return alignment_; }
  const Buffer& buffer() const { return buffer_; }

 private:
  Buffer buffer_;
  VkDeviceSize alignment_ = 256;
  VkDeviceSize used_ = 0;
  std::map<VkDeviceSize, VkDeviceSize> free_;  // offset -> size, coalesced
  std::map<VkDeviceSize, VkDeviceSize> live_;  // offset -> size
};

}  // namespace vknn
