/**
 * The IDX file format of MNIST (http://yann.lecun.com/exdb/mnist/): a magic
 * number (two zero bytes, a type code, the number of dimensions), one
 * big-endian u32 per dimension, then the values, big-endian. Files may be
 * gzipped. Every check names the file and what is wrong with it.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

/** The element types IDX defines. */
export type IdxType = 'uint8' | 'int8' | 'int16' | 'int32' | 'float32' | 'float64';

/** A parsed IDX array: shape and row-major values. */
export interface IdxArray {
  type: IdxType;
  shape: number[];
  data: Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;
}

const TYPES: Record<number, { type: IdxType; size: number }> = {
  0x08: { type: 'uint8', size: 1 },
  0x09: { type: 'int8', size: 1 },
  0x0b: { type: 'int16', size: 2 },
  0x0c: { type: 'int32', size: 4 },
  0x0d: { type: 'float32', size: 4 },
  0x0e: { type: 'float64', size: 8 },
};

function fail(name: string, msg: string): never {
  throw new Error(`IDX file ${name}: ${msg}`);
}

/**
 * Parses IDX bytes (gzipped or plain). `name` is used in error messages.
 * @example const { shape, data } = parseIdx(readFileSync('train-labels-idx1-ubyte'));
 */
export function parseIdx(input: Uint8Array, name = 'buffer'): IdxArray {
  if (!(input instanceof Uint8Array)) throw new TypeError('parseIdx: expected a Uint8Array');
  let bytes = input;
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = gunzipSync(bytes);
    } catch (e) {
      fail(name, `looks gzipped but cannot be decompressed (${(e as Error).message}); the download may be truncated`);
    }
  }
  if (bytes.length < 4) fail(name, `is ${bytes.length} bytes long, too short for the 4-byte magic number (truncated?)`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = dv.getUint32(0, false);
  if (bytes[0] !== 0 || bytes[1] !== 0) fail(name, `bad magic number 0x${magic.toString(16).padStart(8, '0')} (an IDX file starts with two zero bytes); not an IDX file`);
  const kind = TYPES[bytes[2]];
  if (!kind) fail(name, `unknown element type code 0x${bytes[2].toString(16).padStart(2, '0')} in magic number 0x${magic.toString(16).padStart(8, '0')}`);
  const nd = bytes[3];
  if (nd === 0) fail(name, 'declares 0 dimensions');
  const headerLen = 4 + 4 * nd;
  if (bytes.length < headerLen) fail(name, `is ${bytes.length} bytes long, too short for the header of ${nd} dimensions (${headerLen} bytes; truncated?)`);
  const shape: number[] = [];
  for (let i = 0; i < nd; i++) shape.push(dv.getUint32(4 + 4 * i, false));
  const count = shape.reduce((a, b) => a * b, 1);
  const need = count * kind.size;
  const have = bytes.length - headerLen;
  if (have < need) fail(name, `is truncated: shape [${shape.join(',')}] of ${kind.type} needs ${need} data bytes, found ${have}`);
  if (have > need) fail(name, `has ${have - need} unexpected bytes after the ${need} data bytes of shape [${shape.join(',')}]`);
  const body = bytes.subarray(headerLen);
  let data: IdxArray['data'];
  switch (kind.type) {
    case 'uint8':
      data = new Uint8Array(body);
      break;
    case 'int8':
      data = new Int8Array(new Uint8Array(body).buffer);
      break;
    default: {
      // Big-endian on disk: read element by element.
      const src = new DataView(body.buffer, body.byteOffset, body.byteLength);
      if (kind.type === 'int16') data = Int16Array.from({ length: count }, (_, i) => src.getInt16(2 * i, false));
      else if (kind.type === 'int32') data = Int32Array.from({ length: count }, (_, i) => src.getInt32(4 * i, false));
      else if (kind.type === 'float32') data = Float32Array.from({ length: count }, (_, i) => src.getFloat32(4 * i, false));
      else data = Float64Array.from({ length: count }, (_, i) => src.getFloat64(8 * i, false));
    }
  }
  return { type: kind.type, shape, data };
}

/**
 * Reads and parses an IDX file (plain or gzipped).
 * @example readIdx('data/t10k-labels-idx1-ubyte.gz').shape // [10000]
 */
export function readIdx(path: string): IdxArray {
  if (typeof path !== 'string' || path === '') throw new TypeError('readIdx: path must be a non-empty string');
  return parseIdx(readFileSync(path), path);
}
