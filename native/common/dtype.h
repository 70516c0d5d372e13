// Element types shared by every backend. The numeric codes are part of the
// binding contract: src/dtype.ts uses the same values (a test checks it).
#pragma once
#include <cstddef>
#include <cstdint>

namespace tf {

enum class DType : int32_t { F32 = 0, F64 = 1, I32 = 2, BOOL = 3 };
constexpr int kNumDTypes = 4;

inline size_t dtype_size(DType d) {
  switch (d) {
    case DType::F32: return 4;
    case DType::F64: return 8;
    case DType::I32: return 4;
    case DType::BOOL: return 1;
  }
  return 0;
}

inline const char* dtype_name(DType d) {
  switch (d) {
    case DType::F32: return "float32";
    case DType::F64: return "float64";
    case DType::I32: return "int32";
    case DType::BOOL: return "bool";
  }
  return "?";
}

// Calls F::template run<T>(args...) with T the C++ type for dtype `d`.
// The single place that maps a runtime dtype onto a template parameter.
#define TF_DISPATCH_ALL(d, F, ...)                                   \
  switch (d) {                                                       \
    case ::tf::DType::F32: F::template run<float>(__VA_ARGS__); break;   \
    case ::tf::DType::F64: F::template run<double>(__VA_ARGS__); break;  \
    case ::tf::DType::I32: F::template run<int32_t>(__VA_ARGS__); break; \
    case ::tf::DType::BOOL: F::template run<uint8_t>(__VA_ARGS__); break; \
  }

#define TF_DISPATCH_FLOAT(d, F, ...)                                 \
  switch (d) {                                                       \
    case ::tf::DType::F32: F::template run<float>(__VA_ARGS__); break;   \
    case ::tf::DType::F64: F::template run<double>(__VA_ARGS__); break;  \
    default: break;                                                  \
  }

}  // namespace tf
