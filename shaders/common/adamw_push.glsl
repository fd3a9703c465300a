// Push block of adamw_update.comp; mirrored by AdamWPush in graph/src/ops/adamw.cpp.
#define ADAMW_STEP_BUFFER 1u  // lr, loss scale and bias corrections: words 3, 4, 6, 7 of StepParams (binding 4)
#define ADAMW_OVERFLOW 2u     // skip the update when the overflow flag (binding 5) is nonzero
layout(push_constant) uniform Push {
  uint count;                   // elements in this dispatch
  uint flags;
  float lr;                     // unless ADAMW_STEP_BUFFER
  float beta1, beta2;
  float one_minus_beta1, one_minus_beta2;  // computed in double on the host
  float eps;
  float weight_decay;           // lambda (decoupled)
  float bias_correction1;       // 1 - beta1^t, unless ADAMW_STEP_BUFFER
  float bias_correction2_sqrt;  // sqrt(1 - beta2^t), unless ADAMW_STEP_BUFFER
} p;
