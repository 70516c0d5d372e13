// Fused optimizer updates on CUDA: one elementwise pass per parameter. The
// arithmetic is the CPU's (native/cpu/optim.cc) statement for statement, in
// the parameter's dtype, so both devices follow torch.optim's formulas alike.
// All tensors are contiguous with one shape (the binding checks), so the
// engine's flat index addresses every one of them.
#include <cmath>

#include "cuda_common.h"

namespace tf {
namespace backend {
namespace {

using fn::m_sqrt;

template <class T>
void run_each(const View& p, const T& op) {
  const View* vs[1] = {&p};
  cuda::pointwise<1>(vs, op);
}

template <class T>
struct AdamOp {
  T *p, *m, *v, *vmax;
  const T* g;
  T b1, b2, wd, eps, step, sbc2, decay;
  bool decoupled;
  __device__ void operator()(int64_t i, const int64_t*) const {
    T gi = g[i];
    if (decoupled) p[i] *= decay;
    else if (wd != T(0)) gi += wd * p[i];
    m[i] = b1 * m[i] + (T(1) - b1) * gi;
    v[i] = b2 * v[i] + (T(1) - b2) * gi * gi;
    T vh = v[i];
    if (vmax) { vmax[i] = vmax[i] > vh ? vmax[i] : vh; vh = vmax[i]; }
    p[i] -= step * m[i] / (m_sqrt(vh) / sbc2 + eps);
  }
};
struct AdamK {
  template <class T> static void run(const View& p, const View& g, const View& m, const View& v, const View* vmax, const AdamArgs& a) {
    run_each(p, AdamOp<T>{p.ptr<T>(), m.ptr<T>(), v.ptr<T>(), vmax ? vmax->ptr<T>() : nullptr, g.ptr<T>(), (T)a.beta1, (T)a.beta2,
                          (T)a.weight_decay, (T)a.eps, (T)(a.lr / a.bc1), (T)std::sqrt(a.bc2), (T)(1.0 - a.lr * a.weight_decay),
                          a.decoupled});
  }
};

template <class T>
struct SgdOp {
  T *p, *buf;
  const T* g;
  T lr, mom, damp, wd;
  bool nesterov, first;
  __device__ void operator()(int64_t i, const int64_t*) const {
    T d = g[i] + wd * p[i];
    if (buf) {
      buf[i] = first ? d : mom * buf[i] + (T(1) - damp) * d;
      d = nesterov ? d + mom * buf[i] : buf[i];
    }
    p[i] -= lr * d;
  }
};
struct SgdK {
  template <class T> static void run(const View& p, const View& g, const View* buf, const SgdArgs& a) {
    run_each(p, SgdOp<T>{p.ptr<T>(), buf ? buf->ptr<T>() : nullptr, g.ptr<T>(), (T)a.lr, (T)a.momentum, (T)a.dampening,
                         (T)a.weight_decay, a.nesterov, a.first});
  }
};

template <class T>
struct RmspropOp {
  T *p, *sq, *buf, *gavg;
  const T* g;
  T lr, al, eps, wd, mom;
  __device__ void operator()(int64_t i, const int64_t*) const {
    T gi = g[i] + wd * p[i];
    sq[i] = al * sq[i] + (T(1) - al) * gi * gi;
    T avg;
    if (gavg) {
      gavg[i] = al * gavg[i] + (T(1) - al) * gi;
      avg = m_sqrt(sq[i] - gavg[i] * gavg[i]) + eps;
    } else {
      avg = m_sqrt(sq[i]) + eps;
    }
    if (buf) {
      buf[i] = mom * buf[i] + gi / avg;
      p[i] -= lr * buf[i];
    } else {
      p[i] -= lr * gi / avg;
    }
  }
};
struct RmspropK {
  template <class T>
  static void run(const View& p, const View& g, const View& sq, const View* buf, const View* gavg, const RmspropArgs& a) {
    run_each(p, RmspropOp<T>{p.ptr<T>(), sq.ptr<T>(), buf ? buf->ptr<T>() : nullptr, gavg ? gavg->ptr<T>() : nullptr, g.ptr<T>(),
                             (T)a.lr, (T)a.alpha, (T)a.eps, (T)a.weight_decay, (T)a.momentum});
  }
};

template <class T>
struct AdagradOp {
  T *p, *s;
  const T* g;
  T lr, eps, wd;
  __device__ void operator()(int64_t i, const int64_t*) const {
    T gi = g[i] + wd * p[i];
    s[i] += gi * gi;
    p[i] -= lr * gi / (m_sqrt(s[i]) + eps);
  }
};
struct AdagradK {
  template <class T> static void run(const View& p, const View& g, const View& sum, const AdagradArgs& a) {
    run_each(p, AdagradOp<T>{p.ptr<T>(), sum.ptr<T>(), g.ptr<T>(), (T)a.lr, (T)a.eps, (T)a.weight_decay});
  }
};

}  // namespace

void adam_step(const View& p, const View& g, const View& m, const View& v, const View* vmax, const AdamArgs& a) {
  TF_DISPATCH_FLOAT(p.dtype, AdamK, p, g, m, v, vmax, a);
}
void sgd_step(const View& p, const View& g, const View* buf, const SgdArgs& a) { TF_DISPATCH_FLOAT(p.dtype, SgdK, p, g, buf, a); }
void rmsprop_step(const View& p, const View& g, const View& sq, const View* buf, const View* gavg, const RmspropArgs& a) {
  TF_DISPATCH_FLOAT(p.dtype, RmspropK, p, g, sq, buf, gavg, a);
}
void adagrad_step(const View& p, const View& g, const View& sum, const AdagradArgs& a) {
  TF_DISPATCH_FLOAT(p.dtype, AdagradK, p, g, sum, a);
}

}  // namespace backend
}  // namespace tf
