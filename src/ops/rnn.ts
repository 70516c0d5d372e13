/**
 * Recurrent ops. `lstmSequence` runs an LSTM direction over a whole sequence
 * as one graph node: the input projection for all steps arrives precomputed
 * (one GEMM by the caller), each step is one recurrent GEMM plus the fused
 * native cell (gates, nonlinearities and state update in one pass), and the
 * backward walks the steps in reverse with the fused backward kernel, then
 * forms dW_hh with two GEMMs over the whole sequence. One node per sequence
 * rather than per step also avoids the per-step slice gradients (each a
 * full-size tensor) that slicing the projection step by step would cost.
 *
 * The GRU and Elman cells are composites of tensor ops.
 */
import { isGradEnabled, noGrad } from '../autograd/grad-mode';
import { record } from '../autograd/node';
import { writeView } from '../backend/meta';
import type { Device } from '../backend/device';
import { isFloating } from '../dtype';
import { fmt } from '../shape';
import { allocTensor, Tensor } from '../tensor';
import { zerosRaw } from './creation';
import { linear, matmulRaw, mm } from './linalg';
import { add, mul, relu, sigmoid, sub, tanh } from './pointwise';
import { cat, chunk, contiguous, makeView, select, stack, t as tr } from './views';

/**
 * Devices whose addon implements the fused `lstm_cell` kernels. Others run
 * the composite formula (same results, more ops per step).
 */
const FUSED_LSTM_DEVICES = new Set<Device>(['cpu', 'cuda']);

function checkFloat(x: unknown, op: string, what: string): asserts x is Tensor {
  if (!(x instanceof Tensor)) throw new TypeError(`${op}: ${what} must be a Tensor, got ${x === null ? 'null' : typeof x}`);
  if (!isFloating(x.dtype)) throw new TypeError(`${op}: ${what} must be float32 or float64, got ${x.dtype} ${fmt(x.shape)}`);
}

/** Step `i` of a 3-D tensor as a 2-D view, outside autograd. */
function step(x: Tensor, i: number): Tensor {
  return makeView(x, [x.shape[1], x.shape[2]], [x._strides[1], x._strides[2]], x._offset + i * x._strides[0]);
}

/** Rows `[a, b)` of dim 0 of a contiguous 3-D tensor, flattened to 2-D, outside autograd. */
function rows(x: Tensor, a: number, b: number): Tensor {
  const [, n, k] = x.shape;
  return makeView(x, [(b - a) * n, k], [k, 1], x._offset + a * n * k);
}

/** x itself when its rows have unit inner stride (what the kernels need), else a contiguous copy. */
function unitInner(x: Tensor): Tensor {
  return x.shape[x.ndim - 1] <= 1 || x._strides[x.ndim - 1] === 1 ? x : noGrad(() => contiguous(x));
}

function cellForward(h: Tensor, c: Tensor, acts: Tensor, xg: Tensor, hg: Tensor | null, cPrev: Tensor): void {
  const b = h._storage.binding;
  let p = writeView(b.meta, 0, h);
  p = writeView(b.meta, p, c);
  p = writeView(b.meta, p, acts);
  p = writeView(b.meta, p, xg);
  if (hg) p = writeView(b.meta, p, hg);
  writeView(b.meta, p, cPrev);
  b.lstmCell(h._storage.handle, c._storage.handle, acts._storage.handle, xg._storage.handle, hg ? hg._storage.handle : null, cPrev._storage.handle);
}

function cellBackward(dg: Tensor, dcPrev: Tensor, acts: Tensor, cPrev: Tensor, c: Tensor, dh: Tensor, dh2: Tensor | null, dc: Tensor | null, dc2: Tensor | null): void {
  const b = c._storage.binding;
  let p = 0;
  for (const v of [dg, dcPrev, acts, cPrev, c, dh, dh2, dc, dc2]) if (v) p = writeView(b.meta, p, v);
  const hd = (v: Tensor | null) => (v ? v._storage.handle : null);
  b.lstmCellBackward(dg._storage.handle, dcPrev._storage.handle, acts._storage.handle, cPrev._storage.handle, c._storage.handle,
    dh._storage.handle, hd(dh2), hd(dc), hd(dc2));
}

/** Order in which a direction visits the steps. */
function timeOrder(T: number, reverse: boolean): number[] {
  return Array.from({ length: T }, (_, s) => (reverse ? T - 1 - s : s));
}

function checkSequenceArgs(xproj: Tensor, whh: Tensor, h0: Tensor | null, c0: Tensor | null): [number, number, number] {
  const op = 'lstmSequence';
  checkFloat(xproj, op, 'xproj');
  checkFloat(whh, op, 'weightHh');
  if (xproj.ndim !== 3 || xproj.shape[0] < 1) throw new RangeError(`${op}: xproj must be [T >= 1, batch, 4*hidden], got ${fmt(xproj.shape)}`);
  const [T, B, G] = xproj.shape;
  const H = G / 4;
  if (!Number.isInteger(H) || H < 1 || whh.ndim !== 2 || whh.shape[0] !== G || whh.shape[1] !== H) {
    throw new RangeError(`${op}: weightHh must be [4*hidden, hidden] = [${G}, ${H}] for xproj ${fmt(xproj.shape)}, got ${fmt(whh.shape)}`);
  }
  for (const [s, what] of [[h0, 'h0'], [c0, 'c0']] as const) {
    if (s === null) continue;
    checkFloat(s, op, what);
    if (s.ndim !== 2 || s.shape[0] !== B || s.shape[1] !== H) throw new RangeError(`${op}: ${what} must be [${B}, ${H}], got ${fmt(s.shape)}`);
  }
  for (const [s, what] of [[whh, 'weightHh'], [h0, 'h0'], [c0, 'c0']] as const) {
    if (s === null) continue;
    if (s.dtype !== xproj.dtype) throw new TypeError(`${op}: ${what} is ${s.dtype} but xproj is ${xproj.dtype}`);
    if (s.device !== xproj.device) throw new TypeError(`${op}: ${what} is on ${s.device} but xproj on ${xproj.device}`);
  }
  return [T, B, H];
}

/**
 * One LSTM direction over a sequence, with PyTorch's equations and gate order
 * (i, f, g, o):
 *   gates_t = xproj_t + h_{t-1} W_hh^T,   c_t = f*c_{t-1} + i*g,   h_t = o*tanh(c_t)
 * `xproj` [T, B, 4H] is the input projection x W_ih^T + b_ih + b_hh for all
 * steps (any strides); `h0`, `c0` [B, H] default to zeros; `reverse` runs
 * from t = T-1 down to 0. Returns Y [2, T, B, H] with Y[0][t] = h_t and
 * Y[1][t] = c_t, indexed by input time in both directions.
 *
 * Differentiable in every input. The backward uses the fused kernel; when the
 * backward itself is recorded (`createGraph`), it uses the same formula
 * written with tensor ops, so higher derivatives work.
 * @example
 * const xproj = linear(x, wIh, bIh.add(bHh));         // x [T, B, in] -> [T, B, 4H]
 * const y = lstmSequence(xproj, wHh, null, null);     // [2, T, B, H]
 * const output = y.select(0, 0);                       // h_t for every t
 */
export function lstmSequence(xproj: Tensor, whh: Tensor, h0: Tensor | null = null, c0: Tensor | null = null, reverse = false): Tensor {
  const [T, B, H] = checkSequenceArgs(xproj, whh, h0, c0);
  if (!FUSED_LSTM_DEVICES.has(xproj.device)) return lstmSequenceComposite(xproj, whh, h0, c0, reverse);
  const dtype = xproj.dtype;
  const device = xproj.device;
  const xp = unitInner(xproj);
  const h0u = h0 && unitInner(h0);
  const c0u = c0 ? unitInner(c0) : zerosRaw([B, H], dtype, device);
  // W_hh^T as a view outside autograd: the GEMM reads the transpose in place.
  const whhT = makeView(whh, [H, 4 * H], [whh._strides[1], whh._strides[0]], whh._offset);
  const y = allocTensor([2, T, B, H], dtype, device);
  const hs = select0(y, 0);
  const cs = select0(y, 1);
  const acts = allocTensor([T, B, 4 * H], dtype, device);
  const order = timeOrder(T, reverse);
  for (let s = 0; s < T; s++) {
    const t = order[s];
    const hPrev = s === 0 ? h0u : step(hs, order[s - 1]);
    const cPrev = s === 0 ? c0u : step(cs, order[s - 1]);
    // A zero initial state contributes nothing: skip its GEMM.
    const hg = hPrev ? matmulRaw(hPrev, whhT) : null;
    cellForward(step(hs, t), step(cs, t), step(acts, t), step(xp, t), hg, cPrev);
  }
  return record(
    y,
    'lstmSequence',
    [xproj, whh, h0, c0],
    (g, needs) => {
      if (isGradEnabled()) return lstmSequenceBackwardComposite(g, xproj, whh, h0, c0, reverse);
      return lstmSequenceBackwardFused(g, needs, { y, acts, whh, h0: h0u, c0: c0u, order, B, H });
    },
    [y, acts, xproj, whh, ...(h0 ? [h0] : []), ...(c0 ? [c0] : [])],
  );
}

/** Sub-tensor `i` of dim 0 of a contiguous tensor, outside autograd. */
function select0(x: Tensor, i: number): Tensor {
  const inner = x.shape.slice(1);
  return makeView(x, inner, x._strides.slice(1), x._offset + i * x._strides[0]);
}

interface FusedSaved {
  y: Tensor;
  acts: Tensor;
  whh: Tensor;
  h0: Tensor | null;
  c0: Tensor;
  order: number[];
  B: number;
  H: number;
}

/** BPTT with the fused cell backward; grad mode is off here. */
function lstmSequenceBackwardFused(gIn: Tensor, needs: readonly boolean[], sv: FusedSaved): (Tensor | null)[] {
  const { y, acts, whh, h0, c0, order, B, H } = sv;
  const T = order.length;
  const g = gIn.isContiguous() ? gIn : contiguous(gIn);
  const gh = select0(g, 0);
  const gc = select0(g, 1);
  const hs = select0(y, 0);
  const cs = select0(y, 1);
  const dG = allocTensor([T, B, 4 * H], y.dtype, y.device);
  let dhNext: Tensor | null = null;
  let dcNext: Tensor | null = null;
  for (let s = T - 1; s >= 0; s--) {
    const t = order[s];
    const cPrev = s === 0 ? c0 : step(cs, order[s - 1]);
    const dcPrev = allocTensor([B, H], y.dtype, y.device);
    const dgt = step(dG, t);
    cellBackward(dgt, dcPrev, step(acts, t), cPrev, step(cs, t), step(gh, t), dhNext, step(gc, t), dcNext);
    dcNext = dcPrev;
    // The gradient into h_{t-1}; at the first step it is dh0 (only if asked for).
    dhNext = s > 0 || (needs[2] && h0) ? matmulRaw(dgt, whh) : null;
  }
  let dWhh: Tensor | null = null;
  if (needs[1] && T > 1) {
    // dW_hh = sum_t dgates_t^T h_{t-1}: the steps whose h_{t-1} is an output
    // are one contiguous block of dG and of hs, so this is a single GEMM.
    const fwd = order[0] === 0;
    const dg = fwd ? rows(dG, 1, T) : rows(dG, 0, T - 1);
    const hp = fwd ? rows(hs, 0, T - 1) : rows(hs, 1, T);
    dWhh = matmulRaw(tr(dg), hp);
  }
  if (needs[1] && h0) {
    const first = matmulRaw(tr(step(dG, order[0])), h0);
    dWhh = dWhh ? add(dWhh, first) : first;
  }
  if (needs[1] && !dWhh) dWhh = zerosRaw(whh.shape, whh.dtype, whh.device);
  return [needs[0] ? dG : null, dWhh, needs[2] ? dhNext : null, needs[3] ? dcNext : null];
}

/** The LSTM gates' activations and the new state from pre-activations `gates` [B, 4H], with tensor ops. */
function lstmGates(gates: Tensor, cPrev: Tensor): { i: Tensor; f: Tensor; g: Tensor; o: Tensor; c: Tensor; h: Tensor } {
  const [gi, gf, gg, go] = chunk(gates, 4, 1);
  const i = sigmoid(gi);
  const f = sigmoid(gf);
  const g = tanh(gg);
  const o = sigmoid(go);
  const c = add(mul(f, cPrev), mul(i, g));
  return { i, f, g, o, c, h: mul(o, tanh(c)) };
}

/**
 * `lstmSequence` written with tensor ops only (ordinary per-op autograd): the
 * reference for the fused path, and the path on devices without the kernel.
 * @example lstmSequenceComposite(xproj, wHh, null, null).shape // [2, T, B, H]
 */
export function lstmSequenceComposite(xproj: Tensor, whh: Tensor, h0: Tensor | null = null, c0: Tensor | null = null, reverse = false): Tensor {
  const [T, B, H] = checkSequenceArgs(xproj, whh, h0, c0);
  let h = h0;
  let c = c0 ?? zerosRaw([B, H], xproj.dtype, xproj.device);
  const hs: Tensor[] = new Array(T);
  const cs: Tensor[] = new Array(T);
  for (const t of timeOrder(T, reverse)) {
    const xg = select(xproj, 0, t);
    const st = lstmGates(h ? add(xg, mm(h, tr(whh))) : xg, c);
    h = hs[t] = st.h;
    c = cs[t] = st.c;
  }
  return stack([stack(hs), stack(cs)]);
}

/**
 * The backward of `lstmSequence` with tensor ops, for createGraph: recompute
 * the forward states from the saved inputs, then run BPTT with the same
 * formulas as the fused kernel (see lstm_cell_backward in backend.h).
 */
function lstmSequenceBackwardComposite(g: Tensor, xproj: Tensor, whh: Tensor, h0: Tensor | null, c0: Tensor | null, reverse: boolean): (Tensor | null)[] {
  const [T, B, H] = [xproj.shape[0], xproj.shape[1], whh.shape[1]];
  const order = timeOrder(T, reverse);
  const zero = zerosRaw([B, H], xproj.dtype, xproj.device);
  const states: { i: Tensor; f: Tensor; g: Tensor; o: Tensor; c: Tensor; cPrev: Tensor; hPrev: Tensor | null }[] = new Array(T);
  let h: Tensor | null = h0;
  let c = c0 ?? zero;
  for (const t of order) {
    const xg = select(xproj, 0, t);
    const st = lstmGates(h ? add(xg, mm(h, tr(whh))) : xg, c);
    states[t] = { ...st, cPrev: c, hPrev: h };
    h = st.h;
    c = st.c;
  }
  const gh = select(g, 0, 0);
  const gc = select(g, 0, 1);
  const dgs: Tensor[] = new Array(T);
  let dh: Tensor = zero;
  let dc: Tensor = zero;
  let dWhh: Tensor | null = null;
  for (let s = T - 1; s >= 0; s--) {
    const t = order[s];
    const { i, f, g: gg, o, c: ct, cPrev, hPrev } = states[t];
    const dhT = add(select(gh, 0, t), dh);
    const tc = tanh(ct);
    const dct = add(add(select(gc, 0, t), dc), mul(mul(dhT, o), sub(1, mul(tc, tc))));
    const dgate = cat(
      [
        mul(mul(dct, gg), mul(i, sub(1, i))),
        mul(mul(dct, cPrev), mul(f, sub(1, f))),
        mul(mul(dct, i), sub(1, mul(gg, gg))),
        mul(mul(dhT, tc), mul(o, sub(1, o))),
      ],
      1,
    );
    dgs[t] = dgate;
    dh = mm(dgate, whh);
    dc = mul(dct, f);
    if (hPrev) dWhh = dWhh ? add(dWhh, mm(tr(dgate), hPrev)) : mm(tr(dgate), hPrev);
  }
  return [stack(dgs), dWhh ?? zerosRaw(whh.shape, whh.dtype, whh.device), h0 ? dh : null, c0 ? dc : null];
}

/**
 * One Elman RNN step: h' = act(x W_ih^T + b_ih + h W_hh^T + b_hh), act tanh or relu.
 * @example rnnCell(x, h, wIh, wHh, bIh, bHh, 'tanh')
 */
export function rnnCell(
  x: Tensor, h: Tensor, wih: Tensor, whh: Tensor, bih: Tensor | null, bhh: Tensor | null, nonlinearity: 'tanh' | 'relu' = 'tanh',
): Tensor {
  const pre = add(linear(x, wih, bih), linear(h, whh, bhh));
  return nonlinearity === 'relu' ? relu(pre) : tanh(pre);
}

/**
 * One GRU step with PyTorch's equations and gate order (r, z, n):
 *   r = sigmoid(W_ir x + b_ir + W_hr h + b_hr),  z = sigmoid(W_iz x + b_iz + W_hz h + b_hz)
 *   n = tanh(W_in x + b_in + r * (W_hn h + b_hn)),  h' = (1 - z) * n + z * h
 * @example gruCell(x, h, wIh, wHh, bIh, bHh)
 */
export function gruCell(x: Tensor, h: Tensor, wih: Tensor, whh: Tensor, bih: Tensor | null, bhh: Tensor | null): Tensor {
  const [ir, iz, inn] = chunk(linear(x, wih, bih), 3, 1);
  const [hr, hz, hn] = chunk(linear(h, whh, bhh), 3, 1);
  const r = sigmoid(add(ir, hr));
  const z = sigmoid(add(iz, hz));
  const n = tanh(add(inn, mul(r, hn)));
  // (1 - z) n + z h = n + z (h - n): one op fewer.
  return add(n, mul(z, sub(h, n)));
}
