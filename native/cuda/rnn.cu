// Fused LSTM cell on CUDA (contract in common/backend.h): one thread per
// (batch row, hidden unit) computes that unit's four gates, the cell state and
// the output, with the CPU's scalar functors (common/functors.h).
#include "cuda_common.h"

namespace tf {
namespace backend {
namespace {

template <class T>
struct Row {
  T* p;
  int64_t rs;  // row stride (inner stride is 1, checked by the binding)
  __host__ __device__ T* at(int64_t b) const { return p + b * rs; }
};
template <class T> Row<T> row_of(const View& v) { return {v.ptr<T>(), v.strides[0]}; }
template <class T> Row<T> row_of(const View* v) { return v ? row_of<T>(*v) : Row<T>{nullptr, 0}; }

template <class T>
struct LstmFwdOp {
  Row<T> h, c, acts, xg, hg, cp;
  int64_t H;
  __device__ void operator()(int64_t i, const int64_t*) const {
    const int64_t b = i / H, j = i - b * H;
    T* a = acts.at(b);
    const T* x = xg.at(b);
    const T* r = hg.p ? hg.at(b) : nullptr;
    T pre[4];
    for (int k = 0; k < 4; k++) pre[k] = x[k * H + j] + (r ? r[k * H + j] : T(0));
    const T ig = fn::sigmoid(pre[0]), fg = fn::sigmoid(pre[1]), gg = fn::m_tanh(pre[2]), og = fn::sigmoid(pre[3]);
    a[j] = ig;
    a[H + j] = fg;
    a[2 * H + j] = gg;
    a[3 * H + j] = og;
    const T cn = fg * cp.at(b)[j] + ig * gg;
    c.at(b)[j] = cn;
    h.at(b)[j] = og * fn::m_tanh(cn);
  }
};

template <class T>
struct LstmBwdOp {
  Row<T> dg, dcp, acts, cp, c, dh, dh2, dc, dc2;
  int64_t H;
  __device__ void operator()(int64_t i, const int64_t*) const {
    const int64_t b = i / H, j = i - b * H;
    const T* a = acts.at(b);
    const T ig = a[j], fg = a[H + j], gg = a[2 * H + j], og = a[3 * H + j];
    const T t = fn::m_tanh(c.at(b)[j]);
    const T dhj = dh.at(b)[j] + (dh2.p ? dh2.at(b)[j] : T(0));
    const T dct = dhj * og * (T(1) - t * t) + (dc.p ? dc.at(b)[j] : T(0)) + (dc2.p ? dc2.at(b)[j] : T(0));
    T* d = dg.at(b);
    d[j] = dct * gg * ig * (T(1) - ig);
    d[H + j] = dct * cp.at(b)[j] * fg * (T(1) - fg);
    d[2 * H + j] = dct * ig * (T(1) - gg * gg);
    d[3 * H + j] = dhj * t * og * (T(1) - og);
    dcp.at(b)[j] = dct * fg;
  }
};


struct LstmFwdK {
  template <class T>
  static void run(const View& h, const View& c, const View& acts, const View& xg, const View* hg, const View& cp) {
    View space = cuda::zero_strides(c);
    const View* vs[1] = {&space};
    cuda::pointwise<1>(vs, LstmFwdOp<T>{row_of<T>(h), row_of<T>(c), row_of<T>(acts), row_of<T>(xg), row_of<T>(hg), row_of<T>(cp), c.shape[1]});
  }
};

struct LstmBwdK {
  template <class T>
  static void run(const View& dg, const View& dcp, const View& acts, const View& cp, const View& c, const View& dh,
                  const View* dh2, const View* dc, const View* dc2) {
    View space = cuda::zero_strides(c);
    const View* vs[1] = {&space};
    cuda::pointwise<1>(vs, LstmBwdOp<T>{row_of<T>(dg), row_of<T>(dcp), row_of<T>(acts), row_of<T>(cp), row_of<T>(c), row_of<T>(dh),
                                        row_of<T>(dh2), row_of<T>(dc), row_of<T>(dc2), c.shape[1]});
  }
};

}  // namespace

void lstm_cell(const View& h, const View& c, const View& acts, const View& xg, const View* hg, const View& c_prev) {
  TF_DISPATCH_FLOAT(h.dtype, LstmFwdK, h, c, acts, xg, hg, c_prev);
}

void lstm_cell_backward(const View& dgates, const View& dc_prev, const View& acts, const View& c_prev, const View& c,
                        const View& dh, const View* dh2, const View* dc, const View* dc2) {
  TF_DISPATCH_FLOAT(c.dtype, LstmBwdK, dgates, dc_prev, acts, c_prev, c, dh, dh2, dc, dc2);
}

}  // namespace backend
}  // namespace tf
