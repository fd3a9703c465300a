// Push block of the LRN shaders; mirrored by LrnPush in graph/src/ops/lrn.cpp.
#define LRN_ACCUMULATE 1u  // backward: dx += gradient
layout(push_constant) uniform Push {
  uint N;         // batch
  uint C;          // channels
  uint HW;         // H*W: the stride between channels
  uint half_size;  // size / 2 (size is odd)
  float alpha;     // paper alpha (not divided by size)
  float beta;
  float k;
  uint flags;
} p;
