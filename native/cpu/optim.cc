// Fused optimizer updates: one pass over each parameter, no temporaries. The
// formulas follow torch.optim's documented algorithms line by line.
#include <cmath>

#include "../common/backend.h"
#include "parallel.h"

namespace tf {
namespace backend {
namespace {

template <class F>
void each(int64_t n, F f) {
  cpu::parallel_for(n, cpu::kPointwiseGrain, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; i++) f(i);
  });
}

struct AdamK {
  template <class T> static void run(const View& pv, const View& gv, const View& mv, const View& vv, const View* vmaxv, const AdamArgs& a) {
    T *p = pv.ptr<T>(), *m = mv.ptr<T>(), *v = vv.ptr<T>();
    const T* g = gv.ptr<T>();
    T* vmax = vmaxv ? vmaxv->ptr<T>() : nullptr;
    const T b1 = (T)a.beta1, b2 = (T)a.beta2, wd = (T)a.weight_decay, eps = (T)a.eps;
    const T step = (T)(a.lr / a.bc1), sbc2 = (T)std::sqrt(a.bc2), decay = (T)(1.0 - a.lr * a.weight_decay);
    each(pv.numel(), [&](int64_t i) {
      T gi = g[i];
      if (a.decoupled) p[i] *= decay;
      else if (wd != T(0)) gi += wd * p[i];
      m[i] = b1 * m[i] + (T(1) - b1) * gi;
      v[i] = b2 * v[i] + (T(1) - b2) * gi * gi;
      T vh = v[i];
      if (vmax) { vmax[i] = vmax[i] > vh ? vmax[i] : vh; vh = vmax[i]; }
      p[i] -= step * m[i] / (std::sqrt(vh) / sbc2 + eps);
    });
  }
};

struct SgdK {
  template <class T> static void run(const View& pv, const View& gv, const View* bufv, const SgdArgs& a) {
    T* p = pv.ptr<T>();
    const T* g = gv.ptr<T>();
    T* buf = bufv ? bufv->ptr<T>() : nullptr;
    const T lr = (T)a.lr, mom = (T)a.momentum, damp = (T)a.dampening, wd = (T)a.weight_decay;
    each(pv.numel(), [&](int64_t i) {
      T d = g[i] + wd * p[i];
      if (buf) {
        buf[i] = a.first ? d : mom * buf[i] + (T(1) - damp) * d;
        d = a.nesterov ? d + mom * buf[i] : buf[i];
      }
      p[i] -= lr * d;
    });
  }
};

struct RmspropK {
  template <class T>
  static void run(const View& pv, const View& gv, const View& sqv, const View* bufv, const View* gavgv, const RmspropArgs& a) {
    T *p = pv.ptr<T>(), *sq = sqv.ptr<T>();
    const T* g = gv.ptr<T>();
    T* buf = bufv ? bufv->ptr<T>() : nullptr;
    T* gavg = gavgv ? gavgv->ptr<T>() : nullptr;
    const T lr = (T)a.lr, al = (T)a.alpha, eps = (T)a.eps, wd = (T)a.weight_decay, mom = (T)a.momentum;
    each(pv.numel(), [&](int64_t i) {
      T gi = g[i] + wd * p[i];
      sq[i] = al * sq[i] + (T(1) - al) * gi * gi;
      T avg;
      if (gavg) {
        gavg[i] = al * gavg[i] + (T(1) - al) * gi;
        avg = std::sqrt(sq[i] - gavg[i] * gavg[i]) + eps;
      } else {
        avg = std::sqrt(sq[i]) + eps;
      }
      if (buf) {
        buf[i] = mom * buf[i] + gi / avg;
        p[i] -= lr * buf[i];
      } else {
        p[i] -= lr * gi / avg;
      }
    });
  }
};

struct AdagradK {
  template <class T> static void run(const View& pv, const View& gv, const View& sv, const AdagradArgs& a) {
    T *p = pv.ptr<T>(), *s = sv.ptr<T>();
    const T* g = gv.ptr<T>();
    const T lr = (T)a.lr, eps = (T)a.eps, wd = (T)a.weight_decay;
    each(pv.numel(), [&](int64_t i) {
      T gi = g[i] + wd * p[i];
      s[i] += gi * gi;
      p[i] -= lr * gi / (std::sqrt(s[i]) + eps);
    });
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
