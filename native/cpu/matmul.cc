// Batched matmul on top of the per-ISA GEMM table, with the optional fused
// bias+ReLU epilogue used by Linear.
#include <cstring>

#include "../common/backend.h"
#include "isa.h"
#include "parallel.h"

namespace tf {
namespace backend {
namespace {


struct MatmulK {
  template <class T> static void run(const View& out, const View& a, const View& b, const View* bias, int act) {
    const int64_t B = out.shape[0], M = out.shape[1], N = out.shape[2], K = a.shape[2];
    const auto& kt = cpu::kernels();
    for (int64_t i = 0; i < B; i++) {
      const T* ap = a.ptr<T>() + i * a.strides[0];
      const T* bp = b.ptr<T>() + i * b.strides[0];
      T* cp = out.ptr<T>() + i * out.strides[0];
      if constexpr (std::is_same<T, float>::value)
        kt.sgemm(M, N, K, ap, a.strides[1], a.strides[2], bp, b.strides[1], b.strides[2], cp, out.strides[1], false);
      else
        kt.dgemm(M, N, K, ap, a.strides[1], a.strides[2], bp, b.strides[1], b.strides[2], cp, out.strides[1], false);
      if (bias || act) {
        const T* bb = bias ? bias->ptr<T>() : nullptr;
        const int64_t bs = bias ? bias->strides[0] : 0;
        cpu::parallel_for(M, std::max<int64_t>(1, 32768 / std::max<int64_t>(1, N)), [&](int64_t r0, int64_t r1) {
          for (int64_t r = r0; r < r1; r++) {
            T* row = cp + r * out.strides[1];
            if (bb) for (int64_t j = 0; j < N; j++) row[j] += bb[j * bs];
            if (act == 1) for (int64_t j = 0; j < N; j++) row[j] = row[j] > T(0) ? row[j] : T(0);
          }
        });
      }
    }
  }
};

}  // namespace

void matmul(const View& out, const View& a, const View& b, const View* bias, int act) {
  TF_DISPATCH_FLOAT(out.dtype, MatmulK, out, a, b, bias, act);
}

}  // namespace backend
}  // namespace tf
