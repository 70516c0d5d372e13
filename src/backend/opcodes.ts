/**
 * Op codes shared with native/common/ops.h. test/oplist.test.ts parses the C++
 * X-macro lists and fails if any name or code here differs.
 */
export const UnaryOp = {
  neg: 0, abs: 1, exp: 2, log: 3, log1p: 4, expm1: 5, sqrt: 6, rsqrt: 7, sin: 8, cos: 9, tanh: 10, sigmoid: 11,
  relu: 12, gelu: 13, sign: 14, floor: 15, ceil: 16, round: 17, clamp: 18, powScalar: 19, leakyRelu: 20,
  reciprocal: 21, square: 22, erf: 23, logicalNot: 24, isnan: 25, isinf: 26, mulAdd: 27,
} as const;
export type UnaryOpName = keyof typeof UnaryOp;

/** Unary ops that need a floating input ('F' in ops.h); ints are promoted to float32. */
export const FLOAT_UNARY: ReadonlySet<UnaryOpName> = new Set<UnaryOpName>([
  'exp', 'log', 'log1p', 'expm1', 'sqrt', 'rsqrt', 'sin', 'cos', 'tanh', 'sigmoid', 'gelu', 'powScalar',
  'reciprocal', 'erf',
]);
/** Unary ops whose output is bool ('B' in ops.h). */
export const BOOL_UNARY: ReadonlySet<UnaryOpName> = new Set<UnaryOpName>(['logicalNot', 'isnan', 'isinf']);

export const BinaryOp = {
  add: 0, sub: 1, mul: 2, div: 3, pow: 4, maximum: 5, minimum: 6, eq: 7, ne: 8, lt: 9, le: 10, gt: 11, ge: 12,
  logicalAnd: 13, logicalOr: 14, reluBackward: 15,
} as const;
export type BinaryOpName = keyof typeof BinaryOp;
export const FLOAT_BINARY: ReadonlySet<BinaryOpName> = new Set<BinaryOpName>(['div', 'pow']);
export const BOOL_BINARY: ReadonlySet<BinaryOpName> = new Set<BinaryOpName>([
  'eq', 'ne', 'lt', 'le', 'gt', 'ge', 'logicalAnd', 'logicalOr',
]);

export const ReduceOp = {
  sum: 0, mean: 1, prod: 2, max: 3, min: 4, argmax: 5, argmin: 6, var: 7, logsumexp: 8, norm2: 9,
} as const;
export type ReduceOpName = keyof typeof ReduceOp;

export const RandKind = { uniform: 0, normal: 1, bernoulli: 2 } as const;
