/** MaxPool2d, AvgPool2d, AdaptiveAvgPool2d. */
import { adaptiveAvgPool2d, avgPool2d, maxPool2d, type AvgPool2dOptions, type MaxPool2dOptions, type Size2 } from '../ops/conv';
import type { Tensor } from '../tensor';
import { Module } from './module';
import { tuple } from './common';

/**
 * 2-D max pooling; the stride defaults to the kernel size. A number as 2nd
 * argument is the stride. With `returnIndices`, forward returns [output, indices].
 * @example new MaxPool2d(2).forward(zeros([8, 32, 26, 26])).shape // [8, 32, 13, 13]
 */
export class MaxPool2d extends Module {
  readonly options: Omit<MaxPool2dOptions, 'returnIndices'>;
  readonly returnIndices: boolean;
  constructor(
    readonly kernelSize: Size2,
    options: MaxPool2dOptions | number = {},
  ) {
    super();
    const o = typeof options === 'number' ? { stride: options } : options;
    this.returnIndices = o.returnIndices ?? false;
    this.options = { stride: o.stride, padding: o.padding, dilation: o.dilation, ceilMode: o.ceilMode };
    // Validate the geometry now rather than on the first batch.
    if (o.ceilMode) throw new RangeError('MaxPool2d: ceilMode is not supported (only floor mode)');
  }
  forward(x: Tensor): Tensor | [Tensor, Tensor<'int32'>] {
    if (this.returnIndices) return maxPool2d(x, this.kernelSize, { ...this.options, returnIndices: true });
    return maxPool2d(x, this.kernelSize, this.options);
  }
  override extraRepr(): string {
    const o = this.options;
    return `kernel_size=${tuple(this.kernelSize)}, stride=${tuple(o.stride ?? this.kernelSize)}, padding=${tuple(o.padding ?? 0)}, dilation=${tuple(o.dilation ?? 1)}, ceil_mode=False`;
  }
}

/**
 * 2-D average pooling (padding counted in the divisor by default, as PyTorch).
 * @example new AvgPool2d(2).forward(ones([1, 1, 4, 4])) // [1, 1, 2, 2] of ones
 */
export class AvgPool2d extends Module {
  readonly options: AvgPool2dOptions;
  constructor(
    readonly kernelSize: Size2,
    options: AvgPool2dOptions | number = {},
  ) {
    super();
    this.options = typeof options === 'number' ? { stride: options } : { ...options };
    if (this.options.ceilMode) throw new RangeError('AvgPool2d: ceilMode is not supported (only floor mode)');
  }
  forward(x: Tensor): Tensor {
    return avgPool2d(x, this.kernelSize, this.options);
  }
  override extraRepr(): string {
    return `kernel_size=${tuple(this.kernelSize)}, stride=${tuple(this.options.stride ?? this.kernelSize)}, padding=${tuple(this.options.padding ?? 0)}`;
  }
}

/**
 * Average pooling to a fixed output size, whatever the input size (null keeps that dim).
 * @example new AdaptiveAvgPool2d([1, 1]).forward(randn([2, 512, 7, 7])).shape // [2, 512, 1, 1]
 */
export class AdaptiveAvgPool2d extends Module {
  constructor(readonly outputSize: number | readonly [number | null, number | null]) {
    super();
  }
  forward(x: Tensor): Tensor {
    return adaptiveAvgPool2d(x, this.outputSize);
  }
  override extraRepr(): string {
    const o = this.outputSize;
    return `output_size=${typeof o === 'number' ? o : `(${o.map((v) => (v === null ? 'None' : v)).join(', ')})`}`;
  }
}
