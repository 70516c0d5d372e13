// Memory without tidy: native memory is reported to V8 and freed by
// finalizers; explicit dispose/tidy/using free it at once.
import v8 from 'node:v8';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import * as tf from '../src/index';
import { tensor, tidy } from '../src/index';
import { UnaryOp } from '../src/backend/opcodes';

v8.setFlagsFromString('--expose_gc');
const gc = vm.runInNewContext('gc') as () => void;

describe('memory', () => {
  it('dispose frees now; use after dispose throws; double dispose is harmless', () => {
    const before = tf.memoryStats().liveBytes;
    const x = tf.zeros([1000]);
    expect(tf.memoryStats().liveBytes - before).toBe(4096); // 4000 B rounded to its size class
    x.dispose();
    x.dispose();
    expect(x.isDisposed).toBe(true);
    expect(tf.memoryStats().liveBytes - before).toBe(0);
    expect(() => x.add(1)).toThrow(/after dispose/);
    expect(() => x.toArray()).toThrow(/after dispose/);
  });

  it('`using` disposes at the end of the block', () => {
    const before = tf.memoryStats().liveBytes;
    let inside = 0;
    {
      using y = tf.ones([256]);
      inside = tf.memoryStats().liveBytes;
      expect(y.shape).toEqual([256]);
    }
    expect(inside - before).toBe(1024);
    expect(tf.memoryStats().liveBytes).toBe(before);
  });

  it('tidy frees temporaries but keeps results, gradients and parameters', () => {
    const w = new tf.nn.Parameter(tf.ones([100]));
    const before = tf.memoryStats().liveBytes;
    const kept = tidy(() => {
      const t = w.mul(2).add(1).exp(); // temporaries
      t.sum().backward();
      return { out: t.mul(0), list: [t.sum()] };
    });
    const growth = tf.memoryStats().liveBytes - before;
    expect(kept.out.toArray()).toHaveLength(100);
    expect(kept.list[0].item()).toBeGreaterThan(0);
    expect(w.grad).not.toBeNull();
    expect(w.grad!.sum().item()).toBeGreaterThan(0);
    // out (400 B -> 448 class) + list[0] (4 B -> 64) + w.grad (448) survive; the rest is freed.
    expect(growth).toBeLessThanOrEqual(448 + 64 + 448);
    expect(() => tidy(async () => 1)).toThrow(/synchronous/);
  });

  it('tidy hands survivors to the GC; a throw frees nothing; a disposed slot reused later still reads as disposed', async () => {
    const settle = async (): Promise<void> => {
      gc();
      await new Promise((r) => setTimeout(r, 20));
      gc();
    };
    await settle();
    const base = tf.memoryStats().liveBytes;
    // Made without a GC owner inside the scope; adopted by the GC when returned.
    let r: tf.Tensor | null = tidy(() => tidy(() => tf.ones([1000]).mul(2)).add(1));
    expect(tf.memoryStats().liveBytes - base).toBe(4096); // the temporaries are gone
    expect(tidy(() => r!.sum().item())).toBe(3000); // (a GC-owned scalar would join an owner group, which outlives it)
    r = null;
    await settle();
    expect(tf.memoryStats().liveBytes).toBe(base);
    // A throw inside tidy: everything made so far stays valid, then the GC frees it.
    let outer: tf.Tensor | null = null;
    expect(() => tidy(() => {
      outer = tf.full([1000], 5);
      throw new Error('boom');
    })).toThrow('boom');
    expect(tidy(() => (outer as unknown as tf.Tensor).sum().item())).toBe(5000);
    outer = null;
    await settle();
    expect(tf.memoryStats().liveBytes).toBe(base);
    // A tensor that escaped a scope without being returned is disposed, and stays so after its slot is reused.
    let escaped: tf.Tensor | null = null;
    tidy(() => {
      escaped = tf.ones([4]);
    });
    const others = Array.from({ length: 100 }, () => tf.zeros([4]));
    expect(() => (escaped as unknown as tf.Tensor).add(1)).toThrow(/after dispose/);
    expect((escaped as unknown as tf.Tensor).isDisposed).toBe(true);
    expect(others[99].sum().item()).toBe(0);
  });

  it('backward frees its temporaries and intermediate gradients when it returns (no GC needed)', () => {
    const x = tf.randn([1000], { requiresGrad: true });
    const y = x.tanh().mul(x).sum();
    const before = tf.memoryStats().liveBytes;
    y.backward();
    // Left: x.grad, x's first gradient contribution (x.grad until the second
    // was added; the GC frees it) and the scalar seed. tanh's backward temporaries
    // (1 - y^2, a product), mul's output grad and x's second contribution,
    // 4 KB each, are already gone.
    expect(tf.memoryStats().liveBytes - before).toBeLessThanOrEqual(2 * 4096 + 64);
    expect(x.grad!.shape).toEqual([1000]);
  });

  it('backward through tensors a tidy() already freed names the op and the fix', () => {
    const x = tf.randn([3], { requiresGrad: true });
    const y = tidy(() => x.mul(x).div(x.add(2)).sum()); // the forward's saved tensors die here
    expect(() => y.backward()).toThrow(/saved by 'div' was disposed before backward read it.*inside the same tidy/);
  });

  it('V8 is told of GC-owned memory only: tidy-scoped storages do not push it towards a GC', () => {
    const MB = 1 << 20;
    // Small temporaries (GC-owned) may be finalized meanwhile: compare within 64 KB.
    const owned = () => Math.round((tf.memoryStats().gcOwnedBytes - e0) / (64 * 1024)) * 64 * 1024;
    gc();
    const e0 = tf.memoryStats().gcOwnedBytes;
    const a = tf.zeros([MB]); // 4 MB the GC must free
    expect(owned()).toBe(4 * MB);
    a.dispose();
    expect(owned()).toBe(0);
    let inside = -1;
    const kept = tidy(() => {
      const t = tf.zeros([MB]).add(1); // two 4 MB storages the scope frees itself
      inside = owned();
      return t;
    });
    expect(inside).toBe(0);
    // The survivor is handed to the GC, and reported, when it leaves the scope.
    expect(owned()).toBe(4 * MB);
    kept.dispose();
    expect(owned()).toBe(0);
  });

  it("conv2d and maxPool2d free their private columns, products and indices without the GC", () => {
    const F = tf.nn.functional;
    const KB = 1024;
    // im2col columns: 72 x (4*18*18) floats = 373 KB; the GEMM product 8 x 1296 = 41 KB.
    const x = tf.randn([4, 8, 20, 20]);
    const w = tf.randn([8, 8, 3, 3], { requiresGrad: true });
    const b = tf.randn([8], { requiresGrad: true });
    gc();
    let before = tf.memoryStats().liveBytes;
    const y0 = tf.noGrad(() => F.conv2d(x, w, b));
    // Without a graph only the output (41.5 KB -> a 48 KB size class) is left.
    expect(tf.memoryStats().liveBytes - before).toBeLessThanOrEqual(48 * KB);
    y0.dispose();

    before = tf.memoryStats().liveBytes;
    const y = F.conv2d(x, w, b);
    const p = F.maxPool2d(y, 2);
    const loss = p.sum();
    const held = tf.memoryStats().liveBytes - before;
    // The columns (and pooling's 10 KB of indices) stay until backward reads them.
    expect(held).toBeGreaterThanOrEqual(373 * KB + 48 * KB);
    loss.backward();
    // Left: y, p, loss, the grads of w and b and the seed; the columns and indices are gone.
    expect(tf.memoryStats().liveBytes - before).toBeLessThan(held - 373 * KB + 8 * KB);
    expect(w.grad!.shape).toEqual([8, 8, 3, 3]);
  });

  it('an ordinary loop with no dispose calls runs in bounded memory (finalizers free tensors)', async () => {
    const w = tf.randn([256, 256], { requiresGrad: true });
    const x = tf.randn([64, 256]);
    const step = (): void => {
      const loss = x.matmul(w).relu().mean();
      loss.backward();
      tf.noGrad(() => w.subInPlace(w.grad!.mul(1e-3)));
      w.grad = null;
    };
    for (let i = 0; i < 50; i++) step();
    gc();
    await new Promise((r) => setTimeout(r, 20));
    gc();
    const base = tf.memoryStats().liveBytes;
    for (let i = 0; i < 500; i++) step();
    gc();
    await new Promise((r) => setTimeout(r, 20));
    gc();
    // Each step allocates ~300 KB; without finalizers 500 steps would hold ~150 MB.
    expect(tf.memoryStats().liveBytes - base).toBeLessThan(4 * 1024 * 1024);
  });

  it('small GC-owned storages share owner groups: freed together, a survivor holds at most its group', async () => {
    const settle = async (): Promise<void> => {
      gc();
      await new Promise((r) => setTimeout(r, 20));
      gc();
    };
    const live = () => tf.memoryStats().liveBytes;
    // Up to 256 bytes a storage joins a group; above, it has a finalizer of its own.
    expect(tf.zeros([64])._storage.group).not.toBeNull();
    expect(tf.zeros([65])._storage.group).toBeNull();
    expect(tidy(() => tf.zeros([4])._storage.group)).toBeNull(); // scope-owned: no GC owner at all
    await settle();
    const base = live();
    // A 16-byte tensor takes a 64-byte block; GROUP_SIZE of them fill a group.
    const group = 64 * 64;
    let keepOne: tf.Tensor | null = tf.full([4], 7);
    for (let i = 0; i < 64 * 4; i++) tf.full([4], i); // four groups of garbage
    await settle();
    // Left: keepOne's group (its dead members too) and the current, partly filled one.
    expect(keepOne.toArray()).toEqual([7, 7, 7, 7]);
    expect(live() - base).toBeGreaterThan(0);
    expect(live() - base).toBeLessThanOrEqual(2 * group);
    keepOne = null;
    for (let i = 0; i < 64; i++) tf.full([4], i); // move on to a new current group
    await settle();
    expect(live() - base).toBeLessThanOrEqual(group);
    // dispose() frees a member at once; the group's finalizer later skips it.
    const d = tf.full([4], 1);
    const before = live();
    d.dispose();
    expect(before - live()).toBe(64);
    for (let i = 0; i < 2 * 64; i++) tf.full([4], i);
    await settle();
    expect(live() - base).toBeLessThanOrEqual(group);
  });

  it('owner groups at the raw addon: ids count up, only the current one is accepted, members go with the group object', async () => {
    const b = tf.zeros([1])._storage.binding;
    gc();
    await new Promise((r) => setTimeout(r, 20));
    gc();
    const o1 = {}, o2 = {};
    const g1 = b.newGroup(o1);
    expect(b.args[7]).toBe(g1); // the addon's slot for its current group
    const g2 = b.newGroup(o2);
    expect(g2).toBe(g1 + 1);
    expect(() => b.alloc(0, 4, g1)).toThrow(/alloc: owner group \d+ is not this addon's current group/);
    expect(() => b.newGroup(5 as unknown as object)).toThrow(/newGroup: the group's owner must be an object/);
    const l0 = tf.memoryStats().liveBytes;
    expect(() => b.alloc(0, 4, 1e9)).toThrow(TypeError);
    expect(tf.memoryStats().liveBytes).toBe(l0); // the refused allocation was freed again
    const hs = (() => {
      const g = b.newGroup({});
      const h = [b.alloc(0, 4, g), b.alloc(0, 8, g), b.fromTyped(new Float32Array([1, 2]), 0, g)];
      // unary/binary take the group id in args[5] (neg into a new output).
      b.meta.set([1, 0, 2, 1, 1, 0, 2, 1]);
      b.args.set([UnaryOp.neg, -1, h[2], 0, 0, g]);
      h.push(b.unary()!);
      b.meta.set([1, 0, 2, 1]);
      expect(Array.from(b.toTyped(h[3]) as Float32Array)).toEqual([-1, -2]);
      return h;
    })();
    b.dispose(hs[1]);
    expect(hs.map((h) => b.isDisposed(h))).toEqual([false, true, false, false]);
    b.newGroup(o2); // the group object above is now unreachable
    gc();
    await new Promise((r) => setTimeout(r, 20));
    gc();
    expect(hs.map((h) => b.isDisposed(h))).toEqual([true, true, true, true]);
    expect(tf.memoryStats().liveBytes).toBe(l0);
  });

  it('the caching allocator reuses freed blocks and emptyCache returns them', () => {
    tf.emptyCache();
    const s0 = tf.memoryStats();
    expect(s0.cachedBytes).toBe(0);
    const x = tf.zeros([1 << 20]);
    x.dispose();
    const s1 = tf.memoryStats();
    expect(s1.cachedBytes).toBe(4 << 20);
    const y = tf.ones([1 << 20]); // same size class: served from the cache
    expect(tf.memoryStats().cachedBytes).toBe(0);
    expect(y.sum().item()).toBe(1 << 20);
    y.dispose();
    tf.emptyCache();
    expect(tf.memoryStats().cachedBytes).toBe(0);
    expect(tf.memoryStats().peakBytes).toBeGreaterThanOrEqual(4 << 20);
  });

  it('rounds blocks up to size classes and serves a request only from its own class', () => {
    // The documented rule, written independently: 64 bytes, then the smallest
    // of p + p/4, p + p/2, p + 3p/4, 2p (p a power of two) that fits, rounded up to 64.
    const classOf = (n: number): number => {
      if (n <= 64) return 64;
      let p = 64;
      while (p * 2 < n) p *= 2;
      for (let q = p + p / 4; ; q += p / 4) if (q >= n) return Math.ceil(q / 64) * 64;
    };
    tf.emptyCache();
    const sizes = [1, 16, 17, 20, 33, 48, 65, 100, 129, 1000, 4097, 12345, 262145, 1 << 20];
    for (const n of sizes) {
      const live = tf.memoryStats().liveBytes;
      const x = tf.zeros([n]);
      expect(tf.memoryStats().liveBytes - live, `${n} floats`).toBe(classOf(4 * n));
      x.dispose();
    }
    // One freed block is cached per distinct class (a later request of the same
    // class reused the earlier block); a request of another class must not take one.
    const cached = tf.memoryStats().cachedBytes;
    expect(cached).toBe([...new Set(sizes.map((n) => classOf(4 * n)))].reduce((s, c) => s + c, 0));
    const y = tf.zeros([3 << 18]); // 3 MiB: a class none of the sizes above has
    expect(tf.memoryStats().cachedBytes).toBe(cached);
    const z = tf.zeros([12300]); // 49200 bytes: the same class as 12345 floats (57344)
    expect(classOf(4 * 12300)).toBe(classOf(4 * 12345));
    expect(tf.memoryStats().cachedBytes).toBe(cached - classOf(4 * 12345));
    expect(z.sum().item()).toBe(0);
    y.dispose();
    z.dispose();
    tf.emptyCache();
  });

  it('dataAsync copies off the event loop; dispose during the read is safe', async () => {
    const x = tf.arange(1 << 20).float();
    const view = x.reshape(1024, 1024).t(); // non-contiguous: gathered on the worker
    const [a, b] = await Promise.all([x.dataAsync(), view.dataAsync()]);
    expect(a[12345]).toBe(12345);
    expect(b[1]).toBe(1024); // element [0,1] of the transpose
    const before = tf.memoryStats().liveBytes;
    const p = x.dataAsync();
    x.dispose(); // the read still completes; memory is released after it
    expect((await p)[7]).toBe(7);
    expect(tf.memoryStats().liveBytes).toBeLessThan(before);
    await expect(x.dataAsync()).rejects.toThrow(/after dispose/);
  });

  it('a tensor larger than memory is a RangeError naming the size', () => {
    expect(() => tf.empty([2 ** 21, 2 ** 21], { dtype: 'float64' })).toThrow('out of memory allocating 35184372088832 bytes');
    expect(() => tf.empty([2 ** 22, 2 ** 22])).toThrow(/more than the 2\^43-element limit/);
    expect(() => tensor([1]).expand(2 ** 40, 2 ** 8).contiguous()).toThrow(RangeError);
  });
});
