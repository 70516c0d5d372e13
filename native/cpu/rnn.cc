// Fused LSTM cell forward and backward (contract in common/backend.h). One
// pass per batch row over the four gates: the row's pre-activations are summed
// into `acts`, activated in place, and the state update follows while the row
// is still in L1. float32 rows use the SIMD vmath table (sigmoid/tanh are the
// cost here: the GEMMs around the cell are cheaper at LSTM sizes); float64
// uses the scalar functors shared with CUDA (common/functors.h).
#include <vector>

#include "../common/backend.h"
#include "../common/functors.h"
#include "parallel.h"
#include "vmath.h"

namespace tf {
namespace backend {
namespace {

// y = sigmoid(x) / tanh(x) over a contiguous run; x and y may be the same.
inline void v_sigmoid(const float* x, float* y, int64_t n) { cpu::vmath_table().sigmoid(x, y, n); }
inline void v_tanh(const float* x, float* y, int64_t n) { cpu::vmath_table().tanh(x, y, n); }
inline void v_sigmoid(const double* x, double* y, int64_t n) {
  for (int64_t j = 0; j < n; j++) y[j] = fn::sigmoid(x[j]);
}
inline void v_tanh(const double* x, double* y, int64_t n) {
  for (int64_t j = 0; j < n; j++) y[j] = fn::m_tanh(x[j]);
}

// Element (b, j) of a row-strided 2-D view (inner stride 1, checked by the binding).
template <class T> inline T* row(const View& v, int64_t b) { return v.ptr<T>() + b * v.strides[0]; }
template <class T> inline const T* row_or_null(const View* v, int64_t b) { return v ? row<T>(*v, b) : nullptr; }

// Rows per task: split only when a task gets at least kPointwiseGrain elements.
inline int64_t row_grain(int64_t cols) { return cols > 0 ? (cpu::kPointwiseGrain + cols - 1) / cols : 1; }

struct LstmFwd {
  template <class T>
  static void run(const View& hv, const View& cv, const View& av, const View& xv, const View* hgv, const View& cpv) {
    const int64_t B = hv.shape[0], H = hv.shape[1];
    cpu::parallel_for(B, row_grain(4 * H), [&](int64_t b0, int64_t b1) {
      for (int64_t b = b0; b < b1; b++) {
        T* a = row<T>(av, b);
        const T* xg = row<T>(xv, b);
        const T* hg = row_or_null<T>(hgv, b);
        if (hg) for (int64_t j = 0; j < 4 * H; j++) a[j] = xg[j] + hg[j];
        else for (int64_t j = 0; j < 4 * H; j++) a[j] = xg[j];
        v_sigmoid(a, a, 2 * H);          // i, f
        v_tanh(a + 2 * H, a + 2 * H, H);  // g
        v_sigmoid(a + 3 * H, a + 3 * H, H);  // o
        const T *ig = a, *fg = a + H, *gg = a + 2 * H, *og = a + 3 * H, *cp = row<T>(cpv, b);
        T *c = row<T>(cv, b), *h = row<T>(hv, b);
        for (int64_t j = 0; j < H; j++) c[j] = fg[j] * cp[j] + ig[j] * gg[j];
        v_tanh(c, h, H);
        for (int64_t j = 0; j < H; j++) h[j] *= og[j];
      }
    });
  }
};

struct LstmBwd {
  template <class T>
  static void run(const View& dgv, const View& dcpv, const View& av, const View& cpv, const View& cv, const View& dhv,
                  const View* dh2v, const View* dcv, const View* dc2v) {
    const int64_t B = cv.shape[0], H = cv.shape[1];
    cpu::parallel_for(B, row_grain(4 * H), [&](int64_t b0, int64_t b1) {
      // tanh(c) is recomputed (one SIMD pass) rather than stored per step.
      thread_local std::vector<T> tc_buf;
      if ((int64_t)tc_buf.size() < H) tc_buf.resize(H);
      T* tc = tc_buf.data();
      for (int64_t b = b0; b < b1; b++) {
        const T* a = row<T>(av, b);
        const T *ig = a, *fg = a + H, *gg = a + 2 * H, *og = a + 3 * H;
        const T *cp = row<T>(cpv, b), *dh = row<T>(dhv, b);
        const T *dh2 = row_or_null<T>(dh2v, b), *dc = row_or_null<T>(dcv, b), *dc2 = row_or_null<T>(dc2v, b);
        T *dg = row<T>(dgv, b), *dcp = row<T>(dcpv, b);
        v_tanh(row<T>(cv, b), tc, H);
        for (int64_t j = 0; j < H; j++) {
          const T i = ig[j], f = fg[j], g = gg[j], o = og[j], t = tc[j];
          const T dhj = dh[j] + (dh2 ? dh2[j] : T(0));
          const T dct = dhj * o * (T(1) - t * t) + (dc ? dc[j] : T(0)) + (dc2 ? dc2[j] : T(0));
          dg[j] = dct * g * i * (T(1) - i);
          dg[H + j] = dct * cp[j] * f * (T(1) - f);
          dg[2 * H + j] = dct * i * (T(1) - g * g);
          dg[3 * H + j] = dhj * t * o * (T(1) - o);
          dcp[j] = dct * f;
        }
      }
    });
  }
};

}  // namespace

void lstm_cell(const View& h, const View& c, const View& acts, const View& xg, const View* hg, const View& c_prev) {
  TF_DISPATCH_FLOAT(h.dtype, LstmFwd, h, c, acts, xg, hg, c_prev);
}

void lstm_cell_backward(const View& dgates, const View& dc_prev, const View& acts, const View& c_prev, const View& c,
                        const View& dh, const View* dh2, const View* dc, const View* dc2) {
  TF_DISPATCH_FLOAT(c.dtype, LstmBwd, dgates, dc_prev, acts, c_prev, c, dh, dh2, dc, dc2);
}

}  // namespace backend
}  // namespace tf
