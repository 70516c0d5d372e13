// The float32 FMA peak of one core with AVX-512: 16 independent accumulator
// chains (more than latency x throughput on any AVX-512 core, 4 x 2), so the
// loop is bound by FMA throughput alone. Compiled with the avx512 flags.
#include <immintrin.h>

#include <cstdint>

namespace tf {
namespace cpu {

double peak_fma_f32_avx512(int64_t iters, float mul, float add) {
  __m512 acc[16];
  const __m512 m = _mm512_set1_ps(mul), c = _mm512_set1_ps(add);
  for (int i = 0; i < 16; i++) acc[i] = _mm512_set1_ps((float)i);
  for (int64_t it = 0; it < iters; it++) {
#pragma GCC unroll 16
    for (int i = 0; i < 16; i++) acc[i] = _mm512_fmadd_ps(acc[i], m, c);
  }
  __m512 s = acc[0];
  for (int i = 1; i < 16; i++) s = _mm512_add_ps(s, acc[i]);
  // The sum feeds the result so the loop cannot be optimised away.
  float lanes[16];
  _mm512_storeu_ps(lanes, s);
  return (double)lanes[0] * 0.0 + (double)iters * 16 * 16 * 2;
}

}  // namespace cpu
}  // namespace tf
