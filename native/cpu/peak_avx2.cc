// The float32 FMA peak of one core with AVX2+FMA: 12 independent ymm chains
// (latency 4-5 x 2 FMA ports needs 8-10). Compiled with the avx2 flags.
#include <immintrin.h>

#include <cstdint>

namespace tf {
namespace cpu {

double peak_fma_f32_avx2(int64_t iters, float mul, float add) {
  __m256 acc[12];
  const __m256 m = _mm256_set1_ps(mul), c = _mm256_set1_ps(add);
  for (int i = 0; i < 12; i++) acc[i] = _mm256_set1_ps((float)i);
  for (int64_t it = 0; it < iters; it++) {
#pragma GCC unroll 12
    for (int i = 0; i < 12; i++) acc[i] = _mm256_fmadd_ps(acc[i], m, c);
  }
  __m256 s = acc[0];
  for (int i = 1; i < 12; i++) s = _mm256_add_ps(s, acc[i]);
  float lanes[8];
  _mm256_storeu_ps(lanes, s);
  return (double)lanes[0] * 0.0 + (double)iters * 12 * 8 * 2;
}

}  // namespace cpu
}  // namespace tf
