// Portable GEMM for CPUs without AVX2 (baseline x86-64 SSE2, arm64 NEON, ...).
// GCC/Clang vector extensions give 128-bit registers that map to SSE2 on x86
// and NEON on arm64 with no intrinsics; other compilers get a scalar tile.
// 6x8 fp32 / 6x4 fp64: 12 accumulators + B + broadcast fit SSE2's 16 xmm.
#include <cstring>

#define TF_GEMM_NS gemm_generic
#include "gemm_driver.h"

namespace {
namespace gemm_generic {

#if defined(__GNUC__) || defined(__clang__)
template <class T_>
struct V128 {
  using T = T_;
  static constexpr int W = 16 / sizeof(T);
  typedef T R __attribute__((vector_size(16)));
  static R zero() { return R{}; }
  static R load(const T* p) {
    R r;
    std::memcpy(&r, p, sizeof(R));
    return r;
  }
  static R bcast(const T* p) { return R{} + *p; }
  static R fma(R a, R b, R c) { return a * b + c; }
  static R add(R a, R b) { return a + b; }
  // x > 0 ? x : (NaN ? x : 0), like the elementwise relu.
  static R max0(R x) { return ((x > R{}) | (x != x)) ? x : R{}; }
  static R load_n(const T* p, int n) {
    R r = R{};
    std::memcpy(&r, p, sizeof(T) * n);
    return r;
  }
  static void store(T* p, R x) { std::memcpy(p, &x, sizeof(R)); }
  static void store_n(T* p, R x, int n) { std::memcpy(p, &x, sizeof(T) * n); }
  static void transpose(const T* src, int64_t lds, T* dst, int64_t ldd) {
    for (int r = 0; r < W; r++)
      for (int c = 0; c < W; c++) dst[r * ldd + c] = src[c * lds + r];
  }
};
using VF = V128<float>;
using VD = V128<double>;
#else
template <class T_>
struct V1 {
  using T = T_;
  using R = T_;
  static constexpr int W = 1;
  static R zero() { return T(0); }
  static R load(const T* p) { return *p; }
  static R bcast(const T* p) { return *p; }
  static R fma(R a, R b, R c) { return a * b + c; }
  static R add(R a, R b) { return a + b; }
  static R max0(R x) { return x > T(0) || x != x ? x : T(0); }
  static R load_n(const T* p, int) { return *p; }
  static void store(T* p, R x) { *p = x; }
  static void store_n(T* p, R x, int) { *p = x; }
  static void transpose(const T* src, int64_t, T* dst, int64_t) { *dst = *src; }
};
using VF = V1<float>;
using VD = V1<double>;
#endif

constexpr int kNvF = 8 / VF::W, kNvD = 4 / VD::W;
using TileF = Tile<VF, 6, kNvF, 4080, 256, 256, 96>;
using TileD = Tile<VD, 6, kNvD, 4080, 256, 128, 96>;

}  // namespace gemm_generic
}  // namespace

namespace tf {
namespace cpu {
KernelTable kernels_generic() { return {Isa::Generic, gemm_generic::gemm_entry<gemm_generic::TileF>, gemm_generic::gemm_entry<gemm_generic::TileD>}; }
}  // namespace cpu
}  // namespace tf
