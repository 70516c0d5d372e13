// Runtime ISA selection: kernels are compiled once per ISA (separate static
// libraries with their own -m flags, see binding.gyp) and one table of function
// pointers is filled at load from cpuid. TENSORFORGE_ISA=generic|avx2|avx512
// forces a variant (clamped to what the CPU supports).
#pragma once
#include <cstdint>

namespace tf {
namespace cpu {

enum class Isa : int { Generic = 0, Avx2 = 1, Avx512 = 2 };

// Applied to C in the GEMM's final store (once K is complete), so Linear's
// bias + ReLU cost no extra pass over the output: c = act(c + bias[j]).
// bias may be null; bias_stride may be anything (0 broadcasts one value).
template <class T>
struct GemmEpilogue {
  const T* bias;
  int64_t bias_stride;
  int act;  // 0: none, 1: ReLU
};

// C[M,N] (row stride ldc) = A[M,K] @ B[K,N] (+ C when accumulate), then the
// optional epilogue. A's element (i,k) is at a[i*rsa + k*csa], B's (k,j) at
// b[k*rsb + j*csb]: transposed operands are just strides, absorbed by packing
// (or read in place when one stride is 1). C must not alias A or B.
template <class T>
using GemmFn = void (*)(int64_t M, int64_t N, int64_t K, const T* a, int64_t rsa, int64_t csa, const T* b,
                        int64_t rsb, int64_t csb, T* c, int64_t ldc, bool accumulate, const GemmEpilogue<T>* ep);

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
