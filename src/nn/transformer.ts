/** TransformerEncoderLayer, with PyTorch's structure and state-dict names. */
import { add, gelu, relu } from '../ops/pointwise';
import type { Tensor } from '../tensor';
import { Module } from './module';
import { positiveInt, type FactoryOptions } from './common';
import { MultiheadAttention } from './attention';
import { Linear } from './linear';
import { LayerNorm } from './normalization';
import { Dropout } from './dropout';

/** Options of `TransformerEncoderLayer` (PyTorch's names and defaults). */
export interface TransformerEncoderLayerOptions extends FactoryOptions {
  /** Width of the feed-forward block. Default 2048. */
  dimFeedforward?: number;
  /** Dropout after attention, inside and after the feed-forward block. Default 0.1. */
  dropout?: number;
  /** Feed-forward activation. Default 'relu'. */
  activation?: 'relu' | 'gelu';
  /** LayerNorm eps. Default 1e-5. */
  layerNormEps?: number;
  /** Input [batch, seq, feature] instead of [seq, batch, feature]. Default false. */
  batchFirst?: boolean;
  /** Pre-norm (LayerNorm before attention and feed-forward) instead of post-norm. Default false. */
  normFirst?: boolean;
  /** Biases in the linear layers and LayerNorms. Default true. */
  bias?: boolean;
}

/** Options of `TransformerEncoderLayer.forward`. */
export interface TransformerEncoderLayerForwardOptions {
  /** Attention mask [S, S] or [B * heads, S, S] (MultiheadAttention's convention). */
  srcMask?: Tensor | null;
  /** [B, S], true at padding positions. */
  srcKeyPaddingMask?: Tensor | null;
  /** Causal attention when no srcMask is given. Default false. */
  isCausal?: boolean;
}

/**
 * One encoder block, as `torch.nn.TransformerEncoderLayer`: self-attention
 * and a feed-forward block (linear1, activation, dropout, linear2), each with
 * dropout and a residual connection, normalised after (post-norm, the
 * default) or before (`normFirst`) each sub-block. Fields (and so state-dict
 * keys) are PyTorch's: self_attn, linear1, linear2, norm1, norm2.
 * @example
 * const layer = new TransformerEncoderLayer(64, 4, { dimFeedforward: 128, batchFirst: true });
 * layer.forward(randn([8, 10, 64])).shape; // [8, 10, 64]
 */
export class TransformerEncoderLayer extends Module {
  self_attn: MultiheadAttention;
  linear1: Linear;
  dropout: Dropout;
  linear2: Linear;
  norm1: LayerNorm;
  norm2: LayerNorm;
  dropout1: Dropout;
  dropout2: Dropout;
  readonly normFirst: boolean;
  readonly activation: 'relu' | 'gelu';

  constructor(dModel: number, nhead: number, options: TransformerEncoderLayerOptions = {}) {
    super();
    const op = 'TransformerEncoderLayer';
    positiveInt(dModel, 'dModel', op);
    const ff = positiveInt(options.dimFeedforward ?? 2048, 'dimFeedforward', op);
    const p = options.dropout ?? 0.1;
    const act = options.activation ?? 'relu';
    if (act !== 'relu' && act !== 'gelu') throw new TypeError(`${op}: activation must be 'relu' or 'gelu', got ${JSON.stringify(act)}`);
    const f = { dtype: options.dtype, device: options.device };
    const bias = options.bias ?? true;
    this.self_attn = new MultiheadAttention(dModel, nhead, { ...f, dropout: p, bias, batchFirst: options.batchFirst ?? false });
    this.linear1 = new Linear(dModel, ff, { ...f, bias });
    this.dropout = new Dropout(p);
    this.linear2 = new Linear(ff, dModel, { ...f, bias });
    this.norm1 = new LayerNorm(dModel, { ...f, eps: options.layerNormEps ?? 1e-5, bias });
    this.norm2 = new LayerNorm(dModel, { ...f, eps: options.layerNormEps ?? 1e-5, bias });
    this.dropout1 = new Dropout(p);
    this.dropout2 = new Dropout(p);
    this.normFirst = options.normFirst ?? false;
    this.activation = act;
  }

  /** src [S, B, dModel] ([B, S, dModel] with batchFirst; [S, dModel] unbatched) -> same shape. */
  forward(src: Tensor, options: TransformerEncoderLayerForwardOptions = {}): Tensor {
    const sa = (x: Tensor): Tensor => {
      const [out] = this.self_attn.forward(x, x, x, {
        attnMask: options.srcMask ?? null,
        keyPaddingMask: options.srcKeyPaddingMask ?? null,
        isCausal: options.isCausal ?? false,
        needWeights: false,
      });
      return this.dropout1.forward(out);
    };
    const ffBlock = (x: Tensor): Tensor => {
      const h = this.linear1.forward(x);
      const a = this.activation === 'gelu' ? gelu(h) : relu(h);
      return this.dropout2.forward(this.linear2.forward(this.dropout.forward(a)));
    };
    let x = src;
    if (this.normFirst) {
      x = add(x, sa(this.norm1.forward(x)));
      x = add(x, ffBlock(this.norm2.forward(x)));
    } else {
      x = this.norm1.forward(add(x, sa(x)));
      x = this.norm2.forward(add(x, ffBlock(x)));
    }
    return x;
  }

  override extraRepr(): string {
    return `norm_first=${this.normFirst ? 'True' : 'False'}, activation=${this.activation}`;
  }
}
