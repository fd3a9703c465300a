#version 450
// AdamW as torch.optim.AdamW (amsgrad off), element-wise, in PyTorch's order of operations:
//   w <- w * (1 - lr*lambda);  m <- beta1*m + (1-beta1)*g;  v <- beta2*v + (1-beta2)*g*g
//   w <- w - (lr / bc1) * m / (sqrt(v) / bc2s + eps)
// with bc1 = 1 - beta1^t and bc2s = sqrt(1 - beta2^t) from the host.
// With the StepParams buffer the gradient is g / loss_scale (word 4). ADAMW_OVERFLOW: nothing
// changes when the flag (binding 5, grad_check.comp) is nonzero.
// Specialization: 0 = local size x. Dispatch: ceil(count / local).
layout(local_size_x_id = 0) in;

layout(binding = 0) buffer W_ { float w[]; };             // (count)
layout(binding = 1) readonly buffer G_ { float g[]; };    // (count)
layout(binding = 2) buffer M_ { float m[]; };             // (count)
layout(binding = 3) buffer V_ { float v[]; };             // (count)
layout(binding = 4) readonly buffer Step_ { uint st[]; }; // StepParams, or a stand-in
layout(binding = 5) readonly buffer Flag_ { float overflow[]; }; // (1), or a stand-in
#include "adamw_push.glsl"

void main() {
  const uint i = gl_GlobalInvocationID.x;
  if (i >= p.count) return;
  if ((p.flags & ADAMW_OVERFLOW) != 0u && overflow[0] != 0.0) return;
  const bool buffered = (p.flags & ADAMW_STEP_BUFFER) != 0u;
  const float lr = buffered ? uintBitsToFloat(st[3]) : p.lr;
  const float bc1 = buffered ? uintBitsToFloat(st[6]) : p.bias_correction1;
  const float bc2s = buffered ? uintBitsToFloat(st[7]) : p.bias_correction2_sqrt;
  const float gi = buffered ? g[i] / uintBitsToFloat(st[4]) : g[i];
  const float wi = w[i] * (1.0 - lr * p.weight_decay);
  const float mi = m[i] * p.beta1 + gi * p.one_minus_beta1;
  const float vi = v[i] * p.beta2 + p.one_minus_beta2 * gi * gi;
  const float denom = sqrt(vi) / bc2s + p.eps;
  w[i] = wi + (-(lr / bc1) * mi) / denom;
  m[i] = mi;
  v[i] = vi;
}
