/** MultiheadAttention, with PyTorch's parameter names, layouts and mask conventions. */
import { attend } from '../ops/attention';
import { linear } from '../ops/linalg';
import { mean } from '../ops/reduce';
import { chunk, narrow, reshape, squeeze, transpose, unsqueeze } from '../ops/views';
import { isFloating } from '../dtype';
import { fmt } from '../shape';
import { Tensor } from '../tensor';
import { Module, type Parameter } from './module';
import { param, positiveInt, type FactoryOptions } from './common';
import { Linear } from './linear';
import { constant, xavierUniform } from './init';

/** Options of `MultiheadAttention`. */
export interface MultiheadAttentionOptions extends FactoryOptions {
  /** Dropout on the attention weights, in training. Default 0. */
  dropout?: number;
  /** Learn in_proj_bias and out_proj.bias. Default true. */
  bias?: boolean;
  /** Inputs and output are [batch, seq, embed] instead of [seq, batch, embed]. Default false. */
  batchFirst?: boolean;
}

/** Options of `MultiheadAttention.forward` (PyTorch's names). */
export interface MultiheadAttentionForwardOptions {
  /** [B, S]: true (or -inf when float) marks padding keys that no query may attend to. */
  keyPaddingMask?: Tensor | null;
  /** Also return the attention weights. Default true. */
  needWeights?: boolean;
  /** [L, S] or [B * numHeads, L, S]: true (or -inf when float) blocks query i from key j. */
  attnMask?: Tensor | null;
  /** Average the returned weights over heads ([B, L, S]) rather than per head ([B, heads, L, S]). Default true. */
  averageAttnWeights?: boolean;
  /** Apply a causal mask when no attnMask is given (with one, PyTorch treats this as a hint and so do we). Default false. */
  isCausal?: boolean;
}

/**
 * Multi-head attention, as `torch.nn.MultiheadAttention`: query, key and
 * value are projected with the rows of `in_proj_weight` [3E, E] (and
 * `in_proj_bias`), split into heads, attended with softmax(q k^T / sqrt(E/heads)),
 * merged and projected by `out_proj`. Returns `[output, weights]`, weights
 * averaged over heads by default (null with `needWeights: false`).
 * @example
 * const mha = new MultiheadAttention(64, 8, { batchFirst: true });
 * const [out, w] = mha.forward(x, x, x, { keyPaddingMask: pad }); // out [B, T, 64], w [B, T, T]
 */
export class MultiheadAttention extends Module {
  readonly embedDim: number;
  readonly numHeads: number;
  readonly headDim: number;
  readonly dropout: number;
  readonly batchFirst: boolean;
  in_proj_weight: Parameter;
  in_proj_bias: Parameter | null;
  out_proj: Linear;

  constructor(embedDim: number, numHeads: number, options: MultiheadAttentionOptions = {}) {
    super();
    const op = 'MultiheadAttention';
    this.embedDim = positiveInt(embedDim, 'embedDim', op);
    this.numHeads = positiveInt(numHeads, 'numHeads', op);
    if (embedDim % numHeads !== 0) throw new RangeError(`${op}: embedDim (${embedDim}) must be divisible by numHeads (${numHeads})`);
    this.headDim = embedDim / numHeads;
    const p = options.dropout ?? 0;
    if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw new RangeError(`${op}: dropout must be in [0, 1], got ${p}`);
    this.dropout = p;
    this.batchFirst = options.batchFirst ?? false;
    const bias = options.bias ?? true;
    this.in_proj_weight = param([3 * embedDim, embedDim], options);
    this.in_proj_bias = bias ? param([3 * embedDim], options) : null;
    this.out_proj = new Linear(embedDim, embedDim, { ...options, bias });
    this.resetParameters();
  }

  /** PyTorch's init: xavier-uniform in_proj_weight, zero biases; out_proj.weight keeps Linear's default. */
  resetParameters(): void {
    xavierUniform(this.in_proj_weight);
    if (this.in_proj_bias) constant(this.in_proj_bias, 0);
    if (this.out_proj.bias) constant(this.out_proj.bias, 0);
  }

  /**
   * Attends `query` [L, B, E] to `key`/`value` [S, B, E] ([B, *, E] with
   * batchFirst; [L, E] / [S, E] unbatched).
   */
  forward(query: Tensor, key: Tensor, value: Tensor, options: MultiheadAttentionForwardOptions = {}): [Tensor, Tensor | null] {
    const op = 'MultiheadAttention';
    const E = this.embedDim;
    for (const [x, what] of [[query, 'query'], [key, 'key'], [value, 'value']] as const) {
      if (!(x instanceof Tensor)) throw new TypeError(`${op}: ${what} must be a Tensor, got ${x === null ? 'null' : typeof x}`);
      if (!isFloating(x.dtype) || x.dtype !== this.in_proj_weight.dtype) throw new TypeError(`${op}: ${what} must be ${this.in_proj_weight.dtype}, got ${x.dtype}`);
      if ((x.ndim !== 2 && x.ndim !== 3) || x.shape[x.ndim - 1] !== E) throw new RangeError(`${op}: ${what} must be 3-D (or 2-D unbatched) ending in embedDim ${E}, got ${fmt(x.shape)}`);
    }
    const batched = query.ndim === 3;
    if (key.ndim !== query.ndim || value.ndim !== query.ndim) throw new RangeError(`${op}: query ${fmt(query.shape)}, key ${fmt(key.shape)} and value ${fmt(value.shape)} must all be batched or all unbatched`);
    // Internally batch-first [B, seq, E].
    const bf = (x: Tensor): Tensor => (!batched ? unsqueeze(x, 0) : this.batchFirst ? x : transpose(x, 0, 1));
    const self = query === key && key === value;
    const [q0, k0, v0] = [bf(query), bf(key), bf(value)];
    const [B, L] = q0.shape;
    const S = k0.shape[1];
    if (k0.shape[0] !== B || v0.shape[0] !== B || v0.shape[1] !== S) {
      throw new RangeError(`${op}: key ${fmt(key.shape)} and value ${fmt(value.shape)} do not match query ${fmt(query.shape)} in batch or each other in length`);
    }
    let q: Tensor, k: Tensor, v: Tensor;
    if (self) {
      // Self-attention: one GEMM for q, k and v.
      [q, k, v] = chunk(linear(q0, this.in_proj_weight, this.in_proj_bias), 3, -1);
    } else {
      const w = (i: number) => narrow(this.in_proj_weight, 0, i * E, E);
      const b = (i: number) => (this.in_proj_bias ? narrow(this.in_proj_bias, 0, i * E, E) : null);
      [q, k, v] = [linear(q0, w(0), b(0)), linear(k0, w(1), b(1)), linear(v0, w(2), b(2))];
    }
    const nH = this.numHeads;
    const hd = this.headDim;
    // [B, seq, E] -> [B, heads, seq, headDim]
    const heads = (x: Tensor, n: number) => transpose(reshape(x, [B, n, nH, hd]), 1, 2);
    let mask: Tensor | null = null;
    if (options.attnMask) mask = this.attnMask(options.attnMask, B, L, S, batched);
    let pad = options.keyPaddingMask ?? null;
    if (pad) {
      const want = batched ? [B, S] : [S];
      if (!(pad instanceof Tensor) || pad.ndim !== want.length || pad.shape.some((s, i) => s !== want[i])) {
        throw new RangeError(`${op}: keyPaddingMask must have shape ${fmt(want)}, got ${pad instanceof Tensor ? fmt(pad.shape) : typeof pad}`);
      }
      pad = reshape(pad, [B, 1, 1, S]);
    }
    const masks = [mask, pad].filter((m): m is Tensor => m !== null).map((m) => ({ mask: m, keepWhere: false }));
    const attn = attend(heads(q, L), heads(k, S), heads(v, S), {
      masks,
      isCausal: !mask && (options.isCausal ?? false),
      dropoutP: this.dropout,
    }, this.training);
    // [B, heads, L, hd] -> [B, L, E]
    let out = this.out_proj.forward(reshape(transpose(attn.output, 1, 2), [B, L, E]));
    out = !batched ? squeeze(out, 0) : this.batchFirst ? out : transpose(out, 0, 1);
    if (options.needWeights === false) return [out, null];
    let w = attn.weights;
    if (options.averageAttnWeights ?? true) w = mean(w, 1);
    return [out, batched ? w : squeeze(w, 0)];
  }

  /** The attention mask as [1 or B, 1 or heads, L, S]. */
  private attnMask(m: Tensor, B: number, L: number, S: number, batched: boolean): Tensor {
    const op = 'MultiheadAttention';
    if (!(m instanceof Tensor)) throw new TypeError(`${op}: attnMask must be a Tensor`);
    if (m.ndim === 2 && m.shape[0] === L && m.shape[1] === S) return m;
    const nH = this.numHeads;
    if (m.ndim === 3 && m.shape[0] === B * nH && m.shape[1] === L && m.shape[2] === S) return reshape(m, [B, nH, L, S]);
    throw new RangeError(`${op}: attnMask must be [${L}, ${S}] or [${batched ? B * nH : nH}, ${L}, ${S}], got ${fmt(m.shape)}`);
  }

  override extraRepr(): string {
    return `embed_dim=${this.embedDim}, num_heads=${this.numHeads}, dropout=${this.dropout}, batch_first=${this.batchFirst ? 'True' : 'False'}`;
  }
}
