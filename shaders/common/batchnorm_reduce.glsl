// Workgroup sums for the per-channel batch-norm kernels: a shared-memory tree, log2(local)
// barriers per call. The local size must be a power of two. Call from uniform control flow.
shared float bn_red0[gl_WorkGroupSize.x];
shared float bn_red1[gl_WorkGroupSize.x];

vec2 bn_workgroup_sum2(float a, float b) {
  const uint l = gl_LocalInvocationID.x;
  bn_red0[l] = a;
  bn_red1[l] = b;
  barrier();
  for (uint s = gl_WorkGroupSize.x / 2u; s > 0u; s >>= 1u) {
    if (l < s) {
      bn_red0[l] += bn_red0[l + s];
      bn_red1[l] += bn_red1[l + s];
    }
    barrier();
  }
  const vec2 r = vec2(bn_red0[0], bn_red1[0]);
  barrier();  // everyone has read the result before the arrays are reused
  return r;
}
