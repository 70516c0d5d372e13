// The fused optimizer updates, written once for every device: each struct
// updates element i of a parameter and its state, following torch.optim's
// documented algorithms line by line. The CPU runs apply(i) in a threaded
// loop (native/cpu/optim.cc); CUDA runs it per thread (native/cuda/optim.cu).
// Adam on float32 also has SIMD bodies of the same formula per ISA
// (adam_f32 in native/cpu/vmath_impl.h), as it is the usual training update.
#pragma once
#include <cmath>

#include "backend.h"
#include "functors.h"

namespace tf {
namespace optim {

template <class T>
struct Adam {
  T *p, *m, *v, *vmax;
  const T* g;
  // isbc2 = 1/sqrt(bias correction 2): a multiply per element instead of a
  // division (sqrt and division are what bound this loop, not memory).
  T b1, b2, wd, eps, step, isbc2, decay;
  bool decoupled;
  static Adam make(const View& pv, const View& gv, const View& mv, const View& vv, const View* vmaxv, const backend::AdamArgs& a) {
    return {pv.ptr<T>(), mv.ptr<T>(), vv.ptr<T>(), vmaxv ? vmaxv->ptr<T>() : nullptr, gv.ptr<T>(), (T)a.beta1, (T)a.beta2,
            (T)a.weight_decay, (T)a.eps, (T)(a.lr / a.bc1), (T)(1.0 / std::sqrt(a.bc2)), (T)(1.0 - a.lr * a.weight_decay), a.decoupled};
  }
  // DECOUPLED/AMSGRAD are template flags so the CPU loop over i has no
  // branches and vectorises (a run-time flag per element kept it scalar).
  template <bool DECOUPLED, bool AMSGRAD>
  TF_HD inline void apply_as(int64_t i) const {
    T gi = g[i];
    T pi = p[i];
    if (DECOUPLED) pi *= decay;  // AdamW: decay the weight itself
    else gi += wd * pi;          // Adam: L2 added to the gradient (wd may be 0)
    const T mi = b1 * m[i] + (T(1) - b1) * gi;
    const T vi = b2 * v[i] + (T(1) - b2) * gi * gi;
    m[i] = mi;
    v[i] = vi;
    T vh = vi;
    if (AMSGRAD) {
      vh = vmax[i] > vi ? vmax[i] : vi;
      vmax[i] = vh;
    }
    p[i] = pi - step * mi / (fn::m_sqrt(vh) * isbc2 + eps);
  }
  TF_HD inline void apply(int64_t i) const {
    if (decoupled) {
      if (vmax) apply_as<true, true>(i);
      else apply_as<true, false>(i);
    } else {
      if (vmax) apply_as<false, true>(i);
      else apply_as<false, false>(i);
    }
  }
};

template <class T>
struct Sgd {
  T *p, *buf;
  const T* g;
  T lr, mom, damp, wd;
  bool nesterov, first;
  static Sgd make(const View& pv, const View& gv, const View* bufv, const backend::SgdArgs& a) {
    return {pv.ptr<T>(), bufv ? bufv->ptr<T>() : nullptr, gv.ptr<T>(), (T)a.lr, (T)a.momentum, (T)a.dampening, (T)a.weight_decay,
            a.nesterov, a.first};
  }
  TF_HD inline void apply(int64_t i) const {
    T d = g[i] + wd * p[i];
    if (buf) {
      buf[i] = first ? d : mom * buf[i] + (T(1) - damp) * d;
      d = nesterov ? d + mom * buf[i] : buf[i];
    }
    p[i] -= lr * d;
  }
};

template <class T>
struct Rmsprop {
  T *p, *sq, *buf, *gavg;
  const T* g;
  T lr, al, eps, wd, mom;
  static Rmsprop make(const View& pv, const View& gv, const View& sqv, const View* bufv, const View* gavgv, const backend::RmspropArgs& a) {
    return {pv.ptr<T>(), sqv.ptr<T>(), bufv ? bufv->ptr<T>() : nullptr, gavgv ? gavgv->ptr<T>() : nullptr, gv.ptr<T>(),
            (T)a.lr, (T)a.alpha, (T)a.eps, (T)a.weight_decay, (T)a.momentum};
  }
  TF_HD inline void apply(int64_t i) const {
    T gi = g[i] + wd * p[i];
    sq[i] = al * sq[i] + (T(1) - al) * gi * gi;
    T avg;
    if (gavg) {  // centered: normalise by the variance estimate
      gavg[i] = al * gavg[i] + (T(1) - al) * gi;
      avg = fn::m_sqrt(sq[i] - gavg[i] * gavg[i]) + eps;
    } else {
      avg = fn::m_sqrt(sq[i]) + eps;
    }
    if (buf) {
      buf[i] = mom * buf[i] + gi / avg;
      p[i] -= lr * buf[i];
    } else {
      p[i] -= lr * gi / avg;
    }
  }
};

template <class T>
struct Adagrad {
  T *p, *s;
  const T* g;
  T lr, eps, wd;
  static Adagrad make(const View& pv, const View& gv, const View& sv, const backend::AdagradArgs& a) {
    return {pv.ptr<T>(), sv.ptr<T>(), gv.ptr<T>(), (T)a.lr, (T)a.eps, (T)a.weight_decay};
  }
  TF_HD inline void apply(int64_t i) const {
    T gi = g[i] + wd * p[i];
    s[i] += gi * gi;
    p[i] -= lr * gi / (fn::m_sqrt(s[i]) + eps);
  }
};

}  // namespace optim
}  // namespace tf
