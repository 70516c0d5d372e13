/**
 * Graph nodes. Each op that runs with grad enabled and an input that requires
 * grad attaches one Node to its output: the inputs, one backward closure
 * written with tensor ops (so it is itself differentiable), and the storage
 * versions of the tensors the closure saved.
 */
import type { DType } from '../dtype';
import type { Shape } from '../shape';
import type { Tensor } from '../tensor';
import { isGradEnabled } from './grad-mode';

/**
 * Where an input's gradient goes: the node that produced it, or the leaf
 * tensor itself. Edges hold no non-leaf tensors, so an intermediate's memory
 * is freed once its saved uses are released, even while the graph lives on.
 * The node is captured when the op runs, so a later in-place rebase of the
 * input tensor cannot redirect this gradient.
 */
export interface Edge {
  node: Node | null;
  leaf: Tensor | null;
  shape: Shape;
  dtype: DType;
}

/** Computes input gradients from the output gradient; `needs[i]` says whether input i wants one. */
export type BackwardFn = (grad: Tensor, needs: readonly boolean[]) => (Tensor | null | undefined)[];

let seqCounter = 0;

export class Node {
  /** Creation order: consumers always have a larger seq than producers. */
  readonly seq = seqCounter++;
  /** Edges to inputs that require grad (null where an input does not). */
  inputs: (Edge | null)[];
  backwardFn: BackwardFn | null;
  saved: Tensor[];
  savedVersions: number[];
  /** Set by retainGrad(): the non-leaf output whose .grad should be kept. */
  retained: Tensor | null = null;
  hooks: ((g: Tensor) => Tensor | void)[] | null = null;
  /** Op-private tensors only this node's backward reads (see `freeWithNode`). */
  owned: Tensor[] | null = null;
  released = false;

  constructor(
    readonly name: string,
    inputs: (Edge | null)[],
    backwardFn: BackwardFn,
    saved: Tensor[],
  ) {
    this.inputs = inputs;
    this.backwardFn = backwardFn;
    this.saved = saved;
    this.savedVersions = saved.map((t) => t._storage.version);
  }

  /**
   * Drops the closure and saved tensors so their memory can be collected, and
   * frees the op-private ones now when `freeOwned` (not when a createGraph
   * backward may have saved views of them in the new graph).
   */
  release(freeOwned: boolean): void {
    if (this.owned && freeOwned) for (const t of this.owned) t.dispose();
    this.owned = null;
    this.backwardFn = null;
    this.saved = [];
    this.released = true;
  }
}

/**
 * Attaches a Node to `out` when grad mode is on and any tensor input requires
 * grad; otherwise returns `out` untouched. `saved` lists the tensors the
 * backward closure reads, for the in-place version check.
 */
export function record<T extends Tensor>(
  out: T,
  name: string,
  inputs: readonly (Tensor | number | boolean | null | undefined)[],
  backward: BackwardFn,
  saved: readonly Tensor[] = [],
): T {
  let any = false;
  for (const x of inputs) {
    if (x !== null && typeof x === 'object' && x.requiresGrad) {
      any = true;
      break;
    }
  }
  if (!any || !isGradEnabled()) return out;
  const ins = inputs.map((x) => (x !== null && typeof x === 'object' && x.requiresGrad ? edgeTo(x) : null));
  out.gradFn = new Node(name, ins, backward, saved.slice());
  out.requiresGrad = true;
  return out;
}

/**
 * @internal For composite ops: `t` is a temporary the op allocated and never
 * hands out (conv2d's im2col columns, max pooling's indices), read later only
 * by the backward of `reader`'s node. Its memory is freed when that node is
 * released after backward, or right away when no node was recorded, instead
 * of waiting for the GC. Every MB left to the GC counts towards V8's
 * external-memory limit: mnist-cnn ran a full mark-compact every step.
 */
export function freeWithNode(t: Tensor, reader: Tensor): void {
  const node = reader.gradFn;
  if (node === null) t.dispose();
  else (node.owned ??= []).push(t);
}

/** The edge through which a gradient reaches tensor `t`. */
export function edgeTo(t: Tensor): Edge {
  return { node: t.gradFn, leaf: t.gradFn ? null : t, shape: t.shape, dtype: t.dtype };
}
