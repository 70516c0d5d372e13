/**
 * Loss functions with PyTorch's semantics (names, defaults, reductions,
 * `ignoreIndex`, `labelSmoothing`, class weights). Cross-entropy on class
 * targets runs one fused native kernel (log-sum-exp loss and softmax-onehot
 * gradient in one pass); everything else is composed from differentiable ops,
 * with dedicated backwards only where composition would be wrong at an edge
 * (binaryCrossEntropy at p = 0 or 1, softplus at 0).
 */
import { writeView } from '../backend/meta';
import { isGradEnabled, noGrad } from '../autograd/grad-mode';
import { record } from '../autograd/node';
import { isFloating } from '../dtype';
import { fmt, shapesEqual } from '../shape';
import { allocTensor, Tensor } from '../tensor';
import { arange } from './creation';
import { gather, indexSelect } from './indexing';
import { abs, add, cast, clamp, div, eq, exp, log, log1p, mul, ne, neg, relu, sigmoid, square, sub, where } from './pointwise';
import { any, logSoftmax, mean, softmax, sum } from './reduce';
import { permute, reshape, squeeze, unsqueeze } from './views';

/** How a loss reduces its per-element values: PyTorch's `reduction`. */
export type Reduction = 'mean' | 'sum' | 'none';

function checkReduction(r: unknown, op: string): Reduction {
  if (r !== 'mean' && r !== 'sum' && r !== 'none') throw new TypeError(`${op}: reduction must be 'mean', 'sum' or 'none', got ${JSON.stringify(r)}`);
  return r;
}

function checkFloatTensor(x: unknown, op: string, what: string): asserts x is Tensor {
  if (!(x instanceof Tensor)) throw new TypeError(`${op}: ${what} must be a Tensor, got ${x === null ? 'null' : typeof x}`);
  if (!isFloating(x.dtype)) throw new TypeError(`${op}: ${what} must be float32 or float64, got ${x.dtype} ${fmt(x.shape)}`);
}

function reduce(x: Tensor, reduction: Reduction): Tensor {
  return reduction === 'none' ? x : reduction === 'sum' ? sum(x) : mean(x);
}

// ----------------------------------------------------- class-target losses

/** Options shared by crossEntropy and nllLoss. */
export interface NllOptions {
  /** Per-class weights [C]. */
  weight?: Tensor | null;
  /** Targets equal to this contribute nothing (and are not counted by 'mean'). Default -100. */
  ignoreIndex?: number;
  /** Default 'mean' (over non-ignored targets, weighted by their class weights). */
  reduction?: Reduction;
}

/** Options of crossEntropy. */
export interface CrossEntropyOptions extends NllOptions {
  /** Mixes the target with the uniform distribution: (1-e)*target + e/C. Default 0. */
  labelSmoothing?: number;
}

/** Logits/log-probs [N, C, d...] or [C] and class targets as 2-D rows [M, C] and 1-D targets [M]. */
interface Rows {
  x: Tensor;
  target: Tensor | null;
  /** Shape of the per-element ('none') result. */
  outShape: number[];
}

function toRows(x: Tensor, target: Tensor, op: string, probTarget: boolean): Rows {
  if (x.ndim === 0) throw new RangeError(`${op}: input must have at least 1 dim (classes), got a scalar`);
  if (x.ndim === 1) {
    // Unbatched: one row of C classes and a 0-d target.
    const r = toRows(unsqueeze(x, 0), probTarget ? unsqueeze(target, 0) : reshape(target, [1]), op, probTarget);
    return { ...r, outShape: [] };
  }
  const c = x.shape[1];
  const wantT = probTarget ? x.shape : [x.shape[0], ...x.shape.slice(2)];
  if (!shapesEqual(target.shape, wantT)) {
    throw new RangeError(`${op}: target shape ${fmt(target.shape)} does not match input ${fmt(x.shape)} (expected ${fmt(wantT)})`);
  }
  // Move classes last so every (sample, position) is one row of C.
  const last = x.ndim === 2 ? x : permute(x, [0, ...Array.from({ length: x.ndim - 2 }, (_, i) => i + 2), 1]);
  const rows = reshape(last, [-1, c]);
  const t = probTarget ? reshape(x.ndim === 2 ? target : permute(target, [0, ...Array.from({ length: x.ndim - 2 }, (_, i) => i + 2), 1]), [-1, c]) : reshape(target, [-1]);
  return { x: rows, target: t, outShape: [x.shape[0], ...x.shape.slice(2)] };
}

function checkWeight(weight: Tensor | null | undefined, c: number, x: Tensor, op: string): Tensor | null {
  if (weight === undefined || weight === null) return null;
  checkFloatTensor(weight, op, 'weight');
  if (weight.ndim !== 1 || weight.shape[0] !== c) throw new RangeError(`${op}: weight must have shape [${c}] (one per class), got ${fmt(weight.shape)}`);
  return cast(weight, x.dtype);
}

function checkClassTarget(target: unknown, input: Tensor, op: string): asserts target is Tensor {
  if (!(target instanceof Tensor)) throw new TypeError(`${op}: target must be a Tensor, got ${target === null ? 'null' : typeof target}`);
  if (target.dtype !== 'int32') throw new TypeError(`${op}: class targets must be int32, got ${target.dtype} ${fmt(target.shape)}`);
  if (target.device !== input.device) throw new TypeError(`${op}: target is on ${target.device} but input is on ${input.device}`);
}

/**
 * The valid mask and per-row weight of each target ([M], x's dtype, 0 for
 * ignored rows), and the targets with ignored ones replaced by class 0 so
 * lookups stay in range (their result is then zeroed).
 */
function targetWeights(t: Tensor, weight: Tensor | null, ignoreIndex: number, dtype: Tensor['dtype'], op: string): { valid: Tensor; wt: Tensor; safe: Tensor } {
  const validB = ne(t, ignoreIndex);
  const valid = cast(validB, dtype);
  const safe = where(validB, t, 0);
  if (!weight) return { valid, wt: valid, safe };
  return { valid, wt: mul(rangeChecked(op, weight.shape[0], () => indexSelect(weight, 0, safe)), valid), safe };
}

/** Runs an index lookup, rewording an out-of-range error so it names the loss. */
function rangeChecked(op: string, c: number, fn: () => Tensor): Tensor {
  try {
    return fn();
  } catch (e) {
    if (e instanceof RangeError) throw new RangeError(`${op}: a target is out of range for ${c} classes (${e.message})`);
    throw e;
  }
}

/** loss = sum(rows) / denominator for 'mean', as PyTorch's weighted mean. */
function reduceWeighted(rows: Tensor, denom: Tensor, reduction: Reduction, outShape: number[]): Tensor {
  if (reduction === 'none') return reshape(rows, outShape);
  const s = sum(rows);
  return reduction === 'sum' ? s : div(s, sum(denom));
}

/**
 * Fused cross-entropy rows: loss[i] = logsumexp(x_i) - x_i[t_i] (0 for ignored
 * rows). The kernel also returns softmax(x) - onehot(t), which backward scales
 * by the incoming gradient; when backward itself is recorded (createGraph), the
 * same gradient is written with tensor ops so it can be differentiated again.
 */
function crossEntropyRows(x: Tensor, t: Tensor, ignoreIndex: number): Tensor {
  const [n, c] = x.shape;
  const wantGrad = x.requiresGrad && isGradEnabled();
  const loss = allocTensor([n], x.dtype, x.device);
  const grad = wantGrad ? allocTensor([n, c], x.dtype, x.device) : null;
  const b = x._storage.binding;
  let p = writeView(b.meta, 0, loss);
  if (grad) p = writeView(b.meta, p, grad);
  writeView(b.meta, writeView(b.meta, p, x), t);
  try {
    b.crossEntropy(loss._storage.handle, grad ? grad._storage.handle : null, x._storage.handle, t._storage.handle, ignoreIndex);
  } catch (e) {
    if (e instanceof RangeError) throw new RangeError(`${e.message} (logits ${fmt(x.shape)}, target ${fmt(t.shape)})`);
    throw e;
  }
  return record(
    loss,
    'crossEntropy',
    [x],
    (g) => {
      const gcol = reshape(g, [n, 1]);
      if (!isGradEnabled()) return [mul(grad!, gcol)];
      const onehot = cast(eq(reshape(t, [n, 1]), reshape(arange(c, { device: x.device }), [1, c])), x.dtype);
      const valid = reshape(cast(ne(t, ignoreIndex), x.dtype), [n, 1]);
      return [mul(mul(sub(softmax(x, 1), onehot), valid), gcol)];
    },
    [x],
  );
}

/**
 * Cross-entropy between logits [N, C] (or [N, C, d...], or [C]) and either
 * int32 class targets [N] (or [N, d...]) or class probabilities shaped like
 * the logits, like `torch.nn.functional.cross_entropy`.
 * @example
 * crossEntropy(tensor([[2.0, 0.5, -1]]), tensor([0])).item(); // 0.2414
 */
export function crossEntropy(input: Tensor, target: Tensor, options: CrossEntropyOptions = {}): Tensor {
  const op = 'crossEntropy';
  checkFloatTensor(input, op, 'input');
  if (!(target instanceof Tensor)) throw new TypeError(`${op}: target must be a Tensor, got ${target === null ? 'null' : typeof target}`);
  const reduction = checkReduction(options.reduction ?? 'mean', op);
  const ls = options.labelSmoothing ?? 0;
  if (typeof ls !== 'number' || !(ls >= 0 && ls <= 1)) throw new RangeError(`${op}: labelSmoothing must be in [0, 1], got ${ls}`);
  const ignoreIndex = options.ignoreIndex ?? -100;
  const c = input.ndim === 1 ? input.shape[0] : input.shape[1];
  const weight = checkWeight(options.weight, c, input, op);

  if (isFloating(target.dtype)) {
    // Probability targets: -sum(w_c * target_c * log softmax_c).
    const r = toRows(input, cast(target, input.dtype), op, true);
    let tgt = r.target!;
    if (ls > 0) tgt = add(mul(tgt, 1 - ls), ls / c);
    let logp = logSoftmax(r.x, 1);
    if (weight) logp = mul(logp, weight);
    const rows = neg(sum(mul(logp, tgt), 1));
    if (reduction === 'none') return reshape(rows, r.outShape);
    return reduction === 'sum' ? sum(rows) : mean(rows);
  }
  checkClassTarget(target, input, op);
  const r = toRows(input, target, op, false);
  const t = r.target!;
  const { valid, wt, safe } = targetWeights(t, weight, ignoreIndex, input.dtype, op);
  if (ls === 0) {
    const rows = crossEntropyRows(r.x, t, ignoreIndex);
    return reduceWeighted(weight ? mul(rows, wt) : rows, wt, reduction, r.outShape);
  }
  // Label smoothing (PyTorch's formula): (1-e) * nll + e/C * sum_c(-w_c * logp_c), the
  // smooth term normalised like the nll term under 'mean'.
  const logp = logSoftmax(r.x, 1);
  const nll = nllRows(logp, safe, wt, op);
  const smooth = mul(neg(sum(weight ? mul(logp, weight) : logp, 1)), valid);
  const a = reduceWeighted(nll, wt, reduction, r.outShape);
  const bb = reduceWeighted(smooth, wt, reduction, r.outShape);
  return add(mul(a, 1 - ls), mul(bb, ls / c));
}

/** Per-row -w[t] * logp[t] (0 for ignored rows, whose wt is 0). */
function nllRows(logp: Tensor, safe: Tensor, wt: Tensor, op: string): Tensor {
  const picked = rangeChecked(op, logp.shape[1], () => gather(logp, 1, reshape(safe, [-1, 1])));
  return mul(neg(squeeze(picked, 1)), wt);
}

/**
 * Negative log-likelihood of log-probabilities [N, C] (or [N, C, d...], or
 * [C]) at int32 class targets, like `torch.nn.functional.nll_loss`.
 * @example nllLoss(logSoftmax(logits, 1), labels)
 */
export function nllLoss(input: Tensor, target: Tensor, options: NllOptions = {}): Tensor {
  const op = 'nllLoss';
  checkFloatTensor(input, op, 'input');
  checkClassTarget(target, input, op);
  const reduction = checkReduction(options.reduction ?? 'mean', op);
  const c = input.ndim === 1 ? input.shape[0] : input.shape[1];
  const weight = checkWeight(options.weight, c, input, op);
  const r = toRows(input, target, op, false);
  const ignoreIndex = options.ignoreIndex ?? -100;
  const { wt, safe } = targetWeights(r.target!, weight, ignoreIndex, input.dtype, op);
  return reduceWeighted(nllRows(r.x, safe, wt, op), wt, reduction, r.outShape);
}

// ------------------------------------------------------- regression losses

function pairArgs(input: unknown, target: unknown, op: string): [Tensor, Tensor] {
  checkFloatTensor(input, op, 'input');
  if (!(target instanceof Tensor)) throw new TypeError(`${op}: target must be a Tensor, got ${target === null ? 'null' : typeof target}`);
  if (!shapesEqual(input.shape, target.shape)) {
    // PyTorch broadcasts here with a warning; a silent [N,1] vs [N] outer difference is a classic bug.
    warnOnce(op, `${op}: using a target size ${fmt(target.shape)} that is different to the input size ${fmt(input.shape)}; the two will be broadcast, which is likely not what you want.`);
  }
  return [input, target];
}

const warned = new Set<string>();
function warnOnce(key: string, msg: string): void {
  if (warned.has(key)) return;
  warned.add(key);
  process.emitWarning(msg);
}

/** Options of the pointwise regression losses. */
export interface LossOptions {
  /** Default 'mean'. */
  reduction?: Reduction;
}

/**
 * Mean squared error, like `torch.nn.functional.mse_loss`.
 * @example mseLoss(tensor([1, 2]).float(), tensor([1, 4]).float()).item(); // 2
 */
export function mseLoss(input: Tensor, target: Tensor, options: LossOptions = {}): Tensor {
  const [x, y] = pairArgs(input, target, 'mseLoss');
  return reduce(square(sub(x, y)), checkReduction(options.reduction ?? 'mean', 'mseLoss'));
}

/**
 * Mean absolute error, like `torch.nn.functional.l1_loss`.
 * @example l1Loss(tensor([1, 2]).float(), tensor([1, 4]).float()).item(); // 1
 */
export function l1Loss(input: Tensor, target: Tensor, options: LossOptions = {}): Tensor {
  const [x, y] = pairArgs(input, target, 'l1Loss');
  return reduce(abs(sub(x, y)), checkReduction(options.reduction ?? 'mean', 'l1Loss'));
}

/**
 * Smooth L1: 0.5*d^2/beta where |d| < beta, |d| - 0.5*beta elsewhere, like
 * `torch.nn.functional.smooth_l1_loss` (beta = 0 is the L1 loss).
 * @example smoothL1Loss(pred, target, { beta: 0.5 })
 */
export function smoothL1Loss(input: Tensor, target: Tensor, options: LossOptions & { beta?: number } = {}): Tensor {
  const op = 'smoothL1Loss';
  const [x, y] = pairArgs(input, target, op);
  const beta = options.beta ?? 1;
  if (typeof beta !== 'number' || !(beta >= 0)) throw new RangeError(`${op}: beta must be >= 0, got ${beta}`);
  const reduction = checkReduction(options.reduction ?? 'mean', op);
  const d = abs(sub(x, y));
  if (beta === 0) return reduce(d, reduction);
  return reduce(where(d.lt(beta), mul(square(d), 0.5 / beta), sub(d, 0.5 * beta)), reduction);
}

/**
 * Huber loss: 0.5*d^2 where |d| < delta, delta*(|d| - 0.5*delta) elsewhere,
 * like `torch.nn.functional.huber_loss` (= delta * smoothL1Loss with beta = delta).
 * @example huberLoss(pred, target, { delta: 2 })
 */
export function huberLoss(input: Tensor, target: Tensor, options: LossOptions & { delta?: number } = {}): Tensor {
  const delta = options.delta ?? 1;
  if (typeof delta !== 'number' || !(delta > 0)) throw new RangeError(`huberLoss: delta must be > 0, got ${delta}`);
  return mul(smoothL1Loss(input, target, { reduction: options.reduction, beta: delta }), delta);
}

// ------------------------------------------------------------ binary losses

/** Options of the binary cross-entropy losses. */
export interface BceOptions extends LossOptions {
  /** Rescales each element's loss (broadcast to the input). */
  weight?: Tensor | null;
}

function binaryArgs(input: unknown, target: unknown, op: string): [Tensor, Tensor] {
  checkFloatTensor(input, op, 'input');
  if (!(target instanceof Tensor)) throw new TypeError(`${op}: target must be a Tensor, got ${target === null ? 'null' : typeof target}`);
  if (!shapesEqual(input.shape, target.shape)) {
    throw new RangeError(`${op}: target size ${fmt(target.shape)} must be the same as the input size ${fmt(input.shape)}`);
  }
  return [input, cast(target, input.dtype)];
}

function applyWeight(loss: Tensor, weight: Tensor | null | undefined, op: string): Tensor {
  if (weight === undefined || weight === null) return loss;
  checkFloatTensor(weight, op, 'weight');
  return mul(loss, cast(weight, loss.dtype));
}

/**
 * Binary cross-entropy of probabilities in [0, 1], like
 * `torch.nn.functional.binary_cross_entropy`: logs are clamped at -100, so a
 * confident wrong prediction costs 100, never Infinity.
 * @example binaryCrossEntropy(sigmoid(logits), labels)
 */
export function binaryCrossEntropy(input: Tensor, target: Tensor, options: BceOptions = {}): Tensor {
  const op = 'binaryCrossEntropy';
  const [p, y] = binaryArgs(input, target, op);
  const reduction = checkReduction(options.reduction ?? 'mean', op);
  const outside = noGrad(() => any(p.lt(0).logicalOr(p.gt(1)).logicalOr(p.isnan())).item());
  if (outside) throw new RangeError(`${op}: all elements of input ${fmt(p.shape)} should be between 0 and 1`);
  const logs = (): [Tensor, Tensor] => [clamp(log(p), -100), clamp(log(sub(1, p)), -100)];
  const raw = noGrad(() => {
    const [lp, l1p] = logs();
    // PyTorch's arrangement: (y - 1) * log(1 - p) - y * log(p).
    return sub(mul(sub(y, 1), l1p), mul(y, lp));
  });
  // The composed gradient would be 0 * inf = NaN at p = 0 or 1 (the clamp's mask times
  // d log p); PyTorch's formula clamps the denominator instead.
  const loss = record(
    raw,
    op,
    [p, y],
    (g, need) => [
      need[0] ? div(mul(g, sub(p, y)), clamp(mul(sub(1, p), p), 1e-12)) : null,
      need[1]
        ? (() => {
            const [lp, l1p] = logs();
            return mul(g, sub(l1p, lp));
          })()
        : null,
    ],
    [p, y],
  );
  return reduce(applyWeight(loss, options.weight, op), reduction);
}

/**
 * softplus(x) = log(1 + exp(beta*x)) / beta, computed stably; linear above
 * `threshold` (as PyTorch). Its gradient is sigmoid(beta*x), exact at 0.
 * @example softplus(tensor([0.0])).item(); // 0.6931
 */
export function softplus(x: Tensor, beta = 1, threshold = 20): Tensor {
  checkFloatTensor(x, 'softplus', 'input');
  const bx = noGrad(() => mul(x, beta));
  const raw = noGrad(() => where(bx.gt(threshold), x, div(add(relu(bx), log1p(exp(neg(abs(bx))))), beta)));
  return record(raw, 'softplus', [x], (g) => [mul(g, where(bx.gt(threshold), 1, sigmoid(mul(x, beta))))], [x]);
}

/**
 * Binary cross-entropy on logits, stable for any magnitude, like
 * `torch.nn.functional.binary_cross_entropy_with_logits`:
 * (1 - y) * x + (1 + (posWeight - 1) * y) * softplus(-x).
 * @example bceWithLogits(logits, labels, { posWeight: tensor([3.0]) })
 */
export function bceWithLogits(input: Tensor, target: Tensor, options: BceOptions & { posWeight?: Tensor | null } = {}): Tensor {
  const op = 'bceWithLogits';
  const [x, y] = binaryArgs(input, target, op);
  const reduction = checkReduction(options.reduction ?? 'mean', op);
  const sp = softplus(neg(x));
  let loss: Tensor;
  if (options.posWeight !== undefined && options.posWeight !== null) {
    checkFloatTensor(options.posWeight, op, 'posWeight');
    const lw = add(mul(y, sub(cast(options.posWeight, x.dtype), 1)), 1);
    loss = add(mul(sub(1, y), x), mul(lw, sp));
  } else {
    loss = add(mul(sub(1, y), x), sp);
  }
  return reduce(applyWeight(loss, options.weight, op), reduction);
}
