// Push block of the channel_pad shaders; mirrored by ChannelPadPush in
// graph/src/ops/channel_pad.cpp.
layout(push_constant) uniform Push {
  uint C, H, W;     // x (N,C,H,W)
  uint CO, HO, WO;  // y (N,CO,HO,WO)
  uint stride;
  uint offset;      // x's channel c is y's channel c + offset
  uint flags;       // backward: 1 = accumulate
} p;
