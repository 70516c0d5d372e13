// Philox4x32-10 counter-based RNG (Salmon et al., SC'11). Element i of a fill
// depends only on (seed, counter offset + i), so CPU threads, CUDA threads and
// the emulator all produce the same numbers for the same seed.
#pragma once
#include <stdint.h>
#include "functors.h"

namespace tf {

struct Philox {
  TF_HD static inline void round(uint32_t* c, const uint32_t* k) {
    uint64_t p0 = (uint64_t)0xD2511F53u * c[0];
    uint64_t p1 = (uint64_t)0xCD9E8D57u * c[2];
    uint32_t hi0 = (uint32_t)(p0 >> 32), lo0 = (uint32_t)p0;
    uint32_t hi1 = (uint32_t)(p1 >> 32), lo1 = (uint32_t)p1;
    uint32_t n0 = hi1 ^ c[1] ^ k[0], n2 = hi0 ^ c[3] ^ k[1];
    c[0] = n0; c[1] = lo1; c[2] = n2; c[3] = lo0;
  }
  // Four 32-bit random words for block `ctr` under `seed`.
  TF_HD static inline void block(uint64_t seed, uint64_t ctr, uint32_t out[4]) {
    uint32_t c[4] = {(uint32_t)ctr, (uint32_t)(ctr >> 32), 0u, 0u};
    uint32_t k[2] = {(uint32_t)seed, (uint32_t)(seed >> 32)};
    for (int r = 0; r < 10; r++) {
      round(c, k);
      k[0] += 0x9E3779B9u; k[1] += 0xBB67AE85u;
    }
    out[0] = c[0]; out[1] = c[1]; out[2] = c[2]; out[3] = c[3];
  }
  // Uniform in (0, 1]: never 0, so log() in Box-Muller is finite.
  TF_HD static inline double u01(uint32_t a, uint32_t b) {
    uint64_t bits = ((uint64_t)a << 21) ^ (uint64_t)(b >> 11);  // 53 bits
    return ((double)(bits & ((1ull << 53) - 1)) + 1.0) * (1.0 / 9007199254740992.0);
  }
};

enum class RandKind : int { Uniform = 0, Normal = 1, Bernoulli = 2 };

// Element i's value for a fill of kind `kind` with parameters (p0, p1):
// uniform [p0, p1), normal(mean p0, std p1), bernoulli(p0).
TF_HD inline double rand_value(RandKind kind, uint64_t seed, uint64_t offset, uint64_t i, double p0, double p1) {
  uint32_t r[4];
  Philox::block(seed, offset + i, r);
  double u = Philox::u01(r[0], r[1]);
  if (kind == RandKind::Uniform) return p0 + (p1 - p0) * (1.0 - u);
  if (kind == RandKind::Bernoulli) return (1.0 - u) < p0 ? 1.0 : 0.0;
  double u2 = Philox::u01(r[2], r[3]);
  return p0 + p1 * ::sqrt(-2.0 * ::log(u)) * ::cos(6.283185307179586 * u2);
}

}  // namespace tf
