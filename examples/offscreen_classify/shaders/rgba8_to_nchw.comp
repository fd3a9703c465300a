#version 450
// RGBA8 pixels (as copied from an R8G8B8A8_UNORM image) to the model's input, one image:
//   c == 3: y[ch][y][x] = (rgb[ch] / 255 - mean[ch]) * inv_std[ch]
//   c == 1: y[0][y][x]  = (0.299 r + 0.587 g + 0.114 b) / 255, then the same normalisation
// (vknn's preprocessing: tools/vknn/train_common.cpp, data/include/vknn/data/transforms.h).
// Specialization constant 0: local size x. One invocation per pixel.
layout(local_size_x_id = 0) in;

layout(binding = 0) readonly buffer Rgba { uint rgba[]; };      // (H*W) packed R8G8B8A8, R in the low byte
layout(binding = 1) writeonly buffer Nchw { float nchw[]; };    // (1,C,H,W)

layout(push_constant) uniform Params {
  uint width, height, channels;
  float mean_r, mean_g, mean_b;
  float inv_std_r, inv_std_g, inv_std_b;
} p;

void main() {
  const uint i = gl_GlobalInvocationID.x;
  const uint hw = p.width * p.height;
  if (i >= hw) return;
  const vec4 px = unpackUnorm4x8(rgba[i]);  // x = R (lowest byte)
  if (p.channels == 1) {
    nchw[i] = (dot(px.rgb, vec3(0.299, 0.587, 0.114)) - p.mean_r) * p.inv_std_r;
  } else {
    nchw[i] = (px.r - p.mean_r) * p.inv_std_r;
    nchw[hw + i] = (px.g - p.mean_g) * p.inv_std_g;
    nchw[2 * hw + i] = (px.b - p.mean_b) * p.inv_std_b;
  }
}
