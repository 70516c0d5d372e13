// GEMM for AVX-512F (flags in binding.gyp): 14x32 fp32 and 14x16 fp64 register
// tiles, i.e. 28 zmm accumulators + 2 for B + 1 broadcast out of 32. 14 rows
// (not BLIS's 12) gives more FMAs per B load and divides 784 (MNIST) exactly.
// Blocking, from BLIS's skx fp32 figures (MC 480, KC 384, NC 3072) with A and
// B swapped (see gemm_driver.h): KC 384 keeps the 14x384 A sliver (21 KB) in
// L1; the B block (BLIS's MC) is up to 448 columns, cut into equal blocks of
// whole slivers, 384x448 (688 KB) in this machine's 2 MB L2 (Xeon, family 6
// model 207, 48 KB L1d) next to the A panel streaming past it; MC 3066
// (BLIS's NC, a multiple of 14) bounds the packed A panel (4.5 MB) in L3.
// With the C prefetch spread over the k loop (gemm_driver.h), NC 448 beat the
// old 224 at square 2048 (fastest in 14 vs 10 of 30 alternating rounds of
// benchmarks/gemm-ab.mjs, medians 293 vs 286 GFLOP/s); without it the two
// were equal. NC 512 was no better, 1024 (one 1.5 MB block) worse. fp64
// halves KC (192 x 240 block, 360 KB) so its sliver and block take about the
// same bytes.
// The last parameter: fp32 tiles of up to 16 rows read a unit-stride B in
// place, taller ones pack it. Two builds interleaved in one process (as
// benchmarks/gemm-ab.mjs does; [M, 784] x [784, 500], 1 thread, both
// orders): in place wins at M = 1 (17 vs 9 GFLOP/s), 4 and 8; even at 16;
// packing wins from 32 on (M = 64: 90 vs 74, M = 100: 118 vs 105, M = 128:
// 120 vs 109; on 2 threads M = 100 and 128 +15-20%). The old bound, 128,
// left all of these in place.
#include <immintrin.h>

// GCC 12 flags the deliberately undefined pass-through operand inside its own
// AVX-512 headers (e.g. _mm512_max_ps's __Y = __Y) as uninitialised.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"

#define TF_GEMM_NS gemm_avx512
#include "gemm_driver.h"

namespace {
namespace gemm_avx512 {

struct VF {
  using T = float;
  using R = __m512;
  static constexpr int W = 16;
  static R zero() { return _mm512_setzero_ps(); }
  static R load(const T* p) { return _mm512_loadu_ps(p); }
  static R bcast(const T* p) { return _mm512_set1_ps(*p); }
  static R fma(R a, R b, R c) { return _mm512_fmadd_ps(a, b, c); }
  static R add(R a, R b) { return _mm512_add_ps(a, b); }
  // max(0, x) returns x when x is NaN, like the elementwise relu.
  static R max0(R x) { return _mm512_max_ps(_mm512_setzero_ps(), x); }
  static R load_n(const T* p, int n) { return _mm512_maskz_loadu_ps((__mmask16)((1u << n) - 1), p); }
  static void store(T* p, R x) { _mm512_storeu_ps(p, x); }
  static void store_n(T* p, R x, int n) { _mm512_mask_storeu_ps(p, (__mmask16)((1u << n) - 1), x); }
  // dst[r*ldd + c] = src[c*lds + r] for a 16x16 block: three shuffle stages.
  static void transpose(const T* src, int64_t lds, T* dst, int64_t ldd) {
    __m512 r[16], t[16];
    for (int i = 0; i < 16; i++) r[i] = _mm512_loadu_ps(src + i * lds);
    for (int i = 0; i < 16; i += 2) {
      t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
      t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
    }
    for (int i = 0; i < 16; i += 4) {
      r[i] = _mm512_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(1, 0, 1, 0));
      r[i + 1] = _mm512_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(3, 2, 3, 2));
      r[i + 2] = _mm512_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(1, 0, 1, 0));
      r[i + 3] = _mm512_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(3, 2, 3, 2));
    }
    for (int i = 0; i < 4; i++) {
      t[i] = _mm512_shuffle_f32x4(r[i], r[i + 4], 0x88);
      t[i + 4] = _mm512_shuffle_f32x4(r[i], r[i + 4], 0xdd);
      t[i + 8] = _mm512_shuffle_f32x4(r[i + 8], r[i + 12], 0x88);
      t[i + 12] = _mm512_shuffle_f32x4(r[i + 8], r[i + 12], 0xdd);
    }
    for (int i = 0; i < 8; i++) {
      _mm512_storeu_ps(dst + i * ldd, _mm512_shuffle_f32x4(t[i], t[i + 8], 0x88));
      _mm512_storeu_ps(dst + (i + 8) * ldd, _mm512_shuffle_f32x4(t[i], t[i + 8], 0xdd));
    }
  }
};

struct VD {
  using T = double;
  using R = __m512d;
  static constexpr int W = 8;
  static R zero() { return _mm512_setzero_pd(); }
  static R load(const T* p) { return _mm512_loadu_pd(p); }
  static R bcast(const T* p) { return _mm512_set1_pd(*p); }
  static R fma(R a, R b, R c) { return _mm512_fmadd_pd(a, b, c); }
  static R add(R a, R b) { return _mm512_add_pd(a, b); }
  static R max0(R x) { return _mm512_max_pd(_mm512_setzero_pd(), x); }
  static R load_n(const T* p, int n) { return _mm512_maskz_loadu_pd((__mmask8)((1u << n) - 1), p); }
  static void store(T* p, R x) { _mm512_storeu_pd(p, x); }
  static void store_n(T* p, R x, int n) { _mm512_mask_storeu_pd(p, (__mmask8)((1u << n) - 1), x); }
  static void transpose(const T* src, int64_t lds, T* dst, int64_t ldd) {
    __m512d r[8], t[8];
    for (int i = 0; i < 8; i++) r[i] = _mm512_loadu_pd(src + i * lds);
    for (int i = 0; i < 8; i += 2) {
      t[i] = _mm512_unpacklo_pd(r[i], r[i + 1]);
      t[i + 1] = _mm512_unpackhi_pd(r[i], r[i + 1]);
    }
    // t[0] = a0b0|a2b2|a4b4|a6b6, t[1] = a1b1|a3b3|..., t[2], t[3] likewise for c,d.
    for (int i = 0; i < 8; i += 4) {
      r[i] = _mm512_shuffle_f64x2(t[i], t[i + 2], 0x88);      // x0y0 x4y4 z0w0 z4w4
      r[i + 1] = _mm512_shuffle_f64x2(t[i + 1], t[i + 3], 0x88);  // ...1, ...5
      r[i + 2] = _mm512_shuffle_f64x2(t[i], t[i + 2], 0xdd);  // ...2, ...6
      r[i + 3] = _mm512_shuffle_f64x2(t[i + 1], t[i + 3], 0xdd);  // ...3, ...7
    }
    for (int i = 0; i < 4; i++) {
      _mm512_storeu_pd(dst + i * ldd, _mm512_shuffle_f64x2(r[i], r[i + 4], 0x88));
      _mm512_storeu_pd(dst + (i + 4) * ldd, _mm512_shuffle_f64x2(r[i], r[i + 4], 0xdd));
    }
  }
};

using TileF = Tile<VF, 14, 2, 3066, 384, 448, 16>;
using TileD = Tile<VD, 14, 2, 3066, 192, 240, 128>;

}  // namespace gemm_avx512
}  // namespace

namespace tf {
namespace cpu {
KernelTable kernels_avx512() { return {Isa::Avx512, gemm_avx512::gemm_entry<gemm_avx512::TileF>, gemm_avx512::gemm_entry<gemm_avx512::TileD>}; }
}  // namespace cpu
}  // namespace tf
