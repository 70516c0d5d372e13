// Batched matmul on top of the per-ISA GEMM table. Linear's bias + ReLU are
// passed to the GEMM as its epilogue, so they are applied in the micro-kernel's
// final store instead of a second pass over the output.
#include <cstring>

#include "../common/backend.h"
#include "isa.h"
#include "parallel.h"

namespace tf {
namespace backend {
namespace {

// A batch of GEMMs each smaller than this many multiply-adds runs one GEMM per
// thread (the GEMM itself would stay single-threaded at that size).
constexpr double kSmallGemmFmas = 2.0 * 1024 * 1024;
// With enough batches to keep every thread busy, medium GEMMs also run one per
// thread: splitting each one costs a pool round trip per GEMM (mnist-cnn's
// per-sample 64x121x288 products ran at ~45 GFLOP/s that way).
constexpr double kMediumGemmFmas = 64.0 * 1024 * 1024;

struct MatmulK {
  template <class T> static void run(const View& out, const View& a, const View& b, const View* bias, int act) {
    const int64_t B = out.shape[0], M = out.shape[1], N = out.shape[2], K = a.shape[2];
    const auto& kt = cpu::kernels();
    cpu::GemmFn<T> gemm;
    if constexpr (std::is_same<T, float>::value) gemm = kt.sgemm;
    else gemm = kt.dgemm;
    cpu::GemmEpilogue<T> ep{bias ? bias->ptr<T>() : nullptr, bias ? bias->strides[0] : 0, act};
    const cpu::GemmEpilogue<T>* epp = bias || act ? &ep : nullptr;
    auto one = [&](int64_t i) {
      gemm(M, N, K, a.ptr<T>() + i * a.strides[0], a.strides[1], a.strides[2], b.ptr<T>() + i * b.strides[0],
           b.strides[1], b.strides[2], out.ptr<T>() + i * out.strides[0], out.strides[1], false, epp);
    };
    const double fmas = (double)M * N * K;
    const bool per_thread = B > 1 && (fmas < kSmallGemmFmas || (B >= 2 * cpu::num_threads() && fmas < kMediumGemmFmas));
    if (per_thread) {
      // GEMMs called from a pool thread run inline (single-threaded).
      cpu::parallel_for(B, std::max<int64_t>(1, (int64_t)(kSmallGemmFmas / std::max(1.0, fmas))),
                        [&](int64_t i0, int64_t i1) {
                          for (int64_t i = i0; i < i1; i++) one(i);
                        });
    } else {
      for (int64_t i = 0; i < B; i++) one(i);
    }
  }
};

}  // namespace

void matmul(const View& out, const View& a, const View& b, const View* bias, int act) {
  TF_DISPATCH_FLOAT(out.dtype, MatmulK, out, a, b, bias, act);
}

}  // namespace backend
}  // namespace tf
