// im2col / col2im for convolution through GEMM, and max pooling with indices.
// One (image, channel) plane per task: planes never share output memory, so
// col2im's accumulation needs no atomics.
#include <algorithm>
#include <atomic>
#include <cstring>
#include <limits>
#include <string>
#include <type_traits>

#include "../common/backend.h"
#include "parallel.h"
#include "pointwise.h"
#include "vmath.h"

namespace tf {
namespace backend {
namespace {

// Output columns [ow_lo, ow_hi) of kernel column kw read inside the image;
// the rest read padding. Hoisting this out of the row loop leaves a branch-free
// inner loop (a plain copy or add when the stride is 1, which vectorises).
inline void valid_cols(const ConvGeom& g, int64_t kw, int64_t& lo, int64_t& hi) {
  const int64_t off = kw * g.DW - g.PW;  // iw = ow * SW + off
  lo = off >= 0 ? 0 : (-off + g.SW - 1) / g.SW;
  hi = g.W - off <= 0 ? 0 : (g.W - off + g.SW - 1) / g.SW;
  hi = std::min(hi, g.OW);
  lo = std::min(lo, hi);
}

// Copies n elements (or zeroes them when s is null) with fixed-size moves.
// conv rows are short (11-26 floats for MNIST) and there are hundreds of
// thousands of them per batch: a memmove/memset call per row cost more than
// the bytes it moved (im2col of conv2's input took ~5 ms on 1 thread).
template <class T>
inline void copy_short(T* d, const T* s, int64_t n) {
  constexpr int64_t C = 32 / sizeof(T), H = C / 2;
  alignas(32) static const T zero[C] = {};
  // Fixed-size moves; a tail is covered by one more move overlapping the
  // previous one (d and s never overlap), so an 11-float row is 2 moves.
  auto move = [&](int64_t at, size_t bytes) { std::memcpy(d + at, s ? s + at : zero, bytes); };
  if (n >= C) {
    int64_t i = 0;
    for (; i + C <= n; i += C) move(i, 32);
    if (i < n) move(n - C, 32);
  } else if (n >= H) {
    move(0, 16);
    move(n - H, 16);
  } else {
    for (int64_t i = 0; i < n; i++) d[i] = s ? s[i] : T(0);
  }
}

// d[i] += s[i] over a short row: 32-byte chunks as fixed-length loops (fully
// vectorised, no alias checks or peeling), then the tail.
template <class T>
inline void add_short(T* __restrict d, const T* __restrict s, int64_t n) {
  constexpr int64_t C = 32 / sizeof(T);
  int64_t i = 0;
  for (; i + C <= n; i += C)
#pragma GCC unroll 8
    for (int64_t j = 0; j < C; j++) d[i + j] += s[i + j];
  for (; i < n; i++) d[i] += s[i];
}

// col may be laid out [N, K, L] or [K, N, L] (its strides say which; L is unit
// stride): conv2d uses the second so that the whole batch is one GEMM.
struct Im2colK {
  template <class T> static void run(const View& colv, const View& xv, const ConvGeom& g, bool to_col) {
    T* col = colv.ptr<T>();
    T* x = xv.ptr<T>();
    const int64_t KK = g.KH * g.KW, sN = colv.strides[0], sK = colv.strides[1];
    // Walk the planes in the columns' storage order. Stored [K, N, L], the
    // rows of image n+1 follow those of image n, while one image's K rows are
    // N*L apart: taking images fastest keeps the accesses streaming (col2im
    // of [100, 288, 121] columns went 9.7 -> 3.0 ms on 1 thread).
    const bool n_fastest = sN < sK;
    cpu::parallel_for(g.N * g.C, 1, [&](int64_t p0, int64_t p1) {
      for (int64_t p = p0; p < p1; p++) {
        const int64_t n = n_fastest ? p % g.N : p / g.C, c = n_fastest ? p / g.N : p % g.C;
        T* xp = x + (n * g.C + c) * g.H * g.W;
        for (int64_t kh = 0; kh < g.KH; kh++)
          for (int64_t kw = 0; kw < g.KW; kw++) {
            T* row = col + n * sN + (c * KK + kh * g.KW + kw) * sK;
            int64_t lo, hi;
            valid_cols(g, kw, lo, hi);
            const int64_t off = kw * g.DW - g.PW;
            // Rows with no horizontal padding and unit stride (every row of a
            // 'valid' conv) are one copy each, with nothing to zero.
            if (g.SW == 1 && lo == 0 && hi == g.OW) {
              if (to_col) {
                for (int64_t oh = 0; oh < g.OH; oh++) {
                  const int64_t ih = oh * g.SH - g.PH + kh * g.DH;
                  if (ih >= 0 && ih < g.H) copy_short(row + oh * g.OW, xp + ih * g.W + off, g.OW);
                  else copy_short<T>(row + oh * g.OW, nullptr, g.OW);
                }
              } else {
                for (int64_t oh = 0; oh < g.OH; oh++) {
                  const int64_t ih = oh * g.SH - g.PH + kh * g.DH;
                  if (ih >= 0 && ih < g.H) add_short(xp + ih * g.W + off, row + oh * g.OW, g.OW);
                }
              }
              continue;
            }
            for (int64_t oh = 0; oh < g.OH; oh++) {
              const int64_t ih = oh * g.SH - g.PH + kh * g.DH;
              T* r = row + oh * g.OW;
              const bool in = ih >= 0 && ih < g.H;
              if (to_col) {
                if (!in) { copy_short<T>(r, nullptr, g.OW); continue; }
                const T* xr = xp + ih * g.W + off;
                copy_short<T>(r, nullptr, lo);
                if (g.SW == 1) copy_short(r + lo, xr + lo, hi - lo);
                else for (int64_t ow = lo; ow < hi; ow++) r[ow] = xr[ow * g.SW];
                copy_short<T>(r + hi, nullptr, g.OW - hi);
              } else if (in) {
                T* xr = xp + ih * g.W + off;
                if (g.SW == 1) for (int64_t ow = lo; ow < hi; ow++) xr[ow] += r[ow];
                else for (int64_t ow = lo; ow < hi; ow++) xr[ow * g.SW] += r[ow];
              }
            }
          }
      }
    });
  }
};

// MaxPool2d(2): 2x2 windows at stride 2, no padding or dilation.
bool two_by_two(const ConvGeom& g) {
  return g.KH == 2 && g.KW == 2 && g.SH == 2 && g.SW == 2 && g.DH == 1 && g.DW == 1 && g.PH == 0 && g.PW == 0;
}

// The adjoint of max pooling: each plane of dx is zeroed, then every output
// gradient is added at its saved index. Planes are independent, so they run in
// parallel with no atomics; overlapping windows add in output order.
struct MaxPoolBackK {
  template <class T> static void run(const View& dxv, const View& gyv, const View& idxv, const ConvGeom& g) {
    T* dx = dxv.ptr<T>();
    const T* gy = gyv.ptr<T>();
    const int32_t* ind = idxv.ptr<int32_t>();
    const int64_t HW = g.H * g.W, L = g.OH * g.OW;
    std::atomic<bool> bad{false};
    // The ISA's dense MaxPool2d(2) adjoint for float32, where it has one.
    const auto vec2 = std::is_same_v<T, float> && two_by_two(g) ? cpu::vmath_table().maxpool2x2_backward_f32 : nullptr;
    cpu::parallel_for(g.N * g.C, std::max<int64_t>(1, cpu::kPointwiseGrain / (HW + L)), [&](int64_t p0, int64_t p1) {
      for (int64_t p = p0; p < p1; p++) {
        T* d = dx + (p / g.C) * dxv.strides[0] + (p % g.C) * dxv.strides[1];
        const T* s = gy + p * L;
        const int32_t* ip = ind + p * L;
        if (vec2 && vec2(reinterpret_cast<float*>(d), reinterpret_cast<const float*>(s), ip, g.H, g.W, g.OH, g.OW))
          continue;
        std::fill(d, d + HW, T(0));
        for (int64_t j = 0; j < L; j++) {
          if ((uint32_t)ip[j] < (uint64_t)HW) d[ip[j]] += s[j];
          else bad.store(true, std::memory_order_relaxed);
        }
      }
    });
    if (!bad) return;
    // Error path only: name the first bad index, as the CUDA backend does.
    const int64_t total = g.N * g.C * L;
    for (int64_t j = 0; j < total; j++)
      if ((uint32_t)ind[j] >= (uint64_t)HW)
        throw Error("maxPool2dBackward: index " + std::to_string(ind[j]) + " is out of range for a plane of " + std::to_string(HW) + " elements");
  }
};

struct MaxPoolK {
  template <class T> static void run(const View& outv, const View& idxv, const View& xv, const ConvGeom& g) {
    const T* x = xv.ptr<T>();
    T* out = outv.ptr<T>();
    int32_t* ind = idxv.ptr<int32_t>();
    const bool two = two_by_two(g);
    // The ISA's vector MaxPool2d(2) for float32, where it has one.
    const auto vec2 = std::is_same_v<T, float> ? cpu::vmath_table().maxpool2x2_f32 : nullptr;
    cpu::parallel_for(g.N * g.C, 1, [&](int64_t p0, int64_t p1) {
      for (int64_t p = p0; p < p1; p++) {
        const T* xp = x + (p / g.C) * xv.strides[0] + (p % g.C) * xv.strides[1];
        T* op = out + p * g.OH * g.OW;
        int32_t* ip = ind + p * g.OH * g.OW;
        if (two && vec2) {
          vec2(reinterpret_cast<const float*>(xp), g.W, reinterpret_cast<float*>(op), ip, g.OH, g.OW);
          continue;
        }
        // MaxPool2d(2), the common case: the 2x2 window as a tree (each row's
        // pair, then the two rows), which picks the same winner as the
        // sequential scan (the first NaN, else the first maximum), with
        // branch-free selects (select_bits: 13 -> 1.9 ms for 540K windows).
        if (two) {
          const int64_t W = g.W, OW = g.OW, OH = g.OH;
          // b beats a (a comes first): larger, or NaN where a is not.
          auto beats = [](T b, T a) { return (b > a) | ((b != b) & (a == a)); };
          for (int64_t oh = 0; oh < OH; oh++) {
            const T* r0 = xp + 2 * oh * W;
            const T* r1 = r0 + W;
            T* orow = op + oh * OW;
            int32_t* irow = ip + oh * OW;
            const int32_t base = (int32_t)(2 * oh * W);
            for (int64_t ow = 0; ow < OW; ow++) {
              const T a = r0[2 * ow], b = r0[2 * ow + 1], c = r1[2 * ow], d = r1[2 * ow + 1];
              const bool tb = beats(b, a), td = beats(d, c);
              const T top = cpu::select_bits(tb, b, a), bot = cpu::select_bits(td, d, c);
              const int32_t it = tb, ib = (int32_t)W + td;
              const bool tbot = beats(bot, top);
              orow[ow] = cpu::select_bits(tbot, bot, top);
              irow[ow] = base + (int32_t)(2 * ow) + it + (int32_t)tbot * (ib - it);
            }
          }
          continue;
        }
        // Without padding every window lies inside the plane (floor mode), so
        // the bounds checks can go.
        const bool unchecked = g.PH == 0 && g.PW == 0;
        for (int64_t oh = 0; oh < g.OH; oh++)
          for (int64_t ow = 0; ow < g.OW; ow++) {
            T best = -std::numeric_limits<T>::infinity();
            int64_t bi = -1;
            if (unchecked) {
              const int64_t ih0 = oh * g.SH, iw0 = ow * g.SW;
              for (int64_t kh = 0; kh < g.KH; kh++) {
                const T* row = xp + (ih0 + kh * g.DH) * g.W + iw0;
                for (int64_t kw = 0; kw < g.KW; kw++) {
                  const T v = row[kw * g.DW];
                  if (bi < 0 || v > best || v != v) {
                    best = v;
                    bi = (ih0 + kh * g.DH) * g.W + iw0 + kw * g.DW;
                    if (v != v) goto done;
                  }
                }
              }
            } else {
              for (int64_t kh = 0; kh < g.KH; kh++) {
                const int64_t ih = oh * g.SH - g.PH + kh * g.DH;
                if (ih < 0 || ih >= g.H) continue;
                for (int64_t kw = 0; kw < g.KW; kw++) {
                  const int64_t iw = ow * g.SW - g.PW + kw * g.DW;
                  if (iw < 0 || iw >= g.W) continue;
                  const T v = xp[ih * g.W + iw];
                  if (bi < 0 || v > best || v != v) { best = v; bi = ih * g.W + iw; if (v != v) goto done; }
                }
              }
            }
          done:
            op[oh * g.OW + ow] = best;
            ip[oh * g.OW + ow] = (int32_t)(bi < 0 ? 0 : bi);
          }
      }
    });
  }
};

}  // namespace

void im2col(const View& col, const View& x, const ConvGeom& g) { TF_DISPATCH_FLOAT(x.dtype, Im2colK, col, x, g, true); }
void col2im(const View& x, const View& col, const ConvGeom& g) { TF_DISPATCH_FLOAT(x.dtype, Im2colK, col, x, g, false); }
void maxpool2d(const View& out, const View& indices, const View& x, const ConvGeom& g) {
  TF_DISPATCH_FLOAT(x.dtype, MaxPoolK, out, indices, x, g);
}
void maxpool2d_backward(const View& dx, const View& gy, const View& indices, const ConvGeom& g) {
  TF_DISPATCH_FLOAT(dx.dtype, MaxPoolBackK, dx, gy, indices, g);
}

}  // namespace backend
}  // namespace tf
