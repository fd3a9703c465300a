// Push block of sgd_update.comp; mirrored by SgdPush in graph/src/ops/sgd.cpp.
#define SGD_PYTORCH 1u      // the PyTorch rule; otherwise the paper's (Krizhevsky et al. 2012)
#define SGD_LR_BUFFER 2u    // the learning rate is word 3 of the StepParams buffer (binding 3)
layout(push_constant) uniform Push {
  uint count;          // elements in this dispatch
  uint flags;
  float lr;            // epsilon (unless SGD_LR_BUFFER)
  float momentum;      // mu
  float weight_decay;  // lambda
} p;
