// Philox4x32-10 (Salmon et al., SC 2011), word for word the C++ in
// graph/include/vknn/ops/philox.h: ten rounds, the key bumped by the Weyl constants between
// rounds. umulExtended gives the 32x32 -> 64-bit products.
#define PHILOX_M0 0xD2511F53u
#define PHILOX_M1 0xCD9E8D57u
#define PHILOX_W0 0x9E3779B9u
#define PHILOX_W1 0xBB67AE85u

uvec4 philox_round(uvec4 c, uvec2 k) {
  uint hi0, lo0, hi1, lo1;
  umulExtended(PHILOX_M0, c.x, hi0, lo0);
  umulExtended(PHILOX_M1, c.z, hi1, lo1);
  return uvec4(hi1 ^ c.y ^ k.x, lo1, hi0 ^ c.w ^ k.y, lo0);
}

uvec4 philox4x32_10(uvec4 c, uvec2 k) {
  c = philox_round(c, k);
  for (int r = 1; r < 10; ++r) {
    k += uvec2(PHILOX_W0, PHILOX_W1);
    c = philox_round(c, k);
  }
  return c;
}

// Dropout's draw for element `index` at step `step` with key (seed_lo, seed_hi): a float in
// [0,1) with 24 random bits (exact in fp32). Keep the element iff the draw >= p.
float dropout_uniform(uint index, uint step, uvec2 key) {
  const uint r = philox4x32_10(uvec4(index, step, 0u, 0u), key).x;
  return float(r >> 8) * (1.0 / 16777216.0);
}
