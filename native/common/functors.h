// Scalar functors for every pointwise op, written once and compiled for the CPU
// (inside vectorisable loops) and for CUDA (__host__ __device__). Parameters
// (clamp bounds, exponent, slope) travel in p0/p1.
#pragma once
#include <math.h>
#include <stdint.h>
#include <type_traits>
#include "ops.h"

#if defined(__CUDACC__) || defined(TF_CUDA_EMULATION)
#define TF_HD __host__ __device__
#else
#define TF_HD
#endif

namespace tf {
namespace fn {

// Overloads pick the float or double libm routine so float math stays float.
TF_HD inline float m_exp(float x) { return ::expf(x); }
TF_HD inline double m_exp(double x) { return ::exp(x); }
TF_HD inline float m_log(float x) { return ::logf(x); }
TF_HD inline double m_log(double x) { return ::log(x); }
TF_HD inline float m_log1p(float x) { return ::log1pf(x); }
TF_HD inline double m_log1p(double x) { return ::log1p(x); }
TF_HD inline float m_expm1(float x) { return ::expm1f(x); }
TF_HD inline double m_expm1(double x) { return ::expm1(x); }
TF_HD inline float m_sqrt(float x) { return ::sqrtf(x); }
TF_HD inline double m_sqrt(double x) { return ::sqrt(x); }
TF_HD inline float m_sin(float x) { return ::sinf(x); }
TF_HD inline double m_sin(double x) { return ::sin(x); }
TF_HD inline float m_cos(float x) { return ::cosf(x); }
TF_HD inline double m_cos(double x) { return ::cos(x); }
TF_HD inline float m_tanh(float x) { return ::tanhf(x); }
TF_HD inline double m_tanh(double x) { return ::tanh(x); }
TF_HD inline float m_erf(float x) { return ::erff(x); }
TF_HD inline double m_erf(double x) { return ::erf(x); }
TF_HD inline float m_erfc(float x) { return ::erfcf(x); }
TF_HD inline double m_erfc(double x) { return ::erfc(x); }
TF_HD inline float m_pow(float x, float y) { return ::powf(x, y); }
TF_HD inline double m_pow(double x, double y) { return ::pow(x, y); }
TF_HD inline float m_floor(float x) { return ::floorf(x); }
TF_HD inline double m_floor(double x) { return ::floor(x); }
TF_HD inline float m_ceil(float x) { return ::ceilf(x); }
TF_HD inline double m_ceil(double x) { return ::ceil(x); }
// Round half to even, as PyTorch and NumPy do.
TF_HD inline float m_round(float x) { return ::rintf(x); }
TF_HD inline double m_round(double x) { return ::rint(x); }
TF_HD inline int32_t m_floor(int32_t x) { return x; }
TF_HD inline int32_t m_ceil(int32_t x) { return x; }
TF_HD inline int32_t m_round(int32_t x) { return x; }
template <class T> TF_HD inline bool m_isnan(T x) { return x != x; }
template <class T> TF_HD inline bool m_isinf(T x) { return x - x != x - x && x == x; }

template <class T> TF_HD inline T sigmoid(T x) {
  // Two branches so neither exp() overflows.
  if (x >= T(0)) return T(1) / (T(1) + m_exp(-x));
  T e = m_exp(x);
  return e / (T(1) + e);
}

// NaN-propagating max/min (PyTorch's maximum/minimum semantics).
template <class T> TF_HD inline T nan_max(T a, T b) { return (a != a || a > b) ? a : (b != b ? b : (a > b ? a : b)); }
template <class T> TF_HD inline T nan_min(T a, T b) { return (a != a || a < b) ? a : (b != b ? b : (a < b ? a : b)); }

// Integer inputs compute in double (the binding only lets numeric-kind ops
// reach here with ints; this keeps every instantiation well-formed).
template <class T> using Compute = std::conditional_t<std::is_floating_point<T>::value, T, double>;

template <UnaryOp OP, class E>
struct Unary {
  E p0, p1;
  TF_HD inline E operator()(E x) const { return (E)eval<Compute<E>>((Compute<E>)x, (Compute<E>)p0, (Compute<E>)p1); }
  template <class T>
  TF_HD static inline T eval(T x, T p0, T p1) {
    if constexpr (OP == UnaryOp::neg) return -x;
    else if constexpr (OP == UnaryOp::abs) return x < T(0) ? -x : x;
    else if constexpr (OP == UnaryOp::exp) return m_exp(x);
    else if constexpr (OP == UnaryOp::log) return m_log(x);
    else if constexpr (OP == UnaryOp::log1p) return m_log1p(x);
    else if constexpr (OP == UnaryOp::expm1) return m_expm1(x);
    else if constexpr (OP == UnaryOp::sqrt) return m_sqrt(x);
    else if constexpr (OP == UnaryOp::rsqrt) return T(1) / m_sqrt(x);
    else if constexpr (OP == UnaryOp::sin) return m_sin(x);
    else if constexpr (OP == UnaryOp::cos) return m_cos(x);
    else if constexpr (OP == UnaryOp::tanh) return m_tanh(x);
    else if constexpr (OP == UnaryOp::sigmoid) return sigmoid(x);
    else if constexpr (OP == UnaryOp::relu) return x > T(0) ? x : (x != x ? x : T(0));
    // erfc(-x/sqrt2) rather than 1 + erf(x/sqrt2): the latter cancels to 0
    // for x below about -5.5 (float) / -8.3 (double), where gelu is tiny but not 0.
    else if constexpr (OP == UnaryOp::gelu) return T(0.5) * x * m_erfc(x * T(-0.70710678118654752440));
    else if constexpr (OP == UnaryOp::sign) return x > T(0) ? T(1) : (x < T(0) ? T(-1) : x);
    else if constexpr (OP == UnaryOp::floor) return m_floor(x);
    else if constexpr (OP == UnaryOp::ceil) return m_ceil(x);
    else if constexpr (OP == UnaryOp::round) return m_round(x);
    else if constexpr (OP == UnaryOp::clamp) return x != x ? x : (x < p0 ? p0 : (x > p1 ? p1 : x));
    else if constexpr (OP == UnaryOp::powScalar) return m_pow(x, p0);
    else if constexpr (OP == UnaryOp::leakyRelu) return x > T(0) ? x : x * p0;
    else if constexpr (OP == UnaryOp::reciprocal) return T(1) / x;
    else if constexpr (OP == UnaryOp::square) return x * x;
    else if constexpr (OP == UnaryOp::erf) return m_erf(x);
    else if constexpr (OP == UnaryOp::mulAdd) return x * p0 + p1;
    else return x;
  }
};

// Ops whose output is bool (stored as uint8).
template <UnaryOp OP, class T>
struct UnaryPred {
  TF_HD inline uint8_t operator()(T x) const {
    if constexpr (OP == UnaryOp::logicalNot) return x == T(0);
    else if constexpr (OP == UnaryOp::isnan) return m_isnan(x);
    else return m_isinf(x);
  }
};

template <BinaryOp OP, class T>
struct Binary {
  TF_HD inline T operator()(T a, T b) const {
    if constexpr (OP == BinaryOp::add) return a + b;
    else if constexpr (OP == BinaryOp::sub) return a - b;
    else if constexpr (OP == BinaryOp::mul) return a * b;
    else if constexpr (OP == BinaryOp::div) return a / b;
    else if constexpr (OP == BinaryOp::pow) return (T)m_pow((Compute<T>)a, (Compute<T>)b);
    else if constexpr (OP == BinaryOp::maximum) return nan_max(a, b);
    else if constexpr (OP == BinaryOp::minimum) return nan_min(a, b);
    // ReLU's backward in one pass: the gradient a where the output b is
    // positive (a select, so it vectorises), instead of where(gt(b, 0), a, 0).
    else return b > T(0) ? a : T(0);
  }
};

template <BinaryOp OP, class T>
struct BinaryPred {
  TF_HD inline uint8_t operator()(T a, T b) const {
    if constexpr (OP == BinaryOp::eq) return a == b;
    else if constexpr (OP == BinaryOp::ne) return a != b;
    else if constexpr (OP == BinaryOp::lt) return a < b;
    else if constexpr (OP == BinaryOp::le) return a <= b;
    else if constexpr (OP == BinaryOp::gt) return a > b;
    else if constexpr (OP == BinaryOp::ge) return a >= b;
    else if constexpr (OP == BinaryOp::logicalAnd) return (a != T(0)) && (b != T(0));
    else return (a != T(0)) || (b != T(0));
  }
};

}  // namespace fn
}  // namespace tf
