// The one strided/broadcast iterator behind every pointwise CPU kernel.
// Dims are collapsed first (see layout.h), then the flat index range is split
// across threads; each range walks the outer dims and hands the innermost run
// to `inner(n, ptrs, strides)`, which specialises contiguous and broadcast
// (stride 0) runs so the compiler vectorises them.
#pragma once
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "../common/layout.h"
#include "parallel.h"

namespace tf {
namespace cpu {

// c ? x : y through bit masks. On data-dependent conditions (a ReLU mask,
// max-pooling comparisons) GCC compiles ?: on floats to branches that
// mispredict about half the time: where() on a 2.2M-element ReLU mask took
// 7.4 ms with ?:, and the 2x2 max-pool loop 13 ms instead of 1.9.
template <class T> inline T select_bits(bool c, T x, T y) {
  using U = std::conditional_t<sizeof(T) == 8, uint64_t, std::conditional_t<sizeof(T) == 4, uint32_t, uint8_t>>;
  static_assert(sizeof(T) == sizeof(U), "select_bits: 1-, 4- or 8-byte types");
  U a, b;
  std::memcpy(&a, &x, sizeof a);
  std::memcpy(&b, &y, sizeof b);
  const U m = (U)0 - (U)c, r = (a & m) | (b & ~m);
  T out;
  std::memcpy(&out, &r, sizeof out);
  return out;
}

template <int NV>
struct Iter {
  int nd;
  int64_t shape[kMaxDims];
  int64_t strides[NV][kMaxDims];  // bytes
  char* base[NV];

  explicit Iter(const View* const* views) {
    const int64_t* st[NV];
    for (int v = 0; v < NV; v++) st[v] = views[v]->strides;
    int64_t s[NV][kMaxDims];
    nd = collapse_dims(views[0]->ndim, views[0]->shape, NV, st, shape, s);
    for (int v = 0; v < NV; v++) {
      int64_t es = (int64_t)dtype_size(views[v]->dtype);
      base[v] = views[v]->base + views[v]->offset * es;
      for (int d = 0; d < nd; d++) strides[v][d] = s[v][d] * es;
    }
  }
  int64_t numel() const {
    int64_t n = 1;
    for (int d = 0; d < nd; d++) n *= shape[d];
    return n;
  }

  // inner(int64 n, char* const* ptrs, const int64* byte_strides)
  template <class Inner>
  void run(Inner inner, int64_t grain = kPointwiseGrain) const {
    const int64_t total = numel();
    if (total == 0) return;
    if (nd == 1 && total < 2 * grain) {
      // One run, inline (every small contiguous op): no index bookkeeping.
      // The pointers are passed where the constructor just stored them: a
      // copy was vectorised into 16-byte loads of two 8-byte stores, which
      // cannot be store-forwarded (~30% of a 4-element add's map2, in perf).
      int64_t st[NV];
      for (int v = 0; v < NV; v++) st[v] = strides[v][0];
      inner(total, base, st);
      return;
    }
    const int64_t inner_n = shape[nd - 1];
    parallel_for(total, grain, [&](int64_t begin, int64_t end) {
      int64_t idx[kMaxDims];
      int64_t rem = begin;
      // A range from 0 (every op that runs inline) needs no divisions.
      for (int d = nd - 1; d >= 0; d--) {
        idx[d] = rem == 0 ? 0 : rem % shape[d];
        rem = rem == 0 ? 0 : rem / shape[d];
      }
      int64_t inner_st[NV];
      for (int v = 0; v < NV; v++) inner_st[v] = strides[v][nd - 1];
      int64_t pos = begin;
      while (pos < end) {
        char* p[NV];
        for (int v = 0; v < NV; v++) {
          int64_t off = 0;
          for (int d = 0; d < nd; d++) off += idx[d] * strides[v][d];
          p[v] = base[v] + off;
        }
        int64_t n = std::min<int64_t>(inner_n - idx[nd - 1], end - pos);
        inner(n, p, inner_st);
        pos += n;
        idx[nd - 1] += n;
        for (int d = nd - 1; d > 0 && idx[d] >= shape[d]; d--) {
          idx[d] = 0;
          idx[d - 1]++;
        }
      }
    });
  }
};

// Applies out = f(a) elementwise with contiguous fast path.
template <class TO, class TA, class F>
void map1(const View& out, const View& a, F f) {
  const View* vs[2] = {&out, &a};
  Iter<2> it(vs);
  it.run([&](int64_t n, char* const* p, const int64_t* s) {
    TO* o = (TO*)p[0];
    const TA* x = (const TA*)p[1];
    if (s[0] == sizeof(TO) && s[1] == sizeof(TA)) {
      // ivdep: out and in are the same array or disjoint (never partially
      // overlapping), so the loop has no carried dependence; without the hint
      // GCC keeps the scalar loop when f captures state (a scalar operand).
#pragma GCC ivdep
      for (int64_t i = 0; i < n; i++) o[i] = f(x[i]);
    } else {
      for (int64_t i = 0; i < n; i++) *(TO*)(p[0] + i * s[0]) = f(*(const TA*)(p[1] + i * s[1]));
    }
  });
}

// out = fn(a) for float32 with a vector routine fn(x, y, n) from vmath.h.
// Contiguous runs go straight to fn; strided or broadcast runs are gathered
// into a small buffer, transformed by the same routine and scattered back, so
// a view gives bit-identical results to its contiguous copy.
inline void map1_f32_vec(const View& out, const View& a, void (*fn)(const float*, float*, int64_t)) {
  const View* vs[2] = {&out, &a};
  Iter<2> it(vs);
  it.run([&](int64_t n, char* const* p, const int64_t* s) {
    if (s[0] == (int64_t)sizeof(float) && s[1] == (int64_t)sizeof(float)) {
      fn((const float*)p[1], (float*)p[0], n);
      return;
    }
    constexpr int64_t kBlock = 256;
    float buf[kBlock];
    for (int64_t i0 = 0; i0 < n; i0 += kBlock) {
      const int64_t m = std::min(kBlock, n - i0);
      for (int64_t i = 0; i < m; i++) buf[i] = *(const float*)(p[1] + (i0 + i) * s[1]);
      fn(buf, buf, m);
      for (int64_t i = 0; i < m; i++) *(float*)(p[0] + (i0 + i) * s[0]) = buf[i];
    }
  });
}

// out = f(a, b) elementwise; specialises contiguous and b-broadcast runs.
template <class TO, class T, class F>
void map2(const View& out, const View& a, const View& b, F f) {
  const View* vs[3] = {&out, &a, &b};
  Iter<3> it(vs);
  it.run([&](int64_t n, char* const* p, const int64_t* s) {
    TO* o = (TO*)p[0];
    const T* x = (const T*)p[1];
    const T* y = (const T*)p[2];
    // ivdep as in map1: an in-place op (out is a) may alias, never partially overlap.
    if (s[0] == sizeof(TO) && s[1] == sizeof(T) && s[2] == sizeof(T)) {
#pragma GCC ivdep
      for (int64_t i = 0; i < n; i++) o[i] = f(x[i], y[i]);
    } else if (s[0] == sizeof(TO) && s[1] == sizeof(T) && s[2] == 0) {
      const T yv = *y;
#pragma GCC ivdep
      for (int64_t i = 0; i < n; i++) o[i] = f(x[i], yv);
    } else if (s[0] == sizeof(TO) && s[1] == 0 && s[2] == sizeof(T)) {
      const T xv = *x;
#pragma GCC ivdep
      for (int64_t i = 0; i < n; i++) o[i] = f(xv, y[i]);
    } else {
      for (int64_t i = 0; i < n; i++)
        *(TO*)(p[0] + i * s[0]) = f(*(const T*)(p[1] + i * s[1]), *(const T*)(p[2] + i * s[2]));
    }
  });
}

}  // namespace cpu
}  // namespace tf
