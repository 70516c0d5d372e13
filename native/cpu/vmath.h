// SIMD vector math for contiguous float32 runs (exp, log, tanh, sigmoid, gelu,
// erf, expm1, log1p) and the double-accumulated float32 sums used by
// reductions. Compiled once per ISA (vmath_avx2.cc, vmath_avx512.cc; the
// generic table is scalar libm, the portable reference) and chosen at run time
// from cpu::kernels().isa, so TENSORFORGE_ISA and setIsa() switch it too.
// This table is separate from isa.h's KernelTable (GEMM) on purpose: the two
// evolve independently.
#pragma once
#include <cstdint>

#include "../common/optim_math.h"
#include "isa.h"

namespace tf {
namespace cpu {

// y[i] = f(x[i]) for i < n. x and y may be the same buffer (in place), but must
// not otherwise overlap.
using VUnaryF32 = void (*)(const float* x, float* y, int64_t n);

struct VMathTable {
  Isa isa;
  VUnaryF32 exp, log, tanh, sigmoid, gelu, erf, expm1, log1p;
  // Sum of x[0..n) accumulated in double (exact conversion, error ~n*2^-53
  // relative, far below float32 rounding) with a fixed order for a given n,
  // so results do not depend on threads.
  double (*sum_f32)(const float* x, int64_t n);
  // acc[j] += x[j] for j < n (acc in double): one row of a column reduction.
  void (*acc_row_f32)(double* acc, const float* x, int64_t n);
  // max over x[0..n) (n >= 1), NaN if any element is NaN.
  float (*max_f32)(const float* x, int64_t n);
  // Adam / AdamW (amsgrad or not) on elements [begin, end) of a float32
  // parameter: optim::Adam's formula, a vector at a time. Null in the generic
  // table, where optim.cc runs the shared scalar loop (which it also uses for float64).
  void (*adam_f32)(const optim::Adam<float>& op, bool amsgrad, int64_t begin, int64_t end);
  // MaxPool2d(2) (stride 2, no padding or dilation) of one contiguous H x W
  // float32 plane into OH x OW values and flat argmax indices, with the scalar
  // loop's rule in native/cpu/conv.cc (first NaN, else first maximum in scan
  // order). Null where that scalar loop runs instead (generic, AVX2).
  void (*maxpool2x2_f32)(const float* x, int64_t W, float* out, int32_t* idx, int64_t OH, int64_t OW);
  // Its adjoint on one plane: writes all H x W elements of dx (each window's
  // gradient at its index, zero elsewhere, +0 for -0 as 0 + g gives). Returns
  // false, dx partly written, if an index lies outside its own window (the
  // caller then runs the general scatter, which also reports bad indices).
  bool (*maxpool2x2_backward_f32)(float* dx, const float* gy, const int32_t* idx, int64_t H, int64_t W, int64_t OH,
                                  int64_t OW);
};

// The table for the active ISA (cheap: an index into three static tables).
const VMathTable& vmath_table();

VMathTable vmath_generic();
VMathTable vmath_avx2();
VMathTable vmath_avx512();

}  // namespace cpu
}  // namespace tf
