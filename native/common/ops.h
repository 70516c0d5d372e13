// The one op list shared by C++ (CPU and CUDA) and TypeScript. Codes are part of
// the binding contract; test/oplist.test.ts parses this file and checks that
// src/backend/opcodes.ts agrees, so the two can never drift apart.
//
// Each X(name, code, kind):
//   kind F  = floating inputs only (TS promotes ints to float32 first)
//   kind N  = numeric (float32/float64/int32), output dtype = input dtype
//   kind B  = output is bool, any input dtype
#pragma once

#define TF_UNARY_OPS(X) \
  X(neg, 0, N)          \
  X(abs, 1, N)          \
  X(exp, 2, F)          \
  X(log, 3, F)          \
  X(log1p, 4, F)        \
  X(expm1, 5, F)        \
  X(sqrt, 6, F)         \
  X(rsqrt, 7, F)        \
  X(sin, 8, F)          \
  X(cos, 9, F)          \
  X(tanh, 10, F)        \
  X(sigmoid, 11, F)     \
  X(relu, 12, N)        \
  X(gelu, 13, F)        \
  X(sign, 14, N)        \
  X(floor, 15, N)       \
  X(ceil, 16, N)        \
  X(round, 17, N)       \
  X(clamp, 18, N)       \
  X(powScalar, 19, F)   \
  X(leakyRelu, 20, N)   \
  X(reciprocal, 21, F)  \
  X(square, 22, N)      \
  X(erf, 23, F)         \
  X(logicalNot, 24, B)  \
  X(isnan, 25, B)       \
  X(isinf, 26, B)       \
  X(mulAdd, 27, N)

#define TF_BINARY_OPS(X) \
  X(add, 0, N)           \
  X(sub, 1, N)           \
  X(mul, 2, N)           \
  X(div, 3, F)           \
  X(pow, 4, F)           \
  X(maximum, 5, N)       \
  X(minimum, 6, N)       \
  X(eq, 7, B)            \
  X(ne, 8, B)            \
  X(lt, 9, B)            \
  X(le, 10, B)           \
  X(gt, 11, B)           \
  X(ge, 12, B)           \
  X(logicalAnd, 13, B)   \
  X(logicalOr, 14, B)    \
  X(reluBackward, 15, N)

#define TF_REDUCE_OPS(X) \
  X(sum, 0)              \
  X(mean, 1)             \
  X(prod, 2)             \
  X(max, 3)              \
  X(min, 4)              \
  X(argmax, 5)           \
  X(argmin, 6)           \
  X(var, 7)              \
  X(logsumexp, 8)        \
  X(norm2, 9)

namespace tf {
enum class UnaryOp : int { 
#define TF_X(name, code, kind) name = code,
  TF_UNARY_OPS(TF_X)
#undef TF_X
  count_
};
enum class BinaryOp : int {
#define TF_X(name, code, kind) name = code,
  TF_BINARY_OPS(TF_X)
#undef TF_X
  count_
};
// Whether a binary op's output is bool (kind B): predicates share kernels.
constexpr bool binary_is_pred(BinaryOp op) {
#define TF_PRED_B 1
#define TF_PRED_N 0
#define TF_PRED_F 0
#define TF_X(name, code, kind) (op == BinaryOp::name && TF_PRED_##kind) ||
  return TF_BINARY_OPS(TF_X) false;
#undef TF_X
#undef TF_PRED_B
#undef TF_PRED_N
#undef TF_PRED_F
}
enum class ReduceOp : int {
#define TF_X(name, code) name = code,
  TF_REDUCE_OPS(TF_X)
#undef TF_X
  count_
};
}  // namespace tf
