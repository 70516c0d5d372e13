/** PyTorch-like printing: `tensor([[1.0000, 2.5000]], dtype=float64, requiresGrad=true)`. */
import type { Tensor } from './tensor';

const EDGE = 3;
const THRESHOLD = 1000;

function formatNumbers(values: number[], isFloat: boolean): (v: number) => string {
  if (!isFloat) return (v) => String(v);
  const finite = values.filter((v) => Number.isFinite(v));
  const allInt = finite.every((v) => Number.isInteger(v));
  const maxAbs = finite.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  const minAbs = finite.reduce((m, v) => (v !== 0 ? Math.min(m, Math.abs(v)) : m), Infinity);
  const sci = finite.length > 0 && (maxAbs >= 1e8 || (minAbs < 1e-4 && !allInt) || (minAbs !== Infinity && maxAbs / minAbs > 1e3 && !allInt && maxAbs >= 1e3));
  return (v) => {
    if (Number.isNaN(v)) return 'nan';
    if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
    if (sci) return v.toExponential(4).replace(/e([+-])(\d)$/, 'e$10$2');
    if (allInt) return `${v.toFixed(0)}.`;
    return v.toFixed(4);
  };
}

/** Formats a tensor the way PyTorch prints it (summarised above 1000 elements). */
export function formatTensor(t: Tensor): string {
  const data = Array.from(t.data() as ArrayLike<number>);
  const isFloat = t.dtype === 'float32' || t.dtype === 'float64';
  const summarize = data.length > THRESHOLD;
  const shape = t.shape;
  const strides: number[] = [];
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i];
  }
  // Format only the values that will be printed, so the width fits them.
  const shown: number[] = [];
  const visit = (dim: number, off: number): void => {
    if (dim === shape.length) {
      shown.push(data[off]);
      return;
    }
    for (const i of indices(shape[dim], summarize)) if (i >= 0) visit(dim + 1, off + i * strides[dim]);
  };
  visit(0, 0);
  const f = t.dtype === 'bool' ? (v: number) => (v ? 'True' : 'False') : formatNumbers(shown, isFloat);
  const width = shown.reduce((w, v) => Math.max(w, f(v).length), 0);
  const pad = (v: number): string => f(v).padStart(width);
  const indent = 'tensor('.length;
  const build = (dim: number, off: number): string => {
    if (dim === shape.length) return pad(data[off]);
    const parts: string[] = [];
    for (const i of indices(shape[dim], summarize)) parts.push(i < 0 ? '...' : build(dim + 1, off + i * strides[dim]));
    if (dim === shape.length - 1) return `[${parts.join(', ')}]`;
    const sep = ',' + '\n'.repeat(shape.length - dim - 1) + ' '.repeat(indent + dim + 1);
    return `[${parts.join(sep)}]`;
  };
  const body = shape.length === 0 ? f(data[0]) : build(0, 0);
  const extras: string[] = [];
  if (t.numel() === 0 && shape.length > 1) extras.push(`size=[${shape.join(', ')}]`);
  if (t.dtype === 'int32' || t.dtype === 'float64') extras.push(`dtype=${t.dtype}`);
  if (t.device !== 'cpu') extras.push(`device='${t.device}'`);
  if (t.gradFn) extras.push(`gradFn=<${t.gradFn.name}>`);
  else if (t.requiresGrad) extras.push('requiresGrad=true');
  return `tensor(${body}${extras.length ? ', ' + extras.join(', ') : ''})`;
}

function indices(n: number, summarize: boolean): number[] {
  if (!summarize || n <= 2 * EDGE) return Array.from({ length: n }, (_, i) => i);
  return [0, 1, 2, -1, n - 3, n - 2, n - 1];
}
