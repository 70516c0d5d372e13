/**
 * The Tensor: a storage handle plus shape/strides/offset (so views are free),
 * a dtype, a device and autograd state. Every method is a thin call into the
 * op that defines it (src/ops/), which is the single place for its forward
 * and backward.
 */
import type { NativeBinding, StorageHandle } from './backend/binding';
import { backendFor, type Device } from './backend/device';
import { writeView } from './backend/meta';
import type { Node } from './autograd/node';
import { runBackward } from './autograd/engine';
import { DTYPE_CODE, type DType, type FloatOf, type NumericOf, type Promote, type ScalarFor, type TypedArrayFor } from './dtype';
import { contiguousStrides, fmt, numel, type Shape } from './shape';
import { newStorage, type Owner, type Storage } from './storage';
import * as pw from './ops/pointwise';
import * as rd from './ops/reduce';
import * as vw from './ops/views';
import * as la from './ops/linalg';
import * as ix from './ops/indexing';
import * as ip from './ops/inplace';
import { formatTensor } from './format';

/** A tensor or a plain number/boolean (broadcast as a scalar). */
export type TensorLike = Tensor | number | boolean;

/** Dtype of `T op other` at the type level. */
export type ResultOf<D extends DType, O> = O extends Tensor<infer E> ? NumericOf<Promote<D, E>> : D extends 'bool' ? 'int32' | 'float32' : D extends 'int32' ? 'int32' | 'float32' : D;

/** Options for `backward`. */
export interface BackwardOptions {
  /** Keep the graph (and saved tensors) so backward can run through it again. */
  retainGraph?: boolean;
  /** Record the backward pass itself, for higher-order derivatives. */
  createGraph?: boolean;
}

/** A handle returned by `registerHook`; `remove()` unregisters the hook. */
export interface RemovableHandle {
  remove(): void;
}

/**
 * An n-dimensional array in native memory, with autograd.
 * @example
 * const a = tensor([[1, 2], [3, 4]]);
 * a.add(1).mul(a).sum().item(); // 2+6+12+20 = 40
 */
export class Tensor<D extends DType = DType> {
  // Fields are `declare`d and assigned in the constructor rather than ES2022
  // class fields, which are defined one by one on every construction (see
  // Storage): every op builds a Tensor.
  /** @internal */ declare _storage: Storage;
  /** Sizes of each dimension. */
  declare readonly shape: Shape;
  /** @internal strides in elements */ declare _strides: number[];
  /** @internal offset in elements */ declare _offset: number;
  /** Element type. */
  declare readonly dtype: D;
  /** Whether gradients flow to (and, for leaves, accumulate in) this tensor. */
  declare requiresGrad: boolean;
  /** Accumulated gradient (leaves, and non-leaves after `retainGrad()`). */
  declare grad: Tensor<D> | null;
  /** The graph node that produced this tensor, or null for leaves. */
  declare gradFn: Node | null;
  /** @internal the tensor this is a view of */ declare _base: Tensor | null;
  /** @internal leaf gradient hooks */ declare _hooks: ((g: Tensor) => Tensor | void)[] | null;

  /** @internal Use the creation functions (`tensor`, `zeros`, ...) instead. */
  constructor(storage: Storage, shape: Shape, strides: number[], offset: number, base: Tensor | null = null) {
    this._storage = storage;
    this.shape = shape;
    this._strides = strides;
    this._offset = offset;
    this.dtype = storage.dtype as D;
    this.requiresGrad = false;
    this.grad = null;
    this.gradFn = null;
    this._base = base;
    this._hooks = null;
  }

  /** The device holding this tensor's memory. */
  get device(): Device {
    return this._storage.device;
  }
  /** Number of dimensions. */
  get ndim(): number {
    return this.shape.length;
  }
  /** Total number of elements. */
  numel(): number {
    return numel(this.shape);
  }
  /** Strides in elements (a copy). */
  stride(): number[];
  /** Stride of one dim. */
  stride(dim: number): number;
  stride(dim?: number): number[] | number {
    return dim === undefined ? this._strides.slice() : this._strides[dim < 0 ? dim + this.ndim : dim];
  }
  /** Size of one dim (or the whole shape). */
  size(): Shape;
  size(dim: number): number;
  size(dim?: number): Shape | number {
    return dim === undefined ? this.shape : this.shape[dim < 0 ? dim + this.ndim : dim];
  }
  /** Offset of the first element in the storage, in elements. */
  storageOffset(): number {
    return this._offset;
  }
  /** True when elements are laid out row-major with no gaps. */
  isContiguous(): boolean {
    let expect = 1;
    for (let i = this.shape.length - 1; i >= 0; i--) {
      if (this.shape[i] !== 1 && this._strides[i] !== expect) return false;
      expect *= this.shape[i];
    }
    return true;
  }
  /** True for tensors not produced by a recorded op. */
  get isLeaf(): boolean {
    return this.gradFn === null;
  }

  // ---------------------------------------------------------------- output
  /**
   * A typed-array copy of the elements in row-major order (bool as Uint8Array).
   * @example tensor([1, 2]).data(); // Float32Array [1, 2]
   */
  data(): TypedArrayFor<D> {
    const b = this._storage.binding;
    writeView(b.meta, 0, this);
    return b.toTyped(this._storage.handle) as TypedArrayFor<D>;
  }
  /**
   * Like `data()`, but the copy runs on a worker thread so a large read (or a
   * wait for the GPU) does not block the event loop.
   * @example const values = await t.dataAsync();
   */
  async dataAsync(): Promise<TypedArrayFor<D>> {
    const b = this._storage.binding;
    writeView(b.meta, 0, this);
    return (await b.toTypedAsync(this._storage.handle)) as TypedArrayFor<D>;
  }
  /**
   * Nested JS arrays (numbers, or booleans for bool tensors); a 0-d tensor gives a scalar.
   * @example tensor([[1, 2], [3, 4]]).toArray(); // [[1, 2], [3, 4]]
   */
  toArray(): unknown {
    const d = this.data();
    const isBool = this.dtype === 'bool';
    const shape = this.shape;
    const build = (dim: number, off: number): unknown => {
      if (dim === shape.length) return isBool ? d[off] !== 0 : d[off];
      const n = shape[dim];
      let step = 1;
      for (let i = dim + 1; i < shape.length; i++) step *= shape[i];
      const out = new Array(n);
      for (let i = 0; i < n; i++) out[i] = build(dim + 1, off + i * step);
      return out;
    };
    return build(0, 0);
  }
  /**
   * The value of a one-element tensor.
   * @example tensor([[3]]).item(); // 3
   */
  item(): ScalarFor<D> {
    if (this.numel() !== 1) {
      throw new RangeError(`item: only one-element tensors can be converted to a scalar, got shape ${fmt(this.shape)}`);
    }
    const v = this.data()[0];
    return (this.dtype === 'bool' ? v !== 0 : v) as ScalarFor<D>;
  }
  /** PyTorch-style printout, e.g. `tensor([[1., 2.]], dtype=float64)`. */
  toString(): string {
    return formatTensor(this);
  }
  /** @internal */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }

  // ------------------------------------------------------------ conversion
  /**
   * Converts to another dtype or device (a no-op returning `this` when nothing changes).
   * @example tensor([1.7]).to('int32'); // tensor([1], dtype=int32)
   */
  to<E extends DType>(dtype: E): Tensor<E>;
  to(device: Device): Tensor<D>;
  to(target: DType | Device): Tensor {
    return pw.to(this, target);
  }
  /** Converts to float32. */
  float(): Tensor<'float32'> {
    return this.to('float32');
  }
  /** Converts to float64. */
  double(): Tensor<'float64'> {
    return this.to('float64');
  }
  /** Converts to int32 (truncating toward zero). */
  int(): Tensor<'int32'> {
    return this.to('int32');
  }
  /** Converts to bool (non-zero is true). */
  bool(): Tensor<'bool'> {
    return this.to('bool');
  }
  /** Copies to the CPU. */
  cpu(): Tensor<D> {
    return this.to('cpu');
  }
  /** Copies to the CUDA device. */
  cuda(): Tensor<D> {
    return this.to('cuda');
  }

  // -------------------------------------------------------------- autograd
  /**
   * Computes gradients of this tensor with respect to the graph's leaves and
   * accumulates them in their `.grad`. A non-scalar tensor needs `gradient`.
   * @example
   * const w = randn([3], { requiresGrad: true });
   * w.mul(w).sum().backward(); // w.grad = 2w
   */
  backward(gradient?: Tensor, options: BackwardOptions = {}): void {
    let g = gradient;
    if (g === undefined) {
      if (this.numel() !== 1) {
        throw new RangeError(`backward: grad can be implicitly created only for scalar outputs; got shape ${fmt(this.shape)}`);
      }
      g = pw.onesLikeRaw(this);
    } else if (!(g instanceof Tensor)) {
      throw new TypeError('backward: gradient must be a Tensor');
    } else if (fmt(g.shape) !== fmt(this.shape)) {
      throw new RangeError(`backward: gradient shape ${fmt(g.shape)} does not match output shape ${fmt(this.shape)}`);
    }
    runBackward([this], [g], { retainGraph: options.retainGraph ?? false, createGraph: options.createGraph ?? false });
  }
  /** A tensor sharing this one's memory, cut from the graph (`requiresGrad` false). */
  detach(): Tensor<D> {
    const t = new Tensor<D>(this._storage, this.shape, this._strides, this._offset, this._base ?? null);
    return t;
  }
  /**
   * Sets `requiresGrad` in place on a leaf and returns this tensor.
   * @example const w = zeros([3]).requiresGrad_();
   */
  requiresGrad_(requiresGrad = true): this {
    if (!this.isLeaf && !requiresGrad) {
      throw new Error('requiresGrad_: you can only change requiresGrad flags of leaf tensors');
    }
    if (requiresGrad && this.dtype !== 'float32' && this.dtype !== 'float64') {
      throw new TypeError(`requiresGrad_: only floating-point tensors can require gradients, got ${this.dtype}`);
    }
    this.requiresGrad = requiresGrad;
    return this;
  }
  /** Keeps `.grad` on this non-leaf tensor during backward. */
  retainGrad(): void {
    if (!this.requiresGrad) throw new Error("retainGrad: can't retain_grad on a tensor that has requiresGrad=false");
    if (this.gradFn) this.gradFn.retained = this;
  }
  /**
   * Registers `hook(grad)` to run when this tensor's gradient is computed; it
   * may return a replacement gradient.
   * @example w.registerHook((g) => g.clamp(-1, 1));
   */
  registerHook(hook: (grad: Tensor) => Tensor | void): RemovableHandle {
    if (!this.requiresGrad) throw new Error("registerHook: cannot register a hook on a tensor that doesn't require gradient");
    const list = this.gradFn ? (this.gradFn.hooks ??= []) : (this._hooks ??= []);
    list.push(hook);
    return {
      remove: () => {
        const i = list.indexOf(hook);
        if (i >= 0) list.splice(i, 1);
      },
    };
  }

  // ---------------------------------------------------------------- memory
  /**
   * Frees the native memory now (views of it become unusable). Optional: the
   * garbage collector frees unreachable tensors. Calling it twice is harmless.
   */
  dispose(): void {
    this._storage.binding.dispose(this._storage.handle);
  }
  /** True after `dispose()` (of this tensor or another view of its memory). */
  get isDisposed(): boolean {
    return this._storage.binding.isDisposed(this._storage.handle);
  }
  /** Frees the memory at the end of a `using` block. */
  [Symbol.dispose](): void {
    this.dispose();
  }

  // ------------------------------------------------------------- pointwise
  /** Elementwise `this + alpha * other`, with broadcasting. @example tensor([1, 2]).add(1) */
  add<O extends TensorLike>(other: O, alpha?: number): Tensor<ResultOf<D, O>> {
    return pw.add(this, other, alpha) as Tensor<ResultOf<D, O>>;
  }
  /** Elementwise `this - alpha * other`. */
  sub<O extends TensorLike>(other: O, alpha?: number): Tensor<ResultOf<D, O>> {
    return pw.sub(this, other, alpha) as Tensor<ResultOf<D, O>>;
  }
  /** Elementwise product. */
  mul<O extends TensorLike>(other: O): Tensor<ResultOf<D, O>> {
    return pw.mul(this, other) as Tensor<ResultOf<D, O>>;
  }
  /** True division (ints are promoted to float32). */
  div(other: TensorLike): Tensor<FloatOf<D>> {
    return pw.div(this, other) as Tensor<FloatOf<D>>;
  }
  /** Elementwise power. */
  pow(exponent: TensorLike): Tensor<FloatOf<D>> {
    return pw.pow(this, exponent) as Tensor<FloatOf<D>>;
  }
  /** Elementwise maximum (NaN propagates). */
  maximum<O extends TensorLike>(other: O): Tensor<ResultOf<D, O>> {
    return pw.maximum(this, other) as Tensor<ResultOf<D, O>>;
  }
  /** Elementwise minimum (NaN propagates). */
  minimum<O extends TensorLike>(other: O): Tensor<ResultOf<D, O>> {
    return pw.minimum(this, other) as Tensor<ResultOf<D, O>>;
  }
  /** `this == other` elementwise. */
  eq(other: TensorLike): Tensor<'bool'> {
    return pw.eq(this, other);
  }
  /** `this != other` elementwise. */
  ne(other: TensorLike): Tensor<'bool'> {
    return pw.ne(this, other);
  }
  /** `this < other` elementwise. */
  lt(other: TensorLike): Tensor<'bool'> {
    return pw.lt(this, other);
  }
  /** `this <= other` elementwise. */
  le(other: TensorLike): Tensor<'bool'> {
    return pw.le(this, other);
  }
  /** `this > other` elementwise. */
  gt(other: TensorLike): Tensor<'bool'> {
    return pw.gt(this, other);
  }
  /** `this >= other` elementwise. */
  ge(other: TensorLike): Tensor<'bool'> {
    return pw.ge(this, other);
  }
  /** Logical and (non-zero is true). */
  logicalAnd(other: TensorLike): Tensor<'bool'> {
    return pw.logicalAnd(this, other);
  }
  /** Logical or (non-zero is true). */
  logicalOr(other: TensorLike): Tensor<'bool'> {
    return pw.logicalOr(this, other);
  }
  /** Logical not. */
  logicalNot(): Tensor<'bool'> {
    return pw.logicalNot(this);
  }
  /** `-this`. */
  neg(): Tensor<NumericOf<D>> {
    return pw.neg(this) as Tensor<NumericOf<D>>;
  }
  /** Absolute value. */
  abs(): Tensor<NumericOf<D>> {
    return pw.abs(this) as Tensor<NumericOf<D>>;
  }
  /** e^x. */
  exp(): Tensor<FloatOf<D>> {
    return pw.exp(this) as Tensor<FloatOf<D>>;
  }
  /** Natural log. */
  log(): Tensor<FloatOf<D>> {
    return pw.log(this) as Tensor<FloatOf<D>>;
  }
  /** log(1 + x), accurate near 0. */
  log1p(): Tensor<FloatOf<D>> {
    return pw.log1p(this) as Tensor<FloatOf<D>>;
  }
  /** e^x - 1, accurate near 0. */
  expm1(): Tensor<FloatOf<D>> {
    return pw.expm1(this) as Tensor<FloatOf<D>>;
  }
  /** Square root. */
  sqrt(): Tensor<FloatOf<D>> {
    return pw.sqrt(this) as Tensor<FloatOf<D>>;
  }
  /** 1 / sqrt(x). */
  rsqrt(): Tensor<FloatOf<D>> {
    return pw.rsqrt(this) as Tensor<FloatOf<D>>;
  }
  /** Sine. */
  sin(): Tensor<FloatOf<D>> {
    return pw.sin(this) as Tensor<FloatOf<D>>;
  }
  /** Cosine. */
  cos(): Tensor<FloatOf<D>> {
    return pw.cos(this) as Tensor<FloatOf<D>>;
  }
  /** Hyperbolic tangent. */
  tanh(): Tensor<FloatOf<D>> {
    return pw.tanh(this) as Tensor<FloatOf<D>>;
  }
  /** Logistic sigmoid 1 / (1 + e^-x). */
  sigmoid(): Tensor<FloatOf<D>> {
    return pw.sigmoid(this) as Tensor<FloatOf<D>>;
  }
  /** max(x, 0). */
  relu(): Tensor<NumericOf<D>> {
    return pw.relu(this) as Tensor<NumericOf<D>>;
  }
  /** GELU with the exact erf form (PyTorch's default). */
  gelu(): Tensor<FloatOf<D>> {
    return pw.gelu(this) as Tensor<FloatOf<D>>;
  }
  /** x for x > 0, slope * x otherwise. */
  leakyRelu(negativeSlope = 0.01): Tensor<NumericOf<D>> {
    return pw.leakyRelu(this, negativeSlope) as Tensor<NumericOf<D>>;
  }
  /** -1, 0 or 1 (0 gradient). */
  sign(): Tensor<NumericOf<D>> {
    return pw.sign(this) as Tensor<NumericOf<D>>;
  }
  /** Round down. */
  floor(): Tensor<NumericOf<D>> {
    return pw.floor(this) as Tensor<NumericOf<D>>;
  }
  /** Round up. */
  ceil(): Tensor<NumericOf<D>> {
    return pw.ceil(this) as Tensor<NumericOf<D>>;
  }
  /** Round half to even. */
  round(): Tensor<NumericOf<D>> {
    return pw.round(this) as Tensor<NumericOf<D>>;
  }
  /** Clamps into [min, max] (either bound may be omitted with `undefined`). */
  clamp(min?: number, max?: number): Tensor<NumericOf<D>> {
    return pw.clamp(this, min, max) as Tensor<NumericOf<D>>;
  }
  /** 1 / x. */
  reciprocal(): Tensor<FloatOf<D>> {
    return pw.reciprocal(this) as Tensor<FloatOf<D>>;
  }
  /** x * x. */
  square(): Tensor<NumericOf<D>> {
    return pw.square(this) as Tensor<NumericOf<D>>;
  }
  /** Error function. */
  erf(): Tensor<FloatOf<D>> {
    return pw.erf(this) as Tensor<FloatOf<D>>;
  }
  /** True where NaN. */
  isnan(): Tensor<'bool'> {
    return pw.isnan(this);
  }
  /** True where +-Inf. */
  isinf(): Tensor<'bool'> {
    return pw.isinf(this);
  }
  /** `where(condition, this, other)`. */
  where(condition: Tensor, other: TensorLike): Tensor {
    return pw.where(condition, this, other);
  }
  /** Replaces elements where `mask` is true with `value`. */
  maskedFill(mask: Tensor, value: number): Tensor<D> {
    return pw.maskedFill(this, mask, value) as Tensor<D>;
  }

  // ------------------------------------------------------------- reduction
  /** Sum over `dim` (all dims when omitted). @example tensor([[1, 2], [3, 4]]).sum(1) // [3, 7] */
  sum(dim?: number | readonly number[], keepdim = false): Tensor<D extends 'bool' ? 'int32' : D> {
    return rd.sum(this, dim, keepdim) as Tensor<D extends 'bool' ? 'int32' : D>;
  }
  /** Mean over `dim` (all dims when omitted). */
  mean(dim?: number | readonly number[], keepdim = false): Tensor<FloatOf<D>> {
    return rd.mean(this, dim, keepdim) as Tensor<FloatOf<D>>;
  }
  /** Product over `dim`. */
  prod(dim?: number | readonly number[], keepdim = false): Tensor<NumericOf<D>> {
    return rd.prod(this, dim, keepdim) as Tensor<NumericOf<D>>;
  }
  /**
   * Maximum. With no dim: the max over all elements (gradient split evenly among
   * ties). With a dim: `{ values, indices }` like `torch.max(x, dim)`; the
   * gradient goes to the first maximal element, whose index is returned.
   */
  max(): Tensor<D>;
  max(dim: number, keepdim?: boolean): { values: Tensor<D>; indices: Tensor<'int32'> };
  max(dim?: number, keepdim = false): Tensor<D> | { values: Tensor<D>; indices: Tensor<'int32'> } {
    return dim === undefined ? (rd.amax(this) as Tensor<D>) : (rd.maxDim(this, dim, keepdim, true) as { values: Tensor<D>; indices: Tensor<'int32'> });
  }
  /** Minimum; see `max` for the forms and tie rules. */
  min(): Tensor<D>;
  min(dim: number, keepdim?: boolean): { values: Tensor<D>; indices: Tensor<'int32'> };
  min(dim?: number, keepdim = false): Tensor<D> | { values: Tensor<D>; indices: Tensor<'int32'> } {
    return dim === undefined ? (rd.amin(this) as Tensor<D>) : (rd.maxDim(this, dim, keepdim, false) as { values: Tensor<D>; indices: Tensor<'int32'> });
  }
  /** Max over dims, values only (gradient split evenly among ties, like `torch.amax`). */
  amax(dim?: number | readonly number[], keepdim = false): Tensor<D> {
    return rd.amax(this, dim, keepdim) as Tensor<D>;
  }
  /** Min over dims, values only. */
  amin(dim?: number | readonly number[], keepdim = false): Tensor<D> {
    return rd.amin(this, dim, keepdim) as Tensor<D>;
  }
  /** Index of the first maximum (over the flattened tensor when dim is omitted). */
  argmax(dim?: number, keepdim = false): Tensor<'int32'> {
    return rd.argmax(this, dim, keepdim);
  }
  /** Index of the first minimum. */
  argmin(dim?: number, keepdim = false): Tensor<'int32'> {
    return rd.argmin(this, dim, keepdim);
  }
  /** Variance with Bessel's correction by default (`correction: 0` for the population variance). */
  var(dim?: number | readonly number[], options: { correction?: number; keepdim?: boolean } = {}): Tensor<FloatOf<D>> {
    return rd.variance(this, dim, options.correction ?? 1, options.keepdim ?? false) as Tensor<FloatOf<D>>;
  }
  /** Standard deviation (see `var`). */
  std(dim?: number | readonly number[], options: { correction?: number; keepdim?: boolean } = {}): Tensor<FloatOf<D>> {
    return rd.std(this, dim, options.correction ?? 1, options.keepdim ?? false) as Tensor<FloatOf<D>>;
  }
  /** log(sum(exp(x))) over dims, computed stably. */
  logsumexp(dim: number | readonly number[], keepdim = false): Tensor<FloatOf<D>> {
    return rd.logsumexp(this, dim, keepdim) as Tensor<FloatOf<D>>;
  }
  /** Euclidean (2-)norm over dims (all when omitted). */
  norm(dim?: number | readonly number[], keepdim = false): Tensor<FloatOf<D>> {
    return rd.norm(this, dim, keepdim) as Tensor<FloatOf<D>>;
  }
  /** True if any element is non-zero. */
  any(dim?: number, keepdim = false): Tensor<'bool'> {
    return rd.any(this, dim, keepdim);
  }
  /** True if every element is non-zero. */
  all(dim?: number, keepdim = false): Tensor<'bool'> {
    return rd.all(this, dim, keepdim);
  }
  /** Softmax along `dim`. */
  softmax(dim: number): Tensor<FloatOf<D>> {
    return rd.softmax(this, dim) as Tensor<FloatOf<D>>;
  }
  /** log(softmax(x)) along `dim`, computed stably. */
  logSoftmax(dim: number): Tensor<FloatOf<D>> {
    return rd.logSoftmax(this, dim) as Tensor<FloatOf<D>>;
  }

  // ----------------------------------------------------------------- views
  /** Same data, new shape (-1 infers one size); copies only when a view is impossible. */
  reshape(...shape: number[] | [readonly number[]]): Tensor<D> {
    return vw.reshape(this, flatShape(shape)) as Tensor<D>;
  }
  /** Same data, new shape; throws when the strides make a view impossible. */
  view(...shape: number[] | [readonly number[]]): Tensor<D> {
    return vw.view(this, flatShape(shape)) as Tensor<D>;
  }
  /** Flattens dims startDim..endDim into one. */
  flatten(startDim = 0, endDim = -1): Tensor<D> {
    return vw.flatten(this, startDim, endDim) as Tensor<D>;
  }
  /** Swaps two dims (a view). */
  transpose(dim0: number, dim1: number): Tensor<D> {
    return vw.transpose(this, dim0, dim1) as Tensor<D>;
  }
  /** Transpose of a 2-D tensor (a view). */
  t(): Tensor<D> {
    return vw.t(this) as Tensor<D>;
  }
  /** Reorders dims (a view). */
  permute(...dims: number[] | [readonly number[]]): Tensor<D> {
    return vw.permute(this, flatShape(dims)) as Tensor<D>;
  }
  /** `length` elements of `dim` starting at `start` (a view). */
  narrow(dim: number, start: number, length: number): Tensor<D> {
    return vw.narrow(this, dim, start, length) as Tensor<D>;
  }
  /** Python-style slice `[start:end:step]` along `dim` (a view; negative indices count from the end). */
  slice(dim: number, start?: number, end?: number, step = 1): Tensor<D> {
    return vw.slice(this, dim, start, end, step) as Tensor<D>;
  }
  /** Picks one index of `dim`, removing that dim (a view). */
  select(dim: number, index: number): Tensor<D> {
    return vw.select(this, dim, index) as Tensor<D>;
  }
  /** Removes size-1 dims (all, or just `dim`). */
  squeeze(dim?: number): Tensor<D> {
    return vw.squeeze(this, dim) as Tensor<D>;
  }
  /** Inserts a size-1 dim at `dim`. */
  unsqueeze(dim: number): Tensor<D> {
    return vw.unsqueeze(this, dim) as Tensor<D>;
  }
  /** Broadcasts to a larger shape without copying (-1 keeps a size). */
  expand(...shape: number[] | [readonly number[]]): Tensor<D> {
    return vw.expand(this, flatShape(shape)) as Tensor<D>;
  }
  /** Same as `expand(other.shape)`. */
  expandAs(other: Tensor): Tensor<D> {
    return vw.expand(this, other.shape) as Tensor<D>;
  }
  /** Same as `expand(shape)`. */
  broadcastTo(shape: readonly number[]): Tensor<D> {
    return vw.expand(this, shape) as Tensor<D>;
  }
  /** This tensor if already contiguous, else a contiguous copy. */
  contiguous(): Tensor<D> {
    return vw.contiguous(this) as Tensor<D>;
  }
  /** A contiguous copy (differentiable). */
  clone(): Tensor<D> {
    return vw.clone(this) as Tensor<D>;
  }
  /** Splits into pieces of `splitSize` (or the given sizes) along `dim` (views). */
  split(splitSize: number | readonly number[], dim = 0): Tensor<D>[] {
    return vw.split(this, splitSize, dim) as Tensor<D>[];
  }
  /** Splits into `chunks` nearly equal views along `dim`. */
  chunk(chunks: number, dim = 0): Tensor<D>[] {
    return vw.chunk(this, chunks, dim) as Tensor<D>[];
  }
  /** Removes `dim`, returning the slices (views). */
  unbind(dim = 0): Tensor<D>[] {
    return vw.unbind(this, dim) as Tensor<D>[];
  }

  // ---------------------------------------------------------------- linalg
  /** Matrix product with PyTorch's 1-D/2-D/batched broadcasting rules (ints and bools multiply as float32). */
  matmul<E extends DType>(other: Tensor<E>): Tensor<FloatOf<Promote<D, E>>> {
    return la.matmul(this, other) as Tensor<FloatOf<Promote<D, E>>>;
  }
  /** 2-D matrix product. */
  mm<E extends DType>(other: Tensor<E>): Tensor<FloatOf<Promote<D, E>>> {
    return la.mm(this, other) as Tensor<FloatOf<Promote<D, E>>>;
  }
  /** Batched 3-D matrix product. */
  bmm<E extends DType>(other: Tensor<E>): Tensor<FloatOf<Promote<D, E>>> {
    return la.bmm(this, other) as Tensor<FloatOf<Promote<D, E>>>;
  }

  // -------------------------------------------------------------- indexing
  /** out[i][j] = this[index[i][j]][j] for dim 0 (and so on). */
  gather(dim: number, index: Tensor): Tensor<D> {
    return ix.gather(this, dim, index) as Tensor<D>;
  }
  /** A copy with `src` added at `index` along `dim` (out-of-place `scatter_add`). */
  scatterAdd(dim: number, index: Tensor, src: Tensor): Tensor<D> {
    return ix.scatterAdd(this, dim, index, src) as Tensor<D>;
  }
  /** Picks entries `index` (1-D int32) along `dim`. */
  indexSelect(dim: number, index: Tensor): Tensor<D> {
    return ix.indexSelect(this, dim, index) as Tensor<D>;
  }

  // -------------------------------------------------------------- in-place
  /** `this += alpha * other` in place; returns this. */
  addInPlace(other: TensorLike, alpha?: number): this {
    return ip.inPlace(this, 'addInPlace', (x) => pw.add(x, other, alpha), (t) => pw.binaryInto('add', t, other, alpha));
  }
  /** `this -= alpha * other` in place. */
  subInPlace(other: TensorLike, alpha?: number): this {
    return ip.inPlace(this, 'subInPlace', (x) => pw.sub(x, other, alpha), (t) => pw.binaryInto('sub', t, other, alpha));
  }
  /** `this *= other` in place. */
  mulInPlace(other: TensorLike): this {
    return ip.inPlace(this, 'mulInPlace', (x) => pw.mul(x, other), (t) => pw.binaryInto('mul', t, other));
  }
  /** `this /= other` in place. */
  divInPlace(other: TensorLike): this {
    return ip.inPlace(this, 'divInPlace', (x) => pw.div(x, other), (t) => pw.binaryInto('div', t, other));
  }
  /** Clamps in place. */
  clampInPlace(min?: number, max?: number): this {
    return ip.inPlace(this, 'clampInPlace', (x) => pw.clamp(x, min, max), (t) => pw.clampInto(t, min, max));
  }
  /** Copies `src` (broadcast, any dtype) into this tensor. */
  copyInPlace(src: TensorLike): this {
    return ip.copyInPlace(this, src);
  }
  /** Sets every element to `value`. */
  fillInPlace(value: number | boolean): this {
    return ip.fillInPlace(this, value);
  }
  /** Sets every element to zero. */
  zeroInPlace(): this {
    return ip.fillInPlace(this, 0);
  }
  /** Fills with U(low, high) from the global generator. */
  uniformInPlace(low = 0, high = 1): this {
    return ip.randomInPlace(this, 'uniform', low, high);
  }
  /** Fills with N(mean, std) from the global generator. */
  normalInPlace(mean = 0, std = 1): this {
    return ip.randomInPlace(this, 'normal', mean, std);
  }
}

function flatShape(args: number[] | [readonly number[]]): number[] {
  if (args.length === 1 && Array.isArray(args[0])) return (args[0] as readonly number[]).slice();
  return args as number[];
}

/** @internal Allocates an uninitialised contiguous tensor. */
export function allocTensor<D extends DType>(shape: Shape, dtype: D, device: Device): Tensor<D> {
  const b = backendFor(device);
  const n = numel(shape);
  const code = DTYPE_CODE[dtype];
  return newTensor(shape, contiguousStrides(shape), dtype, device, b, (owner) => b.alloc(code, n, owner));
}

/**
 * @internal A contiguous tensor whose memory `make(owner)` allocates: alloc,
 * or an op that allocates its own output (one native call instead of two),
 * having read the output view `strides` describe. `binding` is `device`'s
 * (the caller has it at hand: looking it up again was ~3% of a tiny op).
 */
export function newTensor<D extends DType>(
  shape: Shape,
  strides: number[],
  dtype: D,
  device: Device,
  binding: NativeBinding,
  make: (owner: Owner | null, binding: NativeBinding) => StorageHandle,
): Tensor<D> {
  return new Tensor<D>(newStorage(dtype, device, numel(shape), binding, make), shape, strides, 0);
}

/** @internal Wraps a JS typed array (copied) as a tensor. */
export function fromTypedArray<D extends DType>(
  data: Float32Array | Float64Array | Int32Array | Uint8Array,
  shape: Shape,
  dtype: D,
  device: Device,
): Tensor<D> {
  const b = backendFor(device);
  const s = newStorage(dtype, device, data.length, b, (owner) => b.fromTyped(data, DTYPE_CODE[dtype], owner));
  return new Tensor<D>(s, shape, contiguousStrides(shape), 0);
}

/** True for Tensor instances. */
export function isTensor(x: unknown): x is Tensor {
  return x instanceof Tensor;
}
