// im2col / col2im for convolution through GEMM, and max pooling, on CUDA.
// One thread per output element everywhere, so no two threads write the same
// place: col2im gathers each input pixel's contributions instead of
// scattering them (no atomics, deterministic, and summed in the CPU's order).
#include <limits>
#include <string>

#include "cuda_common.h"

namespace tf {
namespace backend {
namespace {

using cuda::kThreads;

#define TF_GRID_STRIDE(i, n) \
  for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < (n); i += (int64_t)gridDim.x * blockDim.x)

// col[n][c*KK + kh*KW + kw][oh*OW + ow] = x[n][c][ih][iw] (0 in the padding),
// where col's first two dims have strides sN, sK (see backend.h).
template <class T>
__global__ void __launch_bounds__(kThreads) k_im2col(T* col, const T* x, ConvGeom g, int64_t sN, int64_t sK) {
  const int64_t L = g.OH * g.OW, KK = g.KH * g.KW, total = g.N * g.C * KK * L;
  TF_GRID_STRIDE(i, total) {
    const int64_t l = i % L, r = i / L;  // r = (n*C + c)*KK + k
    const int64_t k = r % KK, nc = r / KK, n = nc / g.C, ck = r % (g.C * KK);
    const int64_t oh = l / g.OW, ow = l % g.OW, kh = k / g.KW, kw = k % g.KW;
    const int64_t ih = oh * g.SH - g.PH + kh * g.DH, iw = ow * g.SW - g.PW + kw * g.DW;
    col[n * sN + ck * sK + l] = (ih >= 0 && ih < g.H && iw >= 0 && iw < g.W) ? x[(nc * g.H + ih) * g.W + iw] : T(0);
  }
}

// x[n][c][ih][iw] += every col entry that im2col read from it, in (kh, kw)
// order, starting from x's current value: exactly the CPU's sequence of adds.
template <class T>
__global__ void __launch_bounds__(kThreads) k_col2im(T* x, const T* col, ConvGeom g, int64_t sN, int64_t sK) {
  const int64_t KK = g.KH * g.KW, total = g.N * g.C * g.H * g.W;
  TF_GRID_STRIDE(i, total) {
    const int64_t iw = i % g.W, ih = (i / g.W) % g.H, nc = i / (g.W * g.H);
    const T* cp = col + (nc / g.C) * sN + (nc % g.C) * KK * sK;
    T acc = x[i];
    for (int64_t kh = 0; kh < g.KH; kh++) {
      const int64_t hs = ih + g.PH - kh * g.DH;  // = oh * SH
      if (hs < 0 || hs % g.SH != 0 || hs / g.SH >= g.OH) continue;
      const int64_t oh = hs / g.SH;
      for (int64_t kw = 0; kw < g.KW; kw++) {
        const int64_t ws = iw + g.PW - kw * g.DW;
        if (ws < 0 || ws % g.SW != 0 || ws / g.SW >= g.OW) continue;
        acc += cp[(kh * g.KW + kw) * sK + oh * g.OW + ws / g.SW];
      }
    }
    x[i] = acc;
  }
}

// Same scan as the CPU: first in-bounds element, then strictly greater, a NaN
// wins and stops the scan; an all-padding window gives -inf at index 0.
template <class T>
__global__ void __launch_bounds__(kThreads) k_maxpool(T* out, int32_t* ind, const T* x, ConvGeom g, int64_t sN, int64_t sC) {
  const int64_t total = g.N * g.C * g.OH * g.OW;
  TF_GRID_STRIDE(i, total) {
    const int64_t ow = i % g.OW, oh = (i / g.OW) % g.OH, nc = i / (g.OW * g.OH);
    const T* xp = x + (nc / g.C) * sN + (nc % g.C) * sC;
    T best = -std::numeric_limits<T>::infinity();
    int64_t bi = -1;
    bool stop = false;
    for (int64_t kh = 0; kh < g.KH && !stop; kh++) {
      const int64_t ih = oh * g.SH - g.PH + kh * g.DH;
      if (ih < 0 || ih >= g.H) continue;
      for (int64_t kw = 0; kw < g.KW; kw++) {
        const int64_t iw = ow * g.SW - g.PW + kw * g.DW;
        if (iw < 0 || iw >= g.W) continue;
        const T v = xp[ih * g.W + iw];
        if (bi < 0 || v > best || v != v) {
          best = v;
          bi = ih * g.W + iw;
          if (v != v) { stop = true; break; }
        }
      }
    }
    out[i] = best;
    ind[i] = (int32_t)(bi < 0 ? 0 : bi);
  }
}

// The adjoint of max pooling, one thread per (n, c) plane: overlapping windows
// may send several gradients to one pixel, and a sequential walk adds them in
// the CPU's order with no atomics. N*C planes give plenty of threads.
template <class T>
__global__ void __launch_bounds__(kThreads) k_maxpool_backward(T* dx, const T* gy, const int32_t* ind, ConvGeom g, int64_t sN, int64_t sC) {
  const int64_t HW = g.H * g.W, L = g.OH * g.OW;
  TF_GRID_STRIDE(p, g.N * g.C) {
    T* d = dx + (p / g.C) * sN + (p % g.C) * sC;
    for (int64_t j = 0; j < HW; j++) d[j] = T(0);
    for (int64_t j = 0; j < L; j++) d[ind[p * L + j]] += gy[p * L + j];
  }
}

struct Im2colK {
  template <class T> static void run(const View& col, const View& x, const ConvGeom& g) {
    cuda::launch(k_im2col<T>, cuda::grid_for(col.numel(), kThreads), kThreads, col.ptr<T>(), x.ptr<T>(), g, col.strides[0], col.strides[1]);
  }
};
struct Col2imK {
  template <class T> static void run(const View& x, const View& col, const ConvGeom& g) {
    cuda::launch(k_col2im<T>, cuda::grid_for(x.numel(), kThreads), kThreads, x.ptr<T>(), col.ptr<T>(), g, col.strides[0], col.strides[1]);
  }
};
struct MaxPoolK {
  template <class T> static void run(const View& out, const View& ind, const View& x, const ConvGeom& g) {
    cuda::launch(k_maxpool<T>, cuda::grid_for(out.numel(), kThreads), kThreads, out.ptr<T>(), ind.ptr<int32_t>(), x.ptr<T>(), g, x.strides[0], x.strides[1]);
  }
};
struct MaxPoolBackK {
  template <class T> static void run(const View& dx, const View& gy, const View& ind, const ConvGeom& g) {
    cuda::launch(k_maxpool_backward<T>, cuda::grid_for(g.N * g.C, kThreads), kThreads, dx.ptr<T>(), gy.ptr<T>(), ind.ptr<int32_t>(), g, dx.strides[0], dx.strides[1]);
  }
};

}  // namespace

void im2col(const View& col, const View& x, const ConvGeom& g) { TF_DISPATCH_FLOAT(x.dtype, Im2colK, col, x, g); }
void col2im(const View& x, const View& col, const ConvGeom& g) { TF_DISPATCH_FLOAT(x.dtype, Col2imK, x, col, g); }
void maxpool2d(const View& out, const View& indices, const View& x, const ConvGeom& g) {
  TF_DISPATCH_FLOAT(x.dtype, MaxPoolK, out, indices, x, g);
}
void maxpool2d_backward(const View& dx, const View& gy, const View& indices, const ConvGeom& g) {
  int32_t bad = 0;
  // No int32 equals INT64_MIN, so nothing is ignored.
  if (cuda::first_bad_index(indices, g.H * g.W, INT64_MIN, &bad) >= 0)
    throw Error("maxPool2dBackward: index " + std::to_string(bad) + " is out of range for a plane of " + std::to_string(g.H * g.W) + " elements");
  TF_DISPATCH_FLOAT(dx.dtype, MaxPoolBackK, dx, gy, indices, g);
}

}  // namespace backend
}  // namespace tf
