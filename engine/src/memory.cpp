#include "vknn/engine/memory.h"

#include "vknn/engine/context.h"

namespace vknn {

BufferRef BufferRef::sub(VkDeviceSize off, VkDeviceSize len) const {
  VKNN_CHECK(off + len <= size, "sub-range [{}, {}) of a {}-byte buffer range", off, off + len, size);
  return {buffer, offset + off, len, mapped ? static_cast<uint8_t*>(mapped) + off : nullptr};
}

namespace {

struct MemoryChoice {
  uint32_t type = UINT32_MAX;
  bool map = false;
};

MemoryChoice choose_memory(const VkPhysicalDeviceMemoryProperties& props, uint32_t allowed, MemoryKind kind,
                           bool force_staging) {
  auto find = [&](VkMemoryPropertyFlags want) -> uint32_t {
    for (uint32_t i = 0; i < props.memoryTypeCount; ++i)
      if ((allowed & (1u << i)) && (props.memoryTypes[i].propertyFlags & want) == want) return i;
    return UINT32_MAX;
  };
  const VkMemoryPropertyFlags visible = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
  MemoryChoice c;
  switch (kind) {
    case MemoryKind::device:
      c.type = find(VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT);
      if (c.type == UINT32_MAX) c.type = find(0);
      // Map device memory only where it is also coherent host memory (UMA, ReBAR).
      c.map = !force_staging && (props.memoryTypes[c.type].propertyFlags & visible) == visible;
      break;
    case MemoryKind::staging:
      c.type = find(visible);
      c.map = true;
      break;
    case MemoryKind::readback:
      c.type = find(visible | VK_MEMORY_PROPERTY_HOST_CACHED_BIT);
      if (c.type == UINT32_MAX) c.type = find(visible);
      c.map = true;
      break;
  }
  return c;
}

const char* kind_name(MemoryKind k) {
  switch (k) {
    case MemoryKind::device: return "device";
    case MemoryKind::staging: return "staging";
    case MemoryKind::readback: return "readback";
  }
  return "?";
}

}  // namespace

Result<Buffer> Buffer::create(Context& ctx, VkDeviceSize size, MemoryKind kind) {
  if (size == 0) return make_error(Errc::invalid_argument, "Buffer::create: a buffer of 0 bytes was requested");
  Buffer b;
  b.device_ = ctx.device();
  b.size_ = size;
  const auto& caps = ctx.caps();
  if (caps.max_memory_allocation_size && size > caps.max_memory_allocation_size)
    return make_error(Errc::out_of_memory,
                      "allocating {} bytes ({:.1f} MiB) of {} memory: over the device's maxMemoryAllocationSize of {} bytes",
                      size, double(size) / (1 << 20), kind_name(kind), caps.max_memory_allocation_size);

  VkBufferCreateInfo bci{VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO};
  bci.size = size;
  bci.usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT;
  bci.sharingMode = VK_SHARING_MODE_EXCLUSIVE;
  VKNN_VK(vkCreateBuffer(b.device_, &bci, nullptr, &b.buffer_));

  VkMemoryRequirements req;
  vkGetBufferMemoryRequirements(b.device_, b.buffer_, &req);
  VkPhysicalDeviceMemoryProperties props;
  vkGetPhysicalDeviceMemoryProperties(ctx.physical_device(), &props);
  MemoryChoice choice = choose_memory(props, req.memoryTypeBits, kind, ctx.force_staging());
  if (choice.type == UINT32_MAX)
    return make_error(Errc::unsupported, "no memory type fits a {}-byte {} buffer", size, kind_name(kind));
  b.heap_ = props.memoryTypes[choice.type].heapIndex;
  const VkDeviceSize heap_size = props.memoryHeaps[b.heap_].size;
  if (req.size > heap_size)
    return make_error(Errc::out_of_memory, "allocating {} bytes ({:.1f} MiB) of {} memory: heap {} holds only {} bytes",
                      req.size, double(req.size) / (1 << 20), kind_name(kind), b.heap_, heap_size);

  VkMemoryAllocateInfo mai{VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO};
  mai.allocationSize = req.size;
  mai.memoryTypeIndex = choice.type;
  VkResult r = vkAllocateMemory(b.device_, &mai, nullptr, &b.memory_);
  if (r != VK_SUCCESS) {
    Error e = vk_error(r, "vkAllocateMemory",
                       fmt::format("{} bytes ({:.1f} MiB) of {} memory from heap {} of {} bytes", req.size,
                                   double(req.size) / (1 << 20), kind_name(kind), b.heap_, heap_size));
    if (r == VK_ERROR_DEVICE_LOST) ctx.mark_lost();
    return e;
  }
  VKNN_VK(vkBindBufferMemory(b.device_, b.buffer_, b.memory_, 0));
  if (choice.map) VKNN_VK(vkMapMemory(b.device_, b.memory_, 0, VK_WHOLE_SIZE, 0, &b.mapped_));
  return b;
}

VkDeviceSize Buffer::host_import_alignment(const Context& ctx) {
  if (!ctx.caps().external_memory_host) return 0;
  VkPhysicalDeviceExternalMemoryHostPropertiesEXT host{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_EXTERNAL_MEMORY_HOST_PROPERTIES_EXT};
  VkPhysicalDeviceProperties2 props{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2, &host};
  vkGetPhysicalDeviceProperties2(ctx.physical_device(), &props);
  return host.minImportedHostPointerAlignment;
}

Result<Buffer> Buffer::import_host(Context& ctx, void* host, VkDeviceSize size) {
  const VkDeviceSize align = host_import_alignment(ctx);
  if (align == 0)
    return make_error(Errc::unsupported, "importing host memory: {} does not have VK_EXT_external_memory_host enabled",
                      ctx.caps().name);
  if (!host || size == 0 || reinterpret_cast<uintptr_t>(host) % align != 0 || size % align != 0)
    return make_error(Errc::invalid_argument, "importing host memory: pointer {} and size {} must be non-zero multiples of {}",
                      host, size, align);
  auto get_props = reinterpret_cast<PFN_vkGetMemoryHostPointerPropertiesEXT>(
      vkGetDeviceProcAddr(ctx.device(), "vkGetMemoryHostPointerPropertiesEXT"));
  if (!get_props) return make_error(Errc::unsupported, "vkGetMemoryHostPointerPropertiesEXT is not available");
  Buffer b;
  b.device_ = ctx.device();
  b.size_ = size;
  VkExternalMemoryBufferCreateInfo ext{VK_STRUCTURE_TYPE_EXTERNAL_MEMORY_BUFFER_CREATE_INFO};
  ext.handleTypes = VK_EXTERNAL_MEMORY_HANDLE_TYPE_HOST_ALLOCATION_BIT_EXT;
  VkBufferCreateInfo bci{VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO, &ext};
  bci.size = size;
  bci.usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT;
  bci.sharingMode = VK_SHARING_MODE_EXCLUSIVE;
  VKNN_VK(vkCreateBuffer(b.device_, &bci, nullptr, &b.buffer_));
  VkMemoryHostPointerPropertiesEXT hp{VK_STRUCTURE_TYPE_MEMORY_HOST_POINTER_PROPERTIES_EXT};
  VKNN_VK(get_props(b.device_, VK_EXTERNAL_MEMORY_HANDLE_TYPE_HOST_ALLOCATION_BIT_EXT, host, &hp));
  VkMemoryRequirements req;
  vkGetBufferMemoryRequirements(b.device_, b.buffer_, &req);
  VkPhysicalDeviceMemoryProperties props;
  vkGetPhysicalDeviceMemoryProperties(ctx.physical_device(), &props);
  const uint32_t allowed = hp.memoryTypeBits & req.memoryTypeBits;
  uint32_t type = UINT32_MAX;
  for (uint32_t i = 0; i < props.memoryTypeCount && type == UINT32_MAX; ++i)
    if ((allowed & (1u << i)) && (props.memoryTypes[i].propertyFlags & VK_MEMORY_PROPERTY_HOST_COHERENT_BIT)) type = i;
  for (uint32_t i = 0; i < props.memoryTypeCount && type == UINT32_MAX; ++i)
    if (allowed & (1u << i)) type = i;
  if (type == UINT32_MAX) return make_error(Errc::unsupported, "importing host memory: no memory type accepts it");
  b.heap_ = props.memoryTypes[type].heapIndex;
  VkImportMemoryHostPointerInfoEXT imp{VK_STRUCTURE_TYPE_IMPORT_MEMORY_HOST_POINTER_INFO_EXT};
  imp.handleType = VK_EXTERNAL_MEMORY_HANDLE_TYPE_HOST_ALLOCATION_BIT_EXT;
  imp.pHostPointer = host;
  VkMemoryAllocateInfo mai{VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO, &imp};
  mai.allocationSize = size;
  mai.memoryTypeIndex = type;
  if (VkResult r = vkAllocateMemory(b.device_, &mai, nullptr, &b.memory_); r != VK_SUCCESS) {
    if (r == VK_ERROR_DEVICE_LOST) ctx.mark_lost();
    return vk_error(r, "vkAllocateMemory", fmt::format("importing {} bytes of host memory", size));
  }
  VKNN_VK(vkBindBufferMemory(b.device_, b.buffer_, b.memory_, 0));
  b.mapped_ = host;  // the host reads and writes it directly
  return b;
}

Buffer::Buffer(Buffer&& o) noexcept { *this = std::move(o); }

Buffer& Buffer::operator=(Buffer&& o) noexcept {
  if (this != &o) {
    reset();
    device_ = o.device_;
    buffer_ = std::exchange(o.buffer_, VK_NULL_HANDLE);
    memory_ = std::exchange(o.memory_, VK_NULL_HANDLE);
    size_ = std::exchange(o.size_, 0);
    mapped_ = std::exchange(o.mapped_, nullptr);
    heap_ = o.heap_;
  }
  return *this;
}

Buffer::~Buffer() { reset(); }

void Buffer::reset() {
  if (buffer_) vkDestroyBuffer(device_, buffer_, nullptr);
  if (memory_) vkFreeMemory(device_, memory_, nullptr);  // unmaps implicitly
  buffer_ = VK_NULL_HANDLE;
  memory_ = VK_NULL_HANDLE;
  mapped_ = nullptr;
}

// ---------------------------------------------------------------------------- Arena

Result<Arena> Arena::create(Context& ctx, VkDeviceSize capacity, MemoryKind kind) {
  Arena a;
  a.alignment_ = std::max<VkDeviceSize>(256, ctx.caps().min_storage_buffer_offset_alignment);
  capacity = (capacity + a.alignment_ - 1) / a.alignment_ * a.alignment_;
  VKNN_ASSIGN(a.buffer_, Buffer::create(ctx, capacity, kind));
  a.free_[0] = capacity;
  return a;
}

Result<BufferRef> Arena::allocate(VkDeviceSize size) {
  if (size == 0) return make_error(Errc::invalid_argument, "Arena::allocate: 0 bytes requested");
  const VkDeviceSize need = (size + alignment_ - 1) / alignment_ * alignment_;
  for (auto it = free_.begin(); it != free_.end(); ++it) {
    if (it->second < need) continue;
    const VkDeviceSize off = it->first, len = it->second;
    free_.erase(it);
    if (len > need) free_[off + need] = len - need;
    live_[off] = need;
    used_ += need;
    return buffer_.ref(off, size);
  }
  return make_error(Errc::out_of_memory, "Arena::allocate: no free range of {} bytes in an arena of {} ({} in use)",
                    size, capacity(), used_);
}

void Arena::free(const BufferRef& ref) {
  auto it = live_.find(ref.offset);
  VKNN_CHECK(ref.buffer == buffer_.handle() && it != live_.end(), "Arena::free of a range this arena did not hand out");
  VkDeviceSize off = it->first, len = it->second;
  live_.erase(it);
  used_ -= len;
  auto next = free_.lower_bound(off);
  if (next != free_.end() && next->first == off + len) {  // merge with the following free range
    len += next->second;
    next = free_.erase(next);
  }
  if (next != free_.begin()) {  // merge with the preceding free range
    auto prev = std::prev(next);
    if (prev->first + prev->second == off) {
      prev->second += len;
      return;
    }
  }
  free_[off] = len;
}

}  // namespace vknn
