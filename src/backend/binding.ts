/**
 * The typed interface of a native addon. Every device's addon (CPU, CUDA, the
 * CUDA emulator) exports exactly this surface; `device.ts` picks one per
 * tensor device. Views are passed through `meta` (see meta.ts) rather than as
 * arguments, which keeps one call at a few tens of nanoseconds.
 */

/**
 * An opaque handle to native memory: a number packing the slot, addon and
 * generation, which the addon validates on every call (see native/binding/args.h).
 */
export type StorageHandle = number & { readonly __brand: 'tensorforge.storage' };

type H = StorageHandle;
type Opt = StorageHandle | null;

export interface MemoryStats {
  liveBytes: number;
  cachedBytes: number;
  peakBytes: number;
  allocations: number;
  /**
   * Bytes of live storages that only the garbage collector will free (made
   * outside `tidy`, not disposed), in this thread: V8 is told of these, and
   * only these, so that their growth triggers a GC. Tidy-scoped memory is freed
   * by its scope and does not count.
   */
  gcOwnedBytes: number;
}

export interface NativeBinding {
  readonly meta: Float64Array;
  /**
   * The hot ops' plain-number arguments (the last slots of `meta`'s buffer):
   * unary and binary read their op code, handles and scalars here, not as
   * arguments, which costs an N-API conversion each. The last slot is the
   * addon's: it holds the current owner group's id (`newGroup`).
   */
  readonly args: Float64Array;
  readonly abiVersion: number;
  /**
   * `owner`: the object whose collection frees the memory, or the id of the
   * current owner group (`newGroup`), whose object's collection does; null
   * for a tidy-scoped storage (freed by dispose).
   */
  alloc(dtype: number, numel: number, owner?: object | number | null): H;
  fromTyped(data: Float32Array | Float64Array | Int32Array | Uint8Array, dtype: number, owner?: object | number | null): H;
  /** Gives a storage allocated without an owner one (when it outlives its tidy scope). */
  adopt(s: H, owner: object | number): void;
  /**
   * Makes a new owner group, owned by `obj`, the current one and returns its
   * id: storages made with the id as their owner are freed together once
   * `obj` is collected (each Storage must hold `obj`).
   */
  newGroup(obj: object): number;
  toTyped(s: H): Float32Array | Float64Array | Int32Array | Uint8Array;
  toTypedAsync(s: H): Promise<Float32Array | Float64Array | Int32Array | Uint8Array>;
  dispose(s: H): void;
  /** dispose() of handles[0..n) in one call. */
  disposeMany(handles: Float64Array, n: number): void;
  isDisposed(s: H): boolean;
  memoryStats(): MemoryStats;
  emptyCache(): void;
  deviceInfo(): { device: string; available: boolean; reason: string | null };
  fill(out: H, value: number): void;
  /** args [op, out, a, p0, p1, group]; out -1 - dtype code: as binary's. */
  unary(owner?: object | number | null): H | undefined;
  /**
   * args [op, out, a, b, scalar, group]; b -1: the second operand is `scalar`.
   * out -1 - dtype code: the op allocates its output (view in meta, contiguous) for `owner`, or else
   * for the owner group whose id is `group` (0: none, a tidy scope owns it), and returns its handle.
   */
  binary(owner?: object | number | null): H | undefined;
  /** A null operand is the matching scalar. */
  where(out: H, cond: H, a: Opt, b: Opt, aScalar: number, bScalar: number): void;
  cast(out: H, a: H): void;
  random(out: H, kind: number, seedHi: number, seedLo: number, offset: number, p0: number, p1: number): void;
  reduce(op: number, out: H, a: H, nred: number, correction: number): void;
  softmax(out: H, a: H, log: boolean): void;
  matmul(out: H, a: H, b: H, bias: Opt, act: number): void;
  gather(out: H, a: H, index: H, dim: number): void;
  scatterAdd(out: H, index: H, src: H, dim: number): void;
  indexSelect(out: H, a: H, index: H, dim: number): void;
  im2col(col: H, x: H): void;
  col2im(x: H, col: H): void;
  maxpool2d(out: H, indices: H, x: H): void;
  /** maxpool2d's adjoint: dx zeroed, then gy added at the indices; meta: dx, gy, indices, geometry. */
  maxpool2dBackward(dx: H, gy: H, indices: H): void;
  adamStep(p: H, g: H, m: H, v: H, vmax: Opt, lr: number, b1: number, b2: number, eps: number, wd: number,
    bc1: number, bc2: number, decoupled: boolean, amsgrad: boolean): void;
  sgdStep(p: H, g: H, buf: Opt, lr: number, momentum: number, dampening: number, wd: number, nesterov: boolean,
    first: boolean): void;
  rmspropStep(p: H, g: H, sq: H, buf: Opt, gavg: Opt, lr: number, alpha: number, eps: number, wd: number,
    momentum: number, centered: boolean): void;
  adagradStep(p: H, g: H, sum: H, lr: number, eps: number, wd: number): void;
  crossEntropy(loss: H, grad: Opt, logits: H, target: H, ignoreIndex: number): void;
  /** Fused LSTM cell (gate order i, f, g, o); meta: h, c, acts, xg, hg (if given), cPrev. */
  lstmCell(h: H, c: H, acts: H, xg: H, hg: Opt, cPrev: H): void;
  /** Its backward; meta: dgates, dcPrev, acts, cPrev, c, dh, then dh2, dc, dc2 where given. */
  lstmCellBackward(dgates: H, dcPrev: H, acts: H, cPrev: H, c: H, dh: H, dh2: Opt, dc: Opt, dc2: Opt): void;
  // CPU-only controls (absent on other devices).
  getNumThreads?(): number;
  setNumThreads?(n: number): void;
  getIsa?(): string;
  setIsa?(name: string): boolean;
  supportedIsas?(): string[];
  // CUDA-only.
  deviceCount?(): number;
  isEmulated?(): boolean;
  synchronize?(): void;
}
