// The element-wise activation family (vknn/ops/activation.h), shared by activation_forward and
// activation_backward; ActivationPush in graph/src/ops/activation.cpp mirrors the push block.
// The kind is specialization constant 1, so each kind compiles to its own branch-free pipeline.
#define ACT_SIGMOID 0u
#define ACT_HARDSIGMOID 1u  // clamp(alpha * x + beta, 0, 1)
#define ACT_HARDSWISH 2u    // x * clamp(x + 3, 0, 6) / 6 (PyTorch's and ONNX's constants)
#define ACT_SILU 3u         // x * sigmoid(x)
#define ACT_CLIP 4u         // clamp(x, alpha, beta)
#define ACT_LEAKY_RELU 5u   // x > 0 ? x : alpha * x
#define ACT_TANH 6u         // tanh(x)
#define ACT_ACCUMULATE 1u   // backward: dx += instead of dx =
layout(constant_id = 1) const uint KIND = 0;
layout(push_constant) uniform Push {
  uint count;   // elements in this dispatch (a chunk of at most one binding's range)
  uint flags;
  float alpha;  // see the kinds above
  float beta;
  float lo, hi; // hardsigmoid: f' = alpha for lo < x < hi (where 0 < alpha * x + beta < 1),
                // computed on the host so the kinks do not move with the rounding of alpha * x
} p;

float act_sigmoid(float x) { return 1.0 / (1.0 + exp(-x)); }
// tanh(|x|) = (1 - e) / (1 + e) with e = exp(-2|x|) in (0, 1]: no overflow for large |x| and no
// NaN (GLSL's tanh may be built from exp(2x), which is inf/inf for x > 44). Below |x| = 1/4,
// where 1 - e would cancel, its Taylor series to x^9 (next term < 1e-8 relative).
float act_tanh(float x) {
  const float a = abs(x);
  if (a < 0.25) {
    const float s = x * x;
    return x * (1.0 + s * (-1.0 / 3.0 + s * (2.0 / 15.0 + s * (-17.0 / 315.0 + s * (62.0 / 2835.0)))));
  }
  const float e = exp(-2.0 * a);
  return sign(x) * (1.0 - e) / (1.0 + e);
}

float act_forward(float x) {
  if (KIND == ACT_SIGMOID) return act_sigmoid(x);
  if (KIND == ACT_HARDSIGMOID) return clamp(p.alpha * x + p.beta, 0.0, 1.0);
  if (KIND == ACT_HARDSWISH) return x * clamp(x + 3.0, 0.0, 6.0) / 6.0;
  if (KIND == ACT_SILU) return x * act_sigmoid(x);
  if (KIND == ACT_CLIP) return min(max(x, p.alpha), p.beta);
  if (KIND == ACT_TANH) return act_tanh(x);
  return x > 0.0 ? x : p.alpha * x;  // ACT_LEAKY_RELU
}

// dy * f'(x); at the kinks the one-sided choices of PyTorch's backward kernels (docs/ops.md).
float act_backward(float x, float dy) {
  if (KIND == ACT_SIGMOID) {
    const float s = act_sigmoid(x);
    return dy * s * (1.0 - s);
  }
  if (KIND == ACT_HARDSIGMOID) return x > p.lo && x < p.hi ? dy * p.alpha : 0.0;
  if (KIND == ACT_HARDSWISH) {
    if (x < -3.0) return 0.0;
    if (x < 3.0) return dy * (x / 3.0 + 0.5);
    return dy;
  }
  if (KIND == ACT_SILU) {
    const float s = act_sigmoid(x);
    return dy * s * (1.0 + x * (1.0 - s));
  }
  if (KIND == ACT_CLIP) return x > p.alpha && x < p.beta ? dy : 0.0;
  if (KIND == ACT_TANH) {
    const float t = act_tanh(x);
    return dy * (1.0 - t * t);
  }
  return x > 0.0 ? dy : p.alpha * dy;  // ACT_LEAKY_RELU
}
