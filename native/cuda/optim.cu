// Fused optimizer updates on CUDA: one elementwise pass per parameter over the
// per-element formulas shared with the CPU (common/optim_math.h).
// All tensors are contiguous with one shape (the binding checks), so the
// engine's flat index addresses every one of them.
#include <cmath>

// cuda_common.h first: under emulation it defines __host__/__device__.
#include "cuda_common.h"
#include "../common/optim_math.h"

namespace tf {
namespace backend {
namespace {

// Runs an optimizer's per-element update (common/optim_math.h) on every
// element of the parameter.
template <class Op>
struct Each {
  Op op;
  __device__ void operator()(int64_t i, const int64_t*) const { op.apply(i); }
};
template <class Op>
void run_each(const View& p, const Op& op) {
  const View* vs[1] = {&p};
  cuda::pointwise<1>(vs, Each<Op>{op});
}

struct AdamK {
  template <class T> static void run(const View& p, const View& g, const View& m, const View& v, const View* vmax, const AdamArgs& a) {
    run_each(p, optim::Adam<T>::make(p, g, m, v, vmax, a));
  }
};
struct SgdK {
  template <class T> static void run(const View& p, const View& g, const View* buf, const SgdArgs& a) {
    run_each(p, optim::Sgd<T>::make(p, g, buf, a));
  }
};
struct RmspropK {
  template <class T>
  static void run(const View& p, const View& g, const View& sq, const View* buf, const View* gavg, const RmspropArgs& a) {
    run_each(p, optim::Rmsprop<T>::make(p, g, sq, buf, gavg, a));
  }
};
struct AdagradK {
  template <class T> static void run(const View& p, const View& g, const View& sum, const AdagradArgs& a) {
    run_each(p, optim::Adagrad<T>::make(p, g, sum, a));
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
