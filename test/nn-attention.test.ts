// Attention layers against float64 references written here in plain JS from
// PyTorch's definitions (scores = q k^T / sqrt(d), masks, softmax, heads,
// in/out projections, residual + LayerNorm blocks), plus finite-difference
// gradients.
import { describe, expect, it } from 'vitest';
import { gradcheck, manualSeed, nn, tensor, type Tensor } from '../src/index';
import { expectClose, rt } from './nn-helpers';

const F = nn.functional;
type M = number[][];

const arr = (t: Tensor) => Array.from(t.data() as Float64Array);
const flat = (a: unknown): number[] => (Array.isArray(a) ? a.flatMap(flat) : [a as number]);

/** softmax(q k^T * scale + add) v for one head; q [L][E], k [S][E], v [S][Ev]; add[i][j] may be -Infinity. */
function attnRef(q: M, k: M, v: M, add: M | null, scale: number): { out: M; w: M } {
  const w = q.map((qi, i) => {
    const s = k.map((kj, j) => qi.reduce((acc, x, e) => acc + x * kj[e], 0) * scale + (add ? add[i][j] : 0));
    const m = Math.max(...s);
    const ex = s.map((x) => Math.exp(x - m));
    const z = ex.reduce((a, b) => a + b, 0);
    return ex.map((x) => x / z);
  });
  return { w, out: w.map((wi) => v[0].map((_, e) => wi.reduce((acc, a, j) => acc + a * v[j][e], 0))) };
}

/** Rows of x [n][in] times W^T [out][in] plus b. */
const lin = (x: M, W: M, b: number[] | null): M => x.map((r) => W.map((w, o) => w.reduce((s, wk, kk) => s + wk * r[kk], b ? b[o] : 0)));

describe('scaledDotProductAttention', () => {
  it('matches the reference with bool, float and causal masks and a custom scale', () => {
    manualSeed(1);
    const [B, nH, L, S, E] = [2, 3, 4, 5, 6];
    const q = rt([B, nH, L, E], 1);
    const k = rt([B, nH, S, E], 2);
    const v = rt([B, nH, S, 3], 3);
    const boolMask = tensor([[true, false, true, true, false], [true, true, true, true, true], [false, false, true, false, false], [true, true, false, true, true]]);
    const floatMask = rt([L, S], 4);
    const causal = Array.from({ length: L }, (_, i) => Array.from({ length: S }, (_, j) => (j <= i ? 0 : -Infinity)));
    const qa = q.toArray() as M[][], ka = k.toArray() as M[][], va = v.toArray() as M[][];
    const cases: [Parameters<typeof F.scaledDotProductAttention>[3], M | null, number][] = [
      [{}, null, 1 / Math.sqrt(E)],
      [{ attnMask: boolMask }, (boolMask.toArray() as boolean[][]).map((r) => r.map((b) => (b ? 0 : -Infinity))), 1 / Math.sqrt(E)],
      [{ attnMask: floatMask, scale: 0.3 }, floatMask.toArray() as M, 0.3],
      [{ isCausal: true }, causal, 1 / Math.sqrt(E)],
    ];
    for (const [opts, add, scale] of cases) {
      const out = F.scaledDotProductAttention(q, k, v, opts);
      expect(out.shape).toEqual([B, nH, L, 3]);
      const ref = qa.map((qb, b) => qb.map((qh, h) => attnRef(qh, ka[b][h], va[b][h], add, scale).out));
      expectClose(out, flat(ref), 1e-12, 1e-10);
    }
    expect(() => F.scaledDotProductAttention(q, k, v, { attnMask: boolMask, isCausal: true })).toThrow(/either attnMask or isCausal/);
    expect(() => F.scaledDotProductAttention(q, k, v, { attnMask: rt([3, 3], 5) })).toThrow(/does not broadcast/);
  });

  it('gradients in q, k, v and a float mask', () => {
    manualSeed(2);
    const q = rt([2, 3, 2], 6, { requiresGrad: true });
    const k = rt([2, 4, 2], 7, { requiresGrad: true });
    const v = rt([2, 4, 2], 8, { requiresGrad: true });
    const m = rt([3, 4], 9, { requiresGrad: true });
    gradcheck((a, b, c, d) => F.scaledDotProductAttention(a, b, c, { attnMask: d }), [q, k, v, m]);
  });

  it('causal mask helpers', () => {
    expect(nn.causalMask(3).toArray()).toEqual([[true, false, false], [true, true, false], [true, true, true]]);
    expect(nn.causalMask(2, 3).toArray()).toEqual([[true, false, false], [true, true, false]]);
    expect(nn.generateSquareSubsequentMask(3).toArray()).toEqual([[0, -Infinity, -Infinity], [0, 0, -Infinity], [0, 0, 0]]);
  });
});

/** PyTorch's MultiheadAttention for one batch element (batch-first rows), from the module's state dict. */
function mhaRef(mha: nn.MultiheadAttention, q: M, k: M, v: M, add: (h: number) => M | null): { out: M; w: M } {
  const E = mha.embedDim;
  const nH = mha.numHeads;
  const hd = E / nH;
  const sd = mha.stateDict();
  const W = sd.in_proj_weight.toArray() as M;
  const b = arr(sd.in_proj_bias);
  const [qp, kp, vp] = [q, k, v].map((x, i) => lin(x, W.slice(i * E, (i + 1) * E), b.slice(i * E, (i + 1) * E)));
  const heads = Array.from({ length: nH }, (_, h) => {
    const cut = (x: M) => x.map((r) => r.slice(h * hd, (h + 1) * hd));
    return attnRef(cut(qp), cut(kp), cut(vp), add(h), 1 / Math.sqrt(hd));
  });
  const merged = q.map((_, i) => heads.flatMap((hh) => hh.out[i]));
  const out = lin(merged, sd['out_proj.weight'].toArray() as M, arr(sd['out_proj.bias']));
  const w = heads[0].w.map((row, i) => row.map((_, j) => heads.reduce((s, hh) => s + hh.w[i][j], 0) / nH));
  return { out, w };
}

describe('MultiheadAttention', () => {
  it('self-attention, batch-first, key padding + bool attention mask, averaged weights', () => {
    manualSeed(3);
    const [B, T, E, nH] = [2, 4, 6, 3];
    const mha = new nn.MultiheadAttention(E, nH, { batchFirst: true, dtype: 'float64' });
    // Biases are zero at init; give them values so the test sees them.
    const sd = mha.stateDict();
    sd.in_proj_bias.copyInPlace(rt([3 * E], 10));
    sd['out_proj.bias'].copyInPlace(rt([E], 11));
    const x = rt([B, T, E], 12);
    const pad = tensor([[false, false, false, true], [false, true, false, false]]);
    const attnMask = tensor([[false, true, false, false], [false, false, false, false], [false, false, false, true], [true, false, false, false]]);
    const [out, w] = mha.forward(x, x, x, { keyPaddingMask: pad, attnMask });
    expect(out.shape).toEqual([B, T, E]);
    expect(w!.shape).toEqual([B, T, T]);
    const xa = x.toArray() as M[];
    const pa = pad.toArray() as boolean[][];
    const ma = attnMask.toArray() as boolean[][];
    const refs = xa.map((xb, b) => mhaRef(mha, xb, xb, xb, () => ma.map((r) => r.map((blocked, j) => (blocked || pa[b][j] ? -Infinity : 0)))));
    expectClose(out, flat(refs.map((r) => r.out)), 1e-12, 1e-10);
    expectClose(w!, flat(refs.map((r) => r.w)), 1e-12, 1e-10);
    // Per-head weights on request; none with needWeights false.
    expect(mha.forward(x, x, x, { averageAttnWeights: false })[1]!.shape).toEqual([B, nH, T, T]);
    expect(mha.forward(x, x, x, { needWeights: false })[1]).toBeNull();
  });

  it('cross-attention, time-major, per-head float mask [B*heads, L, S], and the unbatched form', () => {
    manualSeed(4);
    const [B, L, S, E, nH] = [2, 3, 5, 4, 2];
    const mha = new nn.MultiheadAttention(E, nH, { dtype: 'float64' });
    mha.stateDict().in_proj_bias.copyInPlace(rt([3 * E], 13));
    const q = rt([L, B, E], 14);
    const k = rt([S, B, E], 15);
    const v = rt([S, B, E], 16);
    const fm = rt([B * nH, L, S], 17);
    const [out, w] = mha.forward(q, k, v, { attnMask: fm });
    expect(out.shape).toEqual([L, B, E]);
    const bf = (t: Tensor) => t.transpose(0, 1).toArray() as M[];
    const [qa, ka, va] = [bf(q), bf(k), bf(v)];
    const fma = fm.toArray() as M[];
    const refs = qa.map((qb, b) => mhaRef(mha, qb, ka[b], va[b], (h) => fma[b * nH + h]));
    expectClose(out.transpose(0, 1).contiguous(), flat(refs.map((r) => r.out)), 1e-12, 1e-10);
    expectClose(w!, flat(refs.map((r) => r.w)), 1e-12, 1e-10);
    const [u] = mha.forward(q.select(1, 1), k.select(1, 1), v.select(1, 1));
    const ru = mhaRef(mha, qa[1], ka[1], va[1], () => null);
    expectClose(u, flat(ru.out), 1e-12, 1e-10);
  });

  it('has PyTorch names and init, checks its arguments, and is differentiable', () => {
    manualSeed(5);
    const mha = new nn.MultiheadAttention(4, 2, { dtype: 'float64' });
    expect(Object.keys(mha.stateDict())).toEqual(['in_proj_weight', 'in_proj_bias', 'out_proj.weight', 'out_proj.bias']);
    expect(arr(mha.in_proj_bias!).every((v) => v === 0)).toBe(true);
    const bound = Math.sqrt(6 / (4 + 12)); // xavier-uniform on [12, 4]
    expect(arr(mha.in_proj_weight).every((v) => Math.abs(v) <= bound)).toBe(true);
    expect(() => new nn.MultiheadAttention(5, 2)).toThrow(/divisible/);
    const x = rt([3, 1, 4], 18, { requiresGrad: true });
    expect(() => mha.forward(x, x, x, { keyPaddingMask: tensor([[false, true]]) })).toThrow(/keyPaddingMask must have shape \[1,3\]/);
    const f = mha as unknown as Record<string, Tensor>;
    const w = mha.in_proj_weight.clone().requiresGrad_();
    gradcheck(
      (xx, ww) => {
        f.in_proj_weight = ww;
        return mha.forward(xx, xx, xx, { isCausal: true })[0];
      },
      [x, w],
    );
  });
});

describe('TransformerEncoderLayer', () => {
  const ln = (x: M, g: number[], b: number[]) =>
    x.map((r) => {
      const mu = r.reduce((a, c) => a + c, 0) / r.length;
      const va = r.reduce((a, c) => a + (c - mu) ** 2, 0) / r.length;
      return r.map((c, i) => ((c - mu) / Math.sqrt(va + 1e-5)) * g[i] + b[i]);
    });
  const erf = (x: number) => {
    // The Maclaurin series: exact to float64 for the small |x| seen here.
    let s = 0;
    let term = x;
    for (let n = 0; n < 60; n++) {
      s += term / (2 * n + 1);
      term *= (-x * x) / (n + 1);
    }
    return (2 / Math.sqrt(Math.PI)) * s;
  };
  const addM = (a: M, b: M) => a.map((r, i) => r.map((v, j) => v + b[i][j]));

  for (const normFirst of [false, true]) {
    for (const activation of ['relu', 'gelu'] as const) {
      it(`${normFirst ? 'pre' : 'post'}-norm, ${activation}, batch-first, with a key padding mask (eval mode)`, () => {
        manualSeed(6);
        const [B, T, d, nH, ff] = [2, 3, 4, 2, 8];
        const layer = new nn.TransformerEncoderLayer(d, nH, { dimFeedforward: ff, activation, normFirst, batchFirst: true, dtype: 'float64' }).eval();
        const sd = layer.stateDict();
        expect(Object.keys(sd)).toEqual([
          'self_attn.in_proj_weight', 'self_attn.in_proj_bias', 'self_attn.out_proj.weight', 'self_attn.out_proj.bias',
          'linear1.weight', 'linear1.bias', 'linear2.weight', 'linear2.bias', 'norm1.weight', 'norm1.bias', 'norm2.weight', 'norm2.bias',
        ]);
        sd['norm1.weight'].copyInPlace(rt([d], 20, { lo: 0.5, hi: 1.5 }));
        sd['norm2.bias'].copyInPlace(rt([d], 21));
        const x = rt([B, T, d], 22);
        const pad = tensor([[false, false, true], [false, false, false]]);
        const y = layer.forward(x, { srcKeyPaddingMask: pad });
        const P = (n: string) => sd[n].toArray() as M;
        const V = (n: string) => arr(sd[n]);
        const act = (v: number) => (activation === 'relu' ? Math.max(v, 0) : 0.5 * v * (1 + erf(v / Math.SQRT2)));
        const pa = pad.toArray() as boolean[][];
        const ref = (x.toArray() as M[]).map((xb, b) => {
          const sa = (h: M) => mhaRef(layer.self_attn, h, h, h, () => h.map(() => pa[b].map((p) => (p ? -Infinity : 0)))).out;
          const ffn = (h: M) => lin(lin(h, P('linear1.weight'), V('linear1.bias')).map((r) => r.map(act)), P('linear2.weight'), V('linear2.bias'));
          const n1 = (h: M) => ln(h, V('norm1.weight'), V('norm1.bias'));
          const n2 = (h: M) => ln(h, V('norm2.weight'), V('norm2.bias'));
          if (normFirst) {
            const h = addM(xb, sa(n1(xb)));
            return addM(h, ffn(n2(h)));
          }
          const h = n1(addM(xb, sa(xb)));
          return n2(addM(h, ffn(h)));
        });
        expectClose(y, flat(ref), 1e-10, 1e-8);
      });
    }
  }

  it('dropout is active in training only', () => {
    manualSeed(7);
    const layer = new nn.TransformerEncoderLayer(4, 2, { dimFeedforward: 8, dropout: 0.5, dtype: 'float64' });
    const x = rt([3, 2, 4], 23);
    const a = layer.forward(x);
    const b = layer.eval().forward(x);
    const c = layer.forward(x);
    expectClose(c, arr(b), 0, 0);
    expect(arr(a.sub(b).abs()).some((v) => v > 1e-6)).toBe(true);
  });
});
