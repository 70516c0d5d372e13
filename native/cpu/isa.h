// Runtime ISA selection: kernels are compiled once per ISA (separate static
// libraries with their own -m flags, see binding.gyp) and one table of function
// pointers is filled at load from cpuid. TENSORFORGE_ISA=generic|avx2|avx512
// forces a variant (clamped to what the CPU supports).
#pragma once
#include <cstdint>

namespace tf {
namespace cpu {

enum class Isa : int { Generic = 0, Avx2 = 1, Avx512 = 2 };

// C[M,N] (row stride ldc) = A[M,K] @ B[K,N] (+ C when accumulate). A's element
// (i,k) is at a[i*rsa + k*csa], B's (k,j) at b[k*rsb + j*csb]: transposed
// operands are just strides, absorbed by packing.
template <class T>
using GemmFn = void (*)(int64_t M, int64_t N, int64_t K, const T* a, int64_t rsa, int64_t csa, const T* b,
                        int64_t rsb, int64_t csb, T* c, int64_t ldc, bool accumulate);

struct KernelTable {
  Isa isa;
  GemmFn<float> sgemm;
  GemmFn<double> dgemm;
};

// The table in use (chosen once; set_isa() switches it, e.g. for tests/benchmarks).
const KernelTable& kernels();
Isa best_supported_isa();
// Returns false if the CPU cannot run `isa`.
bool set_isa(Isa isa);
const char* isa_name(Isa isa);

// Per-ISA tables, each defined in its own translation unit.
KernelTable kernels_generic();
KernelTable kernels_avx2();
KernelTable kernels_avx512();

}  // namespace cpu
}  // namespace tf
