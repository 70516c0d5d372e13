// vmath compiled for AVX-512 (flags in binding.gyp): 16 floats per vector.
// GCC 12 reports its own _mm512_undefined_* helpers (used inside the
// intrinsics headers) as maybe-uninitialized at -O3: a known false positive.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include "vmath.h"
#define TF_VMATH_NS vmath_avx512_ns
#include "vmath_impl.h"

namespace tf {
namespace cpu {
namespace {

struct V512 {
  using F = __m512;
  using I = __m512i;
  using M = __mmask16;
  using D = __m512d;
  static constexpr int W = 16;
  static F load(const float* p) { return _mm512_loadu_ps(p); }
  static void store(float* p, F v) { _mm512_storeu_ps(p, v); }
  static F set(float v) { return _mm512_set1_ps(v); }
  static I seti(int v) { return _mm512_set1_epi32(v); }
  static F add(F a, F b) { return _mm512_add_ps(a, b); }
  static F sub(F a, F b) { return _mm512_sub_ps(a, b); }
  static F mul(F a, F b) { return _mm512_mul_ps(a, b); }
  static F div(F a, F b) { return _mm512_div_ps(a, b); }
  static F fma(F a, F b, F c) { return _mm512_fmadd_ps(a, b, c); }
  static F fnma(F a, F b, F c) { return _mm512_fnmadd_ps(a, b, c); }
  static F min(F a, F b) { return _mm512_min_ps(a, b); }
  static F max(F a, F b) { return _mm512_max_ps(a, b); }
  static F sqrt(F a) { return _mm512_sqrt_ps(a); }
  static F round(F a) { return _mm512_roundscale_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
  static I cvt(F a) { return _mm512_cvtps_epi32(a); }
  static F cvtf(I a) { return _mm512_cvtepi32_ps(a); }
  static I iadd(I a, I b) { return _mm512_add_epi32(a, b); }
  static I isub(I a, I b) { return _mm512_sub_epi32(a, b); }
  static I iand(I a, I b) { return _mm512_and_si512(a, b); }
  static I sra1(I a) { return _mm512_srai_epi32(a, 1); }
  static I sra23(I a) { return _mm512_srai_epi32(a, 23); }
  static I sll23(I a) { return _mm512_slli_epi32(a, 23); }
  static F asf(I a) { return _mm512_castsi512_ps(a); }
  static I asi(F a) { return _mm512_castps_si512(a); }
  static F fand(F a, F b) { return asf(_mm512_and_si512(asi(a), asi(b))); }
  static F for_(F a, F b) { return asf(_mm512_or_si512(asi(a), asi(b))); }
  static M lt(F a, F b) { return _mm512_cmp_ps_mask(a, b, _CMP_LT_OQ); }
  static M le(F a, F b) { return _mm512_cmp_ps_mask(a, b, _CMP_LE_OQ); }
  static M ge(F a, F b) { return _mm512_cmp_ps_mask(a, b, _CMP_GE_OQ); }
  static M eq(F a, F b) { return _mm512_cmp_ps_mask(a, b, _CMP_EQ_OQ); }
  static M isnan(F a) { return _mm512_cmp_ps_mask(a, a, _CMP_UNORD_Q); }
  static F sel(M m, F a, F b) { return _mm512_mask_blend_ps(m, b, a); }
  static D dzero() { return _mm512_setzero_pd(); }
  static D dadd(D a, D b) { return _mm512_add_pd(a, b); }
  static D dlo(F a) { return _mm512_cvtps_pd(_mm512_castps512_ps256(a)); }
  static D dhi(F a) { return _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(a), 1))); }
  static D dload(const double* p) { return _mm512_loadu_pd(p); }
  static void dstore(double* p, D v) { _mm512_storeu_pd(p, v); }
  static double dhsum(D a) {
    alignas(64) double t[8];
    _mm512_store_pd(t, a);
    return ((t[0] + t[1]) + (t[2] + t[3])) + ((t[4] + t[5]) + (t[6] + t[7]));
  }
};

}  // namespace

VMathTable vmath_avx512() { return vmath_avx512_ns::make_table<V512>(Isa::Avx512); }

}  // namespace cpu
}  // namespace tf
