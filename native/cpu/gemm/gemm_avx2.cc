// GEMM for AVX2+FMA (flags in binding.gyp): BLIS's 6x16 fp32 and 6x8 fp64
// register tiles (12 ymm accumulators + 2 for B + 1 broadcast out of 16).
// Blocking follows gemm_driver.h's loop order (A sliver in L1, B block in L2):
// KC 256 (6x256 A sliver, 6 KB), NC 256 (256x256 B block, 256 KB: half the L2
// of most AVX2 parts), MC 4080 bounds the packed A panel in L3.
#include <immintrin.h>

#define TF_GEMM_NS gemm_avx2
#include "gemm_driver.h"

namespace {
namespace gemm_avx2 {

inline __m256i lane_mask32(int n) { return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7)); }
inline __m256i lane_mask64(int n) { return _mm256_cmpgt_epi64(_mm256_set1_epi64x(n), _mm256_setr_epi64x(0, 1, 2, 3)); }

struct VF {
  using T = float;
  using R = __m256;
  static constexpr int W = 8;
  static R zero() { return _mm256_setzero_ps(); }
  static R load(const T* p) { return _mm256_loadu_ps(p); }
  static R bcast(const T* p) { return _mm256_broadcast_ss(p); }
  static R fma(R a, R b, R c) { return _mm256_fmadd_ps(a, b, c); }
  static R add(R a, R b) { return _mm256_add_ps(a, b); }
  // max(0, x) returns x when x is NaN, like the elementwise relu.
  static R max0(R x) { return _mm256_max_ps(_mm256_setzero_ps(), x); }
  static R load_n(const T* p, int n) { return _mm256_maskload_ps(p, lane_mask32(n)); }
  static void store(T* p, R x) { _mm256_storeu_ps(p, x); }
  static void store_n(T* p, R x, int n) { _mm256_maskstore_ps(p, lane_mask32(n), x); }
  // dst[r*ldd + c] = src[c*lds + r] for an 8x8 block.
  static void transpose(const T* src, int64_t lds, T* dst, int64_t ldd) {
    __m256 r[8], t[8];
    for (int i = 0; i < 8; i++) r[i] = _mm256_loadu_ps(src + i * lds);
    for (int i = 0; i < 8; i += 2) {
      t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
      t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
    }
    for (int i = 0; i < 8; i += 4) {
      r[i] = _mm256_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(1, 0, 1, 0));
      r[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(3, 2, 3, 2));
      r[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(1, 0, 1, 0));
      r[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(3, 2, 3, 2));
    }
    for (int i = 0; i < 4; i++) {
      _mm256_storeu_ps(dst + i * ldd, _mm256_permute2f128_ps(r[i], r[i + 4], 0x20));
      _mm256_storeu_ps(dst + (i + 4) * ldd, _mm256_permute2f128_ps(r[i], r[i + 4], 0x31));
    }
  }
};

struct VD {
  using T = double;
  using R = __m256d;
  static constexpr int W = 4;
  static R zero() { return _mm256_setzero_pd(); }
  static R load(const T* p) { return _mm256_loadu_pd(p); }
  static R bcast(const T* p) { return _mm256_broadcast_sd(p); }
  static R fma(R a, R b, R c) { return _mm256_fmadd_pd(a, b, c); }
  static R add(R a, R b) { return _mm256_add_pd(a, b); }
  static R max0(R x) { return _mm256_max_pd(_mm256_setzero_pd(), x); }
  static R load_n(const T* p, int n) { return _mm256_maskload_pd(p, lane_mask64(n)); }
  static void store(T* p, R x) { _mm256_storeu_pd(p, x); }
  static void store_n(T* p, R x, int n) { _mm256_maskstore_pd(p, lane_mask64(n), x); }
  static void transpose(const T* src, int64_t lds, T* dst, int64_t ldd) {
    __m256d r0 = _mm256_loadu_pd(src), r1 = _mm256_loadu_pd(src + lds), r2 = _mm256_loadu_pd(src + 2 * lds),
            r3 = _mm256_loadu_pd(src + 3 * lds);
    __m256d t0 = _mm256_unpacklo_pd(r0, r1), t1 = _mm256_unpackhi_pd(r0, r1);  // a0b0|a2b2, a1b1|a3b3
    __m256d t2 = _mm256_unpacklo_pd(r2, r3), t3 = _mm256_unpackhi_pd(r2, r3);
    _mm256_storeu_pd(dst, _mm256_permute2f128_pd(t0, t2, 0x20));
    _mm256_storeu_pd(dst + ldd, _mm256_permute2f128_pd(t1, t3, 0x20));
    _mm256_storeu_pd(dst + 2 * ldd, _mm256_permute2f128_pd(t0, t2, 0x31));
    _mm256_storeu_pd(dst + 3 * ldd, _mm256_permute2f128_pd(t1, t3, 0x31));
  }
};

using TileF = Tile<VF, 6, 2, 4080, 256, 256, 96>;
using TileD = Tile<VD, 6, 2, 4080, 256, 128, 96>;

}  // namespace gemm_avx2
}  // namespace

namespace tf {
namespace cpu {
KernelTable kernels_avx2() { return {Isa::Avx2, gemm_avx2::gemm_entry<gemm_avx2::TileF>, gemm_avx2::gemm_entry<gemm_avx2::TileD>}; }
}  // namespace cpu
}  // namespace tf
