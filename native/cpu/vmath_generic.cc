// The portable vmath table: scalar libm through the shared functors (the same
// math the strided paths and CUDA use), so "generic" is the reference path.
#include <cmath>

#include "../common/functors.h"
#include "vmath.h"

namespace tf {
namespace cpu {
namespace {

template <UnaryOp OP>
void unary_loop(const float* x, float* y, int64_t n) {
  const fn::Unary<OP, float> f{0.f, 0.f};
  for (int64_t i = 0; i < n; i++) y[i] = f(x[i]);
}

// gelu = x/2 * erfc(-x/sqrt2) evaluated in double: in float, rounding -x/sqrt2
// alone costs up to ~100 ULP in the far negative tail (erfc's relative
// sensitivity there is 2*w^2 times the argument's).
void gelu_loop(const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; i++) {
    const double v = x[i];
    y[i] = (float)(0.5 * v * std::erfc(-v * 0.70710678118654752440));
    if (std::isinf(x[i]) && x[i] < 0) y[i] = NAN;  // -inf * 0, as the formula (and the SIMD tables) give
  }
}

double sum(const float* x, int64_t n) {
  // Four chains: independent adds pipeline; the order is fixed for each n.
  double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    s0 += x[i];
    s1 += x[i + 1];
    s2 += x[i + 2];
    s3 += x[i + 3];
  }
  for (; i < n; i++) s0 += x[i];
  return (s0 + s1) + (s2 + s3);
}

void acc_row(double* acc, const float* x, int64_t n) {
  for (int64_t j = 0; j < n; j++) acc[j] += x[j];
}

float vmax(const float* x, int64_t n) {
  float m = x[0];
  for (int64_t i = 1; i < n; i++) m = fn::nan_max(m, x[i]);
  return m;
}

}  // namespace

VMathTable vmath_generic() {
  return {Isa::Generic,
          unary_loop<UnaryOp::exp>,
          unary_loop<UnaryOp::log>,
          unary_loop<UnaryOp::tanh>,
          unary_loop<UnaryOp::sigmoid>,
          gelu_loop,
          unary_loop<UnaryOp::erf>,
          unary_loop<UnaryOp::expm1>,
          unary_loop<UnaryOp::log1p>,
          sum,
          acc_row,
          vmax,
          nullptr,   // adam_f32: native/cpu/optim.cc's loop over the shared formula
          nullptr,   // maxpool2x2_f32 and its backward: native/cpu/conv.cc's scalar loops
          nullptr};
}

}  // namespace cpu
}  // namespace tf
