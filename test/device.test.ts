// Device-parametrised checks: every op on the emulated CUDA device (the same
// kernel sources as the real GPU build, compiled with g++ against
// native/cuda/emu) against the CPU backend on the same random inputs,
// including tile edges, non-contiguous views and gradients.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type * as TF from '../src/index';

process.env.TENSORFORGE_CUDA_EMULATE = '1';
const built = existsSync(join(__dirname, '..', 'build-cuda-emu', 'Release', 'tensorforge_cuda_emu.node'));
let tf: typeof TF;

beforeAll(async () => {
  tf = await import('../src/index');
});

function close(a: TF.Tensor, b: TF.Tensor, tol = 1e-4): void {
  expect(a.device).toBe('cpu');
  expect(b.device).toBe('cuda');
  expect(b.shape).toEqual(a.shape);
  expect(b.dtype).toBe(a.dtype);
  const x = Array.from(a.data() as ArrayLike<number>);
  const y = Array.from(b.cpu().data() as ArrayLike<number>);
  x.forEach((v, i) => {
    if (Number.isNaN(v)) expect(Number.isNaN(y[i])).toBe(true);
    else expect(Math.abs(v - y[i])).toBeLessThanOrEqual(tol * (1 + Math.abs(v)));
  });
}

type Op = [string, (t: typeof TF, a: TF.Tensor, b: TF.Tensor) => TF.Tensor];
const OPS: Op[] = [
  ['add broadcast', (t, a, b) => a.add(b.narrow(0, 0, 1))],
  ['mul transposed', (t, a, b) => a.t().mul(b.t())],
  ['div', (t, a, b) => a.div(b.abs().add(0.5))],
  ['exp/log/tanh/sigmoid/gelu', (t, a) => a.exp().add(1).log().tanh().sigmoid().gelu()],
  ['relu/clamp/maximum', (t, a, b) => a.relu().clamp(-0.5, 0.5).maximum(b)],
  ['comparisons/where', (t, a, b) => t.where(a.gt(b), a, b.neg())],
  ['sum/mean/var dims', (t, a) => a.sum(0).add(a.mean(1).sum()).add(a.var(0))],
  ['amax/argmax', (t, a) => a.amax(1).add(a.argmax(1).float())],
  ['logsumexp/softmax/logSoftmax', (t, a) => a.logsumexp(1).add(a.softmax(0).sum(1)).add(a.logSoftmax(1).sum(1))],
  ['matmul tile edges 37x45x29', (t, a, b) => a.matmul(b.t().narrow(0, 0, 45).narrow(1, 0, 29).add(0))],
  ['strided slice + cat + stack', (t, a, b) => t.cat([a.slice(1, 0, 44, 2), b.slice(1, 1, 45, 2)], 0).add(t.stack([a, b]).sum(0).narrow(1, 0, 22).narrow(0, 0, 1))],
  ['gather/scatterAdd/indexSelect', (t, a) => {
    const idx = t.tensor([[0, 3], [2, 2]], { device: a.device });
    const g = a.narrow(0, 0, 2).gather(1, idx);
    return a.narrow(0, 0, 2).scatterAdd(1, idx, g).indexSelect(0, t.tensor([1, 0, 1], { device: a.device }));
  }],
  ['conv2d + maxPool2d', (t, a, b) => {
    const x = a.reshape(1, 1, 37, 45).narrow(2, 0, 20).narrow(3, 0, 20);
    const w = b.reshape(-1).narrow(0, 0, 36).reshape(4, 1, 3, 3);
    return t.nn.functional.maxPool2d(t.nn.functional.conv2d(x, w, null, { padding: 1, stride: 2 }), 2);
  }],
  ['conv2d with bias (the ones-row GEMM)', (t, a, b) => {
    const x = a.reshape(1, 1, 37, 45).narrow(2, 0, 12).narrow(3, 0, 15).expand(2, 3, 12, 15).contiguous();
    const w = b.reshape(-1).narrow(0, 0, 54).reshape(2, 3, 3, 3);
    return t.nn.functional.conv2d(x, w, b.reshape(-1).narrow(0, 60, 2), { padding: [1, 0] });
  }],
  ['crossEntropy', (t, a) => t.nn.functional.crossEntropy(a, t.tensor(Array.from({ length: 37 }, (_, i) => i % 45), { device: a.device }))],
];

describe.skipIf(!built)('emulated cuda device vs cpu', () => {
  it('reports itself available and emulated', () => {
    expect(tf.cuda.isAvailable()).toBe(true);
    expect(tf.cuda.isEmulated()).toBe(true);
    expect(tf.cuda.deviceCount()).toBeGreaterThan(0);
  });

  for (const [name, op] of OPS) {
    it(`${name}: same values and gradients`, () => {
      tf.manualSeed(3);
      const a = tf.randn([37, 45]);
      const b = tf.randn([37, 45]);
      const ca = a.to('cuda').requiresGrad_();
      const cb = b.to('cuda').requiresGrad_();
      a.requiresGrad_();
      b.requiresGrad_();
      const y = op(tf, a, b);
      const cy = op(tf, ca, cb);
      close(y, cy);
      if (y.requiresGrad) {
        y.sum().backward();
        cy.sum().backward();
        for (const [g, cg] of [[a.grad, ca.grad], [b.grad, cb.grad]] as const) {
          if (g) close(g, cg!, 2e-4);
        }
      }
    });
  }

  it('LSTM (fused cell kernels) gives the same outputs and gradients on both devices', () => {
    tf.manualSeed(1);
    const lstm = new tf.nn.LSTM(5, 7, { batchFirst: true });
    const x = tf.randn([3, 4, 5]).requiresGrad_();
    const [y] = lstm.forward(x) as [TF.Tensor, unknown];
    y.square().sum().backward();
    const gpu = new tf.nn.LSTM(5, 7, { batchFirst: true });
    gpu.loadStateDict(lstm.stateDict());
    gpu.to('cuda');
    const xc = x.detach().to('cuda').requiresGrad_();
    const [yc] = gpu.forward(xc) as [TF.Tensor, unknown];
    yc.square().sum().backward();
    close(y.detach(), yc.detach(), 1e-5);
    close(x.grad!, xc.grad!, 1e-4);
    close(lstm.parameters()[1].grad!, gpu.parameters()[1].grad!, 1e-4);
  });

  it('Sequential Conv2d -> ReLU (fused into the GEMM) gives the same outputs and gradients on both devices', () => {
    tf.manualSeed(2);
    const net = new tf.nn.Sequential(new tf.nn.Conv2d(3, 4, 3, { padding: 1 }), new tf.nn.ReLU(), new tf.nn.MaxPool2d(2));
    const x = tf.randn([2, 3, 8, 9]).requiresGrad_();
    const y = net.forward(x) as TF.Tensor;
    y.square().sum().backward();
    const gpu = new tf.nn.Sequential(new tf.nn.Conv2d(3, 4, 3, { padding: 1 }), new tf.nn.ReLU(), new tf.nn.MaxPool2d(2));
    gpu.loadStateDict(net.stateDict());
    gpu.to('cuda');
    const xc = x.detach().to('cuda').requiresGrad_();
    const yc = gpu.forward(xc) as TF.Tensor;
    yc.square().sum().backward();
    close(y.detach(), yc.detach(), 1e-5);
    close(x.grad!, xc.grad!, 1e-4);
    net.parameters().forEach((p, i) => close(p.grad!, gpu.parameters()[i].grad!, 1e-4));
  });

  it('random draws are identical on both devices for one seed', () => {
    tf.manualSeed(9);
    const x = tf.randn([1000]);
    tf.manualSeed(9);
    const y = tf.randn([1000], { device: 'cuda' });
    close(x, y, 0);
  });

  it('an optimizer step trains the same on both devices', () => {
    const run = (device: 'cpu' | 'cuda'): number[] => {
      tf.manualSeed(5);
      const model = new tf.nn.Sequential(new tf.nn.Linear(8, 16), new tf.nn.ReLU(), new tf.nn.Linear(16, 3)).to(device);
      const opt = new tf.optim.Adam(model.parameters(), { lr: 0.01 });
      tf.manualSeed(6);
      const x = tf.randn([32, 8]).to(device);
      const y = tf.tensor(Array.from({ length: 32 }, (_, i) => i % 3)).to(device);
      let loss = 0;
      for (let i = 0; i < 5; i++) {
        const l = tf.nn.functional.crossEntropy(model.forward(x), y);
        opt.zeroGrad();
        l.backward();
        opt.step();
        loss = l.item() as number;
      }
      return [loss, ...Array.from(model.parameters()[0].cpu().data()).slice(0, 5)];
    };
    const cpu = run('cpu');
    const gpu = run('cuda');
    cpu.forEach((v, i) => expect(gpu[i]).toBeCloseTo(v, 4));
  });

  it('mixing devices in one op is a clear error', () => {
    const a = tf.ones([2]);
    const b = tf.ones([2], { device: 'cuda' });
    expect(() => a.add(b)).toThrow('add: expected all tensors on the same device, got cpu and cuda');
    expect(() => a.matmul(b)).toThrow(/same device/);
  });
});

describe.skipIf(built)('cuda without the addon', () => {
  it('asking for cuda when unavailable names the missing piece', () => {
    expect(tf.cuda.isAvailable()).toBe(false);
    expect(tf.cuda.unavailableReason()).toMatch(/emulator addon is not built/);
    expect(() => tf.zeros([1], { device: 'cuda' })).toThrow(/cuda: device not available/);
  });
});
