// CPU reference of the strided identity with zero-padded channels (see
// graph/include/vknn/ops/channel_pad.h).
#pragma once

#include "case_reference.h"

namespace vknn::ref {

struct ChannelPadParams {
  int stride = 1;
  int out_channels = 0;
  int offset = 0;
  int out_size(int size) const { return (size - 1) / stride + 1; }
};

// x (N,C,H,W) -> (N,CO,HO,WO).
Vec channel_pad_forward(const ChannelPadParams& p, int n, int c, int h, int w, const Vec& x);
// dx (N,C,H,W) from dy (N,CO,HO,WO); overwritten.
Vec channel_pad_backward(const ChannelPadParams& p, int n, int c, int h, int w, const Vec& dy);

// The cases of graph/cases/ops/channel_pad.cpp: y, dx.
Tensors channel_pad_case_outputs(const cases::OpCase& c, const Tensors& in);

}  // namespace vknn::ref
