#version 450
// Arithmetic peak probe: each invocation runs `iterations` rounds of 128 independent
// fused multiply-adds (32 vec4 chains, a = a * mul + add) entirely in registers, then writes
// the sum of its chains once, so the work is all FMA and no memory traffic (the one store
// per invocation is negligible). Flops: invocations * iterations * 128 * 2.
// Chain j of invocation i starts at start(i, j) = 0.25 + 0.001 * float((i * 32 + j) % 1024).
// Specialization: 0 = local size x.
// Dispatch: ceil(invocations / local); `iterations` stays within the driver's loop limit
// (the caller checks it against DeviceProfile::loop_fits).
layout(local_size_x_id = 0) in;

layout(binding = 0) writeonly buffer Out_ { float sums[]; };  // (invocations)
layout(push_constant) uniform Params {
  uint invocations;
  uint iterations;
  float mul;
  float add;
} p;

#define STEP(v) v = fma(v, m, c)
#define ROUND STEP(a0); STEP(a1); STEP(a2); STEP(a3); STEP(a4); STEP(a5); STEP(a6); STEP(a7)

vec4 start(uint i, uint q) {
  const uint j = i * 32u + q * 4u;
  return 0.25 + 0.001 * vec4(float(j % 1024u), float((j + 1u) % 1024u), float((j + 2u) % 1024u),
                             float((j + 3u) % 1024u));
}

void main() {
  const uint i = gl_GlobalInvocationID.x;
  if (i >= p.invocations) return;
  const vec4 m = vec4(p.mul), c = vec4(p.add);
  vec4 a0 = start(i, 0), a1 = start(i, 1), a2 = start(i, 2), a3 = start(i, 3);
  vec4 a4 = start(i, 4), a5 = start(i, 5), a6 = start(i, 6), a7 = start(i, 7);
  for (uint it = 0; it < p.iterations; ++it) {
    ROUND; ROUND; ROUND; ROUND;  // 4 rounds of 8 vec4 chains: 128 FMAs per iteration
  }
  const vec4 s = ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7));
  sums[i] = (s.x + s.y) + (s.z + s.w);
}
