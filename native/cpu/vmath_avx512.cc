// vmath compiled for AVX-512 (flags in binding.gyp): 16 floats per vector.
// GCC 12 reports its own _mm512_undefined_* helpers (used inside the
// intrinsics headers) as maybe-uninitialized at -O3: a known false positive.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <immintrin.h>

#include <algorithm>

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

// b beats a (a comes first in scan order): larger, or NaN where a is not.
__mmask16 beats(__m512 b, __m512 a) {
  return _mm512_cmp_ps_mask(b, a, _CMP_GT_OQ) |
         (_mm512_cmp_ps_mask(b, b, _CMP_UNORD_Q) & ~_mm512_cmp_ps_mask(a, a, _CMP_UNORD_Q));
}

// One step of up to 16 windows along a window row, as both 2x2 pooling
// kernels walk it: n windows at column ow, their lane mask, the masks of the
// 2n floats of each row (32 lanes as two vectors), and each window's flat
// top-left index 2*oh*W + 2*(ow + lane).
struct PairStep {
  __mmask16 m, lo, hi;
  __m512i base;
  PairStep(int64_t oh, int64_t ow, int64_t W, int64_t OW, __m512i even) {
    const int n = (int)std::min<int64_t>(16, OW - ow);
    m = (__mmask16)((1u << n) - 1);
    lo = (__mmask16)(2 * n >= 16 ? 0xffffu : (1u << (2 * n)) - 1);
    hi = (__mmask16)(2 * n > 16 ? (1u << (2 * n - 16)) - 1 : 0u);
    base = _mm512_add_epi32(_mm512_set1_epi32((int32_t)(2 * oh * W + 2 * ow)), even);
  }
};
inline __m512i even_lanes() { return _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30); }

// Up to 16 windows per step along a window row: the row pair's 2n floats are
// loaded under masks (no read past the windows) and split into even and odd
// columns, then the same tree as the scalar loop (each row's pair, then the
// two rows) picks value and index with mask blends. Mnist-cnn's planes are
// 13 and 5 windows wide: one step per window row.
void maxpool2x2(const float* x, int64_t W, float* out, int32_t* idx, int64_t OH, int64_t OW) {
  const __m512i even = even_lanes();
  const __m512i odd = _mm512_add_epi32(even, _mm512_set1_epi32(1));
  const __m512i one = _mm512_set1_epi32(1), wv = _mm512_set1_epi32((int32_t)W);
  for (int64_t oh = 0; oh < OH; oh++) {
    const float* r0 = x + 2 * oh * W;
    const float* r1 = r0 + W;
    for (int64_t ow = 0; ow < OW; ow += 16) {
      const PairStep st(oh, ow, W, OW, even);
      const __m512 t0 = _mm512_maskz_loadu_ps(st.lo, r0 + 2 * ow), t1 = _mm512_maskz_loadu_ps(st.hi, r0 + 2 * ow + 16);
      const __m512 u0 = _mm512_maskz_loadu_ps(st.lo, r1 + 2 * ow), u1 = _mm512_maskz_loadu_ps(st.hi, r1 + 2 * ow + 16);
      const __m512 a = _mm512_permutex2var_ps(t0, even, t1), b = _mm512_permutex2var_ps(t0, odd, t1);
      const __m512 c = _mm512_permutex2var_ps(u0, even, u1), d = _mm512_permutex2var_ps(u0, odd, u1);
      const __mmask16 tb = beats(b, a), td = beats(d, c);
      const __m512 top = _mm512_mask_blend_ps(tb, a, b), bot = _mm512_mask_blend_ps(td, c, d);
      const __mmask16 tbot = beats(bot, top);
      const __m512i itop = _mm512_mask_add_epi32(st.base, tb, st.base, one);
      const __m512i bbase = _mm512_add_epi32(st.base, wv);
      const __m512i ibot = _mm512_mask_add_epi32(bbase, td, bbase, one);
      _mm512_mask_storeu_ps(out + oh * OW + ow, st.m, _mm512_mask_blend_ps(tbot, top, bot));
      _mm512_mask_storeu_epi32(idx + oh * OW + ow, st.m, _mm512_mask_blend_epi32(tbot, itop, ibot));
    }
  }
}

// The adjoint, written densely (windows do not overlap): each window's four
// outputs are g or 0 by where its index points, interleaved back into the two
// rows, so dx needs no zero fill and no scatter.
bool maxpool2x2_backward(float* dx, const float* gy, const int32_t* idx, int64_t H, int64_t W, int64_t OH, int64_t OW) {
  const __m512i even = even_lanes();
  const __m512i lo = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
  const __m512i hi = _mm512_add_epi32(lo, _mm512_set1_epi32(8));
  const __m512i one = _mm512_set1_epi32(1), wv = _mm512_set1_epi32((int32_t)W), wv1 = _mm512_add_epi32(wv, one);
  const __m512 zero = _mm512_setzero_ps();
  for (int64_t oh = 0; oh < OH; oh++) {
    float* r0 = dx + 2 * oh * W;
    float* r1 = r0 + W;
    for (int64_t ow = 0; ow < OW; ow += 16) {
      const PairStep st(oh, ow, W, OW, even);
      const __mmask16 m = st.m;
      const __m512 g = _mm512_add_ps(_mm512_maskz_loadu_ps(m, gy + oh * OW + ow), zero);  // -0 -> +0
      const __m512i q = _mm512_sub_epi32(_mm512_maskz_loadu_epi32(m, idx + oh * OW + ow), st.base);
      const __mmask16 m0 = _mm512_cmpeq_epi32_mask(q, _mm512_setzero_si512()), m1 = _mm512_cmpeq_epi32_mask(q, one);
      const __mmask16 m2 = _mm512_cmpeq_epi32_mask(q, wv), m3 = _mm512_cmpeq_epi32_mask(q, wv1);
      if (((m0 | m1 | m2 | m3) & m) != m) return false;
      const __m512 a = _mm512_maskz_mov_ps(m0, g), b = _mm512_maskz_mov_ps(m1, g);
      const __m512 c = _mm512_maskz_mov_ps(m2, g), d = _mm512_maskz_mov_ps(m3, g);
      _mm512_mask_storeu_ps(r0 + 2 * ow, st.lo, _mm512_permutex2var_ps(a, lo, b));
      _mm512_mask_storeu_ps(r0 + 2 * ow + 16, st.hi, _mm512_permutex2var_ps(a, hi, b));
      _mm512_mask_storeu_ps(r1 + 2 * ow, st.lo, _mm512_permutex2var_ps(c, lo, d));
      _mm512_mask_storeu_ps(r1 + 2 * ow + 16, st.hi, _mm512_permutex2var_ps(c, hi, d));
    }
    // An odd width leaves the last column out of every window.
    if (2 * OW < W) r0[W - 1] = r1[W - 1] = 0.0f;
  }
  // An odd height leaves the last row out.
  for (int64_t r = 2 * OH; r < H; r++) std::fill(dx + r * W, dx + (r + 1) * W, 0.0f);
  return true;
}

}  // namespace

VMathTable vmath_avx512() {
  VMathTable t = vmath_avx512_ns::make_table<V512>(Isa::Avx512);
  t.maxpool2x2_f32 = maxpool2x2;
  t.maxpool2x2_backward_f32 = maxpool2x2_backward;
  return t;
}

}  // namespace cpu
}  // namespace tf
