// Push block of the add shaders; mirrored by AddPush in graph/src/ops/add.cpp.
#define ADD_ACCUMULATE_A 1u  // add_forward / add_scaled: y += ...; add_backward: da += dy
#define ADD_ACCUMULATE_B 2u  // add_backward: db += dy
#define ADD_WRITE_A 4u       // add_backward: da is wanted
#define ADD_WRITE_B 8u       // add_backward: db is wanted
layout(push_constant) uniform Push {
  uint count;   // elements in this dispatch (a chunk of at most one binding's range)
  uint flags;
  float alpha;  // add_scaled: the factor on x
} p;
