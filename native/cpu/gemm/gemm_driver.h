// Goto/BLIS-style GEMM driver, included by one translation unit per ISA. Each
// TU defines TF_GEMM_NS (a unique namespace) and the register-block sizes
// MR_F32/NR_F32/MR_F64/NR_F64 before including this file, and is compiled with
// that ISA's -m flags, so the portable micro-kernel below is vectorised for it.
//
// Loops: jc over N by NC (B panel in L3), pc over K by KC (packed B sliver
// KCxNR stays in L1), ic over M by MC (packed A block in L2), threads split
// the M loop. Packing absorbs any strides, so transposed operands cost nothing.
// Everything lives in an anonymous namespace: inline functions compiled with
// AVX-512 flags must never be merged by the linker into the generic path.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "../parallel.h"
#include "../isa.h"

namespace {
namespace TF_GEMM_NS {

constexpr int64_t KC = 256;
constexpr int64_t MC = 96;
constexpr int64_t NC = 4096;

template <class T>
struct Buf {
  T* p = nullptr;
  explicit Buf(size_t n) { p = static_cast<T*>(std::aligned_alloc(64, ((n * sizeof(T) + 63) / 64) * 64)); }
  ~Buf() { std::free(p); }
};

// Packs B[k0:k0+kc, j0:j0+nc] into NR-wide slivers, zero-padded.
template <class T, int NR>
void pack_b(int64_t kc, int64_t nc, const T* b, int64_t rsb, int64_t csb, T* dst) {
  for (int64_t j = 0; j < nc; j += NR) {
    int64_t nr = std::min<int64_t>(NR, nc - j);
    for (int64_t k = 0; k < kc; k++) {
      const T* src = b + k * rsb + j * csb;
      if (nr == NR && csb == 1) {
        for (int jj = 0; jj < NR; jj++) dst[jj] = src[jj];
      } else {
        int64_t jj = 0;
        for (; jj < nr; jj++) dst[jj] = src[jj * csb];
        for (; jj < NR; jj++) dst[jj] = T(0);
      }
      dst += NR;
    }
  }
}

// Packs A[i0:i0+mc, k0:k0+kc] into MR-tall slivers (k-major), zero-padded.
template <class T, int MR>
void pack_a(int64_t mc, int64_t kc, const T* a, int64_t rsa, int64_t csa, T* dst) {
  for (int64_t i = 0; i < mc; i += MR) {
    int64_t mr = std::min<int64_t>(MR, mc - i);
    for (int64_t k = 0; k < kc; k++) {
      const T* src = a + i * rsa + k * csa;
      int64_t ii = 0;
      for (; ii < mr; ii++) dst[ii] = src[ii * rsa];
      for (; ii < MR; ii++) dst[ii] = T(0);
      dst += MR;
    }
  }
}

// MRxNR register block: acc += Apanel(kc x MR) * Bpanel(kc x NR).
template <class T, int MR, int NR>
inline void micro(int64_t kc, const T* __restrict a, const T* __restrict b, T* c, int64_t ldc, int64_t mr,
                  int64_t nr, bool acc_c) {
  T acc[MR][NR];
  for (int i = 0; i < MR; i++)
    for (int j = 0; j < NR; j++) acc[i][j] = T(0);
  for (int64_t k = 0; k < kc; k++) {
#pragma GCC unroll 16
    for (int i = 0; i < MR; i++) {
      T ai = a[i];
#pragma GCC unroll 32
      for (int j = 0; j < NR; j++) acc[i][j] += ai * b[j];
    }
    a += MR;
    b += NR;
  }
  for (int64_t i = 0; i < mr; i++) {
    T* ci = c + i * ldc;
    if (acc_c)
      for (int64_t j = 0; j < nr; j++) ci[j] += acc[i][j];
    else
      for (int64_t j = 0; j < nr; j++) ci[j] = acc[i][j];
  }
}

template <class T, int MR, int NR>
void gemm(int64_t M, int64_t N, int64_t K, const T* a, int64_t rsa, int64_t csa, const T* b, int64_t rsb,
          int64_t csb, T* c, int64_t ldc, bool accumulate) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0) {
    if (!accumulate)
      for (int64_t i = 0; i < M; i++) std::memset(c + i * ldc, 0, sizeof(T) * N);
    return;
  }
  const int64_t nc_max = std::min<int64_t>(NC, ((N + NR - 1) / NR) * NR);
  const int64_t kc_max = std::min<int64_t>(KC, K);
  Buf<T> bpack((size_t)nc_max * kc_max);
  for (int64_t jc = 0; jc < N; jc += NC) {
    const int64_t nc = std::min<int64_t>(NC, N - jc);
    for (int64_t pc = 0; pc < K; pc += KC) {
      const int64_t kc = std::min<int64_t>(KC, K - pc);
      const bool acc_c = accumulate || pc > 0;
      // Pack B slivers in parallel (each sliver is independent).
      const int64_t nslivers = (nc + NR - 1) / NR;
      tf::cpu::parallel_for(nslivers, std::max<int64_t>(1, 16384 / (kc * NR)), [&](int64_t s0, int64_t s1) {
        int64_t j0 = s0 * NR, j1 = std::min(nc, s1 * NR);
        pack_b<T, NR>(kc, j1 - j0, b + pc * rsb + (jc + j0) * csb, rsb, csb, bpack.p + j0 * kc);
      });
      // Threads split M in MR-aligned chunks; each packs its own A block.
      const int64_t mblocks = (M + MR - 1) / MR;
      const int64_t work_per_block = kc * nc * MR;
      tf::cpu::parallel_for(mblocks, std::max<int64_t>(1, 200000 / std::max<int64_t>(1, work_per_block)),
                            [&](int64_t mb0, int64_t mb1) {
        Buf<T> apack((size_t)MC * kc);
        for (int64_t ic = mb0 * MR; ic < std::min(M, mb1 * MR); ic += MC) {
          const int64_t mc = std::min<int64_t>(MC, std::min(M, mb1 * MR) - ic);
          pack_a<T, MR>(mc, kc, a + ic * rsa + pc * csa, rsa, csa, apack.p);
          for (int64_t jr = 0; jr < nc; jr += NR) {
            const int64_t nr = std::min<int64_t>(NR, nc - jr);
            for (int64_t ir = 0; ir < mc; ir += MR) {
              const int64_t mr = std::min<int64_t>(MR, mc - ir);
              micro<T, MR, NR>(kc, apack.p + ir * kc, bpack.p + jr * kc, c + (ic + ir) * ldc + jc + jr, ldc, mr, nr,
                               acc_c);
            }
          }
        }
      });
    }
  }
}

void sgemm(int64_t M, int64_t N, int64_t K, const float* a, int64_t rsa, int64_t csa, const float* b, int64_t rsb,
           int64_t csb, float* c, int64_t ldc, bool accumulate) {
  gemm<float, MR_F32, NR_F32>(M, N, K, a, rsa, csa, b, rsb, csb, c, ldc, accumulate);
}
void dgemm(int64_t M, int64_t N, int64_t K, const double* a, int64_t rsa, int64_t csa, const double* b,
           int64_t rsb, int64_t csb, double* c, int64_t ldc, bool accumulate) {
  gemm<double, MR_F64, NR_F64>(M, N, K, a, rsa, csa, b, rsb, csb, c, ldc, accumulate);
}

}  // namespace TF_GEMM_NS
}  // namespace
