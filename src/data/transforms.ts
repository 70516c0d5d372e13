/**
 * Image transforms for data augmentation (torchvision.transforms style).
 * Each takes one image [H,W] or [C,H,W], or a batch [N,C,H,W], and draws
 * independent random parameters per image of a batch (the channels of one
 * image move together), so a DataLoader can apply them once per batch.
 * The geometric ones resample on the host: they are a few arithmetic
 * operations per pixel, far below the cost of the model they feed.
 */
import { rand } from '../ops/creation';
import { defaultGenerator, type Generator } from '../ops/random';
import { fmt } from '../shape';
import { fromTypedArray, Tensor } from '../tensor';
import type { Transform } from './dataset';

type Pixels = Float32Array | Float64Array | Int32Array;

/** Splits x into images: count, planes (channels) per image, height, width. */
function layout(x: Tensor, op: string): { n: number; c: number; h: number; w: number } {
  if (!(x instanceof Tensor)) throw new TypeError(`${op}: input must be a Tensor`);
  if (x.ndim < 2 || x.ndim > 4) throw new RangeError(`${op}: expected an image [H,W], [C,H,W] or a batch [N,C,H,W], got ${fmt(x.shape)}`);
  if (x.dtype === 'bool') throw new TypeError(`${op}: bool images are not supported`);
  const [h, w] = x.shape.slice(-2);
  const n = x.ndim === 4 ? x.shape[0] : 1;
  return { n, c: x.numel() / Math.max(1, n * h * w), h, w };
}

/** Uniform numbers in [0, 1) from a seeded generator, `k` per image. */
function uniforms(n: number, k: number, gen: Generator): Float64Array {
  return rand([n * k], { dtype: 'float64', generator: gen }).data() as Float64Array;
}

function rebuild(x: Tensor, data: Pixels, shape: number[]): Tensor {
  return fromTypedArray(data, shape, x.dtype, x.device);
}

/**
 * Applies transforms left to right.
 * @example const aug = compose(randomCrop(28, { padding: 2 }), normalize(0.1307, 0.3081));
 */
export function compose(...transforms: Transform[]): Transform {
  transforms.forEach((t, i) => {
    if (typeof t !== 'function') throw new TypeError(`compose: argument ${i} is not a function`);
  });
  return (x) => transforms.reduce((acc, t) => t(acc), x);
}

/**
 * (x - mean) / std per channel (dim -3), or over the whole image for scalars.
 * @example normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
 */
export function normalize(mean: number | readonly number[], std: number | readonly number[]): Transform {
  const m = typeof mean === 'number' ? [mean] : Array.from(mean);
  const s = typeof std === 'number' ? [std] : Array.from(std);
  if (m.length !== s.length || m.length === 0) throw new RangeError(`normalize: mean and std must have the same (non-zero) length, got ${m.length} and ${s.length}`);
  if (m.some((v) => !Number.isFinite(v)) || s.some((v) => !(v > 0) || !Number.isFinite(v))) throw new RangeError('normalize: mean must be finite and std positive');
  return (x) => {
    layout(x, 'normalize');
    if (m.length === 1) return x.sub(m[0]).div(s[0]);
    const c = x.shape[x.ndim - 3];
    if (x.ndim < 3 || c !== m.length) throw new RangeError(`normalize: ${m.length} channel statistics for an image of shape ${fmt(x.shape)}`);
    const dt = x.dtype === 'float64' ? 'float64' : 'float32';
    const mt = fromTypedArray(dt === 'float64' ? Float64Array.from(m) : Float32Array.from(m), [c, 1, 1], dt, x.device);
    const st = fromTypedArray(dt === 'float64' ? Float64Array.from(s) : Float32Array.from(s), [c, 1, 1], dt, x.device);
    return x.sub(mt).div(st);
  };
}

function pair(v: number | readonly [number, number], op: string, what: string): [number, number] {
  const p: [number, number] = typeof v === 'number' ? [v, v] : [v[0], v[1]];
  if (!p.every((x) => Number.isInteger(x) && x > 0)) throw new RangeError(`${op}: ${what} must be a positive integer or a pair of them, got ${JSON.stringify(v)}`);
  return p;
}

/**
 * Pads each side by `padding` (with `fill`), then crops a random size[0]×size[1] window.
 * @example randomCrop(32, { padding: 4 }) // the CIFAR augmentation
 */
export function randomCrop(
  size: number | readonly [number, number],
  options: { padding?: number; fill?: number; generator?: Generator } = {},
): Transform {
  const [ch, cw] = pair(size, 'randomCrop', 'size');
  const pad = options.padding ?? 0;
  if (!Number.isInteger(pad) || pad < 0) throw new RangeError(`randomCrop: padding must be a non-negative integer, got ${pad}`);
  const fill = options.fill ?? 0;
  const gen = options.generator ?? defaultGenerator;
  return (x) => {
    const { n, c, h, w } = layout(x, 'randomCrop');
    if (ch > h + 2 * pad || cw > w + 2 * pad) throw new RangeError(`randomCrop: crop ${ch}x${cw} is larger than the padded image ${h + 2 * pad}x${w + 2 * pad}`);
    const u = uniforms(n, 2, gen);
    const src = x.data() as Pixels;
    const out = new (src.constructor as new (n: number) => Pixels)(n * c * ch * cw);
    for (let i = 0; i < n; i++) {
      // Window origin in padded coordinates, shifted back to the unpadded image.
      const top = Math.floor(u[2 * i] * (h + 2 * pad - ch + 1)) - pad;
      const left = Math.floor(u[2 * i + 1] * (w + 2 * pad - cw + 1)) - pad;
      for (let p = 0; p < c; p++) {
        const sp = (i * c + p) * h * w;
        const op = (i * c + p) * ch * cw;
        for (let y = 0; y < ch; y++) {
          const sy = y + top;
          for (let xx = 0; xx < cw; xx++) {
            const sx = xx + left;
            out[op + y * cw + xx] = sy >= 0 && sy < h && sx >= 0 && sx < w ? src[sp + sy * w + sx] : fill;
          }
        }
      }
    }
    return rebuild(x, out, [...x.shape.slice(0, -2), ch, cw]);
  };
}

/**
 * Mirrors each image left-right with probability p.
 * @example randomHorizontalFlip(0.5)
 */
export function randomHorizontalFlip(p = 0.5, options: { generator?: Generator } = {}): Transform {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`randomHorizontalFlip: p must be in [0, 1], got ${p}`);
  const gen = options.generator ?? defaultGenerator;
  return (x) => {
    const { n, c, h, w } = layout(x, 'randomHorizontalFlip');
    const u = uniforms(n, 1, gen);
    const src = x.data() as Pixels;
    const out = src.slice();
    for (let i = 0; i < n; i++) {
      if (!(u[i] < p)) continue;
      for (let r = 0; r < c * h; r++) {
        const row = (i * c * h + r) * w;
        for (let xx = 0; xx < w; xx++) out[row + xx] = src[row + w - 1 - xx];
      }
    }
    return rebuild(x, out, x.shape.slice());
  };
}

/** How geometric transforms read between pixels. */
export type Interpolation = 'nearest' | 'bilinear';

/** One affine map per image, given by its parameters. */
export interface AffineParams {
  /** Counter-clockwise rotation in degrees (as seen with row 0 at the top). */
  angle: number;
  /** Shift in pixels [x, y]. */
  translate: [number, number];
  /** Zoom factor. */
  scale: number;
  /** Shear parallel to the x axis, in degrees. */
  shear: number;
}

/**
 * Resamples each image under an affine map about its centre: output pixel o
 * takes the input at M⁻¹(o - centre - translate) + centre, with
 * M = rotate(angle)·shearX(shear)·scale. Pixels that fall outside read `fill`.
 * `params` gives one map per image of a batch (or one for all).
 * @example affine(img, { angle: 90, translate: [0, 0], scale: 1, shear: 0 }) // a quarter turn
 */
export function affine(x: Tensor, params: AffineParams | AffineParams[], options: { interpolation?: Interpolation; fill?: number } = {}): Tensor {
  const { n, c, h, w } = layout(x, 'affine');
  const interp = options.interpolation ?? 'nearest';
  if (interp !== 'nearest' && interp !== 'bilinear') throw new TypeError(`affine: interpolation must be 'nearest' or 'bilinear', got ${JSON.stringify(interp)}`);
  const fill = options.fill ?? 0;
  const list = Array.isArray(params) ? params : new Array<AffineParams>(n).fill(params);
  if (list.length !== n) throw new RangeError(`affine: ${list.length} parameter sets for ${n} images`);
  const src = x.data() as Pixels;
  const out = new (src.constructor as new (n: number) => Pixels)(src.length);
  const isInt = x.dtype === 'int32';
  const cy = (h - 1) / 2;
  const cx = (w - 1) / 2;
  for (let i = 0; i < n; i++) {
    const { angle, translate, scale, shear } = list[i];
    if (!(scale > 0)) throw new RangeError(`affine: scale must be positive, got ${scale}`);
    const a = (angle * Math.PI) / 180;
    const t = Math.tan((shear * Math.PI) / 180);
    const cos = Math.cos(a);
    const sin = Math.sin(a);
    // Forward M = R·Sh·s with R = [cos, sin; -sin, cos] (y grows downwards, so
    // this turns counter-clockwise on screen) and Sh = [1, t; 0, 1].
    const m00 = cos * scale, m01 = (cos * t + sin) * scale;
    const m10 = -sin * scale, m11 = (-sin * t + cos) * scale;
    const det = m00 * m11 - m01 * m10;
    const i00 = m11 / det, i01 = -m01 / det, i10 = -m10 / det, i11 = m00 / det;
    for (let y = 0; y < h; y++) {
      for (let xx = 0; xx < w; xx++) {
        const u = xx - cx - translate[0];
        const v = y - cy - translate[1];
        const sx = i00 * u + i01 * v + cx;
        const sy = i10 * u + i11 * v + cy;
        for (let p = 0; p < c; p++) {
          const base = (i * c + p) * h * w;
          let val: number;
          if (interp === 'nearest') {
            const rx = Math.round(sx);
            const ry = Math.round(sy);
            val = rx >= 0 && rx < w && ry >= 0 && ry < h ? src[base + ry * w + rx] : fill;
          } else {
            const x0 = Math.floor(sx);
            const y0 = Math.floor(sy);
            const fx = sx - x0;
            const fy = sy - y0;
            const at = (yy: number, xq: number) => (xq >= 0 && xq < w && yy >= 0 && yy < h ? src[base + yy * w + xq] : fill);
            val =
              (1 - fy) * ((1 - fx) * at(y0, x0) + fx * at(y0, x0 + 1)) +
              fy * ((1 - fx) * at(y0 + 1, x0) + fx * at(y0 + 1, x0 + 1));
          }
          out[base + y * w + xx] = isInt ? Math.round(val) : val;
        }
      }
    }
  }
  return rebuild(x, out, x.shape.slice());
}

/** An interval for random draws: `b` means [-b, b] (degrees, shear), or an explicit [min, max]. */
export type Range = number | readonly [number, number];

function range(v: Range, op: string, what: string, symmetric: boolean): [number, number] {
  const r: [number, number] = typeof v === 'number' ? (symmetric ? [-Math.abs(v), Math.abs(v)] : [v, v]) : [v[0], v[1]];
  if (!r.every(Number.isFinite) || r[0] > r[1]) throw new RangeError(`${op}: ${what} must be a number or an ordered pair [min, max], got ${JSON.stringify(v)}`);
  return r;
}

/** Options of randomAffine. */
export interface RandomAffineOptions {
  /** Rotation range in degrees: d means [-d, d] (default 0). */
  degrees?: Range;
  /** Maximum shift as a fraction of width and height, e.g. [0.1, 0.1]. */
  translate?: readonly [number, number];
  /** Zoom range [min, max] (default none). */
  scale?: readonly [number, number];
  /** Shear range in degrees: s means [-s, s] (default 0). */
  shear?: Range;
  interpolation?: Interpolation;
  fill?: number;
  generator?: Generator;
}

/**
 * Random rotation, shift, zoom and shear per image (torchvision's RandomAffine).
 * @example randomAffine({ degrees: 10, translate: [0.1, 0.1], scale: [0.9, 1.1] })
 */
export function randomAffine(options: RandomAffineOptions = {}): Transform {
  const op = 'randomAffine';
  const deg = range(options.degrees ?? 0, op, 'degrees', true);
  const shear = range(options.shear ?? 0, op, 'shear', true);
  const tr = options.translate ?? [0, 0];
  if (!tr.every((v) => v >= 0 && v <= 1)) throw new RangeError(`${op}: translate fractions must be in [0, 1], got ${JSON.stringify(tr)}`);
  const sc = options.scale ? range(options.scale, op, 'scale', false) : [1, 1];
  if (!(sc[0] > 0)) throw new RangeError(`${op}: scale must be positive`);
  const gen = options.generator ?? defaultGenerator;
  const lerp = (r: readonly number[], u: number) => r[0] + (r[1] - r[0]) * u;
  return (x) => {
    const { n, h, w } = layout(x, op);
    const u = uniforms(n, 5, gen);
    const params: AffineParams[] = [];
    for (let i = 0; i < n; i++) {
      const k = 5 * i;
      params.push({
        angle: lerp(deg, u[k]),
        // Whole-pixel shifts, as torchvision rounds them.
        translate: [Math.round((2 * u[k + 1] - 1) * tr[0] * w), Math.round((2 * u[k + 2] - 1) * tr[1] * h)],
        scale: lerp(sc, u[k + 3]),
        shear: lerp(shear, u[k + 4]),
      });
    }
    return affine(x, params, { interpolation: options.interpolation, fill: options.fill });
  };
}

/**
 * Random rotation per image, uniformly in [-degrees, degrees] (or the given range).
 * @example randomRotation(15, { interpolation: 'bilinear' })
 */
export function randomRotation(degrees: Range, options: { interpolation?: Interpolation; fill?: number; generator?: Generator } = {}): Transform {
  return randomAffine({ ...options, degrees });
}
