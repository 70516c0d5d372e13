/**
 * Convolution and pooling on NCHW tensors. Two primitives carry everything:
 * `unfold` (native im2col) and `fold` (native col2im), each the other's
 * adjoint, so each one's backward is the other and derivatives of any order
 * work. conv2d is unfold + one GEMM over the whole batch (the columns are
 * stored [K, N, L] so they are a [K, N*L] matrix); pooling is unfold + a
 * reduction, or a reshape when windows tile the input; maxPool2d and its
 * adjoint (the gradient added at the saved indices) are native kernels.
 */
import { writeInts, writeView } from '../backend/meta';
import { isGradEnabled } from '../autograd/grad-mode';
import { freeWithNode, record } from '../autograd/node';
import { isFloating } from '../dtype';
import { fmt } from '../shape';
import { allocTensor, fromTypedArray, Tensor } from '../tensor';
import { fillRaw, zerosRaw } from './creation';
import { gather } from './indexing';
import { matmul, matmulRaw, mm } from './linalg';
import { add, div, relu, reluBackward } from './pointwise';
import { mean, sum } from './reduce';
import { cat, contiguous, copyRaw, makeView, narrow, permute, reshape, squeeze, t, unsqueeze } from './views';

/** A size given once for both spatial dims, or as [height, width]. */
export type Size2 = number | readonly [number, number];

/** Window geometry, in the order the native kernels read it after the views. */
interface Geom {
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  ph: number;
  pw: number;
  dh: number;
  dw: number;
}

/** @internal Reads a Size2 argument as [h, w], checking it is made of integers >= min. */
export function pair(v: Size2 | undefined, dflt: number, what: string, op: string, min: number): [number, number] {
  const p: readonly unknown[] = v === undefined ? [dflt, dflt] : typeof v === 'number' ? [v, v] : Array.isArray(v) ? v : [v];
  if (p.length !== 2 || !p.every((x) => typeof x === 'number' && Number.isInteger(x))) {
    throw new TypeError(`${op}: ${what} must be an integer or a pair of integers, got ${JSON.stringify(v)}`);
  }
  const [a, b] = p as number[];
  if (a < min || b < min) throw new RangeError(`${op}: ${what} must be >= ${min}, got ${JSON.stringify(v)}`);
  return [a, b];
}

function geomInts(g: Geom): number[] {
  return [g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw];
}

/** Output size of one spatial dim (floor mode, as the native kernels compute it). */
function outDim(n: number, k: number, s: number, p: number, d: number): number {
  return Math.floor((n + 2 * p - d * (k - 1) - 1) / s) + 1;
}

function outHW(h: number, w: number, g: Geom): [number, number] {
  return [outDim(h, g.kh, g.sh, g.ph, g.dh), outDim(w, g.kw, g.sw, g.pw, g.dw)];
}

function checkGeom(shape: readonly number[], g: Geom, op: string): [number, number] {
  const [oh, ow] = outHW(shape[2], shape[3], g);
  if (oh <= 0 || ow <= 0) {
    const ekh = g.dh * (g.kh - 1) + 1;
    const ekw = g.dw * (g.kw - 1) + 1;
    throw new RangeError(
      `${op}: the (dilated) kernel ${ekh}x${ekw} is larger than the padded input ${shape[2] + 2 * g.ph}x${shape[3] + 2 * g.pw} (input ${fmt(shape)})`,
    );
  }
  return [oh, ow];
}

function checkFloat4d(x: unknown, op: string, what = 'input'): asserts x is Tensor {
  if (!(x instanceof Tensor)) throw new TypeError(`${op}: ${what} must be a Tensor, got ${x === null ? 'null' : typeof x}`);
  if (!isFloating(x.dtype)) throw new TypeError(`${op}: ${what} must be float32 or float64, got ${x.dtype}`);
  if (x.ndim !== 4) throw new RangeError(`${op}: ${what} must be 4-D [N, C, H, W] (or 3-D [C, H, W]), got ${fmt(x.shape)}`);
}

/** Runs `fn` on a 4-D view of a 3-D (unbatched) input and removes the batch dim again. */
function batched(x: unknown, op: string, fn: (x4: Tensor) => Tensor): Tensor {
  if (x instanceof Tensor && x.ndim === 3) return squeeze(fn(unsqueeze(x, 0)), 0);
  checkFloat4d(x, op);
  return fn(x);
}

// --------------------------------------------------------- unfold / fold

/**
 * im2col without autograd: x contiguous [N,C,H,W] -> [N, C*KH*KW, OH*OW]. With
 * `kMajor` the result is a view of [K, N, L] storage (what conv2d multiplies as
 * one [K, N*L] matrix); otherwise it is contiguous.
 */
function im2colRaw(x: Tensor, g: Geom, kMajor: boolean): Tensor {
  const [n, c, h, w] = x.shape;
  const [oh, ow] = outHW(h, w, g);
  const k = c * g.kh * g.kw;
  const col = kMajor ? permute(allocTensor([k, n, oh * ow], x.dtype, x.device), [1, 0, 2]) : allocTensor([n, k, oh * ow], x.dtype, x.device);
  im2colInto(col, x, g);
  return col;
}

/** Runs im2col into `col`, an [N, K, L] view laid out [N, K, L] or [K, N, L]. */
function im2colInto(col: Tensor, x: Tensor, g: Geom): void {
  const b = x._storage.binding;
  writeInts(b.meta, writeView(b.meta, writeView(b.meta, 0, col), x), geomInts(g));
  b.im2col(col._storage.handle, x._storage.handle);
}

/** col2im without autograd: sums the columns back into a zeroed [N,C,H,W]. */
function col2imRaw(col: Tensor, shape: readonly number[], g: Geom): Tensor {
  const x = zerosRaw(shape, col.dtype, col.device);
  const b = col._storage.binding;
  writeInts(b.meta, writeView(b.meta, writeView(b.meta, 0, x), col), geomInts(g));
  b.col2im(x._storage.handle, col._storage.handle);
  return x;
}

function unfoldOp(x: Tensor, g: Geom, kMajor = false): Tensor {
  const xc = contiguous(x);
  const shape = xc.shape;
  return record(im2colRaw(xc, g, kMajor), 'unfold', [xc], (gr) => [foldOp(gr, shape, g)]);
}

/** Whether col2im reads this [N, K, L] view in place: stored [N, K, L] or [K, N, L]. */
function nativeColumns(col: Tensor): boolean {
  const [n, k, l] = col.shape;
  const [s0, s1, s2] = col._strides;
  return col.isContiguous() || ((l === 1 || s2 === 1) && (n === 1 || s0 === l) && (k === 1 || s1 === n * l));
}

function foldOp(col: Tensor, shape: readonly number[], g: Geom): Tensor {
  const cc = nativeColumns(col) ? col : contiguous(col);
  return record(col2imRaw(cc, shape, g), 'fold', [cc], (gr) => [unfoldOp(gr, g)]);
}

/** Options shared by unfold and fold (PyTorch's names and defaults). */
export interface UnfoldOptions {
  dilation?: Size2;
  padding?: Size2;
  stride?: Size2;
}

function geomOf(kernelSize: Size2, o: UnfoldOptions, op: string): Geom {
  const [kh, kw] = pair(kernelSize, 1, 'kernelSize', op, 1);
  const [sh, sw] = pair(o.stride, 1, 'stride', op, 1);
  const [ph, pw] = pair(o.padding, 0, 'padding', op, 0);
  const [dh, dw] = pair(o.dilation, 1, 'dilation', op, 1);
  return { kh, kw, sh, sw, ph, pw, dh, dw };
}

/**
 * Extracts sliding local blocks (im2col), like `torch.nn.functional.unfold`:
 * [N, C, H, W] -> [N, C*KH*KW, L] with L the number of block positions.
 * @example unfold(randn([1, 3, 4, 4]), 2).shape // [1, 12, 9]
 */
export function unfold(x: Tensor, kernelSize: Size2, options: UnfoldOptions = {}): Tensor {
  return batched(x, 'unfold', (x4) => {
    const g = geomOf(kernelSize, options, 'unfold');
    checkGeom(x4.shape, g, 'unfold');
    return unfoldOp(x4, g);
  });
}

/**
 * Sums sliding local blocks back into an image (col2im), like
 * `torch.nn.functional.fold`: [N, C*KH*KW, L] -> [N, C, H, W]. The adjoint of `unfold`.
 * @example fold(unfold(x, 2), [4, 4], 2) // x times how many blocks cover each pixel
 */
export function fold(col: Tensor, outputSize: Size2, kernelSize: Size2, options: UnfoldOptions = {}): Tensor {
  if (!(col instanceof Tensor)) throw new TypeError('fold: input must be a Tensor');
  if (col.ndim === 2) return squeeze(fold(unsqueeze(col, 0), outputSize, kernelSize, options), 0);
  if (col.ndim !== 3) throw new RangeError(`fold: input must be 3-D [N, C*KH*KW, L] (or 2-D), got ${fmt(col.shape)}`);
  if (!isFloating(col.dtype)) throw new TypeError(`fold: input must be float32 or float64, got ${col.dtype}`);
  const [h, w] = pair(outputSize, 1, 'outputSize', 'fold', 1);
  const g = geomOf(kernelSize, options, 'fold');
  const kk = g.kh * g.kw;
  const [n, ckk, l] = col.shape;
  if (ckk % kk !== 0) throw new RangeError(`fold: dim 1 of the input ${fmt(col.shape)} must be divisible by the kernel size ${g.kh}*${g.kw}`);
  const shape = [n, ckk / kk, h, w];
  const [oh, ow] = checkGeom(shape, g, 'fold');
  if (oh * ow !== l) {
    throw new RangeError(`fold: the input ${fmt(col.shape)} has ${l} blocks, but output size ${h}x${w} with this geometry gives ${oh}x${ow} = ${oh * ow}`);
  }
  return foldOp(col, shape, g);
}

// ----------------------------------------------------------------- conv2d

/** Options of `conv2d` (PyTorch's names and defaults). */
export interface Conv2dOptions {
  /** Default 1. */
  stride?: Size2;
  /** Zero padding on both sides, or 'valid' (none) or 'same' (output size = input size; stride 1 only). Default 0. */
  padding?: Size2 | 'same' | 'valid';
  /** Default 1. */
  dilation?: Size2;
  /** Channel groups: input and output channels are split into this many independent convolutions. Default 1. */
  groups?: number;
}

/**
 * 2-D convolution (cross-correlation, as in PyTorch) of x [N, C, H, W] with
 * weight [O, C/groups, KH, KW] and an optional bias [O].
 * @example conv2d(randn([8, 1, 28, 28]), randn([32, 1, 3, 3]), zeros([32])).shape // [8, 32, 26, 26]
 */
export function conv2d(x: Tensor, weight: Tensor, bias?: Tensor | null, options: Conv2dOptions = {}): Tensor {
  return batched(x, 'conv2d', (x4) => conv2d4(x4, weight, bias ?? null, options, 0, null));
}

/** @internal `relu(conv2d(...))` with the ReLU fused into the GEMM (nn.Sequential's Conv2d -> ReLU). */
export function conv2dRelu(x: Tensor, weight: Tensor, bias: Tensor | null, options: Conv2dOptions): Tensor {
  return batched(x, 'conv2d', (x4) => conv2d4(x4, weight, bias, options, 1, null));
}

/**
 * @internal `maxPool2d(relu(conv2d(...)))` as one op (nn.Sequential's Conv2d ->
 * ReLU -> MaxPool2d): the pooling reads the GEMM's output where it lies and
 * its adjoint writes the gradient there, so the conv's NCHW output is never
 * made (one activation-sized copy, and the ReLU mask pass, fewer each way).
 */
export function conv2dReluPool(x: Tensor, weight: Tensor, bias: Tensor | null, options: Conv2dOptions, kernelSize: Size2, pool: Omit<MaxPool2dOptions, 'returnIndices'>): Tensor {
  const pg = poolGeom('maxPool2d', kernelSize, pool.stride, pool.padding, pool.dilation, pool.ceilMode);
  return batched(x, 'conv2d', (x4) => conv2d4(x4, weight, bias, options, 1, pg));
}

function conv2d4(x: Tensor, weight: Tensor, bias: Tensor | null, o: Conv2dOptions, act: 0 | 1, pool: Geom | null): Tensor {
  const op = 'conv2d';
  checkFloat4d(weight, op, 'weight');
  if (weight.dtype !== x.dtype) throw new TypeError(`conv2d: input dtype ${x.dtype} and weight dtype ${weight.dtype} must be the same`);
  if (weight.device !== x.device) throw new TypeError(`conv2d: input is on ${x.device} but weight is on ${weight.device}`);
  const groups = o.groups ?? 1;
  if (!Number.isInteger(groups) || groups < 1) throw new RangeError(`conv2d: groups must be a positive integer, got ${groups}`);
  const [n, c, h, w] = x.shape;
  const [oc, cg, kh, kw] = weight.shape;
  if (cg * groups !== c) {
    throw new RangeError(`conv2d: weight ${fmt(weight.shape)} with groups=${groups} expects ${cg * groups} input channels, got input ${fmt(x.shape)}`);
  }
  if (oc % groups !== 0) throw new RangeError(`conv2d: out channels ${oc} (weight ${fmt(weight.shape)}) must be divisible by groups=${groups}`);
  if (bias !== null) {
    if (!(bias instanceof Tensor)) throw new TypeError('conv2d: bias must be a Tensor or null');
    if (bias.ndim !== 1 || bias.shape[0] !== oc) throw new RangeError(`conv2d: bias must have shape [${oc}], got ${fmt(bias.shape)}`);
    if (bias.dtype !== x.dtype) throw new TypeError(`conv2d: bias dtype ${bias.dtype} must match input dtype ${x.dtype}`);
    if (bias.device !== x.device) throw new TypeError(`conv2d: input is on ${x.device} but bias is on ${bias.device}`);
  }
  const [sh, sw] = pair(o.stride, 1, 'stride', op, 1);
  const [dh, dw] = pair(o.dilation, 1, 'dilation', op, 1);
  // 'same' pads d*(k-1) in total, the odd extra on the bottom/right (PyTorch's
  // rule). The kernels pad symmetrically, so pad the larger half on both sides
  // and drop the first output row/column, which only the extra top pad made.
  let ph: number, pw: number;
  let trimH = 0, trimW = 0;
  if (o.padding === 'same') {
    if (sh !== 1 || sw !== 1) throw new RangeError("conv2d: padding='same' is not supported for strided convolutions");
    const th = dh * (kh - 1), tw = dw * (kw - 1);
    [ph, pw] = [Math.ceil(th / 2), Math.ceil(tw / 2)];
    [trimH, trimW] = [th % 2, tw % 2];
  } else if (o.padding === 'valid') {
    [ph, pw] = [0, 0];
  } else {
    [ph, pw] = pair(o.padding, 0, 'padding', op, 0);
  }
  const g: Geom = { kh, kw, sh, sw, ph, pw, dh, dw };
  const [oh, ow] = checkGeom(x.shape, g, op);
  // One GEMM for the whole batch: weight [O, K] times the columns as a
  // [K, N*L] matrix gives [O, N*L]; per-image products (N=L columns each) keep
  // the micro-kernel busy for far less time per packing, and the weight
  // gradient becomes one product with an N*L-long reduction instead of N
  // products and a sum. A 1x1 kernel with unit stride and no padding reads
  // each pixel once, so x itself (channels first) is the column matrix.
  const l = oh * ow;
  const k = cg * kh * kw;
  const pointwise = kh === 1 && kw === 1 && sh === 1 && sw === 1 && ph === 0 && pw === 0;
  if (groups === 1 && !pointwise) {
    if (pool && !trimH && !trimW) return convGemm(x, weight, bias, g, act, pool);
    const y = trim(convGemm(x, weight, bias, g, act, null), trimH, trimW);
    return pool ? poolRaw(y, pool) : y;
  }
  const cols = pointwise ? permute(reshape(x, [n, c, h * w]), [1, 0, 2]) : permute(unfoldOp(x, g, true), [1, 0, 2]);
  const cols2 = reshape(cols, [c * kh * kw, n * l]);
  const w2 = reshape(weight, [oc, k]);
  let out2: Tensor;
  let parts: Tensor[] = [];
  if (groups === 1) {
    out2 = matmul(w2, cols2);
  } else {
    // Group i's rows of the column matrix are one contiguous block: narrow is a view.
    const ocg = oc / groups;
    for (let i = 0; i < groups; i++) parts.push(matmul(narrow(w2, 0, i * ocg, ocg), narrow(cols2, 0, i * k, k)));
    out2 = cat(parts, 0);
  }
  // The columns are ours (unless x itself served as them): only the weight
  // gradient reads them again, in the backward of the first product (nodes
  // run in reverse creation order, so that one runs last).
  if (!pointwise) {
    if (cols._storage !== cols2._storage) cols.dispose();
    freeWithNode(cols2, groups === 1 ? out2 : parts[0]);
  }
  // [O, N, L] -> [N, O, L]: the bias add (or a copy) writes the permuted view out contiguously in one pass.
  const perm = permute(reshape(out2, [oc, n, l]), [1, 0, 2]);
  let out = bias ? add(perm, reshape(bias, [1, oc, 1])) : contiguous(perm);
  // No backward reads the products themselves (add, cat and the copy save nothing).
  if (out._storage !== out2._storage) out2.dispose();
  for (const part of parts) part.dispose();
  out = reshape(out, [n, oc, oh, ow]);
  const y = trim(act ? relu(out) : out, trimH, trimW);
  return pool ? poolRaw(y, pool) : y;
}

/** maxPool2d with an already-checked geometry (the unfused tail of conv2dReluPool). */
function poolRaw(x: Tensor, g: Geom): Tensor {
  return maxPool2d(x, [g.kh, g.kw], { stride: [g.sh, g.sw], padding: [g.ph, g.pw], dilation: [g.dh, g.dw] });
}

/** Drops the first output row/column that padding='same' made for an even kernel. */
function trim(out: Tensor, trimH: number, trimW: number): Tensor {
  if (trimH) out = narrow(out, 2, 1, out.shape[2] - 1);
  if (trimW) out = narrow(out, 3, 1, out.shape[3] - 1);
  return out;
}

/**
 * conv2d with one group and a real kernel as one autograd op around one GEMM
 * over the whole batch: W' [O, K'] times the columns [K', N*L], stored [K', N, L].
 * With a bias, the columns get a last row of ones and W' the bias as its last
 * column, so the GEMM adds the bias and the weight-gradient product yields the
 * bias gradient (no separate add or sum pass). act = 1 applies ReLU in the
 * GEMM's epilogue (nn.Sequential runs Conv2d -> ReLU so), and the backward
 * then masks the gradient in the same pass that lays it out [O, N, L]. The
 * columns are private: freed when this node is released after backward.
 */
function convGemm(x: Tensor, weight: Tensor, bias: Tensor | null, g: Geom, act: 0 | 1, pool: Geom | null): Tensor {
  const xc = contiguous(x);
  const [n, c, h, w] = xc.shape;
  const oc = weight.shape[0];
  const [oh, ow] = outHW(h, w, g);
  const l = oh * ow;
  const k = c * g.kh * g.kw;
  const kb = bias ? k + 1 : k;
  const cols = allocTensor([kb, n, l], xc.dtype, xc.device);
  im2colInto(permute(narrow(cols, 0, 0, k), [1, 0, 2]), xc, g);
  if (bias) fillRaw(narrow(cols, 0, k, 1), 1);
  const cols2 = reshape(cols, [kb, n * l]);
  // W' as a matrix: a view of a contiguous weight, else a copy (with the bias column).
  let wm: Tensor;
  if (!bias && weight.isContiguous()) {
    wm = makeView(weight, [oc, k], [k, 1], weight._offset);
  } else {
    wm = allocTensor([oc, kb], weight.dtype, weight.device);
    copyRaw(makeView(wm, weight.shape, [kb, g.kh * g.kw, g.kw, 1], 0), weight);
    if (bias) copyRaw(makeView(wm, [oc], [kb], k), bias);
  }
  const y2 = matmulRaw(wm, cols2, null, act);
  if (wm._storage !== weight._storage) wm.dispose();
  // The product [O, N*L] seen as NCHW planes (each image's L outputs of one channel are contiguous).
  const planes = (t: Tensor): Tensor => makeView(t, [n, oc, oh, ow], [l, n * l, ow, 1], 0);
  let out: Tensor;
  let idx: Tensor<'int32'> | null = null;
  if (pool) {
    // Pool straight from the product; keep only the indices for backward.
    const [ph, pw] = checkGeom([n, oc, oh, ow], pool, 'maxPool2d');
    [out, idx] = maxPoolRaw(planes(y2), [n, oc, ph, pw], pool);
  } else {
    // [O, N, L] -> [N, O, L] in one copy; the product itself is not needed again.
    out = allocTensor([n, oc, oh, ow], xc.dtype, xc.device);
    copyRaw(makeView(out, [oc, n, l], [l, oc * l, 1], 0), reshape(y2, [oc, n, l]));
  }
  y2.dispose();
  const pooled = idx;
  const res = record(
    out,
    'conv2d',
    [xc, weight, bias],
    (gr, needs) => {
      let gt: Tensor;
      if (pooled && pool) {
        // ReLU passes at a window's argmax exactly where the pooled value is positive.
        const gp = act ? reluBackward(gr, out) : gr;
        if (isGradEnabled()) {
          // createGraph: the differentiable adjoint, then the layout copy.
          const gx = maxPoolAdjoint(gp, pooled, [n, oc, oh, ow], pool);
          gt = contiguous(permute(reshape(gx, [n, oc, l]), [1, 0, 2]));
        } else {
          // The adjoint writes the gradient straight into [O, N, L] planes.
          gt = allocTensor([oc, n, l], gr.dtype, gr.device);
          maxPoolAdjointInto(planes(gt), contiguous(gp), pooled, pool);
        }
      } else {
        const g3 = reshape(gr, [n, oc, l]);
        gt = act
          ? reluBackward(permute(g3, [1, 0, 2]), permute(reshape(out, [n, oc, l]), [1, 0, 2]))
          : contiguous(permute(g3, [1, 0, 2]));
      }
      const gm = reshape(gt, [oc, n * l]);
      let dw: Tensor | null = null, db: Tensor | null = null;
      if (isGradEnabled() && xc.requiresGrad) {
        // createGraph: the weight gradient must stay a function of x, so take
        // the columns from the differentiable unfold rather than the saved ones.
        const cx = reshape(permute(unfoldOp(xc, g, true), [1, 0, 2]), [k, n * l]);
        if (needs[1]) dw = reshape(mm(gm, t(cx)), weight.shape);
        if (needs[2]) db = sum(gm, 1);
      } else if (needs[1] || needs[2]) {
        // [O, K'] = gm · colsᵀ. GEMM packs a transposed operand through
        // register transposes, so the smaller of gm ([O, NL]) and cols
        // ([K', NL]) should be it: for K' > O, (cols · gmᵀ)ᵀ. Conv2 of
        // mnist-cnn (O 64, K' 290, NL 12100): 2.34 -> 2.00 ms on 2 threads.
        const dwb = kb > oc ? t(mm(cols2, t(gm))) : mm(gm, t(cols2));
        if (needs[1]) dw = reshape(narrow(dwb, 1, 0, k), weight.shape);
        if (needs[2]) db = reshape(narrow(dwb, 1, k, 1), [oc]);
      }
      const dx = needs[0] ? foldOp(permute(reshape(mm(t(reshape(weight, [oc, k])), gm), [k, n, l]), [1, 0, 2]), xc.shape, g) : null;
      return [dx, dw, db];
    },
    act ? [weight, out] : [weight],
  );
  freeWithNode(cols, res);
  if (pooled) freeWithNode(pooled, res);
  return res;
}

// ---------------------------------------------------------------- pooling

/** Options of `maxPool2d` (PyTorch's names and defaults). */
export interface MaxPool2dOptions {
  /** Default: the kernel size. */
  stride?: Size2 | null;
  /** Implicit -inf padding on both sides, at most half the kernel. Default 0. */
  padding?: Size2;
  /** Default 1. */
  dilation?: Size2;
  /** Also return the argmax indices (flat within each H*W plane). */
  returnIndices?: boolean;
  /** Not supported (floor mode only); true throws. */
  ceilMode?: boolean;
}

function poolGeom(op: string, kernelSize: Size2, stride: Size2 | null | undefined, padding: Size2 | undefined, dilation: Size2 | undefined, ceilMode: boolean | undefined): Geom {
  if (ceilMode) throw new RangeError(`${op}: ceilMode is not supported (only floor mode)`);
  const [kh, kw] = pair(kernelSize, 1, 'kernelSize', op, 1);
  const [sh, sw] = stride === null || stride === undefined ? [kh, kw] : pair(stride, 1, 'stride', op, 1);
  const [ph, pw] = pair(padding, 0, 'padding', op, 0);
  const [dh, dw] = pair(dilation, 1, 'dilation', op, 1);
  // As PyTorch: a window must always contain at least one real element.
  if (2 * ph > dh * (kh - 1) + 1 || 2 * pw > dw * (kw - 1) + 1) {
    throw new RangeError(`${op}: padding should be at most half of the effective kernel size, got padding=${JSON.stringify(padding)} and kernelSize=${JSON.stringify(kernelSize)}`);
  }
  return { kh, kw, sh, sw, ph, pw, dh, dw };
}

/**
 * 2-D max pooling over x [N, C, H, W] (or [C, H, W]). With `returnIndices`
 * it returns `[output, indices]`, the indices flat within each H*W plane (as PyTorch).
 * @example maxPool2d(randn([1, 1, 4, 4]), 2).shape // [1, 1, 2, 2]
 */
export function maxPool2d(x: Tensor, kernelSize: Size2, options?: (MaxPool2dOptions & { returnIndices?: false }) | number): Tensor;
export function maxPool2d(x: Tensor, kernelSize: Size2, options: MaxPool2dOptions & { returnIndices: true }): [Tensor, Tensor<'int32'>];
export function maxPool2d(x: Tensor, kernelSize: Size2, options: MaxPool2dOptions | number = {}): Tensor | [Tensor, Tensor<'int32'>] {
  const o: MaxPool2dOptions = typeof options === 'number' ? { stride: options } : options;
  const op = 'maxPool2d';
  const g = poolGeom(op, kernelSize, o.stride, o.padding, o.dilation, o.ceilMode);
  let indices: Tensor<'int32'> | null = null;
  const out = batched(x, op, (x4) => {
    const [oh, ow] = checkGeom(x4.shape, g, op);
    const xc = contiguous(x4);
    const [y, idx] = maxPoolRaw(xc, [xc.shape[0], xc.shape[1], oh, ow], g);
    indices = x instanceof Tensor && x.ndim === 3 ? (squeeze(idx, 0) as Tensor<'int32'>) : idx;
    const out = record(y, op, [xc], (gr) => [maxPoolAdjoint(gr, idx, xc.shape, g)]);
    // Unless returned, the indices are ours, read only by this node's backward.
    if (!o.returnIndices) freeWithNode(idx, out);
    return out;
  });
  return o.returnIndices ? [out, indices!] : out;
}

/**
 * Native max pooling, no autograd: the pooled values [N, C, OH, OW] (`shape`)
 * and their flat indices within each plane. x needs only contiguous H*W
 * planes (conv2d's fused pooling reads its GEMM output in place).
 */
function maxPoolRaw(x: Tensor, shape: number[], g: Geom): [Tensor, Tensor<'int32'>] {
  const y = allocTensor(shape, x.dtype, x.device);
  const idx = allocTensor(shape, 'int32', x.device) as Tensor<'int32'>;
  const b = x._storage.binding;
  let p = writeView(b.meta, 0, y);
  p = writeView(b.meta, p, idx);
  writeInts(b.meta, writeView(b.meta, p, x), geomInts(g));
  b.maxpool2d(y._storage.handle, idx._storage.handle, x._storage.handle);
  return [y, idx];
}

/** Native adjoint of max pooling into `dx` (zeroed, then gy added at idx); dx needs only contiguous planes. */
function maxPoolAdjointInto(dx: Tensor, gy: Tensor, idx: Tensor<'int32'>, g: Geom): void {
  const b = gy._storage.binding;
  let p = writeView(b.meta, 0, dx);
  p = writeView(b.meta, p, gy);
  writeInts(b.meta, writeView(b.meta, p, idx), geomInts(g));
  b.maxpool2dBackward(dx._storage.handle, gy._storage.handle, idx._storage.handle);
}

/**
 * The adjoint of picking one element per window (maxPool2d's backward): a
 * zero [N, C, H, W] with each gradient added at its saved index. Its own
 * adjoint reads the gradient back at the same indices, so double backward works.
 */
function maxPoolAdjoint(gy: Tensor, idx: Tensor<'int32'>, shape: readonly number[], g: Geom): Tensor {
  const gc = contiguous(gy);
  const dx = allocTensor(shape, gc.dtype, gc.device);
  maxPoolAdjointInto(dx, gc, idx, g);
  const [n, c, h, w] = shape;
  const [, , oh, ow] = idx.shape;
  return record(dx, 'maxPool2dBackward', [gc], (gg) => [
    reshape(gather(reshape(gg, [n, c, h * w]), 2, reshape(idx, [n, c, oh * ow])), [n, c, oh, ow]),
  ]);
}

/** Options of `avgPool2d` (PyTorch's names and defaults). */
export interface AvgPool2dOptions {
  /** Default: the kernel size. */
  stride?: Size2 | null;
  /** Zero padding on both sides, at most half the kernel. Default 0. */
  padding?: Size2;
  /** Count padded zeros in the divisor (default true, as PyTorch). */
  countIncludePad?: boolean;
  /** Divide by this instead of the window size. */
  divisorOverride?: number | null;
  /** Not supported (floor mode only); true throws. */
  ceilMode?: boolean;
}

/**
 * 2-D average pooling over x [N, C, H, W] (or [C, H, W]).
 * @example avgPool2d(ones([1, 1, 4, 4]), 2) // [1, 1, 2, 2] of ones
 */
export function avgPool2d(x: Tensor, kernelSize: Size2, options: AvgPool2dOptions | number = {}): Tensor {
  const o: AvgPool2dOptions = typeof options === 'number' ? { stride: options } : options;
  const op = 'avgPool2d';
  const g = poolGeom(op, kernelSize, o.stride, o.padding, undefined, o.ceilMode);
  const dov = o.divisorOverride ?? null;
  if (dov !== null && (typeof dov !== 'number' || dov === 0)) throw new RangeError(`avgPool2d: divisorOverride must be a non-zero number, got ${dov}`);
  return batched(x, op, (x4) => {
    const [oh, ow] = checkGeom(x4.shape, g, op);
    const [n, c, h, w] = x4.shape;
    const kk = g.kh * g.kw;
    if (g.ph === 0 && g.pw === 0 && g.sh === g.kh && g.sw === g.kw) {
      // Windows tile the (cropped) input: a reshape and a mean, no im2col.
      const crop = narrow(narrow(x4, 2, 0, oh * g.kh), 3, 0, ow * g.kw);
      const tiles = reshape(crop, [n, c, oh, g.kh, ow, g.kw]);
      return dov === null ? mean(tiles, [3, 5]) : div(sum(tiles, [3, 5]), dov);
    }
    const sums = reshape(sum(reshape(unfoldOp(x4, g), [n, c, kk, oh * ow]), 2), [n, c, oh, ow]);
    if (dov !== null) return div(sums, dov);
    if (o.countIncludePad ?? true) return div(sums, kk);
    // Divisor = real (unpadded) elements under each window.
    const inside = (i: number, k: number, s: number, p: number, size: number): number => {
      const start = i * s - p;
      return Math.min(start + k, size) - Math.max(start, 0);
    };
    const cnt = new Float64Array(oh * ow);
    for (let i = 0; i < oh; i++) for (let j = 0; j < ow; j++) cnt[i * ow + j] = inside(i, g.kh, g.sh, g.ph, h) * inside(j, g.kw, g.sw, g.pw, w);
    return div(sums, fromTypedArray(cnt, [oh, ow], 'float64', x4.device).to(x4.dtype));
  });
}

/** Start/end of PyTorch's adaptive window i of `out` over `size`. */
function adaptiveWindow(i: number, size: number, out: number): [number, number] {
  return [Math.floor((i * size) / out), Math.ceil(((i + 1) * size) / out)];
}

/** [out, size] matrix averaging each adaptive window, so pooling one dim is a matmul. */
function adaptiveMatrix(size: number, out: number, x: Tensor): Tensor {
  const m = new Float64Array(out * size);
  for (let i = 0; i < out; i++) {
    const [s, e] = adaptiveWindow(i, size, out);
    for (let j = s; j < e; j++) m[i * size + j] = 1 / (e - s);
  }
  return fromTypedArray(m, [out, size], 'float64', x.device).to(x.dtype);
}

/**
 * Adaptive average pooling to a fixed output size (null keeps that input
 * size), with PyTorch's windows: [floor(i*H/OH), ceil((i+1)*H/OH)).
 * @example adaptiveAvgPool2d(randn([2, 8, 7, 7]), 1).shape // [2, 8, 1, 1]
 */
export function adaptiveAvgPool2d(x: Tensor, outputSize: number | readonly [number | null, number | null]): Tensor {
  const op = 'adaptiveAvgPool2d';
  return batched(x, op, (x4) => {
    const [, , h, w] = x4.shape;
    const req = typeof outputSize === 'number' ? [outputSize, outputSize] : outputSize;
    if (!Array.isArray(req) || req.length !== 2) throw new TypeError(`${op}: outputSize must be an integer or a pair, got ${JSON.stringify(outputSize)}`);
    const [oh, ow] = pair([req[0] ?? h, req[1] ?? w], 1, 'outputSize', op, 1);
    if (h === 0 || w === 0) throw new RangeError(`${op}: input ${fmt(x4.shape)} has an empty spatial dim`);
    if (h % oh === 0 && w % ow === 0) return avgPool2d(x4, [h / oh, w / ow]);
    // Each output is the mean over a rectangle = row average then column average.
    const rows = matmul(adaptiveMatrix(h, oh, x4), x4);
    return matmul(rows, t(adaptiveMatrix(w, ow, x4)));
  });
}
