/** Dropout. */
import { dropout } from '../ops/nn';
import type { Tensor } from '../tensor';
import { Module } from './module';

/**
 * Inverted dropout, active only in training mode: zeroes each element with
 * probability p and scales the others by 1/(1-p); in eval mode the identity.
 * @example
 * const drop = new Dropout(0.2);
 * drop.forward(x);        // training: some zeros, the rest x / 0.8
 * drop.eval().forward(x); // x
 */
export class Dropout extends Module {
  constructor(readonly p = 0.5) {
    super();
    if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw new RangeError(`Dropout: probability has to be between 0 and 1, but got ${p}`);
  }
  forward(x: Tensor): Tensor {
    return dropout(x, this.p, this.training);
  }
  override extraRepr(): string {
    return `p=${this.p}`;
  }
}
