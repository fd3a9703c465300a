// Push block of sgd_update.comp; mirrored by SgdPush in graph/src/ops/sgd.cpp.
#define SGD_PYTORCH 1u      // the PyTorch rule; otherwise the paper's (Krizhevsky et al. 2012)
#define SGD_LR_BUFFER 2u    // the learning rate and loss scale are words 3 and 4 of StepParams (binding 3)
#define SGD_OVERFLOW 4u     // skip the update when the overflow flag (binding 4) is nonzero
layout(push_constant) uniform Push {
  uint count;          // elements in this dispatch
  uint flags;
  float lr;            // epsilon (unless SGD_LR_BUFFER)
  float momentum;      // mu
  float weight_decay;  // lambda
} p;
