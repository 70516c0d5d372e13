// GEMM compiled for the avx2 target (flags in binding.gyp).
#define TF_GEMM_NS gemm_avx2
#define MR_F32 6
#define NR_F32 16
#define MR_F64 6
#define NR_F64 8
#include "gemm_driver.h"

namespace tf {
namespace cpu {
KernelTable kernels_avx2() { return {Isa::Avx2, gemm_avx2::sgemm, gemm_avx2::dgemm}; }
}  // namespace cpu
}  // namespace tf
