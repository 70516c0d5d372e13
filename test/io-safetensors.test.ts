// safetensors: fixtures whose bytes are written here from the format
// specification (not by our writer), the writer's exact layout, round trips,
// optimizer state, and corrupt files.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { io, load, loadBuffer, noGrad, optim, save, saveBuffer, tensor, Tensor } from '../src/index';

const dir = mkdtempSync(join(tmpdir(), 'tf-io-'));
const ascii = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));

/** header length (u64 LE) + header + data, assembled by hand. */
function file(header: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + header.length + data.length);
  let n = header.length;
  for (let i = 0; i < 8; i++) {
    out[i] = n & 0xff;
    n = Math.floor(n / 256);
  }
  out.set(ascii(header), 8);
  out.set(data, 8 + header.length);
  return out;
}

describe('reading fixtures written from the specification', () => {
  it("the reference documentation's example (I32 [2,2], header length 60)", () => {
    const hdr = '{"test":{"dtype":"I32","shape":[2,2],"data_offsets":[0,16]}}';
    expect(hdr.length).toBe(60); // '<' in the documented bytes
    const data = new Uint8Array(16);
    [1, -2, 3, 0x01020304].forEach((v, i) => new DataView(data.buffer).setInt32(4 * i, v, true));
    const t = loadBuffer(file(hdr, data)).test;
    expect(t.dtype).toBe('int32');
    expect(t.shape).toEqual([2, 2]);
    expect(t.toArray()).toEqual([[1, -2], [3, 0x01020304]]);
  });

  it('mixed dtypes, metadata, padding spaces, any key order', () => {
    // Data section: F64 scalar (8) | F32 [2,2] (16) | BOOL [3] (3) | I64 [2] (16), listed out of order in the header.
    let hdr =
      '{"flags":{"dtype":"BOOL","shape":[3],"data_offsets":[24,27]},' +
      '"__metadata__":{"format":"pt","note":"hand made"},' +
      '"w":{"dtype":"F32","shape":[2,2],"data_offsets":[8,24]},' +
      '"count":{"dtype":"I64","shape":[2],"data_offsets":[27,43]},' +
      '"s":{"dtype":"F64","shape":[],"data_offsets":[0,8]}}';
    while (hdr.length % 8) hdr += ' ';
    const data = new Uint8Array(43);
    const dv = new DataView(data.buffer);
    dv.setFloat64(0, Math.PI, true);
    [0.5, -1.25, 3, 1e-3].forEach((v, i) => dv.setFloat32(8 + 4 * i, v, true));
    data.set([1, 0, 1], 24);
    dv.setBigInt64(27, -5n, true);
    dv.setBigInt64(35, 123456n, true);
    const bytes = file(hdr, data);
    const path = join(dir, 'fixture.safetensors');
    writeFileSync(path, bytes);
    const t = load(path);
    expect(Object.keys(t).sort()).toEqual(['count', 'flags', 's', 'w']);
    expect(t.s.dtype).toBe('float64');
    expect(t.s.shape).toEqual([]);
    expect(t.s.item()).toBe(Math.PI);
    expect(t.w.toArray()).toEqual([[0.5, -1.25], [3, Math.fround(1e-3)]]);
    expect(t.flags.toArray()).toEqual([true, false, true]);
    expect(t.count.dtype).toBe('int32');
    expect(t.count.toArray()).toEqual([-5, 123456]);
    expect(io.loadMetadata(path)).toEqual({ format: 'pt', note: 'hand made' });
  });

  it('F16 and BF16 are widened to float32', () => {
    const hdr = '{"h":{"dtype":"F16","shape":[4],"data_offsets":[0,8]},"b":{"dtype":"BF16","shape":[2],"data_offsets":[8,12]}}';
    const data = new Uint8Array(12);
    const dv = new DataView(data.buffer);
    // 1.0 = 0x3c00, -2.5 = 0xc100, 65504 = 0x7bff, smallest subnormal 2^-24 = 0x0001.
    [0x3c00, 0xc100, 0x7bff, 0x0001].forEach((v, i) => dv.setUint16(2 * i, v, true));
    // bfloat16 1.5 = 0x3fc0, -0.15625 = 0xbe20.
    [0x3fc0, 0xbe20].forEach((v, i) => dv.setUint16(8 + 2 * i, v, true));
    const t = loadBuffer(file(hdr, data));
    expect(t.h.toArray()).toEqual([1, -2.5, 65504, 2 ** -24]);
    expect(t.b.toArray()).toEqual([1.5, -0.15625]);
  });
});

describe('writer', () => {
  it('lays the file out as the reference writer does (dtype size desc, then name; 8-byte padded header)', () => {
    const bytes = saveBuffer({
      b: tensor(Float32Array.from([1.5])),
      a: tensor(Int32Array.from([7])),
      c: tensor(Float64Array.from([2]), { shape: [] }),
      m: tensor([true]),
      '10': tensor(Float32Array.from([4])),
    });
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(n % 8).toBe(0);
    const header = new TextDecoder().decode(bytes.subarray(8, 8 + n));
    const expected =
      '{"c":{"dtype":"F64","shape":[],"data_offsets":[0,8]},' +
      '"10":{"dtype":"F32","shape":[1],"data_offsets":[8,12]},' +
      '"b":{"dtype":"F32","shape":[1],"data_offsets":[12,16]},' +
      '"a":{"dtype":"I32","shape":[1],"data_offsets":[16,20]},' +
      '"m":{"dtype":"BOOL","shape":[1],"data_offsets":[20,21]}}';
    expect(header.trimEnd()).toBe(expected);
    expect(header.length - expected.length).toBe((8 - (expected.length % 8)) % 8);
    const dv = new DataView(bytes.buffer, 8 + n);
    expect(dv.getFloat64(0, true)).toBe(2);
    expect(dv.getFloat32(8, true)).toBe(4);
    expect(dv.getFloat32(12, true)).toBe(1.5);
    expect(dv.getInt32(16, true)).toBe(7);
    expect(dv.getUint8(20)).toBe(1);
    expect(bytes.length).toBe(8 + n + 21);
  });

  it('round trips every dtype, views, empty and 0-d tensors, with metadata', () => {
    const base = tensor(Float64Array.from({ length: 12 }, (_, i) => i * 0.1 - 0.3), { shape: [3, 4] });
    const src: Record<string, Tensor> = {
      f64: base,
      f32: base.float().t(), // a non-contiguous view is written in logical order
      i32: tensor([[1, -2147483648], [2147483647, 0]]),
      b: tensor([[true, false, true]]),
      empty: tensor(new Float32Array(0), { shape: [0, 5] }),
      scalar: tensor(Float32Array.from([9]), { shape: [] }),
    };
    const path = join(dir, 'rt.safetensors');
    save(src, path, { epoch: '3' });
    const back = load(path);
    for (const [k, t] of Object.entries(src)) {
      expect(back[k].dtype).toBe(t.dtype);
      expect(back[k].shape).toEqual(t.shape);
      expect(back[k].toArray()).toEqual(t.toArray());
    }
    expect(io.loadMetadata(readFileSync(path))).toEqual({ epoch: '3' });
  });

  it('rejects bad input', () => {
    expect(() => saveBuffer({ x: 3 as unknown as Tensor })).toThrow(TypeError);
    expect(() => saveBuffer({ __metadata__: tensor([1]) })).toThrow(/invalid tensor name/);
    expect(() => saveBuffer({ x: tensor([1]) }, { n: 1 as unknown as string })).toThrow(/must be a string/);
  });
});

describe('corrupt files give clear errors', () => {
  const good = saveBuffer({ w: tensor(Float32Array.from([1, 2, 3, 4]), { shape: [2, 2] }) });
  const hdr = (s: string) => {
    let h = s;
    while (h.length % 8) h += ' ';
    return h;
  };
  const cases: [string, Uint8Array, RegExp][] = [
    ['too short', new Uint8Array(5), /too short/],
    ['truncated data', good.subarray(0, good.length - 3), /run past the end|truncated/],
    ['header length past the end', (() => { const b = good.slice(); b[0] = 0xff; b[1] = 0x7f; return b; })(), /runs past the end/],
    ['huge header length', (() => { const b = good.slice(); b[7] = 0x10; return b; })(), /100 MB/],
    ['bad JSON', file(hdr('{"w":{"dtype":"F32",'), new Uint8Array(0)), /not valid JSON/],
    ['not an object', file(hdr('[1,2]'), new Uint8Array(0)), /JSON object/],
    ['unknown dtype', file(hdr('{"w":{"dtype":"F8_E4M3","shape":[1],"data_offsets":[0,1]}}'), new Uint8Array(1)), /unsupported dtype "F8_E4M3"/],
    ['shape/size mismatch', file(hdr('{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}'), new Uint8Array(8)), /needs 12 bytes/],
    ['offsets out of range', file(hdr('{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}'), new Uint8Array(8)), /run past the end/],
    ['reversed offsets', file(hdr('{"w":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}}'), new Uint8Array(4)), /begin <= end/],
    ['overlap', file(hdr('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}'), new Uint8Array(8)), /overlap/],
    ['gap', file(hdr('{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}'), new Uint8Array(8)), /gap/],
    ['trailing bytes', file(hdr('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}'), new Uint8Array(8)), /data section is 8 bytes but the tensors cover 4/],
    ['negative shape', file(hdr('{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}'), new Uint8Array(4)), /non-negative integers/],
    ['metadata not strings', file(hdr('{"__metadata__":{"a":1}}'), new Uint8Array(0)), /must be a string/],
    ['invalid UTF-8', file('{"\xff"}  ', new Uint8Array(0)), /UTF-8/],
    ['I64 out of int32 range', file(hdr('{"a":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}}'), Uint8Array.from([0, 0, 0, 0, 1, 0, 0, 0])), /does not fit in int32/],
  ];
  for (const [name, bytes, re] of cases) {
    it(name, () => {
      expect(() => loadBuffer(bytes)).toThrow(re);
    });
  }
  it('errors name the file', () => {
    const path = join(dir, 'bad.safetensors');
    writeFileSync(path, good.subarray(0, good.length - 1));
    expect(() => load(path)).toThrow(`safetensors: ${path}:`);
  });
});

describe('optimizer state', () => {
  it('round trips through a file and training continues identically', () => {
    const init = [0.5, -1, 2];
    const mk = () => tensor(Float64Array.from(init), { requiresGrad: true });
    const a = mk();
    const b = mk();
    const optA = new optim.Adam([a], { lr: 0.01, amsgrad: true });
    const feed = (p: Tensor, t: number) => {
      p.grad = tensor(Float64Array.from((p.data() as Float64Array).map((v, i) => v * (i + 1) + Math.sin(t))));
    };
    for (let t = 0; t < 3; t++) {
      feed(a, t);
      optA.step();
    }
    const path = join(dir, 'opt.safetensors');
    io.saveOptimizer(optA, path);
    const names = Object.keys(load(path)).sort();
    expect(names).toEqual(['state.0.exp_avg', 'state.0.exp_avg_sq', 'state.0.max_exp_avg_sq']);
    noGrad(() => b.copyInPlace(a.detach()));
    const optB = new optim.Adam([b], { lr: 0.5 });
    io.loadOptimizer(optB, path);
    expect(optB.paramGroups[0]).toMatchObject({ lr: 0.01, amsgrad: true, betas: [0.9, 0.999] });
    expect(optB.state.get(b)!.step).toBe(3);
    for (let t = 3; t < 6; t++) {
      feed(a, t);
      optA.step();
      feed(b, t);
      optB.step();
    }
    expect(Array.from(b.data() as Float64Array)).toEqual(Array.from(a.data() as Float64Array));
  });
  it('refuses a file that is not optimizer state', () => {
    const path = join(dir, 'plain.safetensors');
    save({ x: tensor([1]) }, path);
    expect(() => io.loadOptimizer(new optim.SGD([tensor(Float32Array.from([1]), { requiresGrad: true })]), path)).toThrow(/does not describe optimizer state/);
  });
});
