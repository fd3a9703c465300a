#version 450
// SGD with momentum and weight decay, element-wise over the weights w, their gradient g and
// the momentum buffer v, with lr eps, momentum mu and weight decay lambda:
//   paper (Krizhevsky et al. 2012, sec. 5): v <- mu v - lambda eps w - eps g;  w <- w + v
//   pytorch (torch.optim.SGD):              g' = g + lambda w;  v <- mu v + g';  w <- w - eps v
// With the StepParams buffer the gradient is g / loss_scale (word 4: mixed precision scales the
// loss up so that small fp16 gradients survive). SGD_OVERFLOW: nothing changes when the flag
// (binding 4, written by grad_check.comp) is nonzero, a gradient held an inf or a NaN.
// Specialization: 0 = local size x. Dispatch: ceil(count / local).
layout(local_size_x_id = 0) in;

layout(binding = 0) buffer W_ { float w[]; };             // (count)
layout(binding = 1) readonly buffer G_ { float g[]; };    // (count)
layout(binding = 2) buffer V_ { float v[]; };             // (count)
layout(binding = 3) readonly buffer Step_ { uint st[]; }; // StepParams, or a stand-in
layout(binding = 4) readonly buffer Flag_ { float overflow[]; }; // (1), or a stand-in
#include "sgd_push.glsl"

void main() {
  const uint i = gl_GlobalInvocationID.x;
  if (i >= p.count) return;
  if ((p.flags & SGD_OVERFLOW) != 0u && overflow[0] != 0.0) return;
  const bool buffered = (p.flags & SGD_LR_BUFFER) != 0u;
  const float lr = buffered ? uintBitsToFloat(st[3]) : p.lr;
  const float gi = buffered ? g[i] / uintBitsToFloat(st[4]) : g[i];
  const float wi = w[i];
  float vi = v[i];
  if ((p.flags & SGD_PYTORCH) != 0u) {
    vi = p.momentum * vi + (gi + p.weight_decay * wi);
    w[i] = wi - lr * vi;
  } else {
    vi = p.momentum * vi - p.weight_decay * lr * wi - lr * gi;
    w[i] = wi + vi;
  }
  v[i] = vi;
}
