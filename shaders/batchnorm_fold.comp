#version 450
// Folds inference batch normalization into the convolution before it (a prepare node of the
// inference-graph optimizer, graph/src/optimize.cpp), so that bn(conv(x, w) + b) = conv(x, w') + b':
//   scale[k] = gamma[k] / sqrt(running_var[k] + eps)        (the inference BN's arithmetic)
//   w'[k, j] = w[k, j] * scale[k]                            j < per_channel = C/G*R*S
//   b'[k]    = beta[k] + (b[k] - running_mean[k]) * scale[k] (b = 0 without FOLD_BIAS)
// Specialization: 0 = local size x. Dispatch: ceil(max(count, K) / local), one invocation per
// weight element; the first K also write b'.
layout(local_size_x_id = 0) in;

layout(binding = 0) readonly buffer W_ { float w[]; };                      // (K, C/G, R, S)
layout(binding = 1) readonly buffer B_ { float b[]; };                      // (K); unread without FOLD_BIAS
layout(binding = 2) readonly buffer Gamma_ { float gamma[]; };              // (K)
layout(binding = 3) readonly buffer Beta_ { float beta[]; };                // (K)
layout(binding = 4) readonly buffer RunningMean_ { float running_mean[]; }; // (K)
layout(binding = 5) readonly buffer RunningVar_ { float running_var[]; };   // (K)
layout(binding = 6) writeonly buffer WOut_ { float w_out[]; };              // (K, C/G, R, S)
layout(binding = 7) writeonly buffer BOut_ { float b_out[]; };              // (K)

#define FOLD_BIAS 1u  // the convolution has a bias of its own
layout(push_constant) uniform Push {
  uint count;        // elements of w: K * per_channel
  uint per_channel;  // C/G * R * S
  uint K;            // output channels
  uint flags;
  float eps;
} p;

float scale_of(uint k) { return gamma[k] * (1.0 / sqrt(running_var[k] + p.eps)); }

void main() {
  const uint i = gl_GlobalInvocationID.x;
  if (i < p.count) w_out[i] = w[i] * scale_of(i / p.per_channel);
  if (i < p.K) {
    const float bias = (p.flags & FOLD_BIAS) != 0u ? b[i] : 0.0;
    b_out[i] = fma(bias - running_mean[i], scale_of(i), beta[i]);
  }
}
