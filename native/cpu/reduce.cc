// Reductions over the trailing dims of a view, and row-wise softmax. Float
// accumulation is done in double: sums of millions of float32 values stay
// accurate to float32 rounding, as the tests demand. Sums and means have fast
// paths (see try_fast_sum): contiguous rows use the SIMD double-accumulating
// sum from vmath.h, column reductions stream rows into a vector of
// accumulators, and one big sum is cut into fixed chunks whose partials are
// combined in order, so results never depend on the thread count.
#include <cmath>
#include <limits>
#include <vector>

#include "../common/backend.h"
#include "parallel.h"
#include "vmath.h"

namespace tf {
namespace backend {
namespace {

// Walks the reduced block (collapsed to as few dims as possible) calling
// f(value, flat_index) in row-major order.
struct Block {
  int nd;
  int64_t shape[kMaxDims], strides[kMaxDims];
  int64_t size;
  Block(const View& a, int first, int nred) {
    const int64_t* st[1] = {a.strides + first};
    int64_t s[1][kMaxDims];
    nd = collapse_dims(nred, a.shape + first, 1, st, shape, s);
    size = 1;
    for (int d = 0; d < nd; d++) {
      strides[d] = s[0][d];
      size *= shape[d];
    }
  }
  template <class T, class F>
  void each(const T* p, F f) const {
    if (size == 0) return;
    if (nd == 1) {
      const int64_t st = strides[0];
      if (st == 1)
        for (int64_t i = 0; i < shape[0]; i++) f(p[i], i);
      else
        for (int64_t i = 0; i < shape[0]; i++) f(p[i * st], i);
      return;
    }
    int64_t idx[kMaxDims] = {0};
    const int64_t inner = shape[nd - 1], ist = strides[nd - 1];
    for (int64_t flat = 0; flat < size; flat += inner) {
      int64_t off = 0;
      for (int d = 0; d < nd - 1; d++) off += idx[d] * strides[d];
      for (int64_t i = 0; i < inner; i++) f(p[off + i * ist], flat + i);
      for (int d = nd - 2; d >= 0; d--) {
        if (++idx[d] < shape[d]) break;
        idx[d] = 0;
      }
    }
  }
};

template <class T> using Acc = std::conditional_t<std::is_same<T, float>::value || std::is_integral<T>::value, double, T>;

template <class T>
void reduce_one(ReduceOp op, const T* p, const Block& blk, double correction, void* dst, DType out_dtype) {
  using A = Acc<T>;
  const int64_t n = blk.size;
  A r = 0;
  int32_t arg = 0;
  switch (op) {
    case ReduceOp::sum:
    case ReduceOp::mean:
      blk.each(p, [&](T v, int64_t) { r += (A)v; });
      if (op == ReduceOp::mean) r = n ? r / (A)n : std::numeric_limits<A>::quiet_NaN();
      break;
    case ReduceOp::prod:
      r = 1;
      blk.each(p, [&](T v, int64_t) { r *= (A)v; });
      break;
    case ReduceOp::norm2:
      blk.each(p, [&](T v, int64_t) { r += (A)v * (A)v; });
      r = std::sqrt(r);
      break;
    case ReduceOp::max:
    case ReduceOp::min:
    case ReduceOp::argmax:
    case ReduceOp::argmin: {
      // NaN wins (it propagates, and argmax points at the first NaN); among
      // equal values the first index wins, as in PyTorch.
      const bool is_max = op == ReduceOp::max || op == ReduceOp::argmax;
      bool first = true, nan = false;
      T best = T(0);
      blk.each(p, [&](T v, int64_t i) {
        if (nan) return;
        if (v != v) { best = v; arg = (int32_t)i; nan = true; return; }
        if (first || (is_max ? v > best : v < best)) { best = v; arg = (int32_t)i; first = false; }
      });
      r = n ? (A)best : std::numeric_limits<A>::quiet_NaN();
      break;
    }
    case ReduceOp::var: {
      A mean = 0;
      blk.each(p, [&](T v, int64_t) { mean += (A)v; });
      mean /= (A)n;
      blk.each(p, [&](T v, int64_t) { A d = (A)v - mean; r += d * d; });
      double denom = (double)n - correction;
      r = denom > 0 ? r / (A)denom : std::numeric_limits<A>::quiet_NaN();
      break;
    }
    case ReduceOp::logsumexp: {
      A m = -std::numeric_limits<A>::infinity();
      blk.each(p, [&](T v, int64_t) { if ((A)v > m || v != v) m = (A)v; });
      if (std::isinf((double)m) || m != m) { r = m; break; }
      blk.each(p, [&](T v, int64_t) { r += std::exp((A)v - m); });
      r = m + std::log(r);
      break;
    }
    default: break;
  }
  if (op == ReduceOp::argmax || op == ReduceOp::argmin) *(int32_t*)dst = arg;
  else if (out_dtype == DType::F32) *(float*)dst = (float)r;
  else if (out_dtype == DType::F64) *(double*)dst = (double)r;
  else if (out_dtype == DType::I32) *(int32_t*)dst = (int32_t)r;
  else *(uint8_t*)dst = r != 0;
}

// Partial sums of a contiguous run are taken over chunks of this many
// elements (fixed, so the combine order depends only on n).
constexpr int64_t kSumChunk = 1 << 16;

template <class T>
double sum_contiguous(const T* x, int64_t n) {
  if constexpr (std::is_same<T, float>::value) {
    const cpu::VMathTable& vt = cpu::vmath_table();
    if (n <= kSumChunk) return vt.sum_f32(x, n);
    const int64_t nchunks = (n + kSumChunk - 1) / kSumChunk;
    std::vector<double> part((size_t)nchunks);
    cpu::parallel_for(nchunks, 1, [&](int64_t b, int64_t e) {
      for (int64_t c = b; c < e; c++) part[c] = vt.sum_f32(x + c * kSumChunk, std::min(kSumChunk, n - c * kSumChunk));
    });
    double s = 0;
    for (double v : part) s += v;
    return s;
  } else {
    double s0 = 0, s1 = 0;  // two chains; baseline SSE2 handles doubles fine
    int64_t i = 0;
    for (; i + 2 <= n; i += 2) { s0 += x[i]; s1 += x[i + 1]; }
    if (i < n) s0 += x[i];
    return s0 + s1;
  }
}

template <class T>
void acc_row(double* acc, const T* x, int64_t n) {
  if constexpr (std::is_same<T, float>::value) cpu::vmath_table().acc_row_f32(acc, x, n);
  else for (int64_t j = 0; j < n; j++) acc[j] += x[j];
}

template <class T>
void store_as(const View& out, int64_t ooff, double v) {
  if (out.dtype == DType::F32) ((float*)out.base)[ooff] = (float)v;
  else ((double*)out.base)[ooff] = v;
}

// Sum/mean of float32/float64 in the two layouts that matter: each output's
// reduced elements contiguous (row sums, full sums), or the kept elements
// contiguous in both `a` and `out` with one strided reduced dim (column
// sums: sum over dim 0 of [N, M], the bias gradient). Returns false when the
// general path must run.
template <class T>
bool try_fast_sum(ReduceOp op, const View& out, const View& a, int nred, const Block& blk) {
  if constexpr (!std::is_floating_point<T>::value) {
    return false;
  } else {
    if (op != ReduceOp::sum && op != ReduceOp::mean) return false;
    if (out.dtype != a.dtype || blk.size == 0) return false;
    const int k = out.ndim;
    const int64_t nout = out.numel();
    if (nout == 0) return false;
    const double div = op == ReduceOp::mean ? (double)blk.size : 1.0;  // as the general path: sum / n
    const T* base = (const T*)a.base + a.offset;
    // Kept dims, collapsed jointly in `a` and `out`.
    int64_t kshape[kMaxDims], kst[2][kMaxDims];
    const int64_t* st[2] = {a.strides, out.strides};
    const int kd = k == 0 ? 1 : collapse_dims(k, out.shape, 2, st, kshape, kst);
    if (k == 0) { kshape[0] = 1; kst[0][0] = kst[1][0] = 0; }
    if (blk.nd > 1) {
      // Several reduced dims, the innermost contiguous (the conv bias gradient:
      // sum over N and the spatial dims of [N, C, L]): each output adds up
      // contiguous rows, in a fixed order.
      if (blk.strides[blk.nd - 1] != 1 || kd != 1) return false;
      const int64_t inner = blk.shape[blk.nd - 1], rows = blk.size / inner;
      cpu::parallel_for(nout, std::max<int64_t>(1, 32768 / blk.size), [&](int64_t b, int64_t e) {
        for (int64_t o = b; o < e; o++) {
          double s = 0;
          int64_t idx[kMaxDims] = {0};
          for (int64_t r = 0; r < rows; r++) {
            int64_t off = o * kst[0][0];
            for (int d = 0; d < blk.nd - 1; d++) off += idx[d] * blk.strides[d];
            s += sum_contiguous(base + off, inner);
            for (int d = blk.nd - 2; d >= 0 && ++idx[d] == blk.shape[d]; d--) idx[d] = 0;
          }
          store_as<T>(out, out.offset + o * kst[1][0], s / div);
        }
      });
      return true;
    }
    if (blk.strides[0] == 1) {
      if (kd != 1) return false;
      const int64_t n = blk.size;
      if (nout == 1) {
        store_as<T>(out, out.offset, sum_contiguous(base, n) / div);
        return true;
      }
      cpu::parallel_for(nout, std::max<int64_t>(1, 32768 / n), [&](int64_t b, int64_t e) {
        for (int64_t o = b; o < e; o++) store_as<T>(out, out.offset + o * kst[1][0], sum_contiguous(base + o * kst[0][0], n) / div);
      });
      return true;
    }
    if (kd != 1 || kst[0][0] != 1 || kst[1][0] != 1) return false;
    // Column reduction: stream N rows of M contiguous values into M double
    // accumulators. Threads own disjoint column ranges, so each column's
    // order of additions is the same whatever the thread count.
    const int64_t M = nout, N = blk.shape[0], rs = blk.strides[0];
    cpu::parallel_for(M, std::max<int64_t>(64, 32768 / std::max<int64_t>(1, N)), [&](int64_t j0, int64_t j1) {
      constexpr int64_t kCols = 2048;  // accumulators stay in L1/L2
      double acc[kCols];
      for (int64_t c0 = j0; c0 < j1; c0 += kCols) {
        const int64_t w = std::min(kCols, j1 - c0);
        for (int64_t j = 0; j < w; j++) acc[j] = 0;
        for (int64_t i = 0; i < N; i++) acc_row<T>(acc, base + i * rs + c0, w);
        for (int64_t j = 0; j < w; j++) store_as<T>(out, out.offset + c0 + j, acc[j] / div);
      }
    });
    return true;
  }
}

struct ReduceK {
  template <class T> static void run(ReduceOp op, const View& out, const View& a, int nred, double corr) {
    const int k = out.ndim;
    Block blk(a, k, nred);
    if (try_fast_sum<T>(op, out, a, nred, blk)) return;
    const int64_t nout = out.numel();
    const int64_t osz = (int64_t)dtype_size(out.dtype);
    cpu::parallel_for(nout, std::max<int64_t>(1, 32768 / std::max<int64_t>(1, blk.size)), [&](int64_t b, int64_t e) {
      for (int64_t o = b; o < e; o++) {
        int64_t rem = o, aoff = a.offset, ooff = out.offset;
        for (int d = k - 1; d >= 0; d--) {
          int64_t i = rem % out.shape[d];
          rem /= out.shape[d];
          aoff += i * a.strides[d];
          ooff += i * out.strides[d];
        }
        reduce_one<T>(op, (const T*)a.base + aoff, blk, corr, out.base + ooff * osz, out.dtype);
      }
    });
  }
};

// One float32 row: e[i] = exp(x[i] - m) into `e` (may be the output row) and
// returns sum(e) in double, m = max(x) (NaN if the row has one). An all -inf
// row uses m = 0 so the arithmetic stays NaN-free, as the general path does.
inline double exp_shifted_row(const float* x, float* e, int64_t n, float* m_out) {
  const cpu::VMathTable& vt = cpu::vmath_table();
  float m = vt.max_f32(x, n);
  if (std::isinf(m) && m < 0) m = 0;
  for (int64_t i = 0; i < n; i++) e[i] = x[i] - m;
  vt.exp(e, e, n);
  *m_out = m;
  return vt.sum_f32(e, n);
}

struct SoftmaxK {
  template <class T> static void run(const View& out, const View& a, bool log) {
    const int64_t rows = a.shape[0], n = a.shape[1];
    const int64_t ars = a.strides[0], acs = a.strides[1], ors = out.strides[0], ocs = out.strides[1];
    cpu::parallel_for(rows, std::max<int64_t>(1, 16384 / std::max<int64_t>(1, n)), [&](int64_t b, int64_t e) {
      for (int64_t r = b; r < e; r++) {
        const T* x = a.ptr<T>() + r * ars;
        T* y = out.ptr<T>() + r * ors;
        if constexpr (std::is_same<T, float>::value) {
          // Contiguous float32 rows that do not alias: SIMD exp, written
          // straight into the output row.
          if (acs == 1 && ocs == 1 && n > 0 && (y + n <= x || x + n <= y)) {
            float m;
            const double s = exp_shifted_row(x, y, n, &m);
            if (log) {
              const float lse = (float)(m + std::log(s));
              for (int64_t i = 0; i < n; i++) y[i] = x[i] - lse;
            } else {
              const float inv = (float)(1.0 / s);
              for (int64_t i = 0; i < n; i++) y[i] *= inv;
            }
            continue;
          }
        }
        T m = -std::numeric_limits<T>::infinity();
        for (int64_t i = 0; i < n; i++) m = (x[i * acs] > m || x[i * acs] != x[i * acs]) ? x[i * acs] : m;
        if (std::isinf(m) && m < 0) m = 0;  // all -inf row: keep NaN-free arithmetic below
        double s = 0;
        for (int64_t i = 0; i < n; i++) s += std::exp((double)(x[i * acs] - m));
        if (log) {
          const T lse = (T)(m + std::log(s));
          for (int64_t i = 0; i < n; i++) y[i * ocs] = x[i * acs] - lse;
        } else {
          const double inv = 1.0 / s;
          for (int64_t i = 0; i < n; i++) y[i * ocs] = (T)(std::exp((double)(x[i * acs] - m)) * inv);
        }
      }
    });
  }
};

struct CrossEntropyK {
  template <class T>
  static void run(const View& loss, const View* grad, const View& x, const View& t, int64_t ignore) {
    const int64_t N = x.shape[0], C = x.shape[1];
    const int32_t* tp = t.ptr<int32_t>();
    for (int64_t i = 0; i < N; i++) {
      int64_t ti = tp[i * t.strides[0]];
      if (ti != ignore && (ti < 0 || ti >= C))
        throw Error("crossEntropy: target " + std::to_string(ti) + " at position " + std::to_string(i) +
                    " is out of range for " + std::to_string(C) + " classes");
    }
    cpu::parallel_for(N, std::max<int64_t>(1, 16384 / std::max<int64_t>(1, C)), [&](int64_t b, int64_t e) {
      for (int64_t r = b; r < e; r++) {
        const T* xr = x.ptr<T>() + r * x.strides[0];
        const int64_t ti = tp[r * t.strides[0]];
        T* lr = loss.ptr<T>() + r * loss.strides[0];
        T* gr = grad ? grad->ptr<T>() + r * grad->strides[0] : nullptr;
        if (ti == ignore) {
          *lr = 0;
          if (gr) for (int64_t c = 0; c < C; c++) gr[c * grad->strides[1]] = 0;
          continue;
        }
        if constexpr (std::is_same<T, float>::value) {
          // Contiguous float32 rows: SIMD exp into the grad row (or a
          // per-thread scratch row), then loss and grad from it.
          if (x.strides[1] == 1 && (!gr || grad->strides[1] == 1)) {
            thread_local std::vector<float> scratch;
            float* ebuf = gr;
            if (!ebuf) {
              if ((int64_t)scratch.size() < C) scratch.resize((size_t)C);
              ebuf = scratch.data();
            }
            float m;
            const double s = exp_shifted_row(xr, ebuf, C, &m);
            *lr = (float)((double)m + std::log(s) - (double)xr[ti]);
            if (gr) {
              const float inv = (float)(1.0 / s);
              for (int64_t c = 0; c < C; c++) gr[c] *= inv;
              gr[ti] -= 1.0f;
            }
            continue;
          }
        }
        T m = xr[0];
        for (int64_t c = 1; c < C; c++) m = xr[c * x.strides[1]] > m ? xr[c * x.strides[1]] : m;
        double s = 0;
        for (int64_t c = 0; c < C; c++) s += std::exp((double)(xr[c * x.strides[1]] - m));
        const double lse = (double)m + std::log(s);
        *lr = (T)(lse - (double)xr[ti * x.strides[1]]);
        if (gr) {
          const double inv = 1.0 / s;
          for (int64_t c = 0; c < C; c++)
            gr[c * grad->strides[1]] = (T)(std::exp((double)(xr[c * x.strides[1]] - m)) * inv - (c == ti ? 1.0 : 0.0));
        }
      }
    });
  }
};

}  // namespace

void reduce(ReduceOp op, const View& out, const View& a, int nred, double correction) {
  TF_DISPATCH_ALL(a.dtype, ReduceK, op, out, a, nred, correction);
}

void softmax(const View& out, const View& a, bool log) { TF_DISPATCH_FLOAT(a.dtype, SoftmaxK, out, a, log); }

void cross_entropy(const View& loss, const View* grad, const View& logits, const View& target, int64_t ignore) {
  TF_DISPATCH_FLOAT(logits.dtype, CrossEntropyK, loss, grad, logits, target, ignore);
}

}  // namespace backend
}  // namespace tf
