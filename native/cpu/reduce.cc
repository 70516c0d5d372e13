// Reductions over the trailing dims of a view, and row-wise softmax. Float
// accumulation is done in double: sums of millions of float32 values stay
// accurate to float32 rounding, as the tests demand.
#include <cmath>
#include <limits>

#include "../common/backend.h"
#include "parallel.h"

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

struct ReduceK {
  template <class T> static void run(ReduceOp op, const View& out, const View& a, int nred, double corr) {
    const int k = out.ndim;
    Block blk(a, k, nred);
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

struct SoftmaxK {
  template <class T> static void run(const View& out, const View& a, bool log) {
    const int64_t rows = a.shape[0], n = a.shape[1];
    const int64_t ars = a.strides[0], acs = a.strides[1], ors = out.strides[0], ocs = out.strides[1];
    cpu::parallel_for(rows, std::max<int64_t>(1, 16384 / std::max<int64_t>(1, n)), [&](int64_t b, int64_t e) {
      for (int64_t r = b; r < e; r++) {
        const T* x = a.ptr<T>() + r * ars;
        T* y = out.ptr<T>() + r * ors;
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
