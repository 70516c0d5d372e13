/**
 * The safetensors format (https://github.com/huggingface/safetensors):
 * 8 bytes little-endian u64 header length N, N bytes of JSON header
 * `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {...}}`
 * padded with spaces to 8-byte alignment, then the raw little-endian data
 * (offsets are relative to the data section). Files written here are laid out
 * as the reference writer lays them out (tensors sorted by dtype size, larger
 * first, then by name), so PyTorch / Hugging Face tools read them and
 * vice versa. Reading validates everything before allocating any tensor: a
 * corrupt file is an Error naming the file and the problem, never a crash.
 */
import { readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { endianness } from 'node:os';
import { checkDevice, type Device } from '../backend/device';
import type { DType } from '../dtype';
import { fmt } from '../shape';
import { fromTypedArray, Tensor } from '../tensor';

/** Free-form string metadata stored in the header's `__metadata__`. */
export type Metadata = Record<string, string>;

/** Options for `load` / `loadBuffer`. */
export interface LoadOptions {
  /** Where to put the tensors (default 'cpu'). */
  device?: Device;
}

// The reference writer's order (its Dtype enum): larger alignment first.
const WRITE: Record<DType, { code: string; rank: number }> = {
  float64: { code: 'F64', rank: 3 },
  float32: { code: 'F32', rank: 2 },
  int32: { code: 'I32', rank: 1 },
  bool: { code: 'BOOL', rank: 0 },
};

/** How each readable file dtype is decoded: element size and the dtype it becomes. */
const READ: Record<string, { size: number; dtype: DType }> = {
  F64: { size: 8, dtype: 'float64' },
  F32: { size: 4, dtype: 'float32' },
  I32: { size: 4, dtype: 'int32' },
  BOOL: { size: 1, dtype: 'bool' },
  // Read-only, converted: PyTorch state dicts carry int64 counters
  // (BatchNorm's num_batches_tracked) and half-precision weights are common.
  I64: { size: 8, dtype: 'int32' },
  I16: { size: 2, dtype: 'int32' },
  U16: { size: 2, dtype: 'int32' },
  I8: { size: 1, dtype: 'int32' },
  U8: { size: 1, dtype: 'int32' },
  F16: { size: 2, dtype: 'float32' },
  BF16: { size: 2, dtype: 'float32' },
};

const MAX_HEADER = 100_000_000;
const LITTLE = endianness() === 'LE';

const utf8 = (s: string): Buffer => Buffer.from(s, 'utf8');

function fail(source: string, msg: string): never {
  throw new Error(`safetensors: ${source}: ${msg}`);
}

/** Reverses the bytes of each `size`-byte element (only on big-endian hosts). */
function swapInPlace(b: Uint8Array, size: number): void {
  if (size === 1) return;
  for (let i = 0; i < b.length; i += size) b.subarray(i, i + size).reverse();
}

// --------------------------------------------------------------------- write

/**
 * Serializes tensors (and optional string metadata) to safetensors bytes.
 * @example const bytes = saveBuffer({ w: randn([2, 3]) }, { epoch: '3' });
 */
export function saveBuffer(tensors: Record<string, Tensor>, metadata?: Metadata): Uint8Array {
  if (tensors === null || typeof tensors !== 'object' || Array.isArray(tensors) || tensors instanceof Tensor) {
    throw new TypeError('save: tensors must be an object mapping names to Tensors');
  }
  const entries = Object.entries(tensors);
  for (const [name, t] of entries) {
    if (name === '' || name === '__metadata__') throw new TypeError(`save: invalid tensor name ${JSON.stringify(name)}`);
    if (!(t instanceof Tensor)) throw new TypeError(`save: '${name}' is not a Tensor`);
    if (t.isDisposed) throw new TypeError(`save: '${name}' was disposed`);
  }
  if (metadata !== undefined) {
    if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata)) throw new TypeError('save: metadata must be an object of strings');
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') throw new TypeError(`save: metadata '${k}' must be a string (safetensors metadata is string → string), got ${typeof v}`);
    }
  }
  entries.sort(([an, a], [bn, b]) => WRITE[b.dtype].rank - WRITE[a.dtype].rank || Buffer.compare(utf8(an), utf8(bn)));
  const datas = entries.map(([, t]) => {
    const d = t.data();
    const bytes = new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
    if (!LITTLE) swapInPlace(bytes, d.BYTES_PER_ELEMENT);
    return bytes;
  });
  // Built by hand, not JSON.stringify(object): JS would move integer-like names first.
  const parts: string[] = [];
  if (metadata !== undefined) parts.push(`"__metadata__":${JSON.stringify(metadata)}`);
  let offset = 0;
  entries.forEach(([name, t], i) => {
    const end = offset + datas[i].byteLength;
    parts.push(`${JSON.stringify(name)}:{"dtype":"${WRITE[t.dtype].code}","shape":${JSON.stringify(t.shape)},"data_offsets":[${offset},${end}]}`);
    offset = end;
  });
  let header = utf8(`{${parts.join(',')}}`);
  const pad = (8 - (header.length % 8)) % 8;
  if (pad) header = Buffer.concat([header, Buffer.alloc(pad, 0x20)]);
  const out = new Uint8Array(8 + header.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(header.length), true);
  out.set(header, 8);
  let pos = 8 + header.length;
  for (const d of datas) {
    out.set(d, pos);
    pos += d.byteLength;
  }
  return out;
}

/**
 * Saves tensors to a .safetensors file (written to a temporary file and
 * renamed, so a crash never leaves a half-written file under `path`).
 * @example save(model.stateDict(), 'model.safetensors', { epochs: '5' });
 */
export function save(tensors: Record<string, Tensor>, path: string, metadata?: Metadata): void {
  if (typeof path !== 'string' || path === '') throw new TypeError('save: path must be a non-empty string');
  const bytes = saveBuffer(tensors, metadata);
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, bytes);
    renameSync(tmp, path);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      // nothing to clean up
    }
    throw e;
  }
}

// ---------------------------------------------------------------------- read

interface Entry {
  name: string;
  code: string;
  shape: number[];
  begin: number;
  end: number;
}

const isIndex = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** Validates the header and returns the entries (sorted by offset) and the metadata. */
function parseHeader(bytes: Uint8Array, source: string): { entries: Entry[]; metadata: Metadata; dataStart: number } {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('load: expected the file contents as a Uint8Array');
  if (bytes.length < 8) fail(source, `the file is ${bytes.length} bytes, too short for the 8-byte header length`);
  const n64 = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (n64 > BigInt(MAX_HEADER)) fail(source, `header length ${n64} is larger than the 100 MB limit (not a safetensors file?)`);
  const n = Number(n64);
  if (8 + n > bytes.length) fail(source, `header length ${n} runs past the end of the ${bytes.length}-byte file (truncated?)`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n));
  } catch {
    fail(source, 'the header is not valid UTF-8');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    fail(source, `the header is not valid JSON (${(e as Error).message})`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) fail(source, 'the header must be a JSON object');
  const dataLen = bytes.length - 8 - n;
  const metadata: Metadata = {};
  const entries: Entry[] = [];
  for (const [name, info] of Object.entries(json as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (info === null || typeof info !== 'object' || Array.isArray(info)) fail(source, '__metadata__ must be an object of strings');
      for (const [k, v] of Object.entries(info as object)) {
        if (typeof v !== 'string') fail(source, `__metadata__ value '${k}' must be a string`);
        metadata[k] = v;
      }
      continue;
    }
    const where = `tensor '${name}'`;
    if (info === null || typeof info !== 'object') fail(source, `${where}: entry must be an object with dtype, shape and data_offsets`);
    const { dtype, shape, data_offsets: off } = info as Record<string, unknown>;
    if (typeof dtype !== 'string') fail(source, `${where}: dtype must be a string`);
    const kind = READ[dtype];
    if (!kind) fail(source, `${where}: unsupported dtype ${JSON.stringify(dtype)} (supported: ${Object.keys(READ).join(', ')})`);
    if (!Array.isArray(shape) || !shape.every(isIndex)) fail(source, `${where}: shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
    if (shape.length > 16) fail(source, `${where}: ${shape.length} dimensions (at most 16 are supported)`);
    if (!Array.isArray(off) || off.length !== 2 || !off.every(isIndex) || off[0] > off[1]) {
      fail(source, `${where}: data_offsets must be [begin, end] with 0 <= begin <= end, got ${JSON.stringify(off)}`);
    }
    const [begin, end] = off as number[];
    if (end > dataLen) fail(source, `${where}: data_offsets [${begin},${end}] run past the end of the ${dataLen}-byte data section (truncated?)`);
    const count = shape.reduce((a: number, b: number) => a * b, 1);
    if (count * kind.size !== end - begin) {
      fail(source, `${where}: shape ${fmt(shape)} of ${dtype} needs ${count * kind.size} bytes but data_offsets [${begin},${end}] hold ${end - begin}`);
    }
    entries.push({ name, code: dtype, shape, begin, end });
  }
  // The data section must be covered exactly once, in order (the reference reader's rule).
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let pos = 0;
  for (const e of entries) {
    if (e.begin < pos) fail(source, `tensor '${e.name}': data_offsets [${e.begin},${e.end}] overlap the previous tensor (which ends at ${pos})`);
    if (e.begin > pos) fail(source, `tensor '${e.name}': data_offsets start at ${e.begin}, leaving a gap after byte ${pos}`);
    pos = e.end;
  }
  if (pos !== dataLen) fail(source, `the data section is ${dataLen} bytes but the tensors cover ${pos}`);
  return { entries, metadata, dataStart: 8 + n };
}

function decode(bytes: Uint8Array, code: string): Float32Array | Float64Array | Int32Array | Uint8Array {
  // A copy with its own (aligned) buffer; Buffer#slice would only make a view.
  const copy = new Uint8Array(bytes);
  const size = READ[code].size;
  if (!LITTLE) swapInPlace(copy, size);
  const buf = copy.buffer;
  switch (code) {
    case 'F64':
      return new Float64Array(buf);
    case 'F32':
      return new Float32Array(buf);
    case 'I32':
      return new Int32Array(buf);
    case 'BOOL':
      return copy;
    case 'I64': {
      const src = new BigInt64Array(buf);
      const out = new Int32Array(src.length);
      for (let i = 0; i < src.length; i++) {
        if (src[i] < -2147483648n || src[i] > 2147483647n) throw new RangeError(`I64 value ${src[i]} at index ${i} does not fit in int32`);
        out[i] = Number(src[i]);
      }
      return out;
    }
    case 'I16':
      return Int32Array.from(new Int16Array(buf));
    case 'U16':
      return Int32Array.from(new Uint16Array(buf));
    case 'I8':
      return Int32Array.from(new Int8Array(buf));
    case 'U8':
      return Int32Array.from(copy);
    case 'BF16': {
      // bfloat16 is the top half of a float32.
      const src = new Uint16Array(buf);
      const u = new Uint32Array(src.length);
      for (let i = 0; i < src.length; i++) u[i] = src[i] << 16;
      return new Float32Array(u.buffer);
    }
    default: {
      // F16: sign, 5-bit exponent, 10-bit fraction.
      const src = new Uint16Array(buf);
      const out = new Float32Array(src.length);
      for (let i = 0; i < src.length; i++) {
        const h = src[i];
        const s = h & 0x8000 ? -1 : 1;
        const e = (h >> 10) & 0x1f;
        const f = h & 0x3ff;
        out[i] = e === 0 ? s * f * 2 ** -24 : e === 31 ? (f ? NaN : s * Infinity) : s * (1 + f / 1024) * 2 ** (e - 15);
      }
      return out;
    }
  }
}

/** @internal Parses bytes into tensors and metadata; `source` names the file in errors. */
export function parse(bytes: Uint8Array, options: LoadOptions, source: string): { tensors: Record<string, Tensor>; metadata: Metadata } {
  const device = checkDevice(options?.device ?? 'cpu', 'load');
  const { entries, metadata, dataStart } = parseHeader(bytes, source);
  const tensors: Record<string, Tensor> = {};
  for (const e of entries) {
    let data;
    try {
      data = decode(bytes.subarray(dataStart + e.begin, dataStart + e.end), e.code);
    } catch (err) {
      fail(source, `tensor '${e.name}': ${(err as Error).message}`);
    }
    tensors[e.name] = fromTypedArray(data, e.shape, READ[e.code].dtype, device);
  }
  return { tensors, metadata };
}

function readBytes(path: string, op: string): Uint8Array {
  if (typeof path !== 'string' || path === '') throw new TypeError(`${op}: path must be a non-empty string`);
  return readFileSync(path);
}

/**
 * Reads tensors from safetensors bytes.
 * @example const { w } = loadBuffer(bytes);
 */
export function loadBuffer(bytes: Uint8Array, options: LoadOptions = {}): Record<string, Tensor> {
  return parse(bytes, options, 'buffer').tensors;
}

/**
 * Reads every tensor of a .safetensors file (F32, F64, I32 and BOOL as is;
 * I64/I16/U16/I8/U8 as int32, F16/BF16 as float32).
 * @example model.loadStateDict(load('model.safetensors'));
 */
export function load(path: string, options: LoadOptions = {}): Record<string, Tensor> {
  return parse(readBytes(path, 'load'), options, path).tensors;
}

/**
 * The `__metadata__` of a safetensors file or buffer (the header is fully validated).
 * @example loadMetadata('ckpt.safetensors').epoch
 */
export function loadMetadata(source: string | Uint8Array): Metadata {
  const bytes = typeof source === 'string' ? readBytes(source, 'loadMetadata') : source;
  return parseHeader(bytes, typeof source === 'string' ? source : 'buffer').metadata;
}
