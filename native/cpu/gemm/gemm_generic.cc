// GEMM compiled for the generic target (flags in binding.gyp).
#define TF_GEMM_NS gemm_generic
#define MR_F32 4
#define NR_F32 8
#define MR_F64 4
#define NR_F64 4
#include "gemm_driver.h"

namespace tf {
namespace cpu {
KernelTable kernels_generic() { return {Isa::Generic, gemm_generic::sgemm, gemm_generic::dgemm}; }
}  // namespace cpu
}  // namespace tf
