/**
 * Recurrent layers with PyTorch's semantics and parameter names, so state
 * dicts (and safetensors files) move between the two unchanged: RNN, LSTM,
 * GRU and their cells. Gate order is PyTorch's: (i, f, g, o) for the LSTM,
 * (r, z, n) for the GRU, stacked in dim 0 of weight_ih / weight_hh.
 */
import { dropout } from '../ops/nn';
import { linear } from '../ops/linalg';
import { add } from '../ops/pointwise';
import { gruCell, lstmSequence, rnnCell } from '../ops/rnn';
import { cat, select, squeeze, stack, transpose, unsqueeze } from '../ops/views';
import { fullRaw, zerosRaw } from '../ops/creation';
import { isFloating } from '../dtype';
import { fmt } from '../shape';
import { Tensor } from '../tensor';
import { Module, type Parameter } from './module';
import { param, positiveInt, type FactoryOptions } from './common';
import { uniform } from './init';

type Mode = 'RNN_TANH' | 'RNN_RELU' | 'LSTM' | 'GRU';
const GATES: Record<Mode, number> = { RNN_TANH: 1, RNN_RELU: 1, LSTM: 4, GRU: 3 };

/** Options of `RNN`, `LSTM` and `GRU` (PyTorch's names and defaults). */
export interface RNNOptions extends FactoryOptions {
  /** Stacked recurrent layers. Default 1. */
  numLayers?: number;
  /** Learn bias_ih and bias_hh. Default true. */
  bias?: boolean;
  /** Input and output are [batch, seq, feature] instead of [seq, batch, feature]. Default false. */
  batchFirst?: boolean;
  /** Dropout on the outputs of every layer but the last, in training. Default 0. */
  dropout?: number;
  /** Also run each layer backwards in time and concatenate both outputs. Default false. */
  bidirectional?: boolean;
}

/** Options of `RNN`: also the nonlinearity. */
export interface ElmanRNNOptions extends RNNOptions {
  /** 'tanh' (default) or 'relu'. */
  nonlinearity?: 'tanh' | 'relu';
}

function checkNonlinearity(v: unknown, op: string): 'tanh' | 'relu' {
  if (v !== 'tanh' && v !== 'relu') throw new TypeError(`${op}: nonlinearity must be 'tanh' or 'relu', got ${JSON.stringify(v)}`);
  return v;
}

/** The layers' shared input checks: a float tensor of the parameters' dtype and device. */
function checkInput(x: unknown, like: Tensor, op: string, what: string): asserts x is Tensor {
  if (!(x instanceof Tensor)) throw new TypeError(`${op}: ${what} must be a Tensor, got ${x === null ? 'null' : typeof x}`);
  if (!isFloating(x.dtype) || x.dtype !== like.dtype) throw new TypeError(`${op}: ${what} must be ${like.dtype} like the parameters, got ${x.dtype} ${fmt(x.shape)}`);
  if (x.device !== like.device) throw new TypeError(`${op}: ${what} is on ${x.device} but the parameters are on ${like.device}`);
}

/**
 * The multi-layer, optionally bidirectional recurrence shared by RNN, LSTM
 * and GRU. Parameters are fields named as in PyTorch: weight_ih_l{k},
 * weight_hh_l{k}, bias_ih_l{k}, bias_hh_l{k}, with a `_reverse` suffix for
 * the backward direction, all drawn from U(-1/sqrt(hidden), 1/sqrt(hidden)).
 */
abstract class RNNBase extends Module {
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly bias: boolean;
  readonly batchFirst: boolean;
  readonly dropout: number;
  readonly bidirectional: boolean;
  /** @internal parameter names per (layer, direction): [w_ih, w_hh, b_ih, b_hh]. */
  protected readonly _names: string[][] = [];

  constructor(
    protected readonly mode: Mode,
    inputSize: number,
    hiddenSize: number,
    options: RNNOptions,
  ) {
    super();
    const op = this.constructor.name;
    this.inputSize = positiveInt(inputSize, 'inputSize', op);
    this.hiddenSize = positiveInt(hiddenSize, 'hiddenSize', op);
    this.numLayers = positiveInt(options.numLayers ?? 1, 'numLayers', op);
    this.bias = options.bias ?? true;
    this.batchFirst = options.batchFirst ?? false;
    this.bidirectional = options.bidirectional ?? false;
    const p = options.dropout ?? 0;
    if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw new RangeError(`${op}: dropout should be a number in range [0, 1], got ${p}`);
    this.dropout = p;
    const G = GATES[mode] * hiddenSize;
    const D = this.bidirectional ? 2 : 1;
    const self = this as unknown as Record<string, Parameter>;
    for (let l = 0; l < this.numLayers; l++) {
      for (let d = 0; d < D; d++) {
        const sfx = `_l${l}${d === 1 ? '_reverse' : ''}`;
        const inSize = l === 0 ? inputSize : hiddenSize * D;
        const names = [`weight_ih${sfx}`, `weight_hh${sfx}`];
        self[names[0]] = param([G, inSize], options);
        self[names[1]] = param([G, hiddenSize], options);
        if (this.bias) {
          names.push(`bias_ih${sfx}`, `bias_hh${sfx}`);
          self[names[2]] = param([G], options);
          self[names[3]] = param([G], options);
        }
        this._names.push(names);
      }
    }
    this.resetParameters();
  }

  /** Re-draws every parameter from U(-1/sqrt(hiddenSize), 1/sqrt(hiddenSize)), as PyTorch does. */
  resetParameters(): void {
    const k = 1 / Math.sqrt(this.hiddenSize);
    for (const p of this.parameters()) uniform(p, -k, k);
  }

  /** @internal [w_ih, w_hh, b_ih, b_hh] of one layer and direction. */
  protected weights(l: number, d: number): [Parameter, Parameter, Parameter | null, Parameter | null] {
    const self = this as unknown as Record<string, Parameter>;
    const n = this._names[l * (this.bidirectional ? 2 : 1) + d];
    return [self[n[0]], self[n[1]], n[2] ? self[n[2]] : null, n[3] ? self[n[3]] : null];
  }

  /**
   * Validates the input and an initial state; returns the input as batched
   * (adding a batch dim to unbatched input), with its batch size and length.
   */
  protected prepare(input: Tensor, states: (Tensor | null | undefined)[]): { x: Tensor; batched: boolean; B: number; T: number; states: (Tensor | null)[] } {
    const op = this.constructor.name;
    const w = this.weights(0, 0)[0];
    checkInput(input, w, op, 'input');
    if (input.ndim !== 2 && input.ndim !== 3) throw new RangeError(`${op}: expected input to be 2-D (unbatched) or 3-D, got ${input.ndim}-D ${fmt(input.shape)}`);
    if (input.shape[input.ndim - 1] !== this.inputSize) {
      throw new RangeError(`${op}: input ${fmt(input.shape)} must end in inputSize = ${this.inputSize}`);
    }
    const batched = input.ndim === 3;
    const x = batched ? input : unsqueeze(input, this.batchFirst ? 0 : 1);
    const B = x.shape[this.batchFirst ? 0 : 1];
    const T = x.shape[this.batchFirst ? 1 : 0];
    if (T === 0) throw new RangeError(`${op}: input ${fmt(input.shape)} has no time steps`);
    const LD = this.numLayers * (this.bidirectional ? 2 : 1);
    const want = batched ? [LD, B, this.hiddenSize] : [LD, this.hiddenSize];
    const out = states.map((s, i) => {
      if (s === null || s === undefined) return null;
      checkInput(s, w, op, i === 0 ? 'hx' : 'cx');
      if (s.ndim !== want.length || s.shape.some((v, j) => v !== want[j])) {
        throw new RangeError(`${op}: expected ${i === 0 ? 'hidden' : 'cell'} state of shape ${fmt(want)}, got ${fmt(s.shape)}`);
      }
      return batched ? s : unsqueeze(s, 1);
    });
    return { x, batched, B, T, states: out };
  }

  /** Output back to the caller's layout (batch-first, unbatched). */
  protected finishOutput(out: Tensor, batched: boolean): Tensor {
    if (!batched) return squeeze(out, 1);
    return this.batchFirst ? transpose(out, 0, 1) : out;
  }

  /** Dropout between layers (not after the last one), in training. */
  protected interLayer(x: Tensor, l: number): Tensor {
    return this.dropout > 0 && this.training && l < this.numLayers - 1 ? dropout(x, this.dropout, true) : x;
  }

  override extraRepr(): string {
    let s = `${this.inputSize}, ${this.hiddenSize}`;
    if (this.numLayers !== 1) s += `, num_layers=${this.numLayers}`;
    if (!this.bias) s += ', bias=False';
    if (this.batchFirst) s += ', batch_first=True';
    if (this.dropout) s += `, dropout=${this.dropout}`;
    if (this.bidirectional) s += ', bidirectional=True';
    return s;
  }
}

/**
 * The step loop of RNN and GRU: composite cells, one per step, layer by layer.
 * Per-step tensors are passed between layers as lists so no layer slices a
 * stacked output (each slice would cost a full-size gradient in backward).
 */
abstract class StepRNN extends RNNBase {
  /** One step of the cell. */
  protected abstract cell(x: Tensor, h: Tensor, w: [Parameter, Parameter, Parameter | null, Parameter | null]): Tensor;

  /**
   * Runs the sequence. `input` is [T, B, inputSize] ([B, T, inputSize] with
   * batchFirst, or [T, inputSize] unbatched); `hx` is [numLayers * D, B, hidden]
   * (zeros when omitted). Returns `[output, hN]` like PyTorch: output [T, B, D * hidden].
   */
  forward(input: Tensor, hx: Tensor | null = null): [Tensor, Tensor] {
    const { x, batched, B, T, states } = this.prepare(input, [hx]);
    const D = this.bidirectional ? 2 : 1;
    const h0 = states[0];
    const w0 = this.weights(0, 0)[0];
    let steps = Array.from({ length: T }, (_, t) => select(x, this.batchFirst ? 1 : 0, t));
    const finals: Tensor[] = [];
    for (let l = 0; l < this.numLayers; l++) {
      const dirs: Tensor[][] = [];
      for (let d = 0; d < D; d++) {
        const w = this.weights(l, d);
        let h = h0 ? select(h0, 0, l * D + d) : zerosRaw([B, this.hiddenSize], w0.dtype, w0.device);
        const hs: Tensor[] = new Array(T);
        for (let s = 0; s < T; s++) {
          const t = d === 1 ? T - 1 - s : s;
          h = hs[t] = this.cell(steps[t], h, w);
        }
        finals.push(h);
        dirs.push(hs);
      }
      steps = Array.from({ length: T }, (_, t) => this.interLayer(D === 1 ? dirs[0][t] : cat([dirs[0][t], dirs[1][t]], 1), l));
    }
    const hN = stack(finals);
    return [this.finishOutput(stack(steps), batched), batched ? hN : squeeze(hN, 1)];
  }
}

/**
 * Elman RNN, h_t = act(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh) with act
 * tanh or relu, multi-layer and optionally bidirectional, as `torch.nn.RNN`.
 * @example
 * const rnn = new RNN(10, 20, { numLayers: 2 });
 * const [output, hN] = rnn.forward(randn([5, 3, 10])); // [5, 3, 20], [2, 3, 20]
 */
export class RNN extends StepRNN {
  readonly nonlinearity: 'tanh' | 'relu';
  constructor(inputSize: number, hiddenSize: number, options: ElmanRNNOptions = {}) {
    const nl = checkNonlinearity(options.nonlinearity ?? 'tanh', 'RNN');
    super(nl === 'relu' ? 'RNN_RELU' : 'RNN_TANH', inputSize, hiddenSize, options);
    this.nonlinearity = nl;
  }
  protected cell(x: Tensor, h: Tensor, w: [Parameter, Parameter, Parameter | null, Parameter | null]): Tensor {
    return rnnCell(x, h, w[0], w[1], w[2], w[3], this.nonlinearity);
  }
  override extraRepr(): string {
    return super.extraRepr() + (this.nonlinearity === 'relu' ? ", nonlinearity='relu'" : '');
  }
}

/**
 * Gated recurrent unit, as `torch.nn.GRU` (gates r, z, n):
 *   r = sigmoid(W_ir x + b_ir + W_hr h + b_hr),  z = sigmoid(W_iz x + b_iz + W_hz h + b_hz)
 *   n = tanh(W_in x + b_in + r * (W_hn h + b_hn)),  h' = (1 - z) * n + z * h
 * @example
 * const gru = new GRU(10, 20, { batchFirst: true });
 * const [output, hN] = gru.forward(randn([3, 5, 10])); // [3, 5, 20], [1, 3, 20]
 */
export class GRU extends StepRNN {
  constructor(inputSize: number, hiddenSize: number, options: RNNOptions = {}) {
    super('GRU', inputSize, hiddenSize, options);
  }
  protected cell(x: Tensor, h: Tensor, w: [Parameter, Parameter, Parameter | null, Parameter | null]): Tensor {
    return gruCell(x, h, w[0], w[1], w[2], w[3]);
  }
}

/**
 * Long short-term memory, as `torch.nn.LSTM` (gates i, f, g, o):
 *   c_t = f * c_{t-1} + i * g,  h_t = o * tanh(c_t)
 * Each layer and direction projects the whole input sequence with one GEMM,
 * then runs one recurrent GEMM and one fused native cell per step (see
 * `lstmSequence`). Returns `[output, [hN, cN]]`.
 * @example
 * const lstm = new LSTM(28, 128, { batchFirst: true });
 * const [out, [hN, cN]] = lstm.forward(randn([64, 28, 28])); // out [64, 28, 128], hN [1, 64, 128]
 */
export class LSTM extends RNNBase {
  constructor(inputSize: number, hiddenSize: number, options: RNNOptions = {}) {
    super('LSTM', inputSize, hiddenSize, options);
  }

  /**
   * Runs the sequence; `hx` is `[h0, c0]`, each [numLayers * D, B, hidden]
   * (zeros when omitted).
   */
  forward(input: Tensor, hx: [Tensor, Tensor] | null = null): [Tensor, [Tensor, Tensor]] {
    if (hx !== null && hx !== undefined && (!Array.isArray(hx) || hx.length !== 2)) {
      throw new TypeError('LSTM: hx must be a pair [h0, c0] or null');
    }
    const { x, batched, T, states } = this.prepare(input, hx ? [hx[0], hx[1]] : [null, null]);
    const [h0, c0] = states;
    const D = this.bidirectional ? 2 : 1;
    let layerIn = x;
    const hN: Tensor[] = [];
    const cN: Tensor[] = [];
    for (let l = 0; l < this.numLayers; l++) {
      const outs: Tensor[] = [];
      for (let d = 0; d < D; d++) {
        const [wih, whh, bih, bhh] = this.weights(l, d);
        const bias = bih && bhh ? add(bih, bhh) : null;
        // One GEMM for every step's input projection; batch-first input is
        // projected in its own layout and read through a transposed view.
        let xproj = linear(layerIn, wih, bias);
        if (l === 0 && this.batchFirst) xproj = transpose(xproj, 0, 1);
        const k = l * D + d;
        const y = lstmSequence(xproj, whh, h0 ? select(h0, 0, k) : null, c0 ? select(c0, 0, k) : null, d === 1);
        const hs = select(y, 0, 0);
        outs.push(hs);
        const last = d === 1 ? 0 : T - 1;
        hN.push(select(hs, 0, last));
        cN.push(select(select(y, 0, 1), 0, last));
      }
      layerIn = this.interLayer(D === 1 ? outs[0] : cat(outs, 2), l);
    }
    const h = stack(hN);
    const c = stack(cN);
    return [this.finishOutput(layerIn, batched), batched ? [h, c] : [squeeze(h, 1), squeeze(c, 1)]];
  }
}

/** Options of the cells. */
export interface RNNCellOptions extends FactoryOptions {
  /** Learn bias_ih and bias_hh. Default true. */
  bias?: boolean;
}

/**
 * Shared parts of the cells: parameters weight_ih [G*hidden, input],
 * weight_hh [G*hidden, hidden], bias_ih, bias_hh (PyTorch's names), drawn from
 * U(-1/sqrt(hidden), 1/sqrt(hidden)); input [B, input] or unbatched [input].
 */
abstract class CellBase extends Module {
  readonly inputSize: number;
  readonly hiddenSize: number;
  weight_ih: Parameter;
  weight_hh: Parameter;
  bias_ih: Parameter | null;
  bias_hh: Parameter | null;

  constructor(gates: number, inputSize: number, hiddenSize: number, options: RNNCellOptions) {
    super();
    const op = this.constructor.name;
    this.inputSize = positiveInt(inputSize, 'inputSize', op);
    this.hiddenSize = positiveInt(hiddenSize, 'hiddenSize', op);
    this.weight_ih = param([gates * hiddenSize, inputSize], options);
    this.weight_hh = param([gates * hiddenSize, hiddenSize], options);
    const bias = options.bias ?? true;
    this.bias_ih = bias ? param([gates * hiddenSize], options) : null;
    this.bias_hh = bias ? param([gates * hiddenSize], options) : null;
    this.resetParameters();
  }

  /** Re-draws every parameter from U(-1/sqrt(hiddenSize), 1/sqrt(hiddenSize)). */
  resetParameters(): void {
    const k = 1 / Math.sqrt(this.hiddenSize);
    for (const p of this.parameters()) uniform(p, -k, k);
  }

  /** Checks input and states; returns them batched, plus whether the input was. */
  protected prepare(input: Tensor, states: (Tensor | null | undefined)[]): { x: Tensor; batched: boolean; states: Tensor[] } {
    const op = this.constructor.name;
    checkInput(input, this.weight_ih, op, 'input');
    if ((input.ndim !== 1 && input.ndim !== 2) || input.shape[input.ndim - 1] !== this.inputSize) {
      throw new RangeError(`${op}: input must be [batch, ${this.inputSize}] or [${this.inputSize}], got ${fmt(input.shape)}`);
    }
    const batched = input.ndim === 2;
    const x = batched ? input : unsqueeze(input, 0);
    const B = x.shape[0];
    const out = states.map((s, i) => {
      if (s === null || s === undefined) return zerosRaw([B, this.hiddenSize], input.dtype, input.device);
      checkInput(s, this.weight_ih, op, i === 0 ? 'hx' : 'cx');
      const want = batched ? [B, this.hiddenSize] : [this.hiddenSize];
      if (s.ndim !== want.length || s.shape.some((v, j) => v !== want[j])) {
        throw new RangeError(`${op}: expected ${i === 0 ? 'hidden' : 'cell'} state of shape ${fmt(want)}, got ${fmt(s.shape)}`);
      }
      return batched ? s : unsqueeze(s, 0);
    });
    return { x, batched, states: out };
  }

  override extraRepr(): string {
    return `${this.inputSize}, ${this.hiddenSize}${this.bias_ih ? '' : ', bias=False'}`;
  }
}

/**
 * One Elman RNN step, as `torch.nn.RNNCell`.
 * @example
 * const cell = new RNNCell(10, 20);
 * let h = zeros([3, 20]);
 * for (const x of xs) h = cell.forward(x, h);
 */
export class RNNCell extends CellBase {
  readonly nonlinearity: 'tanh' | 'relu';
  constructor(inputSize: number, hiddenSize: number, options: RNNCellOptions & { nonlinearity?: 'tanh' | 'relu' } = {}) {
    super(1, inputSize, hiddenSize, options);
    this.nonlinearity = checkNonlinearity(options.nonlinearity ?? 'tanh', 'RNNCell');
  }
  /** h' from input [B, input] and h [B, hidden] (zeros when omitted). */
  forward(input: Tensor, hx: Tensor | null = null): Tensor {
    const { x, batched, states } = this.prepare(input, [hx]);
    const h = rnnCell(x, states[0], this.weight_ih, this.weight_hh, this.bias_ih, this.bias_hh, this.nonlinearity);
    return batched ? h : squeeze(h, 0);
  }
}

/**
 * One GRU step, as `torch.nn.GRUCell`.
 * @example
 * const cell = new GRUCell(10, 20);
 * const h = cell.forward(randn([3, 10])); // [3, 20]
 */
export class GRUCell extends CellBase {
  constructor(inputSize: number, hiddenSize: number, options: RNNCellOptions = {}) {
    super(3, inputSize, hiddenSize, options);
  }
  /** h' from input [B, input] and h [B, hidden] (zeros when omitted). */
  forward(input: Tensor, hx: Tensor | null = null): Tensor {
    const { x, batched, states } = this.prepare(input, [hx]);
    const h = gruCell(x, states[0], this.weight_ih, this.weight_hh, this.bias_ih, this.bias_hh);
    return batched ? h : squeeze(h, 0);
  }
}

/**
 * One LSTM step, as `torch.nn.LSTMCell`; runs the fused native cell.
 * @example
 * const cell = new LSTMCell(10, 20);
 * const [h, c] = cell.forward(randn([3, 10])); // both [3, 20]
 */
export class LSTMCell extends CellBase {
  constructor(inputSize: number, hiddenSize: number, options: RNNCellOptions = {}) {
    super(4, inputSize, hiddenSize, options);
  }
  /** [h', c'] from input [B, input] and `[h, c]` (zeros when omitted). */
  forward(input: Tensor, hx: [Tensor, Tensor] | null = null): [Tensor, Tensor] {
    if (hx !== null && hx !== undefined && (!Array.isArray(hx) || hx.length !== 2)) {
      throw new TypeError('LSTMCell: hx must be a pair [h, c] or null');
    }
    const { x, batched, states } = this.prepare(input, hx ? [hx[0], hx[1]] : [null, null]);
    const bias = this.bias_ih && this.bias_hh ? add(this.bias_ih, this.bias_hh) : null;
    const xproj = unsqueeze(linear(x, this.weight_ih, bias), 0);
    const y = lstmSequence(xproj, this.weight_hh, states[0], states[1]);
    const h = select(select(y, 0, 0), 0, 0);
    const c = select(select(y, 0, 1), 0, 0);
    return batched ? [h, c] : [squeeze(h, 0), squeeze(c, 0)];
  }
}

/** Options of `padSequence`. */
export interface PadSequenceOptions {
  /** Output [B, maxLen, ...] instead of [maxLen, B, ...]. Default false. */
  batchFirst?: boolean;
  /** Value of the padded positions. Default 0. */
  paddingValue?: number;
  /** Pad at the end ('right', default) or the start ('left'). */
  paddingSide?: 'right' | 'left';
}

/**
 * Stacks variable-length sequences [L_i, ...] into one padded tensor
 * [maxLen, B, ...] (or [B, maxLen, ...] with batchFirst), like
 * `torch.nn.utils.rnn.pad_sequence`. Differentiable in every sequence.
 * @example
 * padSequence([ones([3, 2]), ones([1, 2])], { batchFirst: true }).shape // [2, 3, 2]
 */
export function padSequence(sequences: readonly Tensor[], options: PadSequenceOptions = {}): Tensor {
  const op = 'padSequence';
  if (!Array.isArray(sequences as unknown) || sequences.length === 0) throw new RangeError(`${op}: expected a non-empty array of tensors`);
  const first = sequences[0];
  sequences.forEach((s, i) => {
    if (!(s instanceof Tensor)) throw new TypeError(`${op}: element ${i} is not a Tensor`);
    if (s.ndim < 1 || s.ndim !== first.ndim || s.shape.some((v, j) => j > 0 && v !== first.shape[j])) {
      throw new RangeError(`${op}: sequences must share their trailing dims, got ${fmt(first.shape)} and ${fmt(s.shape)} (element ${i})`);
    }
    if (s.dtype !== first.dtype || s.device !== first.device) {
      throw new TypeError(`${op}: sequences must share dtype and device, got ${first.dtype}/${first.device} and ${s.dtype}/${s.device} (element ${i})`);
    }
  });
  const side = options.paddingSide ?? 'right';
  if (side !== 'right' && side !== 'left') throw new TypeError(`${op}: paddingSide must be 'right' or 'left', got ${JSON.stringify(side)}`);
  const value = options.paddingValue ?? 0;
  const maxLen = Math.max(...sequences.map((s) => s.shape[0]));
  const padded = sequences.map((s) => {
    const n = maxLen - s.shape[0];
    if (n === 0) return s;
    const pad = fullRaw([n, ...s.shape.slice(1)], value, s.dtype, s.device);
    return cat(side === 'right' ? [s, pad] : [pad, s], 0);
  });
  return stack(padded, options.batchFirst ? 0 : 1);
}
