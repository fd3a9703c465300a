// Push block of the batch-norm shaders; mirrored by BatchNormPush in graph/src/ops/batchnorm.cpp.
// Statistics are per channel c over the M = N*H*W elements x[n,c,h,w] (NCHW, contiguous).
#define BN_TRAINING 1u           // batch statistics (else the running ones)
#define BN_RELU 2u               // forward: y = max(bn(x), 0); backward: dy masked by y > 0
#define BN_ACCUMULATE_DX 4u      // backward: dx += gradient
#define BN_ACCUMULATE_PARAMS 8u  // backward: dgamma, dbeta += gradient
#define BN_SAVE 16u              // inference forward: also write save_mean, save_invstd
#define BN_GIVEN 32u             // training, synchronized over processes: forward reads the batch
                                 // statistics, backward the means of g and g*xhat, from `given`
layout(push_constant) uniform Push {
  uint total;      // N*C*H*W (informational)
  uint N, C, HW;
  uint flags;
  float eps;
  float momentum;  // running = (1 - momentum) * running + momentum * batch
  float inv_m;     // 1 / M
  float unbias;    // M / (M - 1) for the running variance, 1 when M == 1
} p;
