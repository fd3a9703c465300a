#include "frame.h"

#include <cstdint>

namespace example {
namespace {

// SPIR-V compiled by glslc at build time (examples/offscreen_classify/CMakeLists.txt).
const uint32_t kTrianglesVert[] =
#include "triangles.vert.inc"
    ;
const uint32_t kTrianglesFrag[] =
#include "triangles.frag.inc"
    ;
const uint32_t kRgba8ToNchw[] =
#include "rgba8_to_nchw.comp.inc"
    ;

// Mirrors the push block of shaders/rgba8_to_nchw.comp.
struct ConvertPush {
  uint32_t width, height, channels;
  float mean[3];
  float inv_std[3];
};
static_assert(sizeof(ConvertPush) == 36);

constexpr uint32_t kConvertLocalSize = 64;
constexpr VkFormat kFormat = VK_FORMAT_R8G8B8A8_UNORM;

VkShaderModule make_module(VkDevice device, const uint32_t* words, size_t bytes) {
  VkShaderModuleCreateInfo ci{VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO};
  ci.codeSize = bytes;
  ci.pCode = words;
  VkShaderModule m = VK_NULL_HANDLE;
  check(vkCreateShaderModule(device, &ci, nullptr, &m), "vkCreateShaderModule");
  return m;
}

}  // namespace

FrameRecorder::FrameRecorder(Host& host, uint32_t width, uint32_t height, uint32_t channels, const Normalisation& norm)
    : host_(host), width_(width), height_(height), channels_(channels), norm_(norm) {
  try {
    create_objects();
  } catch (...) {
    release();  // a throwing constructor runs no destructor
    throw;
  }
}

FrameRecorder::~FrameRecorder() { release(); }

void FrameRecorder::create_objects() {
  const Host& host = host_;
  const uint32_t width = width_, height = height_;
  VkDevice dev = host.device;
  image_.create(host, width, height, kFormat, VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT | VK_IMAGE_USAGE_TRANSFER_SRC_BIT);

  // One subpass; the attachment's layout transitions are ordered by the two external
  // dependencies, so no image barrier is recorded by hand.
  VkAttachmentDescription color{};
  color.format = kFormat;
  color.samples = VK_SAMPLE_COUNT_1_BIT;
  color.loadOp = VK_ATTACHMENT_LOAD_OP_CLEAR;
  color.storeOp = VK_ATTACHMENT_STORE_OP_STORE;
  color.stencilLoadOp = VK_ATTACHMENT_LOAD_OP_DONT_CARE;
  color.stencilStoreOp = VK_ATTACHMENT_STORE_OP_DONT_CARE;
  color.initialLayout = VK_IMAGE_LAYOUT_UNDEFINED;
  color.finalLayout = VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL;
  VkAttachmentReference color_ref{0, VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL};
  VkSubpassDescription subpass{};
  subpass.pipelineBindPoint = VK_PIPELINE_BIND_POINT_GRAPHICS;
  subpass.colorAttachmentCount = 1;
  subpass.pColorAttachments = &color_ref;
  VkSubpassDependency deps[2]{};
  // Before: the UNDEFINED -> COLOR_ATTACHMENT_OPTIMAL transition and the clear happen at
  // colour output; nothing earlier touched the image in this submission.
  deps[0].srcSubpass = VK_SUBPASS_EXTERNAL;
  deps[0].dstSubpass = 0;
  deps[0].srcStageMask = VK_PIPELINE_STAGE_COLOR_ATTACHMENT_OUTPUT_BIT;
  deps[0].dstStageMask = VK_PIPELINE_STAGE_COLOR_ATTACHMENT_OUTPUT_BIT;
  deps[0].srcAccessMask = 0;
  deps[0].dstAccessMask = VK_ACCESS_COLOR_ATTACHMENT_READ_BIT | VK_ACCESS_COLOR_ATTACHMENT_WRITE_BIT;
  // After: colour writes (and the transition to TRANSFER_SRC_OPTIMAL) before the copy reads.
  deps[1].srcSubpass = 0;
  deps[1].dstSubpass = VK_SUBPASS_EXTERNAL;
  deps[1].srcStageMask = VK_PIPELINE_STAGE_COLOR_ATTACHMENT_OUTPUT_BIT;
  deps[1].dstStageMask = VK_PIPELINE_STAGE_TRANSFER_BIT;
  deps[1].srcAccessMask = VK_ACCESS_COLOR_ATTACHMENT_WRITE_BIT;
  deps[1].dstAccessMask = VK_ACCESS_TRANSFER_READ_BIT;
  VkRenderPassCreateInfo rpci{VK_STRUCTURE_TYPE_RENDER_PASS_CREATE_INFO};
  rpci.attachmentCount = 1;
  rpci.pAttachments = &color;
  rpci.subpassCount = 1;
  rpci.pSubpasses = &subpass;
  rpci.dependencyCount = 2;
  rpci.pDependencies = deps;
  check(vkCreateRenderPass(dev, &rpci, nullptr, &render_pass_), "vkCreateRenderPass");

  VkFramebufferCreateInfo fci{VK_STRUCTURE_TYPE_FRAMEBUFFER_CREATE_INFO};
  fci.renderPass = render_pass_;
  fci.attachmentCount = 1;
  fci.pAttachments = &image_.view;
  fci.width = width;
  fci.height = height;
  fci.layers = 1;
  check(vkCreateFramebuffer(dev, &fci, nullptr, &framebuffer_), "vkCreateFramebuffer");

  // Graphics pipeline: no vertex buffers (the vertex shader indexes constant arrays).
  VkPipelineLayoutCreateInfo plci{VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO};
  check(vkCreatePipelineLayout(dev, &plci, nullptr, &draw_layout_), "vkCreatePipelineLayout");
  VkShaderModule vert = make_module(dev, kTrianglesVert, sizeof(kTrianglesVert));
  VkShaderModule frag = make_module(dev, kTrianglesFrag, sizeof(kTrianglesFrag));
  VkPipelineShaderStageCreateInfo stages[2]{};
  stages[0] = {VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO, nullptr, 0, VK_SHADER_STAGE_VERTEX_BIT, vert,
               "main", nullptr};
  stages[1] = {VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO, nullptr, 0, VK_SHADER_STAGE_FRAGMENT_BIT, frag,
               "main", nullptr};
  VkPipelineVertexInputStateCreateInfo vertex_input{VK_STRUCTURE_TYPE_PIPELINE_VERTEX_INPUT_STATE_CREATE_INFO};
  VkPipelineInputAssemblyStateCreateInfo assembly{VK_STRUCTURE_TYPE_PIPELINE_INPUT_ASSEMBLY_STATE_CREATE_INFO};
  assembly.topology = VK_PRIMITIVE_TOPOLOGY_TRIANGLE_LIST;
  VkViewport viewport{0.0f, 0.0f, float(width), float(height), 0.0f, 1.0f};
  VkRect2D scissor{{0, 0}, {width, height}};
  VkPipelineViewportStateCreateInfo viewport_state{VK_STRUCTURE_TYPE_PIPELINE_VIEWPORT_STATE_CREATE_INFO};
  viewport_state.viewportCount = 1;
  viewport_state.pViewports = &viewport;
  viewport_state.scissorCount = 1;
  viewport_state.pScissors = &scissor;
  VkPipelineRasterizationStateCreateInfo raster{VK_STRUCTURE_TYPE_PIPELINE_RASTERIZATION_STATE_CREATE_INFO};
  raster.polygonMode = VK_POLYGON_MODE_FILL;
  raster.cullMode = VK_CULL_MODE_NONE;
  raster.frontFace = VK_FRONT_FACE_COUNTER_CLOCKWISE;
  raster.lineWidth = 1.0f;
  VkPipelineMultisampleStateCreateInfo multisample{VK_STRUCTURE_TYPE_PIPELINE_MULTISAMPLE_STATE_CREATE_INFO};
  multisample.rasterizationSamples = VK_SAMPLE_COUNT_1_BIT;
  VkPipelineColorBlendAttachmentState blend_attachment{};
  blend_attachment.colorWriteMask =
      VK_COLOR_COMPONENT_R_BIT | VK_COLOR_COMPONENT_G_BIT | VK_COLOR_COMPONENT_B_BIT | VK_COLOR_COMPONENT_A_BIT;
  VkPipelineColorBlendStateCreateInfo blend{VK_STRUCTURE_TYPE_PIPELINE_COLOR_BLEND_STATE_CREATE_INFO};
  blend.attachmentCount = 1;
  blend.pAttachments = &blend_attachment;
  VkGraphicsPipelineCreateInfo gpci{VK_STRUCTURE_TYPE_GRAPHICS_PIPELINE_CREATE_INFO};
  gpci.stageCount = 2;
  gpci.pStages = stages;
  gpci.pVertexInputState = &vertex_input;
  gpci.pInputAssemblyState = &assembly;
  gpci.pViewportState = &viewport_state;
  gpci.pRasterizationState = &raster;
  gpci.pMultisampleState = &multisample;
  gpci.pColorBlendState = &blend;
  gpci.layout = draw_layout_;
  gpci.renderPass = render_pass_;
  gpci.subpass = 0;
  const VkResult gr = vkCreateGraphicsPipelines(dev, VK_NULL_HANDLE, 1, &gpci, nullptr, &draw_pipeline_);
  vkDestroyShaderModule(dev, vert, nullptr);
  vkDestroyShaderModule(dev, frag, nullptr);
  check(gr, "vkCreateGraphicsPipelines");

  // Compute pipeline: rgba8_to_nchw, bindings 0 (rgba) and 1 (nchw), one push block.
  VkDescriptorSetLayoutBinding bindings[2]{};
  for (uint32_t i = 0; i < 2; ++i) {
    bindings[i].binding = i;
    bindings[i].descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
    bindings[i].descriptorCount = 1;
    bindings[i].stageFlags = VK_SHADER_STAGE_COMPUTE_BIT;
  }
  VkDescriptorSetLayoutCreateInfo dslci{VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO};
  dslci.bindingCount = 2;
  dslci.pBindings = bindings;
  check(vkCreateDescriptorSetLayout(dev, &dslci, nullptr, &convert_set_layout_), "vkCreateDescriptorSetLayout");
  VkPushConstantRange push{VK_SHADER_STAGE_COMPUTE_BIT, 0, sizeof(ConvertPush)};
  VkPipelineLayoutCreateInfo cplci{VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO};
  cplci.setLayoutCount = 1;
  cplci.pSetLayouts = &convert_set_layout_;
  cplci.pushConstantRangeCount = 1;
  cplci.pPushConstantRanges = &push;
  check(vkCreatePipelineLayout(dev, &cplci, nullptr, &convert_layout_), "vkCreatePipelineLayout");
  VkShaderModule comp = make_module(dev, kRgba8ToNchw, sizeof(kRgba8ToNchw));
  VkSpecializationMapEntry local_size_entry{0, 0, sizeof(uint32_t)};
  VkSpecializationInfo spec{1, &local_size_entry, sizeof(uint32_t), &kConvertLocalSize};
  VkComputePipelineCreateInfo cpci{VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO};
  cpci.stage = {VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO, nullptr, 0, VK_SHADER_STAGE_COMPUTE_BIT, comp,
                "main", &spec};
  cpci.layout = convert_layout_;
  const VkResult cr = vkCreateComputePipelines(dev, VK_NULL_HANDLE, 1, &cpci, nullptr, &convert_pipeline_);
  vkDestroyShaderModule(dev, comp, nullptr);
  check(cr, "vkCreateComputePipelines");

  VkDescriptorPoolSize pool_size{VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, 2};
  VkDescriptorPoolCreateInfo dpci{VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO};
  dpci.maxSets = 1;
  dpci.poolSizeCount = 1;
  dpci.pPoolSizes = &pool_size;
  check(vkCreateDescriptorPool(dev, &dpci, nullptr, &pool_), "vkCreateDescriptorPool");
  VkDescriptorSetAllocateInfo dsai{VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO};
  dsai.descriptorPool = pool_;
  dsai.descriptorSetCount = 1;
  dsai.pSetLayouts = &convert_set_layout_;
  check(vkAllocateDescriptorSets(dev, &dsai, &set_), "vkAllocateDescriptorSets");
}

void FrameRecorder::release() {
  VkDevice dev = host_.device;
  if (pool_) vkDestroyDescriptorPool(dev, pool_, nullptr);
  if (convert_pipeline_) vkDestroyPipeline(dev, convert_pipeline_, nullptr);
  if (convert_layout_) vkDestroyPipelineLayout(dev, convert_layout_, nullptr);
  if (convert_set_layout_) vkDestroyDescriptorSetLayout(dev, convert_set_layout_, nullptr);
  if (draw_pipeline_) vkDestroyPipeline(dev, draw_pipeline_, nullptr);
  if (draw_layout_) vkDestroyPipelineLayout(dev, draw_layout_, nullptr);
  if (framebuffer_) vkDestroyFramebuffer(dev, framebuffer_, nullptr);
  if (render_pass_) vkDestroyRenderPass(dev, render_pass_, nullptr);
  image_.destroy(dev);
}

void FrameRecorder::record(VkCommandBuffer cmd, VkBuffer rgba, VkBuffer nchw, bool omit_barrier) {
  // The descriptor set is not in use by any pending command buffer here.
  VkDescriptorBufferInfo infos[2] = {{rgba, 0, rgba_bytes()}, {nchw, 0, nchw_bytes()}};
  VkWriteDescriptorSet writes[2]{};
  for (uint32_t i = 0; i < 2; ++i) {
    writes[i].sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET;
    writes[i].dstSet = set_;
    writes[i].dstBinding = i;
    writes[i].descriptorCount = 1;
    writes[i].descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
    writes[i].pBufferInfo = &infos[i];
  }
  vkUpdateDescriptorSets(host_.device, 2, writes, 0, nullptr);

  // 1. Draw.
  VkClearValue clear{};
  clear.color = {{0.08f, 0.08f, 0.10f, 1.0f}};
  VkRenderPassBeginInfo rpbi{VK_STRUCTURE_TYPE_RENDER_PASS_BEGIN_INFO};
  rpbi.renderPass = render_pass_;
  rpbi.framebuffer = framebuffer_;
  rpbi.renderArea = {{0, 0}, {width_, height_}};
  rpbi.clearValueCount = 1;
  rpbi.pClearValues = &clear;
  vkCmdBeginRenderPass(cmd, &rpbi, VK_SUBPASS_CONTENTS_INLINE);
  vkCmdBindPipeline(cmd, VK_PIPELINE_BIND_POINT_GRAPHICS, draw_pipeline_);
  vkCmdDraw(cmd, 9, 1, 0, 0);
  vkCmdEndRenderPass(cmd);  // the image is now TRANSFER_SRC_OPTIMAL (render pass dependency 1)

  // 2. Image -> tightly packed RGBA8 rows.
  VkBufferImageCopy region{};
  region.imageSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1};
  region.imageExtent = {width_, height_, 1};
  vkCmdCopyImageToBuffer(cmd, image_.image, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL, rgba, 1, &region);

  // 3. The copy's writes -> the compute shader's reads, and the host's (after the wait).
  VkBufferMemoryBarrier to_compute{VK_STRUCTURE_TYPE_BUFFER_MEMORY_BARRIER};
  to_compute.srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT;
  to_compute.dstAccessMask = VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_HOST_READ_BIT;
  to_compute.srcQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
  to_compute.dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
  to_compute.buffer = rgba;
  to_compute.offset = 0;
  to_compute.size = rgba_bytes();
  if (!omit_barrier)
    vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_TRANSFER_BIT,
                         VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_HOST_BIT, 0, 0, nullptr, 1,
                         &to_compute, 0, nullptr);

  // 4. RGBA8 -> normalised fp32 NCHW.
  ConvertPush p{width_, height_, channels_, {}, {}};
  for (int c = 0; c < 3; ++c) {
    p.mean[c] = norm_.mean[size_t(c)];
    p.inv_std[c] = 1.0f / norm_.stddev[size_t(c)];
  }
  vkCmdBindPipeline(cmd, VK_PIPELINE_BIND_POINT_COMPUTE, convert_pipeline_);
  vkCmdBindDescriptorSets(cmd, VK_PIPELINE_BIND_POINT_COMPUTE, convert_layout_, 0, 1, &set_, 0, nullptr);
  vkCmdPushConstants(cmd, convert_layout_, VK_SHADER_STAGE_COMPUTE_BIT, 0, sizeof(p), &p);
  const uint32_t pixels = width_ * height_;
  vkCmdDispatch(cmd, (pixels + kConvertLocalSize - 1) / kConvertLocalSize, 1, 1);
}

}  // namespace example
