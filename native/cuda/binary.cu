// Binary pointwise ops on CUDA: the CPU's functors (common/functors.h) in the
// shared pointwise engine.
#include "cuda_common.h"
#include "dispatch.h"

namespace tf {
namespace backend {
namespace {

// out = f(a, b), where a null b means the scalar `bs` (one kernel serves both;
// the branch is uniform across the grid).
template <class TO, class T, class F>
struct Map2 {
  TO* o;
  const T* a;
  const T* b;
  T bs;
  F f;
  __device__ void operator()(int64_t, const int64_t* off) const { o[off[0]] = f(a[off[1]], b ? b[off[2]] : bs); }
};

template <class TO, class T, class F>
void map2(const View& out, const View& a, const View* b, double s, F f) {
  const View bz = b ? *b : cuda::zero_strides(a);
  const View* vs[3] = {&out, &a, &bz};
  cuda::pointwise<3>(vs, Map2<TO, T, F>{out.ptr<TO>(), a.ptr<T>(), b ? b->ptr<T>() : nullptr, (T)s, f});
}

template <BinaryOp OP>
struct BinaryK {
  template <class T> static void run(const View& out, const View& a, const View* b, double s) {
    map2<T, T>(out, a, b, s, fn::Binary<OP, T>{});
  }
};

// The eight bool-valued ops (comparisons, logical and/or) share one kernel per
// dtype, picking the functor at run time: each is a single instruction, so the
// uniform switch costs nothing measurable, while 32 separate kernels would
// cost nvcc minutes per build across five architectures.
template <class T>
struct AnyPred {
  BinaryOp op;
  __host__ __device__ uint8_t operator()(T a, T b) const {
    switch (op) {  // a case for every kind-B op of common/ops.h
#define TF_X(name, code, kind) TF_PRED_CASE_##kind(name)
#define TF_PRED_CASE_B(name) case BinaryOp::name: return fn::BinaryPred<BinaryOp::name, T>{}(a, b);
#define TF_PRED_CASE_F(name)
#define TF_PRED_CASE_N(name)
      TF_BINARY_OPS(TF_X)
#undef TF_X
#undef TF_PRED_CASE_B
#undef TF_PRED_CASE_F
#undef TF_PRED_CASE_N
      default: return 0;
    }
  }
};
struct PredK {
  template <class T> static void run(BinaryOp op, const View& out, const View& a, const View* b, double s) {
    map2<uint8_t, T>(out, a, b, s, AnyPred<T>{op});
  }
};

}  // namespace

void binary(BinaryOp op, const View& out, const View& a, const View* b, double s) {
  if (binary_is_pred(op)) {
    TF_DISPATCH_ALL(a.dtype, PredK, op, out, a, b, s);
    return;
  }
  switch (op) {
#define TF_X(name, code, kind) TF_CUDA_ARITH_CASE_##kind(name)
#define TF_CUDA_ARITH_CASE_F(name) case BinaryOp::name: TF_CUDA_DISPATCH_F(a.dtype, BinaryK<BinaryOp::name>, out, a, b, s); break;
#define TF_CUDA_ARITH_CASE_N(name) case BinaryOp::name: TF_CUDA_DISPATCH_N(a.dtype, BinaryK<BinaryOp::name>, out, a, b, s); break;
#define TF_CUDA_ARITH_CASE_B(name)  // handled by PredK above
    TF_BINARY_OPS(TF_X)
#undef TF_X
#undef TF_CUDA_ARITH_CASE_F
#undef TF_CUDA_ARITH_CASE_N
#undef TF_CUDA_ARITH_CASE_B
    default: break;
  }
}

}  // namespace backend
}  // namespace tf
