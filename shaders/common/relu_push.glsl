// Push block of the ReLU shaders; mirrored by ReluPush in graph/src/ops/relu.cpp.
#define RELU_ACCUMULATE 1u  // backward: dx += gradient instead of dx = gradient
layout(push_constant) uniform Push {
  uint count;  // elements in this dispatch (a chunk of at most one binding's range)
  uint flags;
} p;
