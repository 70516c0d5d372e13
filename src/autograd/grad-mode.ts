/**
 * Grad mode: whether ops record the graph. Scopes are tracked with
 * AsyncLocalStorage so that `noGrad(async () => ...)` covers the awaited
 * continuations of its callback and nothing else running meanwhile.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

const scope = new AsyncLocalStorage<boolean>();

/** True when ops record the autograd graph (the default). */
export function isGradEnabled(): boolean {
  const s = scope.getStore();
  return s === undefined ? true : s;
}

/**
 * Runs `fn` with gradient recording off, like `torch.no_grad()`. Works with
 * sync and async callbacks; returns what `fn` returns.
 * @example
 * noGrad(() => w.subInPlace(w.grad!.mul(0.1)));
 */
export function noGrad<T>(fn: () => T): T {
  return scope.run(false, fn);
}

/** Runs `fn` with gradient recording on, even inside `noGrad` (like `torch.enable_grad()`). */
export function enableGrad<T>(fn: () => T): T {
  return scope.run(true, fn);
}

/** Runs `fn` with recording set to `mode` (like `torch.set_grad_enabled(mode)` as a scope). */
export function setGradEnabled<T>(mode: boolean, fn: () => T): T {
  return scope.run(mode, fn);
}

let anomaly = false;

/** True inside `detectAnomaly`. */
export function isAnomalyEnabled(): boolean {
  return anomaly;
}

/**
 * Runs `fn` with anomaly detection: every backward result is checked and the
 * first op whose backward produces NaN or Inf throws an error naming it.
 * @example
 * detectAnomaly(() => loss.backward());
 */
export function detectAnomaly<T>(fn: () => T): T {
  const prev = anomaly;
  anomaly = true;
  try {
    const r = fn();
    if (r instanceof Promise) {
      return r.finally(() => {
        anomaly = prev;
      }) as T;
    }
    anomaly = prev;
    return r;
  } catch (e) {
    anomaly = prev;
    throw e;
  }
}
