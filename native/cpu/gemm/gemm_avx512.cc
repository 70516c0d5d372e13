// GEMM compiled for the avx512 target (flags in binding.gyp).
#define TF_GEMM_NS gemm_avx512
#define MR_F32 8
#define NR_F32 32
#define MR_F64 8
#define NR_F64 16
#include "gemm_driver.h"

namespace tf {
namespace cpu {
KernelTable kernels_avx512() { return {Isa::Avx512, gemm_avx512::sgemm, gemm_avx512::dgemm}; }
}  // namespace cpu
}  // namespace tf
