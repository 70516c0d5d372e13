/** Conv2d. */
import { conv2d, conv2dRelu, conv2dReluPool, pair, type Conv2dOptions, type Size2 } from '../ops/conv';
import type { Tensor } from '../tensor';
import { Module, type Parameter } from './module';
import { MaxPool2d } from './pooling';
import { param, positiveInt, resetFanIn, tuple, type FactoryOptions } from './common';

/** Options of `Conv2d` (PyTorch's names and defaults). */
export interface Conv2dLayerOptions extends FactoryOptions {
  /** Default 1. */
  stride?: Size2;
  /** Zero padding, or 'valid' / 'same' (stride 1 only). Default 0. */
  padding?: Size2 | 'same' | 'valid';
  /** Default 1. */
  dilation?: Size2;
  /** Default 1. */
  groups?: number;
  /** Learn an additive bias. Default true. */
  bias?: boolean;
  /** Only 'zeros' is supported. */
  paddingMode?: 'zeros';
}

/**
 * 2-D convolution layer: weight [outChannels, inChannels/groups, KH, KW] and
 * bias [outChannels], initialised as PyTorch does. A number as 4th argument
 * is the stride (`nn.Conv2d(1, 32, 3, 1)` translates to `new Conv2d(1, 32, 3, 1)`).
 * @example
 * const conv = new Conv2d(1, 32, 3, { padding: 1 });
 * conv.forward(randn([8, 1, 28, 28])).shape; // [8, 32, 28, 28]
 */
export class Conv2d extends Module {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number] | 'same' | 'valid';
  readonly dilation: [number, number];
  readonly groups: number;
  weight: Parameter;
  bias: Parameter | null;

  constructor(inChannels: number, outChannels: number, kernelSize: Size2, options: Conv2dLayerOptions | number = {}) {
    super();
    const op = 'Conv2d';
    const o: Conv2dLayerOptions = typeof options === 'number' ? { stride: options } : options;
    this.inChannels = positiveInt(inChannels, 'inChannels', op);
    this.outChannels = positiveInt(outChannels, 'outChannels', op);
    this.groups = positiveInt(o.groups ?? 1, 'groups', op);
    if (inChannels % this.groups !== 0) throw new RangeError(`Conv2d: inChannels (${inChannels}) must be divisible by groups (${this.groups})`);
    if (outChannels % this.groups !== 0) throw new RangeError(`Conv2d: outChannels (${outChannels}) must be divisible by groups (${this.groups})`);
    if ((o.paddingMode ?? 'zeros') !== 'zeros') throw new RangeError(`Conv2d: paddingMode ${JSON.stringify(o.paddingMode)} is not supported (only 'zeros')`);
    this.kernelSize = pair(kernelSize, 1, 'kernelSize', op, 1);
    this.stride = pair(o.stride, 1, 'stride', op, 1);
    this.padding = o.padding === 'same' || o.padding === 'valid' ? o.padding : pair(o.padding, 0, 'padding', op, 0);
    this.dilation = pair(o.dilation, 1, 'dilation', op, 1);
    if (this.padding === 'same' && (this.stride[0] !== 1 || this.stride[1] !== 1)) {
      throw new RangeError("Conv2d: padding='same' is not supported for strided convolutions");
    }
    this.weight = param([outChannels, inChannels / this.groups, ...this.kernelSize], o);
    this.bias = o.bias ?? true ? param([outChannels], o) : null;
    this.resetParameters();
  }

  /** Re-draws the parameters with PyTorch's default initialisation. */
  resetParameters(): void {
    resetFanIn(this.weight, this.bias);
  }

  forward(x: Tensor): Tensor {
    return conv2d(x, this.weight, this.bias, this.options());
  }

  /** @internal relu(forward(x)) with the ReLU fused into the GEMM, for Sequential; null when forward is overridden. */
  forwardRelu(x: Tensor): Tensor | null {
    return this.forward === Conv2d.prototype.forward ? conv2dRelu(x, this.weight, this.bias, this.options()) : null;
  }

  /** @internal pool(relu(forward(x))) as one op, for Sequential; null when forward is overridden. */
  forwardReluPool(x: Tensor, pool: MaxPool2d): Tensor | null {
    if (this.forward !== Conv2d.prototype.forward || pool.forward !== MaxPool2d.prototype.forward || pool.returnIndices) return null;
    return conv2dReluPool(x, this.weight, this.bias, this.options(), pool.kernelSize, pool.options);
  }

  private options(): Conv2dOptions {
    return { stride: this.stride, padding: this.padding, dilation: this.dilation, groups: this.groups };
  }

  override extraRepr(): string {
    let s = `${this.inChannels}, ${this.outChannels}, kernel_size=${tuple(this.kernelSize)}, stride=${tuple(this.stride)}`;
    if (typeof this.padding === 'string') s += `, padding=${this.padding}`;
    else if (this.padding[0] || this.padding[1]) s += `, padding=${tuple(this.padding)}`;
    if (this.dilation[0] !== 1 || this.dilation[1] !== 1) s += `, dilation=${tuple(this.dilation)}`;
    if (this.groups !== 1) s += `, groups=${this.groups}`;
    if (!this.bias) s += ', bias=False';
    return s;
  }
}
