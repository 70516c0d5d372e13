// vmath compiled for AVX2 + FMA (flags in binding.gyp): 8 floats per vector.
#include <immintrin.h>

#include "vmath.h"
#define TF_VMATH_NS vmath_avx2_ns
#include "vmath_impl.h"

namespace tf {
namespace cpu {
namespace {

struct V256 {
  using F = __m256;
  using I = __m256i;
  using M = __m256;  // all-ones lanes
  using D = __m256d;
  static constexpr int W = 8;
  static F load(const float* p) { return _mm256_loadu_ps(p); }
  static void store(float* p, F v) { _mm256_storeu_ps(p, v); }
  static F set(float v) { return _mm256_set1_ps(v); }
  static I seti(int v) { return _mm256_set1_epi32(v); }
  static F add(F a, F b) { return _mm256_add_ps(a, b); }
  static F sub(F a, F b) { return _mm256_sub_ps(a, b); }
  static F mul(F a, F b) { return _mm256_mul_ps(a, b); }
  static F div(F a, F b) { return _mm256_div_ps(a, b); }
  static F fma(F a, F b, F c) { return _mm256_fmadd_ps(a, b, c); }
  static F fnma(F a, F b, F c) { return _mm256_fnmadd_ps(a, b, c); }
  static F min(F a, F b) { return _mm256_min_ps(a, b); }
  static F max(F a, F b) { return _mm256_max_ps(a, b); }
  static F sqrt(F a) { return _mm256_sqrt_ps(a); }
  static F round(F a) { return _mm256_round_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
  static I cvt(F a) { return _mm256_cvtps_epi32(a); }
  static F cvtf(I a) { return _mm256_cvtepi32_ps(a); }
  static I iadd(I a, I b) { return _mm256_add_epi32(a, b); }
  static I isub(I a, I b) { return _mm256_sub_epi32(a, b); }
  static I iand(I a, I b) { return _mm256_and_si256(a, b); }
  static I sra1(I a) { return _mm256_srai_epi32(a, 1); }
  static I sra23(I a) { return _mm256_srai_epi32(a, 23); }
  static I sll23(I a) { return _mm256_slli_epi32(a, 23); }
  static F asf(I a) { return _mm256_castsi256_ps(a); }
  static I asi(F a) { return _mm256_castps_si256(a); }
  static F fand(F a, F b) { return _mm256_and_ps(a, b); }
  static F for_(F a, F b) { return _mm256_or_ps(a, b); }
  static M lt(F a, F b) { return _mm256_cmp_ps(a, b, _CMP_LT_OQ); }
  static M le(F a, F b) { return _mm256_cmp_ps(a, b, _CMP_LE_OQ); }
  static M ge(F a, F b) { return _mm256_cmp_ps(a, b, _CMP_GE_OQ); }
  static M eq(F a, F b) { return _mm256_cmp_ps(a, b, _CMP_EQ_OQ); }
  static M isnan(F a) { return _mm256_cmp_ps(a, a, _CMP_UNORD_Q); }
  static F sel(M m, F a, F b) { return _mm256_blendv_ps(b, a, m); }
  static D dzero() { return _mm256_setzero_pd(); }
  static D dadd(D a, D b) { return _mm256_add_pd(a, b); }
  static D dlo(F a) { return _mm256_cvtps_pd(_mm256_castps256_ps128(a)); }
  static D dhi(F a) { return _mm256_cvtps_pd(_mm256_extractf128_ps(a, 1)); }
  static D dload(const double* p) { return _mm256_loadu_pd(p); }
  static void dstore(double* p, D v) { _mm256_storeu_pd(p, v); }
  static double dhsum(D a) {
    alignas(32) double t[4];
    _mm256_store_pd(t, a);
    return (t[0] + t[1]) + (t[2] + t[3]);
  }
};

}  // namespace

VMathTable vmath_avx2() { return vmath_avx2_ns::make_table<V256>(Isa::Avx2); }

}  // namespace cpu
}  // namespace tf
