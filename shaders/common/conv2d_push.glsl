// Push block shared by the conv2d kernels; mirrored by Conv2dPush in graph/src/ops/conv2d.cpp.
// x (N,C,H,W), w (K, Cg, R, S) with Cg = C/groups and Kg = K/groups, y (N,K,OH,OW);
//   y[n,k,oh,ow] = sum_{c<Cg,r,s} w[k,c,r,s] * x[n, g*Cg + c, oh*stride_h - pad_h + r, ow*stride_w - pad_w + s]
// for k in group g = k / Kg, reading zero outside the image.
#define CONV_BIAS 1u        // forward: add bias[k]; backward weight: also write db
#define CONV_RELU 2u        // forward: max(., 0) after the bias
#define CONV_ACCUMULATE 4u  // backward: add to the existing dx / dw / db
#define CONV_RESIDUAL 8u    // forward: add residual[n,k,oh,ow] (a ResNet shortcut) before the ReLU
layout(push_constant) uniform Push {
  uint N, C, H, W;
  uint K, R, S, OH, OW;
  uint stride_h, stride_w, pad_h, pad_w;
  uint Cg, Kg;
  uint flags;
  uint split_rows;  // backward weight: output rows (n, oh) reduced per split
  uint splits;      // backward weight: splits (partial sums go to the workspace when > 1)
  // Backward data, register variant (one dispatch per phase): the dx pixels with
  // (ih + pad_h) % stride_h == phase_h and (iw + pad_w) % stride_w == phase_w, which take
  // the kernel taps r = phase_h + i*stride_h (i < taps_h) and s = phase_w + j*stride_w (j < taps_w).
  uint phase_h, phase_w, taps_h, taps_w;
  // Element offsets of image 0 in the bound x (or dx) and y (or dy) ranges: large batches
  // are processed in chunks, each bound from an aligned offset.
  uint x_off, y_off;
  // Forward with CONV_RESIDUAL: the element offset of image 0 in the bound residual range.
  uint r_off;
  // Bias gradient: the flat (n, oh, ow) values of this pass (lavapipe caps loop iterations).
  uint range_begin, range_end;
  // Forward: y is channels [y_channel0, y_channel0 + K) of a (N, y_channels, OH, OW) tensor
  // (a concat's output written in place; y_channels = K, y_channel0 = 0 when y is its own).
  uint y_channels, y_channel0;
} p;
