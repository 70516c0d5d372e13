// Unary pointwise ops on CUDA: the CPU's functors (common/functors.h) run in
// the shared pointwise kernel. Only the dtypes the binding lets through for
// each op kind are instantiated (float ops: f32/f64; numeric: +i32; predicates:
// all four), which keeps nvcc's compile time in check.
#include "cuda_common.h"
#include "dispatch.h"

namespace tf {
namespace backend {
namespace {

template <UnaryOp OP>
struct UnaryK {
  template <class T> static void run(const View& out, const View& a, double p0, double p1) {
    if constexpr (OP == UnaryOp::logicalNot || OP == UnaryOp::isnan || OP == UnaryOp::isinf)
      cuda::map1<uint8_t, T>(out, a, fn::UnaryPred<OP, T>{});
    else
      cuda::map1<T, T>(out, a, fn::Unary<OP, T>{(T)p0, (T)p1});
  }
};

}  // namespace

void unary(UnaryOp op, const View& out, const View& a, double p0, double p1) {
  switch (op) {
#define TF_X(name, code, kind)                                                   \
  case UnaryOp::name:                                                            \
    TF_CUDA_DISPATCH_##kind(a.dtype, UnaryK<UnaryOp::name>, out, a, p0, p1);    \
    break;
    TF_UNARY_OPS(TF_X)
#undef TF_X
    default: break;
  }
}

}  // namespace backend
}  // namespace tf
