// What the per-ISA GEMM translation units share with the ISA-neutral driver
// (gemm_threading.cc). Only plain structs and declarations live here: this
// header is compiled with AVX-512 flags too, so any inline function or template
// it defined could be emitted there and picked by the linker for the generic
// path (the ODR hazard). Threading, std::function and scratch memory therefore
// stay in gemm_threading.cc, compiled for baseline x86-64.
#pragma once
#include <cstddef>
#include <cstdint>

#include "../isa.h"

namespace tf {
namespace cpu {
namespace gemm {

template <class T>
struct Args {
  int64_t M, N, K;
  const T* a;
  int64_t rsa, csa;
  const T* b;
  int64_t rsb, csb;
  T* c;
  int64_t ldc;
  bool accumulate;
  const T* bias;  // null, or bias_stride-strided
  int64_t bias_stride;
  bool relu;
  // 0: pick per shape; 1: always pack A and B; 2: read A/B in place whenever a
  // stride is 1. From TENSORFORGE_GEMM_PACK=auto|always|never, for benchmarks
  // that measure what packing costs and tests that cover every path.
  int pack_mode;
};

// (Internal linkage: this header is compiled into the ISA objects too, and an
// out-of-line copy built with AVX-512 flags must never be what baseline code
// links against.)
namespace {

// True if `rows` rows `stride` bytes apart crowd some set of a 32 KB 8-way L1
// (64 sets of 64-byte lines) with more than 4 of them, leaving too few ways
// for the B sliver and C.
inline bool rows_alias(int64_t stride, int rows) {
  int count[64] = {0};
  for (int i = 0; i < rows; i++)
    if (++count[((i * stride) >> 6) & 63] > 4) return true;
  return false;
}

// Whether a tile reads A in place (the driver's choice, also used by the
// thread split, which may cut tiles finer only when that adds no A packing):
// row-major A unless its MR row pointers alias in L1; a transposed A when K
// is short enough for its slivers to stay in L1.
template <class T>
inline bool a_rows_in_place(const Args<T>& g, int mr) {
  return g.csa == 1 && g.pack_mode != 1 && (g.pack_mode == 2 || !rows_alias(g.rsa * (int64_t)sizeof(T), mr));
}
template <class T>
inline bool a_cols_in_place(const Args<T>& g, int mr) {
  return !a_rows_in_place(g, mr) && g.rsa == 1 && g.pack_mode != 1 && (g.pack_mode == 2 || g.K <= 192);
}

}  // namespace

// One ISA's implementation: `tile` computes C[m0:m1, n0:n1] completely
// (all of K, epilogue included) on the calling thread; the driver hands each
// thread a disjoint tile, aligned to mr rows and nr columns.
template <class T>
struct Impl {
  int mr, nr;
  void (*tile)(const Args<T>& g, int64_t m0, int64_t m1, int64_t n0, int64_t n1);
};

// Validates nothing (the binding did), handles M/N/K == 0, picks the thread
// count and the tile grid, and runs impl.tile on the persistent pool.
template <class T>
void run(const Impl<T>& impl, int64_t M, int64_t N, int64_t K, const T* a, int64_t rsa, int64_t csa, const T* b,
         int64_t rsb, int64_t csb, T* c, int64_t ldc, bool accumulate, const GemmEpilogue<T>* ep);

// Thread-local, grow-only, 64-byte aligned scratch (packing buffers), so the
// hot path never allocates after warm-up. Slots are independent buffers.
enum Slot { kSlotA = 0, kSlotB, kSlotEdgeA, kSlotEdgeB, kSlotBias, kNumSlots };
void* scratch(int slot, size_t bytes);

}  // namespace gemm
}  // namespace cpu
}  // namespace tf
