// The vector math algorithms, written once over a small traits class V (one
// per ISA: vmath_avx2.cc, vmath_avx512.cc include this after defining it).
//
// Methods (our own derivation; the structure follows the published approach
// of SLEEF and XNNPACK: range reduction, then a polynomial):
// - exp: x = n*ln2 + r, |r| <= ln2/2 (Cody-Waite, ln2 split hi/lo), e^r by a
//   degree-6 polynomial (minimax for relative error, fitted with Lawson
//   iterations in float64: 3.1e-9 relative), scaled by 2^n as two factors
//   2^(n/2) * 2^(n - n/2), so results that overflow, or land in the
//   subnormal range, are rounded once, correctly signed to Inf / 0.
// - log: x = 2^e * m with m in [sqrt(1/2), sqrt(2)) (subnormals pre-scaled by
//   2^23), log(1+f) = f - f^2/2 + f^3 P(f), P of degree 8 (7.5e-10).
// - tanh: |x| < 0.55: x + x^3 P(x^2) (degree 4, 1.0e-9); else
//   1 - 2/(e^{2|x|} + 1) with the exp above (no cancellation: tanh >= 0.5).
// - sigmoid: e = e^{-|x|} (never overflows), 1/(1+e) or e/(1+e).
// - erf / erfc (and gelu = x/2 erfc(-x/sqrt2)): |z| < 0.5: erf = z P(z^2)
//   (degree 4, 1.4e-9), erfc = 1 - that (one fma). |z| >= 0.5:
//   erfc(z) = e^{-z^2} * erfcx(z), erfcx = t P(t - 0.4) with t = 1/(1+z),
//   P of degree 10 (2.6e-9 on [0.5, 10.5]); t is computed with a correction term
//   because erfcx is ~proportional to t, and z^2 is split into hi + lo with an
//   fma so the exponent keeps its low bits (e^{-hi-lo} = e^{-hi} (1 - lo)).
// - expm1: n = round(x/ln2), r as in exp, expm1(r) = r + r^2/2 + r^3 P(r)
//   (degree 4, 3.9e-10), expm1(x) = 2 * (2^(n-1) expm1(r) + (2^(n-1) - 1/2)),
//   which is exact up to the one fma rounding for |n| <= 24; n = 0 uses
//   expm1(r) directly.
// - log1p: u = 1 + x, log1p(x) = log(u) + (x - (u - 1)) / u (the correction
//   restores the bits of x lost in rounding u).
// Special values (NaN, +-Inf, +-0, domain errors) are fixed by selects at the
// end; min/max follow x86 semantics (the second operand is returned when
// either is NaN), which the clamps below use to keep NaN flowing through.
#pragma once
#include <cstdint>
#include <cstring>

namespace tf {
namespace cpu {
namespace TF_VMATH_NS {

template <class V>
struct VMath {
  using F = typename V::F;
  using I = typename V::I;
  using M = typename V::M;
  static constexpr int W = V::W;

  static inline F c(float v) { return V::set(v); }
  // Clamp that keeps NaN: V::min/max return their second operand on NaN.
  static inline F clamp(F x, float lo, float hi) { return V::max(c(lo), V::min(c(hi), x)); }
  static inline F pow2i(I n) { return V::asf(V::sll23(V::iadd(n, V::seti(127)))); }
  static inline F absf(F x) { return V::fand(x, V::asf(V::seti(0x7fffffff))); }
  static inline F signbit(F x) { return V::fand(x, V::asf(V::seti((int)0x80000000u))); }

  // q * e^(x - xlo) for x already clamped to [-104, 89] (NaN passes
  // through). xlo is a tiny correction (|xlo| << 1) subtracted from the
  // reduced argument; q multiplies e^r inside one fma, so callers that scale
  // the exponential pay no extra rounding.
  static inline F exp_mul(F x, F xlo, F q) {
    const F n = V::round(V::mul(x, c(1.44269504088896341f)));
    F r = V::fma(n, c(-0.693145751953125f), x);  // ln2 hi: 16 bits, n*hi exact
    r = V::sub(V::fma(n, c(-1.428606765330187045e-06f), r), xlo);
    F p = c(0.0013814599951729178f);
    p = V::fma(p, r, c(0.008368715643882751f));
    p = V::fma(p, r, c(0.04166838899254799f));
    p = V::fma(p, r, c(0.1666652113199234f));
    p = V::fma(p, r, c(0.4999999403953552f));
    const F em1 = V::fma(V::mul(r, r), p, r);  // e^r - 1
    const F er = V::fma(q, em1, q);
    const I ni = V::cvt(n);
    const I n1 = V::sra1(ni);
    return V::mul(V::mul(er, pow2i(n1)), pow2i(V::isub(ni, n1)));
  }
  static inline F exp_core(F x) { return exp_mul(x, c(0.0f), c(1.0f)); }
  static inline F exp(F x) { return exp_core(clamp(x, -104.0f, 89.0f)); }

  // log(x) for finite x > 0 (normal or subnormal); specials handled by callers.
  static inline F log_core(F x) {
    const M sub = V::lt(x, c(1.17549435e-38f));
    x = V::sel(sub, V::mul(x, c(8388608.0f)), x);
    const I ix = V::isub(V::asi(x), V::seti(0x3f3504f3));  // bits of sqrt(1/2)
    const F e = V::add(V::cvtf(V::sra23(ix)), V::sel(sub, c(-23.0f), c(0.0f)));
    const F f = V::sub(V::asf(V::iadd(V::iand(ix, V::seti(0x7fffff)), V::seti(0x3f3504f3))), c(1.0f));
    F p = c(0.06746601313352585f);
    p = V::fma(p, f, c(-0.11675640940666199f));
    p = V::fma(p, f, c(0.11888174712657928f));
    p = V::fma(p, f, c(-0.12405591458082199f));
    p = V::fma(p, f, c(0.14219550788402557f));
    p = V::fma(p, f, c(-0.1666799634695053f));
    p = V::fma(p, f, c(0.2000211924314499f));
    p = V::fma(p, f, c(-0.25000008940696716f));
    p = V::fma(p, f, c(0.3333331346511841f));
    const F f2 = V::mul(f, f);
    const F l1p = V::fma(f2, V::fma(f, p, c(-0.5f)), f);
    // e*ln2 with ln2 = float(ln2) + lo; the fma forms e*float(ln2) exactly.
    return V::fma(e, c(0.693147182464599609375f), V::fma(e, c(-1.904654323148236e-09f), l1p));
  }
  static inline F log_special(F x, F y) {
    y = V::sel(V::eq(x, c(__builtin_inff())), x, y);
    y = V::sel(V::lt(x, c(0.0f)), c(__builtin_nanf("")), y);
    y = V::sel(V::eq(x, c(0.0f)), c(-__builtin_inff()), y);
    return V::sel(V::isnan(x), x, y);
  }
  static inline F log(F x) { return log_special(x, log_core(x)); }

  static inline F tanh(F x) {
    const F a = absf(x);
    const F a2 = V::mul(a, a);
    F p = c(-0.006274243351072073f);
    p = V::fma(p, a2, c(0.02107168175280094f));
    p = V::fma(p, a2, c(-0.05385231226682663f));
    p = V::fma(p, a2, c(0.13332585990428925f));
    p = V::fma(p, a2, c(-0.33333316445350647f));
    const F small = V::fma(V::mul(a2, a), p, a);
    // tanh(10) rounds to 1; clamping keeps e^{2a} finite.
    const F e = exp_core(V::mul(c(2.0f), V::min(c(10.0f), a)));
    const F large = V::sub(c(1.0f), V::div(c(2.0f), V::add(e, c(1.0f))));
    return V::for_(V::sel(V::lt(a, c(0.55f)), small, large), signbit(x));
  }

  static inline F sigmoid(F x) {
    const F e = exp_core(V::max(c(-104.0f), V::sub(c(0.0f), absf(x))));
    return V::div(V::sel(V::ge(x, c(0.0f)), c(1.0f), e), V::add(c(1.0f), e));
  }

  // erf(z) ~ z P(z^2) for |z| < 0.5; erf_p returns P(z^2).
  static inline F erf_p(F z) {
    const F z2 = V::mul(z, z);
    F p = c(0.004718033596873283f);
    p = V::fma(p, z2, c(-0.02675720863044262f));
    p = V::fma(p, z2, c(0.11282823234796524f));
    p = V::fma(p, z2, c(-0.37612608075141907f));
    return V::fma(p, z2, c(1.1283791065216064f));
  }
  // erfcx(a) = e^{a^2} erfc(a) for a in [0.5, 10.5], where a = ahi + alo
  // (alo carries what rounding a cost, e.g. |x|/sqrt2 in gelu).
  static inline F erfcx(F a, F alo) {
    // t = 1/(1+a) with the roundings of 1+a (TwoSum) and of the division
    // folded back in: erfcx is nearly proportional to t, so t's error would
    // pass straight into the result.
    const F d = V::add(c(1.0f), a);
    const F bb = V::sub(d, c(1.0f));
    const F dlo = V::add(V::add(V::sub(c(1.0f), V::sub(d, bb)), V::sub(a, bb)), alo);
    const F t0 = V::div(c(1.0f), d);
    const F res = V::fnma(t0, dlo, V::fnma(t0, d, c(1.0f)));
    const F t = V::fma(res, t0, t0);
    // P(t - 0.4): centring keeps the alternating terms from cancelling;
    // coefficients rounded to float one at a time, re-fitting the rest.
    const F s = V::sub(t, c(0.4f));
    F p = c(1.8103094100952148f);
    p = V::fma(p, s, c(-1.3527146577835083f));
    p = V::fma(p, s, c(-0.33525291085243225f));
    p = V::fma(p, s, c(0.9663273692131042f));
    p = V::fma(p, s, c(-0.5824214816093445f));
    p = V::fma(p, s, c(-0.12597991526126862f));
    p = V::fma(p, s, c(0.5265505313873291f));
    p = V::fma(p, s, c(-0.30077096819877625f));
    p = V::fma(p, s, c(-0.32164397835731506f));
    p = V::fma(p, s, c(0.5466991662979126f));
    p = V::fma(p, s, c(0.8039635419845581f));
    return V::mul(p, t);
  }
  // scale * erfc(a) for a >= 0.5 as (scale * erfcx(a)) * e^{-hi-lo}, where
  // hi + lo = a^2 exactly; the scale enters before the possibly-subnormal
  // exponential so the tail rounds once.
  static inline F erfc_tail(F a, F alo, F hi, F lo, F scale) {
    const F q = V::mul(scale, erfcx(V::min(c(10.5f), a), alo));
    return exp_mul(V::max(c(-104.0f), V::sub(c(0.0f), hi)), lo, q);
  }

  static inline F erf(F x) {
    const F a = V::min(c(10.5f), absf(x));  // erfc(10.5) == 0 in float; NaN stays
    const F hi = V::mul(a, a);
    const F lo = V::fma(a, a, V::sub(c(0.0f), hi));
    const F tail = V::sub(c(1.0f), erfc_tail(a, c(0.0f), hi, lo, c(1.0f)));
    const F y = V::sel(V::lt(a, c(0.5f)), V::mul(x, erf_p(x)), V::for_(tail, signbit(x)));
    return y;
  }

  // gelu(x) = x/2 * erfc(-x/sqrt2). For x < 0 the tail is (x/2) erfcx e^{-x^2/2};
  // x^2/2 is split exactly from x (not from the rounded x/sqrt2).
  static inline F gelu(F x) {
    const F xc = clamp(x, -15.0f, 15.0f);
    // w = -x/sqrt2 = whi + wlo: 1/sqrt2 as a float pair, the product's
    // rounding recovered with an fma.
    const F w = V::mul(xc, c(-0.707106769084930419921875f));
    const F wlo = V::fma(xc, c(-0.707106769084930419921875f), V::sub(c(0.0f), w));
    const F wlo2 = V::fma(xc, c(-1.2101617485882343e-08f), wlo);
    const F aw = absf(w);
    const F awlo = V::sel(V::lt(w, c(0.0f)), V::sub(c(0.0f), wlo2), wlo2);
    const F sq = V::mul(xc, xc);
    const F sqlo = V::fma(xc, xc, V::sub(c(0.0f), sq));
    const F hi = V::mul(sq, c(0.5f)), lo = V::mul(sqlo, c(0.5f));
    const F hx = V::mul(x, c(0.5f));
    // erfc(w) = 1 - erf(w) for |w| < 0.5: one fma, no cancellation beyond 2x.
    const F ysmall = V::mul(hx, V::fnma(w, erf_p(w), c(1.0f)));
    const F tail = erfc_tail(aw, awlo, hi, lo, c(1.0f));
    // w >= 0 (x <= 0): x/2 * erfc(aw); w < 0: x/2 * (2 - erfc(aw)).
    const F yneg = erfc_tail(aw, awlo, hi, lo, hx);
    const F ypos = V::mul(hx, V::sub(c(2.0f), tail));
    F y = V::sel(V::lt(aw, c(0.5f)), ysmall, V::sel(V::le(x, c(0.0f)), yneg, ypos));
    y = V::sel(V::eq(x, c(__builtin_inff())), x, y);
    return V::sel(V::eq(x, c(-__builtin_inff())), c(__builtin_nanf("")), y);
  }

  static inline F expm1(F x) {
    const F xc = clamp(x, -30.0f, 89.0f);
    const F n = V::round(V::mul(xc, c(1.44269504088896341f)));
    F r = V::fma(n, c(-0.693145751953125f), xc);
    r = V::fma(n, c(-1.428606765330187045e-06f), r);
    F p = c(0.00019824125047307462f);
    p = V::fma(p, r, c(0.0013933251611888409f));
    p = V::fma(p, r, c(0.0083334194496274f));
    p = V::fma(p, r, c(0.041666481643915176f));
    p = V::fma(p, r, c(0.1666666567325592f));
    const F em = V::fma(V::mul(r, r), V::fma(r, p, c(0.5f)), r);
    const F t = pow2i(V::isub(V::cvt(n), V::seti(1)));  // 2^(n-1), normal for n in [-43, 128]
    F y = V::mul(c(2.0f), V::fma(t, em, V::sub(t, c(0.5f))));
    y = V::sel(V::eq(n, c(0.0f)), em, y);
    return V::sel(V::eq(x, c(0.0f)), x, y);  // keeps -0
  }

  static inline F log1p(F x) {
    const F u = V::add(c(1.0f), x);
    const F corr = V::div(V::sub(x, V::sub(u, c(1.0f))), u);
    F y = V::add(log_core(u), corr);
    y = V::sel(V::eq(x, c(__builtin_inff())), x, y);
    y = V::sel(V::lt(x, c(-1.0f)), c(__builtin_nanf("")), y);
    y = V::sel(V::eq(x, c(-1.0f)), c(-__builtin_inff()), y);
    y = V::sel(V::eq(x, c(0.0f)), x, y);  // keeps -0
    return V::sel(V::isnan(x), x, y);
  }
};

enum Fn { kExp, kLog, kTanh, kSigmoid, kGelu, kErf, kExpm1, kLog1p };

template <class V, int K>
inline typename V::F op(typename V::F x) {
  using VM = VMath<V>;
  if constexpr (K == kExp) return VM::exp(x);
  else if constexpr (K == kLog) return VM::log(x);
  else if constexpr (K == kTanh) return VM::tanh(x);
  else if constexpr (K == kSigmoid) return VM::sigmoid(x);
  else if constexpr (K == kGelu) return VM::gelu(x);
  else if constexpr (K == kErf) return VM::erf(x);
  else if constexpr (K == kExpm1) return VM::expm1(x);
  else return VM::log1p(x);
}

// Applies one of the above to a run; the tail goes through a padded buffer so
// every element sees exactly the same arithmetic.
template <class V, int K>
void apply(const float* x, float* y, int64_t n) {
  constexpr int W = V::W;
  int64_t i = 0;
  for (; i + 2 * W <= n; i += 2 * W) {  // two vectors per trip: more independent work in flight
    const typename V::F a = V::load(x + i), b = V::load(x + i + W);
    V::store(y + i, op<V, K>(a));
    V::store(y + i + W, op<V, K>(b));
  }
  for (; i + W <= n; i += W) V::store(y + i, op<V, K>(V::load(x + i)));
  if (i < n) {
    alignas(64) float buf[W] = {0};
    std::memcpy(buf, x + i, (size_t)(n - i) * sizeof(float));
    V::store(buf, op<V, K>(V::load(buf)));
    std::memcpy(y + i, buf, (size_t)(n - i) * sizeof(float));
  }
}

// Sum in double: 4 vector accumulators of W/2 doubles per half-vector, a fixed
// combine order, so the result depends only on n and the data.
template <class V>
double sum_f32(const float* x, int64_t n) {
  constexpr int W = V::W;
  typename V::D s0 = V::dzero(), s1 = V::dzero(), s2 = V::dzero(), s3 = V::dzero();
  int64_t i = 0;
  for (; i + 2 * W <= n; i += 2 * W) {
    const typename V::F a = V::load(x + i), b = V::load(x + i + W);
    s0 = V::dadd(s0, V::dlo(a));
    s1 = V::dadd(s1, V::dhi(a));
    s2 = V::dadd(s2, V::dlo(b));
    s3 = V::dadd(s3, V::dhi(b));
  }
  double s = V::dhsum(V::dadd(V::dadd(s0, s1), V::dadd(s2, s3)));
  for (; i < n; i++) s += x[i];
  return s;
}

template <class V>
void acc_row_f32(double* acc, const float* x, int64_t n) {
  constexpr int W = V::W;
  int64_t j = 0;
  for (; j + W <= n; j += W) {
    const typename V::F a = V::load(x + j);
    V::dstore(acc + j, V::dadd(V::dload(acc + j), V::dlo(a)));
    V::dstore(acc + j + W / 2, V::dadd(V::dload(acc + j + W / 2), V::dhi(a)));
  }
  for (; j < n; j++) acc[j] += x[j];
}

template <class V>
float max_f32(const float* x, int64_t n) {
  constexpr int W = V::W;
  float m = x[0];
  int64_t i = 0;
  if (n >= W) {
    typename V::F vm = V::load(x), bad = V::set(0.0f);
    for (i = W; i + W <= n; i += W) {
      const typename V::F a = V::load(x + i);
      vm = V::max(a, vm);  // a NaN lane keeps vm; NaNs are tracked separately
      bad = V::for_(bad, V::sel(V::isnan(a), V::set(1.0f), V::set(0.0f)));
    }
    alignas(64) float t[W], b[W];
    V::store(t, vm);
    V::store(b, bad);
    m = t[0];
    for (int k = 0; k < W; k++) {
      if (b[k] != 0.0f || t[k] != t[k]) return __builtin_nanf("");
      m = t[k] > m ? t[k] : m;
    }
  }
  for (; i < n; i++) {
    if (x[i] != x[i]) return x[i];
    m = x[i] > m ? x[i] : m;
  }
  return m;
}

// optim::Adam<float>::apply_as over [b, e), W lanes at a time; the tail goes
// through padded buffers so every element sees the same arithmetic.
template <class V, bool DEC, bool AMS>
void adam_run(const optim::Adam<float>& op, int64_t b, int64_t e) {
  using F = typename V::F;
  constexpr int W = V::W;
  const F b1 = V::set(op.b1), omb1 = V::set(1.0f - op.b1), b2 = V::set(op.b2), omb2 = V::set(1.0f - op.b2);
  const F wd = V::set(op.wd), eps = V::set(op.eps), step = V::set(op.step), isbc2 = V::set(op.isbc2), decay = V::set(op.decay);
  auto body = [&](float* p, const float* g, float* m, float* v, float* vmax) {
    F gi = V::load(g), pi = V::load(p);
    if (DEC) pi = V::mul(pi, decay);
    else gi = V::fma(wd, pi, gi);
    const F mi = V::fma(b1, V::load(m), V::mul(omb1, gi));
    const F vi = V::fma(b2, V::load(v), V::mul(omb2, V::mul(gi, gi)));
    V::store(m, mi);
    V::store(v, vi);
    F vh = vi;
    if (AMS) {
      vh = V::max(V::load(vmax), vi);  // x86 max(a, b) is a > b ? a : b, the scalar formula's select
      V::store(vmax, vh);
    }
    V::store(p, V::fnma(step, V::div(mi, V::add(V::mul(V::sqrt(vh), isbc2), eps)), pi));
  };
  int64_t i = b;
  for (; i + W <= e; i += W) body(op.p + i, op.g + i, op.m + i, op.v + i, AMS ? op.vmax + i : nullptr);
  if (i < e) {
    alignas(64) float p[W] = {0}, g[W] = {0}, m[W] = {0}, v[W] = {0}, vm[W] = {0};
    const size_t bytes = (size_t)(e - i) * sizeof(float);
    std::memcpy(p, op.p + i, bytes);
    std::memcpy(g, op.g + i, bytes);
    std::memcpy(m, op.m + i, bytes);
    std::memcpy(v, op.v + i, bytes);
    if (AMS) std::memcpy(vm, op.vmax + i, bytes);
    body(p, g, m, v, vm);
    std::memcpy(op.p + i, p, bytes);
    std::memcpy(op.m + i, m, bytes);
    std::memcpy(op.v + i, v, bytes);
    if (AMS) std::memcpy(op.vmax + i, vm, bytes);
  }
}

template <class V>
void adam_f32(const optim::Adam<float>& op, bool amsgrad, int64_t b, int64_t e) {
  if (op.decoupled) amsgrad ? adam_run<V, true, true>(op, b, e) : adam_run<V, true, false>(op, b, e);
  else amsgrad ? adam_run<V, false, true>(op, b, e) : adam_run<V, false, false>(op, b, e);
}

template <class V>
VMathTable make_table(Isa isa) {
  return {isa,
          apply<V, kExp>,
          apply<V, kLog>,
          apply<V, kTanh>,
          apply<V, kSigmoid>,
          apply<V, kGelu>,
          apply<V, kErf>,
          apply<V, kExpm1>,
          apply<V, kLog1p>,
          sum_f32<V>,
          acc_row_f32<V>,
          max_f32<V>,
          adam_f32<V>,
          nullptr,   // maxpool2x2_f32 and its backward: set by the ISAs that have one
          nullptr};
}

}  // namespace TF_VMATH_NS
}  // namespace cpu
}  // namespace tf
