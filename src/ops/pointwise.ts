/**
 * Pointwise ops: each op's forward (one native call) and backward (tensor
 * ops, so it is differentiable again) side by side. Broadcasting is done by
 * giving inputs zero strides; the engine sums gradients back to input shapes.
 */
import type { NativeBinding, StorageHandle } from '../backend/binding';
import { checkDevice, type Device } from '../backend/device';
import { writeBroadcast, writeRaw, writeView } from '../backend/meta';
import { BinaryOp, BOOL_BINARY, BOOL_UNARY, FLOAT_BINARY, FLOAT_UNARY, UnaryOp, type BinaryOpName, type UnaryOpName } from '../backend/opcodes';
import { isGradEnabled } from '../autograd/grad-mode';
import { record } from '../autograd/node';
import { DTYPE_CODE, DTYPES, isFloating, promoteTypes, promoteWithScalar, type DType } from '../dtype';
import { broadcastShapes, contiguousStrides, contiguousStridesLike, shapesEqual, type Shape } from '../shape';
import type { Owner } from '../storage';
import { allocTensor, fromTypedArray, newTensor, Tensor, type TensorLike } from '../tensor';

function checkTensor(x: unknown, op: string, what = 'input'): asserts x is Tensor {
  if (!(x instanceof Tensor)) throw new TypeError(`${op}: ${what} must be a Tensor, got ${x === null ? 'null' : typeof x}`);
}

function checkScalar(x: unknown, op: string): void {
  if (typeof x !== 'number' && typeof x !== 'boolean' && !(x instanceof Tensor)) {
    throw new TypeError(`${op}: operand must be a Tensor, number or boolean, got ${x === null ? 'null' : typeof x}`);
  }
}

function sameDevice(a: Tensor, b: Tensor, op: string): void {
  if (a.device !== b.device) {
    throw new TypeError(`${op}: expected all tensors on the same device, got ${a.device} and ${b.device}`);
  }
}

// ------------------------------------------------------------------ casts

/** Dtype/device conversion (`Tensor.to`). Differentiable between float dtypes and across devices. */
export function to(x: Tensor, target: DType | Device): Tensor {
  checkTensor(x, 'to');
  if (target === 'cpu' || target === 'cuda') return toDevice(x, target);
  if (!DTYPES.includes(target as DType)) {
    throw new TypeError(`to: unknown dtype or device ${JSON.stringify(target)}`);
  }
  return cast(x, target as DType);
}

/** Copies with dtype conversion; returns `x` itself when the dtype already matches. */
export function cast(x: Tensor, dtype: DType): Tensor {
  if (x.dtype === dtype) return x;
  const out = allocTensor(x.shape, dtype, x.device);
  const b = x._storage.binding;
  writeView(b.meta, writeView(b.meta, 0, out), x);
  b.cast(out._storage.handle, x._storage.handle);
  if (!isFloating(dtype) || !isFloating(x.dtype)) return out;
  const from = x.dtype;
  return record(out, 'to', [x], (g) => [cast(g, from)]);
}

function toDevice(x: Tensor, device: Device): Tensor {
  checkDevice(device, 'to');
  if (x.device === device) return x;
  const out = fromTypedArray(x.data(), x.shape, x.dtype, device);
  const from = x.device;
  return record(out, 'to', [x], (g) => [toDevice(g, from)]);
}

/** @internal ones with x's shape/dtype/device, outside autograd. */
export function onesLikeRaw(x: Tensor): Tensor {
  const out = allocTensor(x.shape, x.dtype, x.device);
  const b = out._storage.binding;
  writeView(b.meta, 0, out);
  b.fill(out._storage.handle, 1);
  return out;
}

/** @internal A 0-d tensor holding `v`, on `device`. */
export function scalarTensor(v: number | boolean, dtype: DType, device: Device): Tensor {
  const out = allocTensor([], dtype, device);
  const b = out._storage.binding;
  writeView(b.meta, 0, out);
  b.fill(out._storage.handle, Number(v));
  return out;
}

/**
 * Each op's kind from the sets in opcodes.ts ('F': floating inputs only,
 * 'B': bool output, 'N': numeric), as plain objects: on a 4-element op, three
 * Set lookups per call were 3% of the time.
 */
const kinds = <K extends string>(names: readonly K[], float: ReadonlySet<K>, bool: ReadonlySet<K>): Record<K, 'F' | 'B' | 'N'> =>
  Object.fromEntries(names.map((k) => [k, float.has(k) ? 'F' : bool.has(k) ? 'B' : 'N'])) as Record<K, 'F' | 'B' | 'N'>;
const UNARY_KIND = kinds(Object.keys(UnaryOp) as UnaryOpName[], FLOAT_UNARY, BOOL_UNARY);
const BINARY_KIND = kinds(Object.keys(BinaryOp) as BinaryOpName[], FLOAT_BINARY, BOOL_BINARY);

// ------------------------------------------------------------------ unary

/** Runs a unary kernel with no autograd, into `into` (same shape and output dtype) when given. */
export function unaryRaw(op: UnaryOpName, x: Tensor, p0 = 0, p1 = 0, into?: Tensor): Tensor {
  const b = x._storage.binding;
  // Without `into`, the kernel allocates the output itself (one native call, not alloc + op).
  const strides = into ? into._strides : contiguousStridesLike(x.shape, x._strides);
  writeView(b.meta, into ? writeView(b.meta, 0, into) : impliedView(b.meta), x);
  const outDtype: DType = UNARY_KIND[op] === 'B' ? 'bool' : x.dtype;
  return runKernel('unary', UnaryOp[op], x, p0, p1, into, x.shape, strides, outDtype);
}

/**
 * Writes unary/binary's args [code, out, x, s3, s4, group 0] (meta already
 * holds the views) and runs the kernel into `into`, or into a new output of
 * `shape`, `strides` and `outDtype` that the kernel allocates.
 */
function runKernel(
  kind: 'unary' | 'binary',
  code: number,
  x: Tensor,
  s3: number,
  s4: number,
  into: Tensor | undefined,
  shape: Shape,
  strides: number[],
  outDtype: DType,
): Tensor {
  const b = x._storage.binding;
  const g = b.args;
  g[0] = code;
  g[2] = x._storage.handle;
  g[3] = s3;
  g[4] = s4;
  g[5] = 0;
  if (into) {
    g[1] = into._storage.handle;
    b[kind]();
    return into;
  }
  g[1] = fresh(outDtype);
  return newTensor(shape, strides, outDtype, x.device, b, kind === 'unary' ? makeUnary : makeBinary);
}

/**
 * Calls unary/binary (their args written) for a new output owned by `owner`:
 * an owner group's id goes in args[5], an object as the argument, and no
 * owner (tidy) as no argument at all. Checking an argument's type costs the
 * addon ~25 ns, a tenth of a 4-element op.
 */
function ownedCall(fn: (owner?: object) => StorageHandle | undefined, g: Float64Array, owner: Owner | null): StorageHandle {
  if (owner === null) return fn()!;
  if (typeof owner === 'number') {
    g[5] = owner;
    return fn()!;
  }
  return fn(owner)!;
}
/** newTensor's `make` for unary and binary outputs (their args already written). */
const makeUnary = (owner: Owner | null, b: NativeBinding): StorageHandle => ownedCall(b.unary, b.args, owner);
const makeBinary = (owner: Owner | null, b: NativeBinding): StorageHandle => ownedCall(b.binary, b.args, owner);

/**
 * Writes -1 where a new output's view would go: the addon then makes the
 * output contiguous and shaped like the first input's view (same-shape ops).
 * Returns the next position.
 */
function impliedView(m: Float64Array): number {
  m[0] = -1;
  return 1;
}

/** The output argument asking a kernel to allocate its output of `dtype`. */
const fresh = (dtype: DType): number => -1 - DTYPE_CODE[dtype];

/** Casts the input as the op's kind requires (ints to float32 for float ops, bools to int32 for numeric ops). */
function unaryInput(op: UnaryOpName, x: Tensor): Tensor {
  if (UNARY_KIND[op] === 'F' && !isFloating(x.dtype)) return cast(x, 'float32');
  if (UNARY_KIND[op] !== 'B' && x.dtype === 'bool') return cast(x, 'int32');
  return x;
}

type UnaryGrad = (g: Tensor, x: Tensor, y: Tensor, p0: number, p1: number) => Tensor;

/** Each differentiable unary op's derivative, and whether it reads the input (x) or output (y). */
const UNARY_GRADS: Partial<Record<UnaryOpName, [UnaryGrad, 'x' | 'y' | '']>> = {
  neg: [(g) => neg(g), ''],
  abs: [(g, x) => mul(g, sign(x)), 'x'],
  exp: [(g, _x, y) => mul(g, y), 'y'],
  log: [(g, x) => div(g, x), 'x'],
  log1p: [(g, x) => div(g, add(x, 1)), 'x'],
  expm1: [(g, _x, y) => mul(g, add(y, 1)), 'y'],
  sqrt: [(g, _x, y) => div(g, mul(y, 2)), 'y'],
  rsqrt: [(g, _x, y) => mul(g, mul(powScalar(y, 3), -0.5)), 'y'],
  sin: [(g, x) => mul(g, cos(x)), 'x'],
  cos: [(g, x) => mul(g, neg(sin(x))), 'x'],
  tanh: [(g, _x, y) => mul(g, sub(1, square(y))), 'y'],
  sigmoid: [(g, _x, y) => mul(g, mul(y, sub(1, y))), 'y'],
  // One select kernel (0, not NaN, where g is inf/NaN, as PyTorch).
  relu: [(g, _x, y) => reluBackward(g, y), 'y'],
  // d/dx x*Phi(x) = Phi(x) + x*phi(x)
  gelu: [
    (g, x) => {
      const cdf = mul(add(erf(mul(x, Math.SQRT1_2)), 1), 0.5);
      const pdf = mul(exp(mul(square(x), -0.5)), 1 / Math.sqrt(2 * Math.PI));
      return mul(g, add(cdf, mul(x, pdf)));
    },
    'x',
  ],
  clamp: [(g, x, _y, lo, hi) => mul(g, cast(logicalAnd(ge(x, lo), le(x, hi)), g.dtype)), 'x'],
  powScalar: [(g, x, _y, p) => mul(g, mul(powScalar(x, p - 1), p)), 'x'],
  leakyRelu: [(g, x, _y, s) => mul(g, where(gt(x, 0), 1, s)), 'x'],
  reciprocal: [(g, _x, y) => mul(g, neg(square(y))), 'y'],
  square: [(g, x) => mul(g, mul(x, 2)), 'x'],
  erf: [(g, x) => mul(g, mul(exp(neg(square(x))), 2 / Math.sqrt(Math.PI))), 'x'],
  mulAdd: [(g, _x, _y, a) => mul(g, a), ''],
};

function unary(op: UnaryOpName, x: Tensor, p0 = 0, p1 = 0): Tensor {
  checkTensor(x, op);
  const xin = unaryInput(op, x);
  const y = unaryRaw(op, xin, p0, p1);
  const spec = UNARY_GRADS[op];
  if (!spec || !isFloating(y.dtype) || !xin.requiresGrad) return y;
  const [fn, uses] = spec;
  return record(y, op, [xin], (g) => [fn(g, xin, y, p0, p1)], uses === 'x' ? [xin] : uses === 'y' ? [y] : []);
}

/** Functional `Tensor.neg`. */
export const neg = (x: Tensor): Tensor => unary('neg', x);
/** Functional `Tensor.abs`. */
export const abs = (x: Tensor): Tensor => unary('abs', x);
/** Functional `Tensor.exp`. */
export const exp = (x: Tensor): Tensor => unary('exp', x);
/** Functional `Tensor.log`. */
export const log = (x: Tensor): Tensor => unary('log', x);
/** Functional `Tensor.log1p`. */
export const log1p = (x: Tensor): Tensor => unary('log1p', x);
/** Functional `Tensor.expm1`. */
export const expm1 = (x: Tensor): Tensor => unary('expm1', x);
/** Functional `Tensor.sqrt`. */
export const sqrt = (x: Tensor): Tensor => unary('sqrt', x);
/** Functional `Tensor.rsqrt`. */
export const rsqrt = (x: Tensor): Tensor => unary('rsqrt', x);
/** Functional `Tensor.sin`. */
export const sin = (x: Tensor): Tensor => unary('sin', x);
/** Functional `Tensor.cos`. */
export const cos = (x: Tensor): Tensor => unary('cos', x);
/** Functional `Tensor.tanh`. */
export const tanh = (x: Tensor): Tensor => unary('tanh', x);
/** Functional `Tensor.sigmoid`. */
export const sigmoid = (x: Tensor): Tensor => unary('sigmoid', x);
/** Functional `Tensor.relu`. */
export const relu = (x: Tensor): Tensor => unary('relu', x);
/** Functional `Tensor.gelu`. */
export const gelu = (x: Tensor): Tensor => unary('gelu', x);
/** Functional `Tensor.sign`. */
export const sign = (x: Tensor): Tensor => unary('sign', x);
/** Functional `Tensor.floor`. */
export const floor = (x: Tensor): Tensor => unary('floor', x);
/** Functional `Tensor.ceil`. */
export const ceil = (x: Tensor): Tensor => unary('ceil', x);
/** Functional `Tensor.round`. */
export const round = (x: Tensor): Tensor => unary('round', x);
/** Functional `Tensor.reciprocal`. */
export const reciprocal = (x: Tensor): Tensor => unary('reciprocal', x);
/** Functional `Tensor.square`. */
export const square = (x: Tensor): Tensor => unary('square', x);
/** Functional `Tensor.erf`. */
export const erf = (x: Tensor): Tensor => unary('erf', x);
/** Functional `Tensor.logicalNot`. */
export const logicalNot = (x: Tensor): Tensor<'bool'> => unary('logicalNot', x) as Tensor<'bool'>;
/** Functional `Tensor.isnan`. */
export const isnan = (x: Tensor): Tensor<'bool'> => unary('isnan', x) as Tensor<'bool'>;
/** Functional `Tensor.isinf`. */
export const isinf = (x: Tensor): Tensor<'bool'> => unary('isinf', x) as Tensor<'bool'>;
/** Functional `Tensor.leakyRelu`. */
export const leakyRelu = (x: Tensor, negativeSlope = 0.01): Tensor => unary('leakyRelu', x, negativeSlope);

/** x ** p for a number p. */
export function powScalar(x: Tensor, p: number): Tensor {
  if (p === 2) return unary('square', x);
  return unary('powScalar', x, p);
}

/** Functional `Tensor.clamp`. */
export function clamp(x: Tensor, min?: number, max?: number): Tensor {
  checkClampBounds(min, max);
  return unary('clamp', x, min ?? -Infinity, max ?? Infinity);
}

function checkClampBounds(min?: number, max?: number): void {
  if (min === undefined && max === undefined) throw new TypeError('clamp: at least one of min and max must be given');
  for (const [v, n] of [[min, 'min'], [max, 'max']] as const) {
    if (v !== undefined && typeof v !== 'number') throw new TypeError(`clamp: ${n} must be a number, got ${typeof v}`);
  }
}

/** True when writing into t now cannot change what autograd computes (no graph is being recorded through it). */
function unrecorded(t: Tensor, other: TensorLike): boolean {
  return !isGradEnabled() || (!t.requiresGrad && !(other instanceof Tensor && other.requiresGrad));
}

/** True when a and b are the same view of the same memory. */
function sameView(a: Tensor, b: Tensor): boolean {
  return a._storage === b._storage && a._offset === b._offset && shapesEqual(a.shape, b.shape) && shapesEqual(a._strides, b._strides);
}

/**
 * @internal clamp computed straight into t's memory (an elementwise kernel may
 * overwrite its own input in place). Returns false, having written nothing,
 * when a graph is being recorded through t or clamp would change t's dtype.
 */
export function clampInto(t: Tensor, min?: number, max?: number): boolean {
  checkClampBounds(min, max);
  if (!unrecorded(t, 0) || unaryInput('clamp', t) !== t) return false;
  unaryRaw('clamp', t, min ?? -Infinity, max ?? Infinity, t);
  return true;
}

// ----------------------------------------------------------------- binary

/**
 * Runs a binary kernel (broadcasting) with no autograd; a/b already have the
 * compute dtype. Writes into `into` (the broadcast shape and output dtype) when given.
 */
function binaryRaw(op: BinaryOpName, a: Tensor, b: Tensor | number, into?: Tensor): Tensor {
  const m = a._storage.binding.meta;
  const same = typeof b === 'number' || shapesEqual(a.shape, b.shape);
  const shape = same ? a.shape : broadcastShapes(a.shape, b.shape, op);
  // Without `into`, the kernel allocates the output itself (one native call, not alloc + op).
  const strides = into ? into._strides : same ? contiguousStridesLike(shape, a._strides) : contiguousStrides(shape);
  let p = into ? writeView(m, 0, into) : same ? impliedView(m) : writeRaw(m, 0, shape, strides, 0);
  // Operands of the output's shape are written as they are (no broadcast strides to work out).
  p = same ? writeView(m, p, a) : writeBroadcast(m, p, a, shape);
  if (typeof b !== 'number') {
    if (same) writeView(m, p, b);
    else writeBroadcast(m, p, b, shape);
  }
  const outDtype: DType = BINARY_KIND[op] === 'B' ? 'bool' : a.dtype;
  const bh = typeof b === 'number' ? -1 : b._storage.handle;
  return runKernel('binary', BinaryOp[op], a, bh, typeof b === 'number' ? b : 0, into, shape, strides, outDtype);
}

/** Resolves operands to [tensor a, tensor-or-number b] in the compute dtype. */
function prepareBinary(op: BinaryOpName, a: TensorLike, b: TensorLike): [Tensor, Tensor | number] {
  // Two float tensors of one dtype on one device (most calls) need no casts,
  // and every op kind accepts them.
  if (a instanceof Tensor && b instanceof Tensor && a.dtype === b.dtype && isFloating(a.dtype) && a._storage.device === b._storage.device) {
    return [a, b];
  }
  checkScalar(a, op);
  checkScalar(b, op);
  if (!(a instanceof Tensor)) {
    if (!(b instanceof Tensor)) throw new TypeError(`${op}: at least one operand must be a Tensor`);
    a = scalarTensor(a, promoteWithScalar(b.dtype, a), b.device);
  }
  let dt: DType;
  if (b instanceof Tensor) {
    sameDevice(a, b, op);
    dt = promoteTypes(a.dtype, b.dtype);
  } else {
    dt = promoteWithScalar(a.dtype, b);
  }
  if (BINARY_KIND[op] === 'F' && !isFloating(dt)) dt = 'float32';
  if (BINARY_KIND[op] !== 'B' && dt === 'bool') dt = 'int32';
  const ac = cast(a, dt);
  const bc = b instanceof Tensor ? cast(b, dt) : Number(b);
  return [ac, bc];
}

/**
 * @internal `t = t op other` computed straight into t's memory, when that is
 * exactly what the out-of-place op computes and nothing records a graph: the
 * result keeps t's dtype, `other` broadcasts to t's shape, and `other` is not
 * a different view of t's memory (an elementwise kernel may overwrite its own
 * input, but not memory another operand still has to read). Returns false,
 * having written nothing to t, otherwise.
 */
export function binaryInto(op: 'add' | 'sub' | 'mul' | 'div', t: Tensor, other: TensorLike, alpha?: number): boolean {
  if (!unrecorded(t, other)) return false;
  const [x, y] = prepareBinary(op, t, scaled(other, alpha));
  if (x !== t) return false;
  if (y instanceof Tensor) {
    if (!shapesEqual(broadcastShapes(t.shape, y.shape, op), t.shape)) return false;
    if (y._storage === t._storage && !sameView(y, t)) return false;
  }
  binaryRaw(op, t, y, t);
  return true;
}

/** `alpha * b` for add/sub's alpha argument. */
function scaled(b: TensorLike, alpha?: number): TensorLike {
  if (alpha === undefined || alpha === 1) return b;
  return b instanceof Tensor ? mul(b, alpha) : Number(b) * alpha;
}

/**
 * Whether a binary op on x, y may need a graph node: the test `record` makes
 * first, made before building its arguments (an inputs array and a backward
 * closure per call were ~4% of a tiny op without grad).
 */
const gradWanted = (x: Tensor, y: Tensor | number): boolean => x.requiresGrad || (typeof y !== 'number' && y.requiresGrad);

/** Elementwise `a + alpha * b` with broadcasting. */
export function add(a: TensorLike, b: TensorLike, alpha?: number): Tensor {
  b = scaled(b, alpha);
  const [x, y] = prepareBinary('add', a, b);
  const out = binaryRaw('add', x, y);
  return gradWanted(x, y) ? record(out, 'add', [x, y], (g) => [g, g]) : out;
}

/** Elementwise `a - alpha * b`. */
export function sub(a: TensorLike, b: TensorLike, alpha?: number): Tensor {
  b = scaled(b, alpha);
  const [x, y] = prepareBinary('sub', a, b);
  const out = binaryRaw('sub', x, y);
  return gradWanted(x, y) ? record(out, 'sub', [x, y], (g, n) => [g, n[1] ? neg(g) : null]) : out;
}

/** Elementwise product. */
export function mul(a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = prepareBinary('mul', a, b);
  const out = binaryRaw('mul', x, y);
  if (!gradWanted(x, y)) return out;
  const yReq = y instanceof Tensor && y.requiresGrad;
  // Save only what the requested gradients read.
  const saved: Tensor[] = [];
  if (x.requiresGrad && y instanceof Tensor) saved.push(y);
  if (yReq) saved.push(x);
  return record(out, 'mul', [x, y], (g, n) => [n[0] ? mul(g, y) : null, n[1] ? mul(g, x) : null], saved);
}

/** True division. */
export function div(a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = prepareBinary('div', a, b);
  const out = binaryRaw('div', x, y);
  if (!gradWanted(x, y)) return out;
  return record(
    out,
    'div',
    [x, y],
    (g, n) => [n[0] ? div(g, y) : null, n[1] ? neg(div(mul(g, x), square(y as Tensor))) : null],
    y instanceof Tensor ? [x, y] : [],
  );
}

/** Elementwise power (`a ** b`). */
export function pow(a: TensorLike, b: TensorLike): Tensor {
  if (a instanceof Tensor && typeof b === 'number') return powScalar(a, b);
  const [x, y] = prepareBinary('pow', a, b);
  const out = binaryRaw('pow', x, y);
  return record(
    out,
    'pow',
    [x, y],
    (g, n) => [
      n[0] ? mul(g, mul(y, pow(x, sub(y, 1)))) : null,
      // d/db a^b = a^b ln a, taken as 0 where a == 0 (PyTorch's convention).
      n[1] ? mul(g, where(eq(x, 0), 0, mul(pow(x, y), log(x)))) : null,
    ],
    [x, y as Tensor, out],
  );
}

function minMax(op: 'maximum' | 'minimum', a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = prepareBinary(op, a, b);
  const out = binaryRaw(op, x, y);
  // The larger (smaller) operand gets the gradient; ties split it evenly, as in PyTorch.
  const share = (mine: Tensor, other: Tensor | number, g: Tensor): Tensor => {
    const win = cast(op === 'maximum' ? gt(mine, other) : lt(mine, other), g.dtype);
    return mul(g, add(win, mul(cast(eq(mine, other), g.dtype), 0.5)));
  };
  return record(
    out,
    op,
    [x, y],
    (g, n) => [n[0] ? share(x, y, g) : null, n[1] ? share(y as Tensor, x, g) : null],
    y instanceof Tensor ? [x, y] : [x],
  );
}

/** Elementwise maximum. */
export const maximum = (a: TensorLike, b: TensorLike): Tensor => minMax('maximum', a, b);
/** Elementwise minimum. */
export const minimum = (a: TensorLike, b: TensorLike): Tensor => minMax('minimum', a, b);

/**
 * @internal ReLU's gradient: `g` where the ReLU output `y` is positive, else 0,
 * in one kernel (where(gt(y, 0), g, 0) took two passes and a bool temporary).
 * Differentiable in g (the same mask); the mask's own derivative is zero.
 */
export function reluBackward(g: Tensor, y: Tensor): Tensor {
  const [x, m] = prepareBinary('reluBackward', g, y);
  return record(binaryRaw('reluBackward', x, m), 'reluBackward', [x, m], (gg, n) => [n[0] ? reluBackward(gg, m as Tensor) : null, null], [m as Tensor]);
}

function predicate(op: BinaryOpName, a: TensorLike, b: TensorLike): Tensor<'bool'> {
  const [x, y] = prepareBinary(op, a, b);
  return binaryRaw(op, x, y) as Tensor<'bool'>;
}
/** `a == b` elementwise. */
export const eq = (a: TensorLike, b: TensorLike): Tensor<'bool'> => predicate('eq', a, b);
/** `a != b` elementwise. */
export const ne = (a: TensorLike, b: TensorLike): Tensor<'bool'> => predicate('ne', a, b);
/** `a < b` elementwise. */
export const lt = (a: TensorLike, b: TensorLike): Tensor<'bool'> => predicate('lt', a, b);
/** `a <= b` elementwise. */
export const le = (a: TensorLike, b: TensorLike): Tensor<'bool'> => predicate('le', a, b);
/** `a > b` elementwise. */
export const gt = (a: TensorLike, b: TensorLike): Tensor<'bool'> => predicate('gt', a, b);
/** `a >= b` elementwise. */
export const ge = (a: TensorLike, b: TensorLike): Tensor<'bool'> => predicate('ge', a, b);
/** Logical and. */
export const logicalAnd = (a: TensorLike, b: TensorLike): Tensor<'bool'> => predicate('logicalAnd', a, b);
/** Logical or. */
export const logicalOr = (a: TensorLike, b: TensorLike): Tensor<'bool'> => predicate('logicalOr', a, b);

// ------------------------------------------------------------------ where

/**
 * `condition ? a : b` elementwise, broadcasting all three.
 * @example where(x.gt(0), x, 0)
 */
export function where(condition: Tensor, a: TensorLike, b: TensorLike): Tensor {
  checkTensor(condition, 'where', 'condition');
  checkScalar(a, 'where');
  checkScalar(b, 'where');
  const cond = condition.dtype === 'bool' ? condition : ne(condition, 0);
  let dt: DType;
  if (a instanceof Tensor && b instanceof Tensor) dt = promoteTypes(a.dtype, b.dtype);
  else if (a instanceof Tensor) dt = promoteWithScalar(a.dtype, b as number);
  else if (b instanceof Tensor) dt = promoteWithScalar(b.dtype, a as number);
  else dt = Number.isInteger(a) && Number.isInteger(b) ? 'int32' : 'float32';
  let shape: readonly number[] = cond.shape;
  for (const t of [a, b]) {
    if (t instanceof Tensor) {
      sameDevice(cond, t, 'where');
      shape = broadcastShapes(shape, t.shape, 'where');
    }
  }
  const x = a instanceof Tensor ? cast(a, dt) : Number(a);
  const y = b instanceof Tensor ? cast(b, dt) : Number(b);
  const out = allocTensor(shape, dt, cond.device);
  const bind = cond._storage.binding;
  const m = bind.meta;
  let p = writeView(m, 0, out);
  p = writeBroadcast(m, p, cond, shape);
  if (x instanceof Tensor) p = writeBroadcast(m, p, x, shape);
  if (y instanceof Tensor) writeBroadcast(m, p, y, shape);
  bind.where(
    out._storage.handle,
    cond._storage.handle,
    x instanceof Tensor ? x._storage.handle : null,
    y instanceof Tensor ? y._storage.handle : null,
    x instanceof Tensor ? 0 : x,
    y instanceof Tensor ? 0 : y,
  );
  return record(out, 'where', [x, y], (g, n) => [n[0] ? where(cond, g, 0) : null, n[1] ? where(cond, 0, g) : null], [cond]);
}

/** `x` with `value` where `mask` is true. */
export function maskedFill(x: Tensor, mask: Tensor, value: number): Tensor {
  checkTensor(x, 'maskedFill');
  checkTensor(mask, 'maskedFill', 'mask');
  if (mask.dtype !== 'bool') throw new TypeError(`maskedFill: mask must be a bool tensor, got ${mask.dtype}`);
  const out = where(mask, value, x);
  if (!shapesEqual(out.shape, x.shape)) {
    throw new RangeError(`maskedFill: mask shape [${mask.shape}] must broadcast to the input shape [${x.shape}]`);
  }
  return out.dtype === x.dtype ? out : cast(out, x.dtype);
}
