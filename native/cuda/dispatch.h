// dtype dispatch by op kind (the F/N/B column of common/ops.h). The binding
// rejects other dtypes before a kernel is reached, so instantiating only these
// is safe, and every kernel not instantiated is compile time saved in nvcc.
#pragma once
#include "../common/dtype.h"

#define TF_CUDA_DISPATCH_F(d, K, ...) TF_DISPATCH_FLOAT(d, K, __VA_ARGS__)
#define TF_CUDA_DISPATCH_N(d, K, ...)                                      \
  switch (d) {                                                             \
    case ::tf::DType::F32: K::template run<float>(__VA_ARGS__); break;     \
    case ::tf::DType::F64: K::template run<double>(__VA_ARGS__); break;    \
    case ::tf::DType::I32: K::template run<int32_t>(__VA_ARGS__); break;   \
    default: break;                                                        \
  }
#define TF_CUDA_DISPATCH_B(d, K, ...) TF_DISPATCH_ALL(d, K, __VA_ARGS__)
