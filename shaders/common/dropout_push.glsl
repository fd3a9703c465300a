// Push block of dropout_apply.comp; mirrored by DropoutPush in graph/src/ops/dropout.cpp.
#define DROPOUT_ACCUMULATE 1u   // out += instead of out =
#define DROPOUT_TRAINING 2u     // apply the mask; otherwise out = in (inference)
#define DROPOUT_STEP_BUFFER 4u  // read step, seed and training from the StepParams buffer
layout(push_constant) uniform Push {
  uint count;       // elements in this dispatch
  uint base;        // element index of this dispatch's first element (the Philox counter)
  uint seed_lo, seed_hi;
  uint step;
  float rate;       // p in [0, 1): keep iff the draw >= p
  float scale;      // 1 / (1 - p), rounded to fp32 on the host
  uint flags;
} p;
