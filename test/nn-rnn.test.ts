// Recurrent layers against step-by-step float64 references written here in
// plain JS from PyTorch's equations (gate order i, f, g, o for the LSTM and
// r, z, n for the GRU), gradients against finite differences, the fused LSTM
// kernel against the composite formula, and weights through safetensors with
// PyTorch's names.
import { describe, expect, it } from 'vitest';
import { grad, gradcheck, gradgradcheck, io, manualSeed, nn, noGrad, randn, tensor, zeros, type Tensor } from '../src/index';
import { lstmSequence, lstmSequenceComposite } from '../src/ops/rnn';
import { cpuBinding } from '../src/backend/device';
import { writeView } from '../src/backend/meta';
import { expectClose, rt } from './nn-helpers';

type Mode = 'lstm' | 'gru' | 'tanh' | 'relu';
type Vec = number[];

const sig = (x: number) => 1 / (1 + Math.exp(-x));
/** y = W x + b for W [rows, cols] stored row-major. */
function affine(W: ArrayLike<number>, b: ArrayLike<number> | null, x: Vec, rows: number): Vec {
  const cols = x.length;
  return Array.from({ length: rows }, (_, r) => {
    let s = b ? b[r] : 0;
    for (let k = 0; k < cols; k++) s += W[r * cols + k] * x[k];
    return s;
  });
}

interface CellW {
  wih: Float64Array;
  whh: Float64Array;
  bih: Float64Array | null;
  bhh: Float64Array | null;
}

/** One step of the PyTorch cell equations. */
function cellRef(mode: Mode, w: CellW, x: Vec, h: Vec, c: Vec): { h: Vec; c: Vec } {
  const H = h.length;
  const G = mode === 'lstm' ? 4 : mode === 'gru' ? 3 : 1;
  const gi = affine(w.wih, w.bih, x, G * H);
  const gh = affine(w.whh, w.bhh, h, G * H);
  if (mode === 'lstm') {
    const g = gi.map((v, k) => v + gh[k]);
    const cn = Array.from({ length: H }, (_, j) => sig(g[H + j]) * c[j] + sig(g[j]) * Math.tanh(g[2 * H + j]));
    return { c: cn, h: cn.map((cv, j) => sig(g[3 * H + j]) * Math.tanh(cv)) };
  }
  if (mode === 'gru') {
    const hn = Array.from({ length: H }, (_, j) => {
      const r = sig(gi[j] + gh[j]);
      const z = sig(gi[H + j] + gh[H + j]);
      const n = Math.tanh(gi[2 * H + j] + r * gh[2 * H + j]);
      return (1 - z) * n + z * h[j];
    });
    return { h: hn, c };
  }
  const pre = gi.map((v, k) => v + gh[k]);
  return { h: pre.map((v) => (mode === 'tanh' ? Math.tanh(v) : Math.max(v, 0))), c };
}

/** Parameters of layer l, direction d from a state dict (PyTorch's names). */
function layerW(sd: Record<string, Tensor>, l: number, d: number): CellW {
  const s = `_l${l}${d ? '_reverse' : ''}`;
  const get = (n: string) => (sd[n + s] ? Float64Array.from(sd[n + s].data() as Float64Array) : null);
  return { wih: get('weight_ih')!, whh: get('weight_hh')!, bih: get('bias_ih'), bhh: get('bias_hh') };
}

/**
 * The multi-layer, bidirectional reference: x[t][b] time-major, h0/c0[l*D+d][b].
 * Returns output[t][b] (D*H wide) and the final states.
 */
function stackRef(mode: Mode, sd: Record<string, Tensor>, L: number, D: number, H: number, x: Vec[][], h0?: Vec[][], c0?: Vec[][]) {
  const T = x.length;
  const B = x[0].length;
  let inp = x;
  const hN: Vec[][] = [];
  const cN: Vec[][] = [];
  for (let l = 0; l < L; l++) {
    const out: Vec[][] = Array.from({ length: T }, () => Array.from({ length: B }, () => [] as Vec));
    for (let d = 0; d < D; d++) {
      const w = layerW(sd, l, d);
      const hs: Vec[] = [];
      const cs: Vec[] = [];
      for (let b = 0; b < B; b++) {
        let h = h0 ? h0[l * D + d][b] : new Array(H).fill(0);
        let c = c0 ? c0[l * D + d][b] : new Array(H).fill(0);
        for (let s = 0; s < T; s++) {
          const t = d ? T - 1 - s : s;
          ({ h, c } = cellRef(mode, w, inp[t][b], h, c));
          out[t][b].push(...h);
        }
        hs.push(h);
        cs.push(c);
      }
      hN.push(hs);
      cN.push(cs);
    }
    inp = out;
  }
  return { out: inp, hN, cN };
}

/** Nested array [a][b][c] of a 3-D tensor. */
const nested3 = (t: Tensor) => t.toArray() as number[][][];
const flat = (a: unknown): number[] => (Array.isArray(a) ? a.flatMap(flat) : [a as number]);

const CASES: { mode: Mode; opts: Record<string, unknown>; states: boolean; unbatched?: boolean }[] = [
  { mode: 'lstm', opts: { numLayers: 2, bidirectional: true, batchFirst: true }, states: true },
  { mode: 'lstm', opts: {}, states: false, unbatched: true },
  { mode: 'lstm', opts: { numLayers: 2, bias: false }, states: false },
  { mode: 'gru', opts: { numLayers: 2, bidirectional: true }, states: true },
  { mode: 'gru', opts: { batchFirst: true }, states: false },
  { mode: 'tanh', opts: { numLayers: 2, bidirectional: true }, states: true },
  { mode: 'relu', opts: { batchFirst: true, nonlinearity: 'relu' }, states: false },
];

function makeLayer(mode: Mode, inSize: number, H: number, opts: Record<string, unknown>): nn.Module {
  const o = { ...opts, dtype: 'float64' as const };
  if (mode === 'lstm') return new nn.LSTM(inSize, H, o);
  if (mode === 'gru') return new nn.GRU(inSize, H, o);
  return new nn.RNN(inSize, H, { ...o, nonlinearity: mode });
}

describe('RNN, LSTM, GRU vs step-by-step float64 references', () => {
  for (const [ci, c] of CASES.entries()) {
    it(`${c.mode} ${JSON.stringify(c.opts)}${c.states ? ' with initial states' : ''}${c.unbatched ? ' unbatched' : ''}`, () => {
      manualSeed(10 + ci);
      const [T, B, I, H] = [4, 3, 5, 6];
      const L = (c.opts.numLayers as number) ?? 1;
      const D = c.opts.bidirectional ? 2 : 1;
      const bf = !!c.opts.batchFirst;
      const layer = makeLayer(c.mode, I, H, c.opts);
      const sd = layer.stateDict();
      const xs = rt([T, B, I], 100 + ci); // time-major for the reference
      const xin = c.unbatched ? xs.select(1, 0) : bf ? xs.transpose(0, 1).contiguous() : xs;
      const h0 = c.states ? rt([L * D, B, H], 200 + ci) : null;
      const c0 = c.states ? rt([L * D, B, H], 300 + ci) : null;
      const ref = stackRef(c.mode, sd, L, D, H, nested3(xs).map((r) => (c.unbatched ? [r[0]] : r)), h0 ? nested3(h0) : undefined, c0 ? nested3(c0) : undefined);
      let out: Tensor, hN: Tensor, cN: Tensor | null = null;
      if (c.mode === 'lstm') {
        [out, [hN, cN]] = (layer as nn.LSTM).forward(xin, h0 && c0 ? [h0, c0] : null);
      } else {
        [out, hN] = (layer as nn.GRU).forward(xin, h0);
      }
      const refOut = c.unbatched ? ref.out.map((r) => r[0]) : bf ? Array.from({ length: B }, (_, b) => ref.out.map((r) => r[b])) : ref.out;
      expect(out.shape).toEqual(c.unbatched ? [T, D * H] : bf ? [B, T, D * H] : [T, B, D * H]);
      expectClose(out, flat(refOut), 1e-12, 1e-10);
      const fin = (s: Vec[][]) => (c.unbatched ? s.map((r) => r[0]) : s);
      expect(hN.shape).toEqual(c.unbatched ? [L * D, H] : [L * D, B, H]);
      expectClose(hN, flat(fin(ref.hN)), 1e-12, 1e-10);
      if (cN) expectClose(cN, flat(fin(ref.cN)), 1e-12, 1e-10);
    });
  }

  it('float32 LSTM (SIMD sigmoid/tanh in the fused kernel) is within float32 rounding of the reference', () => {
    manualSeed(3);
    const lstm = new nn.LSTM(7, 33, { numLayers: 2 });
    const x = randn([6, 5, 7]);
    const [out] = lstm.forward(x);
    const sd: Record<string, Tensor> = {};
    for (const [k, v] of Object.entries(lstm.stateDict())) sd[k] = v.double();
    const ref = stackRef('lstm', sd, 2, 1, 33, nested3(x.double()));
    expectClose(out, flat(ref.out), 2e-6, 1e-5);
  });

  it('cells match one step of the reference (batched and unbatched)', () => {
    manualSeed(4);
    const [B, I, H] = [3, 4, 5];
    const x = rt([B, I], 1);
    const h = rt([B, H], 2);
    const c = rt([B, H], 3);
    const cells = { lstm: new nn.LSTMCell(I, H, { dtype: 'float64' }), gru: new nn.GRUCell(I, H, { dtype: 'float64' }), tanh: new nn.RNNCell(I, H, { dtype: 'float64' }), relu: new nn.RNNCell(I, H, { dtype: 'float64', nonlinearity: 'relu' }) };
    for (const [mode, cell] of Object.entries(cells) as [Mode, nn.Module & { weight_ih: Tensor; weight_hh: Tensor; bias_ih: Tensor; bias_hh: Tensor }][]) {
      const w: CellW = { wih: cell.weight_ih.data() as Float64Array, whh: cell.weight_hh.data() as Float64Array, bih: cell.bias_ih.data() as Float64Array, bhh: cell.bias_hh.data() as Float64Array };
      const xa = x.toArray() as Vec[], ha = h.toArray() as Vec[], ca = c.toArray() as Vec[];
      const ref = xa.map((xb, b) => cellRef(mode, w, xb, ha[b], ca[b]));
      if (mode === 'lstm') {
        const [h1, c1] = (cell as unknown as nn.LSTMCell).forward(x, [h, c]);
        expectClose(h1, ref.flatMap((r) => r.h), 1e-12, 1e-10);
        expectClose(c1, ref.flatMap((r) => r.c), 1e-12, 1e-10);
        const [hu] = (cell as unknown as nn.LSTMCell).forward(x.select(0, 1), [h.select(0, 1), c.select(0, 1)]);
        expectClose(hu, ref[1].h, 1e-12, 1e-10);
      } else {
        const h1 = (cell as unknown as nn.GRUCell).forward(x, h);
        expectClose(h1, ref.flatMap((r) => r.h), 1e-12, 1e-10);
        const zeroRef = xa.map((xb) => cellRef(mode, w, xb, new Array(H).fill(0), []));
        expectClose((cell as unknown as nn.GRUCell).forward(x), zeroRef.flatMap((r) => r.h), 1e-12, 1e-10);
      }
    }
  });

  it('parameters have PyTorch names, shapes and U(-1/sqrt(H), 1/sqrt(H)) init', () => {
    manualSeed(5);
    const lstm = new nn.LSTM(10, 64, { numLayers: 2, bidirectional: true });
    const names = [];
    for (const l of [0, 1]) for (const s of ['', '_reverse']) names.push(...['weight_ih', 'weight_hh', 'bias_ih', 'bias_hh'].map((n) => `${n}_l${l}${s}`));
    expect(Object.keys(lstm.stateDict())).toEqual(names);
    expect(lstm.stateDict().weight_ih_l0.shape).toEqual([256, 10]);
    expect(lstm.stateDict().weight_ih_l1_reverse.shape).toEqual([256, 128]);
    expect(lstm.stateDict().weight_hh_l1.shape).toEqual([256, 64]);
    const k = 1 / 8;
    const all = lstm.parameters().flatMap((p) => Array.from(p.data() as Float32Array));
    expect(all.reduce((m, v) => Math.max(m, v), -Infinity)).toBeLessThanOrEqual(k);
    expect(all.reduce((m, v) => Math.min(m, v), Infinity)).toBeGreaterThanOrEqual(-k);
    const std = Math.sqrt(all.reduce((s, v) => s + v * v, 0) / all.length);
    expect(std).toBeGreaterThan(0.9 * k / Math.sqrt(3));
    expect(std).toBeLessThan(1.1 * k / Math.sqrt(3));
    expect(Object.keys(new nn.GRUCell(3, 4).stateDict())).toEqual(['weight_ih', 'weight_hh', 'bias_ih', 'bias_hh']);
    expect(new nn.GRU(3, 4).stateDict().weight_hh_l0.shape).toEqual([12, 4]);
    expect(Object.keys(new nn.RNN(3, 4, { bias: false }).stateDict())).toEqual(['weight_ih_l0', 'weight_hh_l0']);
  });

  it('weights round-trip through safetensors under PyTorch names', () => {
    manualSeed(6);
    const a = new nn.LSTM(4, 5, { numLayers: 2, bidirectional: true, batchFirst: true });
    const bytes = io.saveBuffer(a.stateDict());
    const loaded = io.loadBuffer(bytes);
    expect(Object.keys(loaded).sort()).toEqual(Object.keys(a.stateDict()).sort());
    manualSeed(7);
    const b = new nn.LSTM(4, 5, { numLayers: 2, bidirectional: true, batchFirst: true });
    b.loadStateDict(loaded);
    const x = randn([2, 3, 4]);
    const [ya, [ha, ca]] = a.forward(x);
    const [yb, [hb, cb]] = b.forward(x);
    expectClose(yb, Array.from(ya.data()), 0, 0);
    expectClose(hb, Array.from(ha.data()), 0, 0);
    expectClose(cb, Array.from(ca.data()), 0, 0);
  });

  it('dropout acts between layers only in training', () => {
    manualSeed(8);
    const lstm = new nn.LSTM(3, 4, { numLayers: 2, dropout: 0.5, dtype: 'float64' });
    const x = rt([5, 2, 3], 9);
    lstm.eval();
    const [e1] = lstm.forward(x);
    const ref = stackRef('lstm', lstm.stateDict(), 2, 1, 4, nested3(x));
    expectClose(e1, flat(ref.out), 1e-12, 1e-10);
    lstm.train();
    const [t1] = lstm.forward(x);
    const diff = Math.max(...Array.from(t1.sub(e1).abs().data() as Float64Array));
    expect(diff).toBeGreaterThan(1e-6);
    // One layer: the dropout option has nothing to act on.
    const one = new nn.GRU(3, 4, { dropout: 0.5, dtype: 'float64' });
    const [o1] = one.forward(x);
    const [o2] = one.eval().forward(x);
    expectClose(o1, Array.from(o2.data()), 0, 0);
  });

  it('rejects bad inputs with messages naming the layer and shapes', () => {
    const lstm = new nn.LSTM(3, 4);
    expect(() => lstm.forward(zeros([5, 2, 7]))).toThrow(/LSTM: input \[5,2,7\] must end in inputSize = 3/);
    expect(() => lstm.forward(zeros([5, 2, 3], { dtype: 'float64' }))).toThrow(TypeError);
    expect(() => lstm.forward(zeros([5, 2, 3]), [zeros([1, 3, 4]), zeros([1, 2, 4])])).toThrow(/expected hidden state of shape \[1,2,4\], got \[1,3,4\]/);
    expect(() => new nn.GRU(3, 4, { dropout: 2 })).toThrow(RangeError);
    expect(() => new nn.RNN(3, 4, { nonlinearity: 'sigmoid' as 'tanh' })).toThrow(/nonlinearity/);
    expect(() => new nn.LSTMCell(3, 4).forward(zeros([2, 5]))).toThrow(/LSTMCell: input must be \[batch, 3\]/);
  });
});

describe('gradients through time (float64 finite differences)', () => {
  const modes: Mode[] = ['lstm', 'gru', 'tanh'];
  for (const mode of modes) {
    it(`${mode}: 2 layers, bidirectional, inputs, initial states and every parameter`, () => {
      manualSeed(20);
      const [T, B, I, H] = [3, 2, 2, 2];
      const layer = makeLayer(mode, I, H, { numLayers: 2, bidirectional: true });
      const names = Object.keys(layer.stateDict());
      const params = names.map((n) => layer.stateDict()[n].clone().requiresGrad_());
      const x = rt([T, B, I], 21, { requiresGrad: true });
      const h0 = rt([4, B, H], 22, { requiresGrad: true });
      const c0 = rt([4, B, H], 23, { requiresGrad: true });
      const fields = layer as unknown as Record<string, Tensor>;
      gradcheck(
        (xx, hh, cc, ...ps) => {
          names.forEach((n, i) => (fields[n] = ps[i]));
          if (mode === 'lstm') {
            const [o, [hn, cn]] = (layer as nn.LSTM).forward(xx, [hh, cc]);
            return [o, hn, cn];
          }
          const [o, hn] = (layer as nn.GRU).forward(xx, hh);
          return [o, hn];
        },
        [x, h0, c0, ...params],
        { atol: 1e-6, rtol: 1e-4 },
      );
    });
  }

  it('LSTMCell, GRUCell, RNNCell(relu)', () => {
    manualSeed(24);
    const x = rt([2, 3], 25, { requiresGrad: true });
    const h = rt([2, 2], 26, { requiresGrad: true });
    const c = rt([2, 2], 27, { requiresGrad: true });
    for (const cell of [new nn.LSTMCell(3, 2, { dtype: 'float64' }), new nn.GRUCell(3, 2, { dtype: 'float64' }), new nn.RNNCell(3, 2, { dtype: 'float64', nonlinearity: 'relu' })]) {
      const f = cell as unknown as Record<string, Tensor>;
      const ps = ['weight_ih', 'weight_hh', 'bias_ih', 'bias_hh'].map((n) => f[n].clone().requiresGrad_());
      gradcheck(
        (xx, hh, cc, a, b, d, e) => {
          [f.weight_ih, f.weight_hh, f.bias_ih, f.bias_hh] = [a, b, d, e];
          return cell instanceof nn.LSTMCell ? cell.forward(xx, [hh, cc]) : (cell as nn.GRUCell).forward(xx, hh);
        },
        [x, h, c, ...ps],
        { atol: 1e-6, rtol: 1e-4 },
      );
    }
  });
});

describe('fused LSTM kernel vs the composite formula', () => {
  it('forward and gradients agree (float32/float64, both directions, with and without initial state)', () => {
    manualSeed(30);
    for (const dtype of ['float64', 'float32'] as const) {
      for (const reverse of [false, true]) {
        for (const withState of [false, true]) {
          const [T, B, H] = [5, 3, 7];
          const xp = randn([T, B, 4 * H], { dtype, requiresGrad: true });
          const whh = randn([4 * H, H], { dtype, requiresGrad: true });
          const h0 = withState ? randn([B, H], { dtype, requiresGrad: true }) : null;
          const c0 = withState ? randn([B, H], { dtype, requiresGrad: true }) : null;
          const ins = [xp, whh, ...(h0 && c0 ? [h0, c0] : [])];
          const go = randn([2, T, B, H], { dtype });
          const yf = lstmSequence(xp, whh, h0, c0, reverse);
          const yc = lstmSequenceComposite(xp, whh, h0, c0, reverse);
          const tol = dtype === 'float64' ? 1e-13 : 2e-6;
          expectClose(yf, Array.from(yc.data()), tol, tol);
          const gf = grad(yf, ins, { gradOutputs: [go] });
          const gc = grad(yc, ins, { gradOutputs: [go] });
          gf.forEach((g, i) => expectClose(g!, Array.from(gc[i]!.data()), tol * 10, tol * 10));
          // createGraph routes the backward through the tensor-op formula.
          const gg = grad(lstmSequence(xp, whh, h0, c0, reverse), ins, { gradOutputs: [go], createGraph: true });
          gg.forEach((g, i) => expectClose(g!, Array.from(gc[i]!.data()), tol * 10, tol * 10));
        }
      }
    }
  });

  it('reads a batch-first projection through strides (no copy needed)', () => {
    manualSeed(31);
    const [T, B, H] = [4, 3, 5];
    const bt = randn([B, T, 4 * H], { dtype: 'float64' });
    const whh = randn([4 * H, H], { dtype: 'float64' });
    const y1 = lstmSequence(bt.transpose(0, 1), whh);
    const y2 = lstmSequence(bt.transpose(0, 1).contiguous(), whh);
    expectClose(y1, Array.from(y2.data()), 0, 0);
  });

  it('double backward (gradgradcheck) through the sequence op', () => {
    manualSeed(32);
    const [T, B, H] = [2, 2, 2];
    const xp = rt([T, B, 4 * H], 33, { requiresGrad: true });
    const whh = rt([4 * H, H], 34, { requiresGrad: true });
    const h0 = rt([B, H], 35, { requiresGrad: true });
    const c0 = rt([B, H], 36, { requiresGrad: true });
    gradgradcheck((a, b, c, d) => lstmSequence(a, b, c, d, true), [xp, whh, h0, c0], { atol: 1e-6, rtol: 1e-4 });
  });

  it('the native entry points validate shapes, dtypes, strides and overlap', () => {
    const b = cpuBinding;
    const call = (h: Tensor, c: Tensor, acts: Tensor, xg: Tensor, cp: Tensor) => {
      let p = writeView(b.meta, 0, h);
      for (const t of [c, acts, xg, cp]) p = writeView(b.meta, p, t);
      b.lstmCell(h._storage.handle, c._storage.handle, acts._storage.handle, xg._storage.handle, null, cp._storage.handle);
    };
    const z = (s: number[], dtype: 'float32' | 'float64' = 'float32') => zeros(s, { dtype });
    expect(() => call(z([2, 3]), z([2, 3]), z([2, 12]), z([2, 12]), z([2, 3]))).not.toThrow();
    expect(() => call(z([2, 3]), z([2, 3]), z([2, 12]), z([2, 11]), z([2, 3]))).toThrow(/lstmCell: xg must have shape \[2,12\], got \[2,11\]/);
    expect(() => call(z([2, 3]), z([2, 3]), z([2, 12]), z([2, 12], 'float64'), z([2, 3]))).toThrow(TypeError);
    const wide = z([12, 2]);
    expect(() => call(z([2, 3]), z([2, 3]), z([2, 12]), wide.t(), z([2, 3]))).toThrow(/unit stride/);
    const shared = z([2, 2, 3]);
    expect(() => call(shared.select(0, 0), shared.select(0, 0), z([2, 12]), z([2, 12]), z([2, 3]))).toThrow(/h overlaps c/);
    expect(() => call(shared.select(0, 0), shared.select(0, 1), z([2, 12]), z([2, 12]), shared.select(0, 1))).toThrow(/c overlaps cPrev/);
  });
});

describe('padSequence', () => {
  it('pads to the longest sequence, time- or batch-first, with a value, on either side', () => {
    const a = tensor([[1, 2], [3, 4], [5, 6]]);
    const b = tensor([[7, 8]]);
    expect(nn.padSequence([a, b]).toArray()).toEqual([[[1, 2], [7, 8]], [[3, 4], [0, 0]], [[5, 6], [0, 0]]]);
    expect(nn.padSequence([a, b], { batchFirst: true, paddingValue: -1 }).toArray()).toEqual([
      [[1, 2], [3, 4], [5, 6]],
      [[7, 8], [-1, -1], [-1, -1]],
    ]);
    expect(nn.padSequence([b, a], { batchFirst: true, paddingSide: 'left' }).toArray()[0]).toEqual([[0, 0], [0, 0], [7, 8]]);
    expect(() => nn.padSequence([a, tensor([1, 2])])).toThrow(/trailing dims/);
  });

  it('is differentiable in every sequence', () => {
    const a = rt([3, 2], 40, { requiresGrad: true });
    const b = rt([1, 2], 41, { requiresGrad: true });
    gradcheck((x, y) => nn.padSequence([x, y], { batchFirst: true }).square(), [a, b]);
    noGrad(() => expect(nn.padSequence([a, b]).shape).toEqual([3, 2, 2]));
  });
});
