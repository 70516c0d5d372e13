/**
 * Reverse-mode engine: collect the nodes reachable from the outputs, walk them
 * in reverse creation order (a valid reverse topological order, since a node is
 * always created after its inputs' nodes), run each backward once with the
 * summed gradient of its output, reduce broadcast gradients back to each
 * input's shape in this one place, and accumulate into leaves.
 */
import { fmt, shapesEqual } from '../shape';
import type { Tensor } from '../tensor';
import { isAnomalyEnabled, setGradEnabled } from './grad-mode';
import type { Node } from './node';
import { sumTo } from '../ops/reduce';
import { add, isnan, isinf } from '../ops/pointwise';
import { tidy } from '../memory';

export interface EngineOptions {
  retainGraph: boolean;
  createGraph: boolean;
  /** When given, gradients for these tensors are returned instead of accumulated into `.grad`. */
  inputs?: readonly Tensor[];
  allowUnused?: boolean;
}

function addGrad(a: Tensor | undefined, b: Tensor): Tensor {
  return a === undefined ? b : add(a, b);
}

function checkFinite(node: Node, g: Tensor, i: number): void {
  if (g.dtype !== 'float32' && g.dtype !== 'float64') return;
  const bad = isnan(g).logicalOr(isinf(g)).any().item();
  if (bad) {
    throw new Error(
      `detectAnomaly: the backward of '${node.name}' returned NaN or Inf in its gradient for input ${i} (shape ${fmt(g.shape)})`,
    );
  }
}

/**
 * A backward that failed because a saved tensor was freed (typically a tidy()
 * around the forward pass only, as in TF.js code) gets an error naming the op
 * and the fix instead of the kernel's bare "used after dispose()".
 */
function explainDisposed(node: Node, e: unknown): unknown {
  const dead = node.saved.find((t) => t.isDisposed);
  if (!dead) return e;
  return new Error(
    `backward: the ${dead.dtype} tensor of shape ${fmt(dead.shape)} saved by '${node.name}' was disposed before backward ` +
      'read it (a tidy() or dispose() freed it). Run the forward pass and backward() inside the same tidy(), or keep() the tensors.',
    { cause: e },
  );
}

/** Runs backward from `roots` seeded with `grads`. Returns captured input grads when `opts.inputs` is set. */
export function runBackward(roots: readonly Tensor[], grads: readonly Tensor[], opts: EngineOptions): (Tensor | null)[] {
  const capture = opts.inputs ? new Map<Tensor, Tensor | undefined>(opts.inputs.map((t) => [t, undefined])) : null;
  // Non-leaf inputs of grad(): their gradient is what flows into their node.
  const captureNode = new Map<Node, Tensor>();
  if (opts.inputs) for (const t of opts.inputs) if (t.gradFn) captureNode.set(t.gradFn, t);

  const pending = new Map<Node, Tensor>();
  const nodes: Node[] = [];
  const seen = new Set<Node>();
  const stack: Node[] = [];

  // Tensors handed to user code (hooks, retained grads): they outlive backward.
  const escaped: Tensor[] = [];
  const runHooks = (hooks: ((g: Tensor) => Tensor | void)[], g: Tensor): Tensor => {
    for (const h of hooks) {
      escaped.push(g);
      g = h(g) ?? g;
    }
    escaped.push(g);
    return g;
  };

  const deliverLeaf = (t: Tensor, g: Tensor): void => {
    if (t._hooks) g = runHooks(t._hooks, g);
    if (capture && capture.has(t)) {
      capture.set(t, addGrad(capture.get(t), g));
      return;
    }
    if (capture) return; // grad() never touches .grad
    if (!opts.createGraph) g = g.detach();
    if (t.grad === null) {
      // A gradient passed through unchanged may alias another tensor's
      // gradient (add, expand, views): own a copy before it can be mutated.
      t.grad = g._base !== null || !g.isContiguous() ? g.clone() : g;
    } else {
      t.grad = opts.createGraph ? add(t.grad, g) : add(t.grad.detach(), g);
    }
    // Gradients outlive any tidy() scope the backward ran in.
    t.grad._storage.kept = true;
  };

  for (let i = 0; i < roots.length; i++) {
    const r = roots[i];
    if (!r.requiresGrad) {
      throw new Error('backward: element ' + i + ' of the outputs does not require grad and has no grad_fn');
    }
    if (r.gradFn) {
      pending.set(r.gradFn, addGrad(pending.get(r.gradFn), grads[i]));
      if (!seen.has(r.gradFn)) {
        seen.add(r.gradFn);
        stack.push(r.gradFn);
      }
    }
  }
  while (stack.length) {
    const n = stack.pop()!;
    nodes.push(n);
    for (const inp of n.inputs) {
      const f = inp?.node;
      if (f && !seen.has(f)) {
        seen.add(f);
        stack.push(f);
      }
    }
  }
  nodes.sort((a, b) => b.seq - a.seq);

  const body = (): void => setGradEnabled(opts.createGraph, () => {
    // Leaf roots (a leaf tensor passed as an output).
    for (let i = 0; i < roots.length; i++) if (!roots[i].gradFn) deliverLeaf(roots[i], grads[i]);

    for (const node of nodes) {
      let g = pending.get(node);
      pending.delete(node);
      if (g === undefined) continue;
      if (node.hooks) g = runHooks(node.hooks, g);
      if (node.retained) {
        const r = node.retained;
        r.grad = r.grad === null ? g.detach() : add(r.grad, g.detach());
        escaped.push(r.grad);
      }
      const asInput = captureNode.get(node);
      if (asInput && capture) capture.set(asInput, addGrad(capture.get(asInput), g));
      if (node.released || !node.backwardFn) {
        throw new Error(
          `backward: trying to backward through the graph a second time (at '${node.name}'); ` +
            'the saved tensors were freed after the first backward. Pass { retainGraph: true } to the first call if you need to.',
        );
      }
      for (let i = 0; i < node.saved.length; i++) {
        const t = node.saved[i];
        if (t._storage.version !== node.savedVersions[i]) {
          throw new Error(
            `backward: one of the tensors needed for gradient computation has been modified by an in-place operation: ` +
              `the ${t.dtype} tensor of shape ${fmt(t.shape)} saved by '${node.name}' is at version ${t._storage.version}; ` +
              `expected version ${node.savedVersions[i]} instead.`,
          );
        }
      }
      const needs = node.inputs.map((x) => x !== null);
      // Without createGraph nothing but its result outlives a backward closure,
      // so its temporaries (masks, casts, partial products) are freed when it
      // returns instead of waiting for the GC; with createGraph the new graph
      // may have saved them.
      const fn = node.backwardFn;
      let ins: (Tensor | null | undefined)[];
      try {
        ins = opts.createGraph ? fn(g, needs) : tidy(() => fn(g, needs));
      } catch (e) {
        throw explainDisposed(node, e);
      }
      if (!opts.retainGraph) node.release(!opts.createGraph);
      for (let i = 0; i < node.inputs.length; i++) {
        const inp = node.inputs[i];
        let gi = ins[i];
        if (!inp || !gi) continue;
        if (!shapesEqual(gi.shape, inp.shape)) gi = sumTo(gi, inp.shape);
        if (gi.dtype !== inp.dtype) gi = gi.to(inp.dtype);
        if (isAnomalyEnabled()) checkFinite(node, gi, i);
        if (inp.node) pending.set(inp.node, addGrad(pending.get(inp.node), gi));
        else if (inp.leaf) deliverLeaf(inp.leaf, gi);
      }
    }
  });
  // Without createGraph the intermediate gradients die with backward: a scope
  // frees them at its end (no GC finalizers), keeping leaf grads (kept), what
  // escaped to user code, and grad()'s results.
  if (opts.createGraph) body();
  else tidy(() => (body(), [escaped, capture ? [...capture.values()] : []]));

  if (!capture) return [];
  return opts.inputs!.map((t, i) => {
    const g = capture.get(t);
    if (g === undefined && !opts.allowUnused) {
      throw new Error(`grad: input ${i} was not used in the graph of the outputs (pass { allowUnused: true } to get null)`);
    }
    return g ?? null;
  });
}
