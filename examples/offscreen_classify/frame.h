// The host's own GPU work before vknn runs: a graphics pipeline draws a frame into an
// offscreen R8G8B8A8 image, the image is copied to a buffer, and a small compute shader turns
// the RGBA8 pixels into the model's fp32 NCHW input (normalised as vknn's preprocessing).
#pragma once

#include "host_vulkan.h"

#include <array>

namespace example {

// Per-channel preprocessing: x = (pixel/255 - mean) / std (ImageNet or CIFAR statistics).
struct Normalisation {
  std::array<float, 3> mean{0.0f, 0.0f, 0.0f};
  std::array<float, 3> stddev{1.0f, 1.0f, 1.0f};
};

class FrameRecorder {
 public:
  // channels: 3 (RGB planes) or 1 (luma), as the model's input.
  FrameRecorder(Host& host, uint32_t width, uint32_t height, uint32_t channels, const Normalisation& norm);
  ~FrameRecorder();
  FrameRecorder(const FrameRecorder&) = delete;
  FrameRecorder& operator=(const FrameRecorder&) = delete;

  VkDeviceSize rgba_bytes() const { return VkDeviceSize(width_) * height_ * 4; }
  VkDeviceSize nchw_bytes() const { return VkDeviceSize(width_) * height_ * channels_ * sizeof(float); }

  // Records into `cmd` (recording, outside a render pass):
  //   render pass (UNDEFINED -> COLOR_ATTACHMENT_OPTIMAL -> TRANSFER_SRC_OPTIMAL by its
  //   subpass dependencies) drawing 3 triangles; copy image -> rgba (TRANSFER_DST);
  //   barrier TRANSFER_WRITE -> SHADER_READ (compute) and HOST_READ (for --out);
  //   dispatch rgba8_to_nchw writing `nchw` (STORAGE). The write to `nchw` is left for the
  //   consumer's barrier (vknn's record() opens with a global one).
  // omit_barrier leaves out the copy -> compute barrier on purpose, a read-after-write hazard
  // that synchronization validation must report (proves the validation setup is live).
  void record(VkCommandBuffer cmd, VkBuffer rgba, VkBuffer nchw, bool omit_barrier = false);

 private:
  void create_objects();
  void release();
  Host& host_;
  uint32_t width_, height_, channels_;
  Normalisation norm_;
  HostImage image_;
  VkRenderPass render_pass_ = VK_NULL_HANDLE;
  VkFramebuffer framebuffer_ = VK_NULL_HANDLE;
  VkPipelineLayout draw_layout_ = VK_NULL_HANDLE;
  VkPipeline draw_pipeline_ = VK_NULL_HANDLE;
  VkDescriptorSetLayout convert_set_layout_ = VK_NULL_HANDLE;
  VkPipelineLayout convert_layout_ = VK_NULL_HANDLE;
  VkPipeline convert_pipeline_ = VK_NULL_HANDLE;
  VkDescriptorPool pool_ = VK_NULL_HANDLE;
  VkDescriptorSet set_ = VK_NULL_HANDLE;
};

}  // namespace example
