// Reductions over trailing dims, row softmax and fused cross-entropy on CUDA.
//
// Every reduction accumulates in double (as the CPU does) in an accumulator
// that can be merged, so one kernel serves three shapes of work: a thread per
// output (tiny reduced blocks), a warp per output (merged with shuffles), or
// a whole block per output (warps merged through shared memory).
#include <cmath>
#include <limits>

#include "cuda_common.h"

namespace tf {
namespace backend {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// One state for every ReduceOp; which fields mean what depends on the op:
//   sum/mean/norm2: s = sum;  prod: s = product
//   max/min/arg*:   s = best value, n = its index (-1 while empty), nan = saw NaN
//   var:            Welford/Chan: n = count, m = mean, s = sum of squared deviations
//   logsumexp:      m = running max, s = sum of exp(x - m), nan = saw NaN
struct Acc {
  double s, m;
  int64_t n;
  int nan;
};

__host__ __device__ inline Acc acc_init(ReduceOp op) {
  if (op == ReduceOp::prod) return {1.0, 0.0, 0, 0};
  if (op == ReduceOp::logsumexp) return {0.0, -kInf, 0, 0};
  if (op == ReduceOp::max || op == ReduceOp::min || op == ReduceOp::argmax || op == ReduceOp::argmin) return {0.0, 0.0, -1, 0};
  return {0.0, 0.0, 0, 0};
}

// Merges b into a. Must be associative and, for index ties, order-free: the
// lowest index wins, which is also the CPU's "first occurrence" rule.
__device__ inline Acc acc_merge(ReduceOp op, Acc a, Acc b) {
  switch (op) {
    case ReduceOp::sum:
    case ReduceOp::mean:
    case ReduceOp::norm2:
      a.s += b.s;
      return a;
    case ReduceOp::prod:
      a.s *= b.s;
      return a;
    case ReduceOp::max:
    case ReduceOp::min:
    case ReduceOp::argmax:
    case ReduceOp::argmin: {
      if (b.n < 0) return a;
      if (a.n < 0) return b;
      // NaN beats numbers; between NaNs (or equal values) the first index wins.
      if (a.nan || b.nan) return (a.nan && (!b.nan || a.n < b.n)) ? a : b;
      const bool is_max = op == ReduceOp::max || op == ReduceOp::argmax;
      const bool b_better = is_max ? b.s > a.s : b.s < a.s;
      return (b_better || (b.s == a.s && b.n < a.n)) ? b : a;
    }
    case ReduceOp::var: {
      if (b.n == 0) return a;
      if (a.n == 0) return b;
      const double n = (double)(a.n + b.n), d = b.m - a.m;
      a.s += b.s + d * d * (double)a.n * (double)b.n / n;
      a.m += d * (double)b.n / n;
      a.n += b.n;
      return a;
    }
    case ReduceOp::logsumexp: {
      a.nan |= b.nan;
      if (b.m > a.m) { Acc t = a; a = b; b = t; a.nan |= b.nan; }
      // a.m >= b.m now. Infinite maxima decide the result alone (and would
      // give inf - inf = NaN below).
      if (b.m == -kInf || a.m == kInf) return a;
      a.s += b.s * ::exp(b.m - a.m);
      return a;
    }
    default:
      return a;
  }
}

template <class T>
__device__ inline Acc acc_push(ReduceOp op, Acc a, T v, int64_t i) {
  const double x = (double)v;
  switch (op) {
    case ReduceOp::sum:
    case ReduceOp::mean: a.s += x; return a;
    case ReduceOp::prod: a.s *= x; return a;
    case ReduceOp::norm2: a.s += x * x; return a;
    case ReduceOp::var: {
      a.n++;
      const double d = x - a.m;
      a.m += d / (double)a.n;
      a.s += d * (x - a.m);
      return a;
    }
    case ReduceOp::logsumexp: return acc_merge(op, a, v != v ? Acc{0.0, -kInf, 0, 1} : Acc{1.0, x, 0, 0});
    default: return acc_merge(op, a, Acc{x, x, i, v != v ? 1 : 0});
  }
}

template <class T>
__device__ inline void acc_write(ReduceOp op, const Acc& a, int64_t size, double correction, char* dst, DType dt) {
  double r = a.s;
  switch (op) {
    case ReduceOp::mean: r = size ? a.s / (double)size : kNaN; break;
    case ReduceOp::norm2: r = ::sqrt(a.s); break;
    case ReduceOp::max:
    case ReduceOp::min: r = size ? a.s : kNaN; break;
    case ReduceOp::var: {
      const double denom = (double)size - correction;
      r = denom > 0 ? a.s / denom : kNaN;
      break;
    }
    case ReduceOp::logsumexp:
      r = a.nan ? kNaN : ((a.m == kInf || a.m == -kInf) ? a.m : a.m + ::log(a.s));
      break;
    default: break;
  }
  if (op == ReduceOp::argmax || op == ReduceOp::argmin) *(int32_t*)dst = (int32_t)(a.n < 0 ? 0 : a.n);
  else if (dt == DType::F32) *(float*)dst = (float)r;
  else if (dt == DType::F64) *(double*)dst = r;
  else if (dt == DType::I32) *(int32_t*)dst = (int32_t)r;
  else *(uint8_t*)dst = r != 0;
}

// Moves only the fields the op uses (the branches are uniform across the warp).
__device__ inline Acc shfl_down(ReduceOp op, Acc a, int d) {
  const bool sum_like = op == ReduceOp::sum || op == ReduceOp::mean || op == ReduceOp::norm2 || op == ReduceOp::prod;
  a.s = __shfl_down_sync(0xffffffffu, a.s, d);
  if (sum_like) return a;
  if (op == ReduceOp::var || op == ReduceOp::logsumexp) a.m = __shfl_down_sync(0xffffffffu, a.m, d);
  if (op != ReduceOp::logsumexp) a.n = __shfl_down_sync(0xffffffffu, a.n, d);
  if (op != ReduceOp::var) a.nan = __shfl_down_sync(0xffffffffu, a.nan, d);
  return a;
}

// Output o -> offsets of its first input element and of its output element,
// and reduced element j -> offset within the block.
struct RedGeom {
  int ko, kr;
  int64_t oshape[kMaxDims], astride[kMaxDims], ostride[kMaxDims];
  int64_t rshape[kMaxDims], rstride[kMaxDims];
  int64_t nout, size, osize;
  __host__ __device__ void out_offsets(int64_t o, int64_t& aoff, int64_t& ooff) const {
    aoff = 0;
    ooff = 0;
#pragma unroll 1  // see Indexer::offsets
    for (int d = ko - 1; d >= 0; d--) {
      const int64_t q = o / oshape[d], r = o - q * oshape[d];
      aoff += r * astride[d];
      ooff += r * ostride[d];
      o = q;
    }
  }
  __host__ __device__ int64_t red_offset(int64_t j) const {
    int64_t off = 0;
#pragma unroll 1
    for (int d = kr - 1; d >= 0; d--) {
      const int64_t q = j / rshape[d];
      off += (j - q * rshape[d]) * rstride[d];
      j = q;
    }
    return off;
  }
};

constexpr int kRedThreads = 128;

// G threads cooperate on each output: 1, 32 (a warp) or kRedThreads (a block).
template <class T, int G>
__global__ void __launch_bounds__(kRedThreads)
    k_reduce(RedGeom g, ReduceOp op, const T* a, char* out, DType odt, double correction) {
  constexpr int kGroups = kRedThreads / G;
  __shared__ Acc warp_part[kRedThreads / 32];
  const int lane = (int)threadIdx.x % G;
  // The loop bound is uniform within a group, so the barriers below are safe.
  for (int64_t o = (int64_t)blockIdx.x * kGroups + threadIdx.x / G; o - (int64_t)threadIdx.x / G < g.nout;
       o += (int64_t)gridDim.x * kGroups) {
    const bool active = o < g.nout;
    int64_t aoff = 0, ooff = 0;
    if (active) g.out_offsets(o, aoff, ooff);
    Acc acc = acc_init(op);
    if (active)
      for (int64_t j = lane; j < g.size; j += G) acc = acc_push(op, acc, a[aoff + g.red_offset(j)], j);
    if (G >= 32) {
      for (int d = 16; d > 0; d >>= 1) acc = acc_merge(op, acc, shfl_down(op, acc, d));
    }
    if (G == kRedThreads) {
      if (threadIdx.x % 32 == 0) warp_part[threadIdx.x / 32] = acc;
      __syncthreads();
      if (threadIdx.x == 0)
        for (int w = 1; w < kRedThreads / 32; w++) acc = acc_merge(op, acc, warp_part[w]);
      __syncthreads();  // warp_part is rewritten by the next output
    }
    if (active && lane == 0) acc_write<T>(op, acc, g.size, correction, out + ooff * g.osize, odt);
  }
}

struct ReduceK {
  template <class T> static void run(ReduceOp op, const View& out, const View& a, int nred, double corr) {
    RedGeom g;
    g.ko = out.ndim;
    for (int d = 0; d < g.ko; d++) {
      g.oshape[d] = out.shape[d];
      g.astride[d] = a.strides[d];
      g.ostride[d] = out.strides[d];
    }
    const int64_t* st[1] = {a.strides + g.ko};
    int64_t rs[1][kMaxDims];
    g.kr = collapse_dims(nred, a.shape + g.ko, 1, st, g.rshape, rs);
    g.size = 1;
    for (int d = 0; d < g.kr; d++) {
      g.rstride[d] = rs[0][d];
      g.size *= g.rshape[d];
    }
    g.nout = out.numel();
    g.osize = (int64_t)dtype_size(out.dtype);
    if (g.nout == 0) return;
    const T* ap = a.ptr<T>();
    char* op_ = out.base + out.offset * g.osize;
    // Few elements per output: a thread each. Many outputs or moderate
    // blocks: a warp each. Few outputs with big blocks: a whole block each.
    if (g.size <= 16)
      cuda::launch(k_reduce<T, 1>, cuda::grid_for(g.nout, kRedThreads), kRedThreads, g, op, ap, op_, out.dtype, corr);
    else if (g.size <= 4096 || g.nout >= 1024)
      cuda::launch(k_reduce<T, 32>, cuda::grid_for(g.nout, kRedThreads / 32), kRedThreads, g, op, ap, op_, out.dtype, corr);
    else
      cuda::launch(k_reduce<T, kRedThreads>, cuda::grid_for(g.nout, 1), kRedThreads, g, op, ap, op_, out.dtype, corr);
  }
};

// ---- Softmax and cross-entropy: one warp per row ---------------------------

constexpr int kRowsPerBlock = kRedThreads / 32;

__device__ inline double warp_max_nan(double v) {
  // NaN is sticky, as in the CPU's running max.
  for (int d = 16; d > 0; d >>= 1) {
    const double o = __shfl_xor_sync(0xffffffffu, v, d);
    v = (v != v) ? v : ((o != o || o > v) ? o : v);
  }
  return v;
}

template <class T>
__global__ void __launch_bounds__(kRedThreads) k_softmax(const T* x, T* y, int64_t rows, int64_t n, int64_t xrs, int64_t xcs,
                                                         int64_t yrs, int64_t ycs, bool log) {
  const int lane = threadIdx.x % 32;
  for (int64_t r = (int64_t)blockIdx.x * kRowsPerBlock + threadIdx.x / 32; r < rows; r += (int64_t)gridDim.x * kRowsPerBlock) {
    const T* xr = x + r * xrs;
    T* yr = y + r * yrs;
    double mv = -kInf;
    for (int64_t i = lane; i < n; i += 32) {
      const double v = (double)xr[i * xcs];
      mv = (v > mv || v != v) ? v : mv;
    }
    T m = (T)warp_max_nan(mv);
    if (m == -(T)kInf) m = 0;  // all -inf row: keep the arithmetic NaN-free
    double s = 0;
    for (int64_t i = lane; i < n; i += 32) s += ::exp((double)(xr[i * xcs] - m));
    s = cuda::warp_sum(s);
    if (log) {
      const T lse = (T)((double)m + ::log(s));
      for (int64_t i = lane; i < n; i += 32) yr[i * ycs] = xr[i * xcs] - lse;
    } else {
      const double inv = 1.0 / s;
      for (int64_t i = lane; i < n; i += 32) yr[i * ycs] = (T)(::exp((double)(xr[i * xcs] - m)) * inv);
    }
  }
}

struct SoftmaxK {
  template <class T> static void run(const View& out, const View& a, bool log) {
    const int64_t rows = a.shape[0];
    if (rows == 0) return;
    cuda::launch(k_softmax<T>, cuda::grid_for(rows, kRowsPerBlock), kRedThreads, a.ptr<T>(), out.ptr<T>(), rows, a.shape[1],
                 a.strides[0], a.strides[1], out.strides[0], out.strides[1], log);
  }
};

template <class T>
__global__ void __launch_bounds__(kRedThreads)
    k_cross_entropy(const T* x, const int32_t* t, T* loss, T* grad, int64_t N, int64_t C, int64_t xrs, int64_t xcs,
                    int64_t ts, int64_t ls, int64_t grs, int64_t gcs, int64_t ignore) {
  const int lane = threadIdx.x % 32;
  for (int64_t r = (int64_t)blockIdx.x * kRowsPerBlock + threadIdx.x / 32; r < N; r += (int64_t)gridDim.x * kRowsPerBlock) {
    const T* xr = x + r * xrs;
    const int64_t ti = t[r * ts];
    T* gr = grad ? grad + r * grs : nullptr;
    if (ti == ignore) {
      if (lane == 0) loss[r * ls] = 0;
      if (gr)
        for (int64_t c = lane; c < C; c += 32) gr[c * gcs] = 0;
      continue;
    }
    // Any NaN in the row makes the sum (and so every output) NaN, whichever
    // max is picked, so a plain max matches the CPU.
    double mv = -kInf;
    for (int64_t c = lane; c < C; c += 32) mv = cuda::dmax(mv, (double)xr[c * xcs]);
    for (int d = 16; d > 0; d >>= 1) mv = cuda::dmax(mv, __shfl_xor_sync(0xffffffffu, mv, d));
    const T m = (T)mv;
    double s = 0;
    for (int64_t c = lane; c < C; c += 32) s += ::exp((double)(xr[c * xcs] - m));
    s = cuda::warp_sum(s);
    if (lane == 0) loss[r * ls] = (T)((double)m + ::log(s) - (double)xr[ti * xcs]);
    if (gr) {
      const double inv = 1.0 / s;
      for (int64_t c = lane; c < C; c += 32) gr[c * gcs] = (T)(::exp((double)(xr[c * xcs] - m)) * inv - (c == ti ? 1.0 : 0.0));
    }
  }
}

struct CrossEntropyK {
  template <class T>
  static void run(const View& loss, const View* grad, const View& x, const View& t, int64_t ignore) {
    const int64_t N = x.shape[0], C = x.shape[1];
    int32_t bad = 0;
    const int64_t pos = cuda::first_bad_index(t, C, ignore, &bad);
    if (pos >= 0)
      throw Error("crossEntropy: target " + std::to_string(bad) + " at position " + std::to_string(pos) +
                  " is out of range for " + std::to_string(C) + " classes");
    if (N == 0) return;
    cuda::launch(k_cross_entropy<T>, cuda::grid_for(N, kRowsPerBlock), kRedThreads, x.ptr<T>(), t.ptr<int32_t>(), loss.ptr<T>(),
                 grad ? grad->ptr<T>() : nullptr, N, C, x.strides[0], x.strides[1], t.strides[0], loss.strides[0],
                 grad ? grad->strides[0] : 0, grad ? grad->strides[1] : 0, ignore);
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
