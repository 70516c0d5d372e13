/** Embedding. */
import { noGrad } from '../autograd/grad-mode';
import { embedding } from '../ops/nn';
import { fmt } from '../shape';
import { Tensor } from '../tensor';
import { Module, Parameter } from './module';
import { param, positiveInt, type FactoryOptions } from './common';
import { normal } from './init';

/** Options of `Embedding`. */
export interface EmbeddingOptions extends FactoryOptions {
  /** This row is initialised to zeros and never receives a gradient. */
  paddingIdx?: number | null;
}

/**
 * A lookup table of `numEmbeddings` vectors of size `embeddingDim`, drawn
 * from N(0, 1) (the `paddingIdx` row zeroed), indexed by int32 tensors.
 * @example new Embedding(10, 3).forward(tensor([[1, 2], [4, 5]])).shape // [2, 2, 3]
 */
export class Embedding extends Module {
  readonly numEmbeddings: number;
  readonly embeddingDim: number;
  readonly paddingIdx: number | null;
  weight: Parameter;

  constructor(numEmbeddings: number, embeddingDim: number, options: EmbeddingOptions = {}) {
    super();
    this.numEmbeddings = positiveInt(numEmbeddings, 'numEmbeddings', 'Embedding', 0);
    this.embeddingDim = positiveInt(embeddingDim, 'embeddingDim', 'Embedding', 0);
    const p = options.paddingIdx ?? null;
    if (p !== null && (!Number.isInteger(p) || p >= numEmbeddings || p < -numEmbeddings)) {
      throw new RangeError(`Embedding: paddingIdx ${p} must be within [-${numEmbeddings}, ${numEmbeddings})`);
    }
    this.paddingIdx = p === null ? null : p < 0 ? p + numEmbeddings : p;
    this.weight = param([numEmbeddings, embeddingDim], options);
    this.resetParameters();
  }

  /** Redraws N(0, 1) weights and zeroes the padding row. */
  resetParameters(): void {
    normal(this.weight);
    if (this.paddingIdx !== null) noGrad(() => this.weight.select(0, this.paddingIdx!).fillInPlace(0));
  }

  /**
   * An Embedding holding a copy of `embeddings` [num, dim], frozen (not
   * trained) unless `freeze` is false.
   * @example Embedding.fromPretrained(vectors, { freeze: false })
   */
  static fromPretrained(embeddings: Tensor, options: { freeze?: boolean; paddingIdx?: number | null } = {}): Embedding {
    if (!(embeddings instanceof Tensor) || embeddings.ndim !== 2) {
      throw new RangeError(`Embedding.fromPretrained: embeddings must be a 2-D Tensor, got ${embeddings instanceof Tensor ? fmt(embeddings.shape) : typeof embeddings}`);
    }
    const e = new Embedding(embeddings.shape[0], embeddings.shape[1], { paddingIdx: options.paddingIdx, dtype: embeddings.dtype as 'float32' | 'float64', device: embeddings.device });
    noGrad(() => e.weight.copyInPlace(embeddings));
    e.weight.requiresGrad = !(options.freeze ?? true);
    return e;
  }

  forward(x: Tensor): Tensor {
    return embedding(x, this.weight, this.paddingIdx);
  }

  override extraRepr(): string {
    return `${this.numEmbeddings}, ${this.embeddingDim}${this.paddingIdx !== null ? `, padding_idx=${this.paddingIdx}` : ''}`;
  }
}
