// Buffers, arenas, uploads and downloads.
#include "gpu.h"

#include <cstring>
#include <numeric>

using namespace vknn;
using namespace vknn::test;

namespace {

void round_trip(Context& c, size_t bytes) {
  auto b = Buffer::create(c, bytes);
  REQUIRE_OK(b);
  std::vector<uint8_t> in(bytes), out(bytes, 0);
  for (size_t i = 0; i < bytes; ++i) in[i] = uint8_t((i * 131 + 7) ^ (i >> 8));
  REQUIRE_OK(c.upload(b->ref(), in.data(), bytes));
  REQUIRE_OK(c.download(b->ref(), out.data(), bytes));
  CHECK(std::memcmp(in.data(), out.data(), bytes) == 0);
}

}  // namespace

TEST_CASE("engine: upload/download round trips of odd sizes, mapped and staged") {
  ContextOptions staged;
  staged.validation = true;
  staged.force_staging = true;
  staged.pipeline_cache_dir = "-";
  staged.device.index = gpu().caps().index;
  auto staged_ctx = Context::create(staged);
  REQUIRE_OK(staged_ctx);
  for (size_t bytes : {size_t(1), size_t(12), size_t(4097), size_t(64) << 20}) {
    CAPTURE(bytes);
    round_trip(gpu(), bytes);
    round_trip(**staged_ctx, bytes);  // > 16 MiB also crosses staging chunks
  }
  auto b = Buffer::create(**staged_ctx, 256);
  REQUIRE_OK(b);
  CHECK(b->mapped() == nullptr);
}

TEST_CASE("engine: an allocation larger than any heap is an out-of-memory error naming size and heap") {
  uint64_t biggest = 0;
  for (const auto& h : gpu().caps().memory_heaps) biggest = std::max(biggest, h.size);
  auto b = Buffer::create(gpu(), biggest * 4 + 4096);
  REQUIRE(!b.ok());
  CHECK(b.error().code == Errc::out_of_memory);
  CHECK(b.error().message.find(std::to_string(biggest * 4 + 4096)) != std::string::npos);
  const bool names_heap = b.error().message.find("heap") != std::string::npos ||
                          b.error().message.find("maxMemoryAllocationSize") != std::string::npos;
  CHECK(names_heap);
  auto zero = Buffer::create(gpu(), 0);
  REQUIRE(!zero.ok());
  CHECK(zero.error().code == Errc::invalid_argument);
}

TEST_CASE("engine: arena sub-allocation aligns, frees and coalesces") {
  auto arena = Arena::create(gpu(), 4096);
  REQUIRE_OK(arena);
  const auto align = arena->alignment();
  CHECK(align % gpu().caps().min_storage_buffer_offset_alignment == 0);
  auto a = arena->allocate(10);
  auto b = arena->allocate(align + 1);
  auto c = arena->allocate(3);
  REQUIRE_OK(a);
  REQUIRE_OK(b);
  REQUIRE_OK(c);
  CHECK(a->offset % align == 0);
  CHECK(b->offset % align == 0);
  CHECK(c->offset % align == 0);
  CHECK(!a->overlaps(*b));
  CHECK(!b->overlaps(*c));
  CHECK(a->size == 10);
  auto too_big = arena->allocate(1 << 20);
  REQUIRE(!too_big.ok());
  CHECK(too_big.error().code == Errc::out_of_memory);
  arena->free(*b);
  arena->free(*a);
  arena->free(*c);
  CHECK(arena->used() == 0);
  auto whole = arena->allocate(arena->capacity());  // only possible if the free list coalesced
  CHECK(whole.ok());
}

TEST_CASE("engine: errors carry the VkResult and name the call") {
  Error e = vk_error(VK_ERROR_DEVICE_LOST, "vkQueueSubmit(queue, 1, &si, fence)");
  CHECK(e.code == Errc::device_lost);
  CHECK(e.vk == VK_ERROR_DEVICE_LOST);
  CHECK(e.what().find("vkQueueSubmit failed: VK_ERROR_DEVICE_LOST") != std::string::npos);
  CHECK(e.what().find("&si") == std::string::npos);
  CHECK(vk_error(VK_ERROR_OUT_OF_DEVICE_MEMORY, "vkAllocateMemory").code == Errc::out_of_memory);
  Result<int> r = make_error(Errc::parse, "bad file {}", "x.bin");
  CHECK(!r.ok());
  CHECK(r.error().what() == "bad file x.bin [parse]");
}

TEST_CASE("engine: the validation layer is live and its messages are counted") {
  // An invalid call on purpose (VUID-VkBufferCreateInfo-size-00912): if this is not
  // reported, a clean run proves nothing.
  const uint64_t before = validation_message_count();
  VkBufferCreateInfo bci{VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO};
  bci.size = 0;
  bci.usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT;
  VkBuffer buf = VK_NULL_HANDLE;
  VkResult r = vkCreateBuffer(gpu().device(), &bci, nullptr, &buf);
  if (r == VK_SUCCESS && buf) vkDestroyBuffer(gpu().device(), buf, nullptr);
  const uint64_t seen = validation_message_count() - before;
  CHECK(seen >= 1);
  forget_validation_messages(seen);  // expected ones; anything else still fails the run
}
