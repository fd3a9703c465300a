// All CPU references in one include (namespace vknn::ref). Each op keeps its own header,
// next to its .cpp (see docs/adding-an-op.md); this one only gathers them, so a test that
// needs several ops, or a whole network, includes one file. The exact math of every op is
// in docs/ops.md.
//
// Common conventions: Vec = std::vector<double>, contiguous row-major NCHW; sums in double;
// every function returns fresh outputs (overwrite, never accumulate); a backward takes the
// upstream gradient dy and returns the gradient of L = sum(y * dy) with respect to its input.
#pragma once

#include "fd.h"  // Vec, random_vec, dot, numeric_gradient (central differences), max_violation

#include "activation.h"    // activation_forward/backward(ActParams, x[, dy]): sigmoid, clip, hardswish, ...
#include "add.h"           // add_forward(a, b), add_backward(dy) -> {da, db}; any shape
#include "avgpool.h"       // avgpool_* (N,C,H,W)->(N,C,OH,OW), both divisor modes; global_avgpool_* ->(N,C)
#include "binary.h"        // binary_forward/backward(Bin, a, as, b, bs[, dy]): + - * / with NumPy broadcasting
#include "batchnorm.h"     // batchnorm_forward/backward: per channel over N,H,W; training and inference
#include "concat.h"        // concat_forward/split_forward along channels, (N,C_i,H*W); backwards swap them
#include "conv2d.h"        // conv2d_*: x (N,C,H,W), w (K,C/G,R,S), b (K) or empty, y (N,K,OH,OW)
#include "dropout.h"       // dropout_mask (Philox), dropout_forward/backward with that mask
#include "linear.h"        // linear_*: x (N,IN), w (OUT,IN), b (OUT) or empty, y (N,OUT)
#include "lrn.h"           // lrn_forward -> {y, scale}, lrn_backward(x, scale, dy); paper alpha
#include "maxpool.h"       // Pool2dParams; maxpool_forward -> {y, argmax}, maxpool_backward(argmax, dy)
#include "philox.h"        // philox4x32_10, dropout_uniform, dropout_keep (the library's code)
#include "relu.h"          // relu_forward(x), relu_backward(y, dy); any shape
#include "sgd.h"           // sgd_paper_step, sgd_pytorch_step: w and v updated in place
#include "softmax_xent.h"  // softmax_xent_forward -> {loss, top1, top5, invalid}, backward, top_k_correct
