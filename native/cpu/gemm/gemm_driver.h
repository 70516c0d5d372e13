// Goto/BLIS-style GEMM tile driver, included by one translation unit per ISA.
// The including TU defines, before including this file:
//   TF_GEMM_NS  a unique namespace name;
// and after it instantiates Tile<V, MR, NV, MC, KC, NC, ...> with its SIMD
// traits V (T, R, W, zero, load, bcast, fma, add, max0, load_n, store_n,
// transpose) and puts gemm_entry<Tile> in its KernelTable. Everything here is
// in an anonymous namespace: inline functions and templates compiled with
// AVX-512 flags must never be merged by the linker into the generic path
// (ODR), and no std:: template is used for the same reason (threading and
// std::function live in gemm_threading.cc).
//
// C is row-major, so the register tile is MR rows x NR = NV*W columns with
// vectors along N: each k step loads NV vectors of B, broadcasts MR values of
// A and does MR*NV FMAs. That is BLIS's kernel applied to C^T (its 32x12 on
// AVX-512 becomes our 12x32; we use 14x32, which fills 28 of 32 zmm), so the
// cache roles are BLIS's with A and B swapped:
//   ic over M by MC     A panel (MC x KC) in L3, when A is packed
//   pc over K by KC
//   jc over N by NC     B block (KC x NC) in L2 (BLIS's MC)
//   ir over M by MR     A sliver (MR x KC) stays in L1 across the jr loop
//   jr over N by NR     B sliver streamed from L2
// Small-matrix path: A with a unit stride (row-major, or transposed with a
// short K) is read in place by the kernel, broadcasting from MR/3 row pointers
// or from one column, unless its rows would alias in L1. B with unit column
// stride is read in place when the tile has few rows (each packed B element
// would be used only mt/MR times, so packing would cost a large share of the
// work). Only edge slivers (mr < MR, nr < NR) are copied to a zero-padded
// buffer so the kernel never reads out of bounds (edge rows of an in-place A
// as row-major copies); an edge sliver of rows runs a kernel with only as
// many rows as it needs, and tiles at most one vector wide (N = 10) use a
// one-vector kernel.
#include <cstdint>
#include <cstring>

#include "gemm_common.h"

namespace {
namespace TF_GEMM_NS {

using tf::cpu::gemm::Args;

inline int64_t imin(int64_t a, int64_t b) { return a < b ? a : b; }
inline int64_t round_up(int64_t a, int64_t b) { return (a + b - 1) / b * b; }

// acc[MR][NV] += A(MR x kc) * B(kc x NR), then C = (load_c ? C : 0) + acc,
// + bias, ReLU, storing only mr x nr. ROWA: A(i,k) = a[i*as + k] (row-major A
// read in place); otherwise A(i,k) = a[i + k*as] (packed, as == MR, or a
// transposed A read in place). B(k,j) = b[k*bs + j].
template <class V, int MR, int NV, bool ROWA>
void kernel(int64_t kc, const typename V::T* __restrict a, int64_t as, const typename V::T* __restrict b, int64_t bs,
            typename V::T* c, int64_t ldc, int mr, int nr, bool load_c, const typename V::T* bias, bool relu) {
  using T = typename V::T;
  using R = typename V::R;
  constexpr int W = V::W;
  R acc[MR][NV];
#pragma GCC unroll 64
  for (int i = 0; i < MR; i++)
#pragma GCC unroll 8
    for (int v = 0; v < NV; v++) acc[i][v] = V::zero();
  // The C tile is fetched while the k loop runs: its rows are ldc apart (8 KB
  // at N = 2048), usually out of L1 and L2, and the epilogue would otherwise
  // wait for each of its MR*NV lines in turn. One line per k step over the
  // first mr*NV steps: issued all at once, the 28 prefetches held the line
  // fill buffers (16 per core on this Xeon) that the B sliver's loads from L2
  // need (square 2048, with the 448-column B blocks of gemm_avx512.cc:
  // 318.0 vs 308.2 GFLOP/s best, fastest in 31 of 40 rounds of
  // benchmarks/gemm-ab.mjs against the old build). Tiles of at most 12 lines
  // (AVX2's 6x16) leave buffers free, and issue theirs up front.
  constexpr bool kSpread = MR * NV > 12;
  const int64_t npf = kSpread ? imin(kc, (int64_t)mr * NV) : 0;
  auto fetch_c = [&](int64_t k) {
    if ((k % NV) * W < nr) __builtin_prefetch(c + (k / NV) * ldc + (k % NV) * W, 1, 3);
  };
  if (!kSpread)
    for (int64_t q = 0; q < (int64_t)mr * NV; q++) fetch_c(q);
  int64_t k = 0;
  if (ROWA) {
    // Rows in groups of 3 off one pointer each: row 3g+r is p[g] + r*as, which
    // x86 addressing encodes as (p, as, 1|2), so the loop needs MR/3 pointers
    // and one stride register instead of MR pointers (which spill).
    constexpr int NG = (MR + 2) / 3;
    const T* pg[NG];
#pragma GCC unroll 8
    for (int q = 0; q < NG; q++) pg[q] = a + 3 * q * as;
    auto step = [&]() __attribute__((always_inline)) {
      R bv[NV];
#pragma GCC unroll 8
      for (int v = 0; v < NV; v++) bv[v] = V::load(b + v * W);
#pragma GCC unroll 64
      for (int i = 0; i < MR; i++) {
        R ai = V::bcast(pg[i / 3] + (i % 3) * as);
#pragma GCC unroll 8
        for (int v = 0; v < NV; v++) acc[i][v] = V::fma(ai, bv[v], acc[i][v]);
      }
#pragma GCC unroll 8
      for (int q = 0; q < NG; q++) pg[q]++;
      b += bs;
    };
    for (; k < npf; k++) fetch_c(k), step();
#pragma GCC unroll 2
    for (; k < kc; k++) step();
  } else {
    auto step = [&]() __attribute__((always_inline)) {
      R bv[NV];
#pragma GCC unroll 8
      for (int v = 0; v < NV; v++) bv[v] = V::load(b + v * W);
#pragma GCC unroll 64
      for (int i = 0; i < MR; i++) {
        R ai = V::bcast(a + i);
#pragma GCC unroll 8
        for (int v = 0; v < NV; v++) acc[i][v] = V::fma(ai, bv[v], acc[i][v]);
      }
      a += as;
      b += bs;
    };
    for (; k < npf; k++) fetch_c(k), step();
#pragma GCC unroll 4
    for (; k < kc; k++) step();
  }

  R bvec[NV];
#pragma GCC unroll 8
  for (int v = 0; v < NV; v++) {
    const int n = nr - v * W;
    bvec[v] = !bias || n <= 0 ? V::zero() : n >= W ? V::load(bias + v * W) : V::load_n(bias + v * W, n);
  }
#pragma GCC unroll 64
  for (int i = 0; i < MR; i++) {
    if (i >= mr) break;
    T* ci = c + i * ldc;
#pragma GCC unroll 8
    for (int v = 0; v < NV; v++) {
      const int n = nr - v * W;
      if (n <= 0) break;
      R x = acc[i][v];
      if (n >= W) {
        if (load_c) x = V::add(x, V::load(ci + v * W));
        if (bias) x = V::add(x, bvec[v]);
        if (relu) x = V::max0(x);
        V::store(ci + v * W, x);
      } else {
        if (load_c) x = V::add(x, V::load_n(ci + v * W, n));
        if (bias) x = V::add(x, bvec[v]);
        if (relu) x = V::max0(x);
        V::store_n(ci + v * W, x, n);
      }
    }
  }
}

// An edge sliver of mr < MR rows runs the kernel with the fewest even row
// count that covers it, instead of multiplying up to MR - 1 rows of padding:
// a 64-row GEMM on 14-row tiles costs 4 + 8/14 tile calls instead of 5. Its
// rows come from an edge buffer holding the even row count: packed (k-major,
// MR apart per k) or, when the tile reads A's rows in place, row-major copies
// (ROWA, `as` apart), which cost a memcpy per row instead of a transpose.
template <class V, int MR, int NV, bool ROWA>
void edge_kernel(int64_t kc, const typename V::T* a, int64_t as, const typename V::T* b, int64_t bs,
                 typename V::T* c, int64_t ldc, int mr, int nr, bool load_c, const typename V::T* bias, bool relu) {
  if constexpr (MR > 2) {
    if (mr <= MR - 2) return edge_kernel<V, MR - 2, NV, ROWA>(kc, a, as, b, bs, c, ldc, mr, nr, load_c, bias, relu);
  }
  kernel<V, MR, NV, ROWA>(kc, a, as, b, bs, c, ldc, mr, nr, load_c, bias, relu);
}

// Packs rows [0, mc) of A (already offset) into MR-tall k-major slivers,
// zero-padding the last one: dst[s*MR*kc + k*MR + i] = A(s*MR + i, k).
template <class V, int MR>
void pack_a(int64_t mc, int64_t kc, const typename V::T* a, int64_t rsa, int64_t csa, typename V::T* dst) {
  using T = typename V::T;
  constexpr int W = V::W;
  for (int64_t i0 = 0; i0 < mc; i0 += MR) {
    const int64_t mr = imin(MR, mc - i0);
    const T* src = a + i0 * rsa;
    if (rsa == 1 && mr == MR) {
      for (int64_t k = 0; k < kc; k++) std::memcpy(dst + k * MR, src + k * csa, sizeof(T) * MR);
    } else if (csa == 1) {
      // Row-major source (square and MLP-forward GEMMs): W x W blocks of
      // (row, k) go through a register transpose and land as W k-rows of MR.
      // Scattering one element at a time at stride MR took ~9% of a square
      // GEMM on 2 threads, where every thread packs all of A.
      alignas(64) T rows_in[W * W], blk[W * W];
      int64_t k = 0;
      for (; k + W <= kc; k += W) {
#pragma GCC unroll 4
        for (int r0 = 0; r0 < MR; r0 += W) {
          const int rows = MR - r0 < W ? MR - r0 : W;
          const T* s0 = src + r0 * rsa + k;
          if (i0 + r0 + W <= mc && r0 + rows <= mr) {
            V::transpose(s0, rsa, blk, W);  // rows past this sliver's are read, then dropped
          } else {
            for (int j = 0; j < W; j++) V::store(rows_in + j * W, r0 + j < mr ? V::load(s0 + j * rsa) : V::zero());
            V::transpose(rows_in, W, blk, W);
          }
          for (int kk = 0; kk < W; kk++) std::memcpy(dst + (k + kk) * MR + r0, blk + kk * W, sizeof(T) * rows);
        }
      }
      for (; k < kc; k++) {
        int64_t i = 0;
        for (; i < mr; i++) dst[k * MR + i] = src[i * rsa + k];
        for (; i < MR; i++) dst[k * MR + i] = T(0);
      }
    } else {
      for (int64_t k = 0; k < kc; k++) {
        int64_t i = 0;
        for (; i < mr; i++) dst[k * MR + i] = src[i * rsa + k * csa];
        for (; i < MR; i++) dst[k * MR + i] = T(0);
      }
    }
    dst += MR * kc;
  }
}

// Packs columns [0, nc) of B (already offset) into NR-wide slivers, zero-padding
// the last: dst[s*NR*kc + k*NR + j] = B(k, s*NR + j). A sliver at most one
// vector wide feeds the one-vector kernel, which reads only W lanes, so only
// those are filled. Every unit-stride case moves whole vectors:
//   csb == 1 (row-major B): a vector copy per k, masked at the edge sliver
//     (the N = 10 output layer's weights: element by element, with the zero
//     padding as a memset call per k, that was 17% of 100x500·500x10);
//   rsb == 1 (B transposed, e.g. W^T in dX = dY W^T, or the conv weight
//     gradient's columns): W k-values of a column are one vector load, and
//     W x W blocks of them go through an in-register transpose, missing
//     columns zero and a short last block of k masked (dH = dY W2^T has
//     K = 10: one float at a time, that was 23% of it).
template <class V, int NV>
void pack_b(int64_t kc, int64_t nc, const typename V::T* b, int64_t rsb, int64_t csb, typename V::T* dst) {
  using T = typename V::T;
  constexpr int W = V::W, NR = NV * W;
  alignas(64) T tmp[W * W], out[W * W];
  for (int64_t j0 = 0; j0 < nc; j0 += NR) {
    const int64_t nr = imin(NR, nc - j0);
    const int64_t width = nr <= W ? W : NR;
    const T* src = b + j0 * csb;
    if (csb == 1 && nr == NR) {
      for (int64_t k = 0; k < kc; k++) {
#pragma GCC unroll 8
        for (int v = 0; v < NV; v++) V::store(dst + k * NR + v * W, V::load(src + k * rsb + v * W));
      }
    } else if (csb == 1) {
      for (int64_t k = 0; k < kc; k++)
        for (int64_t v = 0; v * W < width; v++) {
          const int64_t n = nr - v * W;
          const T* s = src + k * rsb + v * W;
          V::store(dst + k * NR + v * W, n >= W ? V::load(s) : n > 0 ? V::load_n(s, (int)n) : V::zero());
        }
    } else if (rsb == 1) {
      int64_t k0 = 0;
      if (nr == NR)
        for (; k0 + W <= kc; k0 += W)
#pragma GCC unroll 8
          for (int v = 0; v < NV; v++) V::transpose(src + v * W * csb + k0, csb, dst + k0 * NR + v * W, NR);
      for (; k0 < kc; k0 += W) {
        const int rem = (int)imin(W, kc - k0);
        for (int64_t v = 0; v * W < width; v++) {
          T* d = dst + k0 * NR + v * W;
          const T* s = src + v * W * csb + k0;
          for (int64_t j = 0; j < W; j++)
            V::store(tmp + j * W, v * W + j < nr ? V::load_n(s + j * csb, rem) : V::zero());
          if (rem == W) {
            V::transpose(tmp, W, d, NR);
            continue;
          }
          V::transpose(tmp, W, out, W);  // its rows past `rem` would run past this block of k
          for (int kk = 0; kk < rem; kk++) V::store(d + kk * NR, V::load(out + kk * W));
        }
      }
    } else {
      for (int64_t k = 0; k < kc; k++) {
        int64_t j = 0;
        for (; j < nr; j++) dst[k * NR + j] = src[k * rsb + j * csb];
        for (; j < width; j++) dst[k * NR + j] = T(0);
      }
    }
    dst += NR * kc;
  }
}

// MC, KC, NC as in the header comment; kDirectBMaxRows: tiles with at most
// this many rows read a unit-stride B in place instead of packing it.
template <class V, int MR, int NV, int MC, int KC, int NC, int kDirectBMaxRows>
struct Tile {
  using T = typename V::T;
  static constexpr int kMR = MR, NR = NV * V::W;
  static_assert(MC % MR == 0 && NC % NR == 0, "blocks must hold whole slivers");

  static void run(const Args<T>& g, int64_t m0, int64_t m1, int64_t n0, int64_t n1) {
    using tf::cpu::gemm::scratch;
    const int64_t K = g.K, mt = m1 - m0, ntile = n1 - n0;
    // A is read in place unless that is slower than packing it: row-major A
    // whose MR row pointers fall into the same few L1 sets (row stride near a
    // multiple of 4 KB, e.g. K = 1024) would miss L1 on every broadcast, and a
    // transposed A sliver spans 1-2 lines per k, so only a short K fits L1.
    // Packing a transposed A is a memcpy per k; a row-major one, a transpose
    // amortised over the tile's columns.
    const bool a_row = tf::cpu::gemm::a_rows_in_place(g, MR);
    const bool a_direct = a_row || tf::cpu::gemm::a_cols_in_place(g, MR);
    // B is read in place for short tiles, and only when its rows are less than
    // a page apart: a sliver whose kc rows each sit on another page (the
    // [K, N*L] columns of a convolution, 48 KB apart) misses the TLB and L1
    // on every row; packed, conv2's forward GEMM ran 5.65 -> 3.13 ms.
    const bool b_direct = g.csb == 1 && g.pack_mode != 1 &&
                          (g.pack_mode == 2 || (mt <= kDirectBMaxRows && g.rsb * (int64_t)sizeof(T) < 4096));
    // K in equal blocks of at most KC (784 -> 392+392, not 384+384+16): a
    // short last block would load and store all of C again for a few k steps.
    const int64_t kcap = (K + (K + KC - 1) / KC - 1) / ((K + KC - 1) / KC);
    // Columns likewise, in equal blocks of whole slivers (1024 -> 352+352+320,
    // not 448+448+128): each A sliver comes from L3 once per block and is then
    // used by the block's NC/NR slivers of B, so a narrow last block pays the
    // same fetch for a third of the work.
    const int64_t nblocks = (ntile + NC - 1) / NC;
    const int64_t ncap = round_up((ntile + nblocks - 1) / nblocks, NR);

    // The epilogue wants bias as a contiguous vector over this tile's columns.
    const T* bias = nullptr;
    if (g.bias) {
      if (g.bias_stride == 1) {
        bias = g.bias + n0;
      } else {
        T* bb = static_cast<T*>(scratch(tf::cpu::gemm::kSlotBias, sizeof(T) * ntile));
        for (int64_t j = 0; j < ntile; j++) bb[j] = g.bias[(n0 + j) * g.bias_stride];
        bias = bb;
      }
    }
    T* apack = a_direct ? nullptr
                        : static_cast<T*>(scratch(tf::cpu::gemm::kSlotA, sizeof(T) * round_up(imin(MC, mt), MR) * kcap));
    T* bpack = b_direct ? nullptr
                        : static_cast<T*>(scratch(tf::cpu::gemm::kSlotB, sizeof(T) * ncap * kcap));
    T* aedge = a_direct && mt % MR ? static_cast<T*>(scratch(tf::cpu::gemm::kSlotEdgeA, sizeof(T) * MR * kcap)) : nullptr;
    T* bedge = b_direct && ntile % NR ? static_cast<T*>(scratch(tf::cpu::gemm::kSlotEdgeB, sizeof(T) * NR * kcap)) : nullptr;

    for (int64_t ic = m0; ic < m1; ic += MC) {
      const int64_t mc = imin(MC, m1 - ic);
      const int64_t mfull = mc / MR * MR;  // rows covered by whole slivers
      for (int64_t pc = 0; pc < K; pc += kcap) {
        const int64_t kc = imin(kcap, K - pc);
        const bool last = pc + kc == K;
        const bool load_c = g.accumulate || pc > 0;
        const T* abase = g.a + ic * g.rsa + pc * g.csa;
        if (!a_direct) {
          pack_a<V, MR>(mc, kc, abase, g.rsa, g.csa, apack);
        } else if (mfull < mc && a_row) {
          // Edge rows, row-major, kc apart, plus a zero row up to an even count.
          const int64_t me = mc - mfull;
          for (int64_t i = 0; i < me; i++) std::memcpy(aedge + i * kc, abase + (mfull + i) * g.rsa, sizeof(T) * kc);
          if (me % 2) std::memset(aedge + me * kc, 0, sizeof(T) * kc);
        } else if (mfull < mc) {
          pack_a<V, MR>(mc - mfull, kc, abase + mfull * g.rsa, g.rsa, g.csa, aedge);
        }

        for (int64_t jc = n0; jc < n1; jc += ncap) {
          const int64_t nc = imin(ncap, n1 - jc);
          const int64_t nfull = nc / NR * NR;
          const T* bbase = g.b + pc * g.rsb + jc * g.csb;
          if (!b_direct)
            pack_b<V, NV>(kc, nc, bbase, g.rsb, g.csb, bpack);
          else if (nfull < nc)
            pack_b<V, NV>(kc, nc - nfull, bbase + nfull, g.rsb, 1, bedge);
          const T* bias_blk = last && bias ? bias + (jc - n0) : nullptr;
          const bool relu = last && g.relu;

          for (int64_t ir = 0; ir < mc; ir += MR) {
            const int mr = (int)imin(MR, mc - ir);
            T* crow = g.c + (ic + ir) * g.ldc + jc;
            for (int64_t jr = 0; jr < nc; jr += NR) {
              const int nr = (int)imin(NR, nc - jr);
              const T* bs_ptr;
              int64_t bs;
              if (!b_direct) bs_ptr = bpack + jr * kc, bs = NR;
              else if (jr < nfull) bs_ptr = bbase + jr, bs = g.rsb;
              else bs_ptr = bedge, bs = NR;
              const T* bt = bias_blk ? bias_blk + jr : nullptr;
              const T* ap;
              int64_t as;
              bool rowa = false;
              if (!a_direct) ap = apack + ir * kc, as = MR;
              else if (ir >= mfull && a_row) ap = aedge, as = kc, rowa = true;
              else if (ir >= mfull) ap = aedge, as = MR;
              else if (a_row) ap = abase + ir * g.rsa, as = g.rsa, rowa = true;
              else ap = abase + ir, as = g.csa;
              // A tile at most one vector wide (N = 10 layers, the N edge)
              // runs a one-vector kernel instead of multiplying padding.
              if (nr <= V::W) {
                if (rowa) edge_kernel<V, MR, 1, true>(kc, ap, as, bs_ptr, bs, crow + jr, g.ldc, mr, nr, load_c, bt, relu);
                else edge_kernel<V, MR, 1, false>(kc, ap, as, bs_ptr, bs, crow + jr, g.ldc, mr, nr, load_c, bt, relu);
              } else {
                if (rowa) edge_kernel<V, MR, NV, true>(kc, ap, as, bs_ptr, bs, crow + jr, g.ldc, mr, nr, load_c, bt, relu);
                else edge_kernel<V, MR, NV, false>(kc, ap, as, bs_ptr, bs, crow + jr, g.ldc, mr, nr, load_c, bt, relu);
              }
            }
          }
        }
      }
    }
  }
};

// The GemmFn this ISA puts in its KernelTable.
template <class TileT, class T = typename TileT::T>
void gemm_entry(int64_t M, int64_t N, int64_t K, const T* a, int64_t rsa, int64_t csa, const T* b, int64_t rsb,
                int64_t csb, T* c, int64_t ldc, bool accumulate, const tf::cpu::GemmEpilogue<T>* ep) {
  static const tf::cpu::gemm::Impl<T> impl{TileT::kMR, TileT::NR, TileT::run};
  tf::cpu::gemm::run<T>(impl, M, N, K, a, rsa, csa, b, rsb, csb, c, ldc, accumulate, ep);
}

}  // namespace TF_GEMM_NS
}  // namespace
