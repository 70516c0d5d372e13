/**
 * Dependency-free SVG charts: a line chart (training curves, benchmark
 * series) and an image grid (digits with predicted/true labels). Returned as
 * strings; write them with fs.writeFileSync.
 */
import { Tensor } from '../tensor';

/** One line of a chart. */
export interface Series {
  name: string;
  values: readonly number[];
  /** x positions (default 1..n). */
  x?: readonly number[];
}

/** Options for `lineChart`. */
export interface LineChartOptions {
  title?: string;
  xLabel?: string;
  yLabel?: string;
  width?: number;
  height?: number;
  /** Use a log scale on the x axis (e.g. matrix sizes). */
  logX?: boolean;
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function niceTicks(lo: number, hi: number, n = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(+v.toPrecision(12));
  return out;
}

/**
 * A line chart of one or more series as an SVG document.
 * @example writeFileSync('loss.svg', viz.lineChart([{ name: 'loss', values: history.loss }], { title: 'Training loss' }));
 */
export function lineChart(series: readonly Series[], options: LineChartOptions = {}): string {
  if (!Array.isArray(series as unknown) || series.length === 0) throw new TypeError('lineChart: expected a non-empty array of series');
  const W = options.width ?? 640;
  const H = options.height ?? 400;
  const m = { l: 64, r: 150, t: 40, b: 52 };
  const fx = (v: number): number => (options.logX ? Math.log10(v) : v);
  const pts = series.map((s) => s.values.map((v, i) => [fx(s.x?.[i] ?? i + 1), v] as const).filter(([, v]) => Number.isFinite(v)));
  const all = pts.flat();
  if (all.length === 0) throw new RangeError('lineChart: no finite values to plot');
  let [x0, x1] = [Math.min(...all.map((p) => p[0])), Math.max(...all.map((p) => p[0]))];
  let [y0, y1] = [Math.min(...all.map((p) => p[1])), Math.max(...all.map((p) => p[1]))];
  if (x0 === x1) [x0, x1] = [x0 - 1, x1 + 1];
  if (y0 === y1) [y0, y1] = [y0 - 1, y1 + 1];
  const pad = (y1 - y0) * 0.05;
  y0 -= pad;
  y1 += pad;
  const sx = (x: number): number => m.l + ((x - x0) / (x1 - x0)) * (W - m.l - m.r);
  const sy = (y: number): number => H - m.b - ((y - y0) / (y1 - y0)) * (H - m.t - m.b);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
  ];
  if (options.title) parts.push(`<text x="${W / 2}" y="22" text-anchor="middle" font-size="15">${esc(options.title)}</text>`);
  for (const t of niceTicks(y0, y1)) {
    parts.push(`<line x1="${m.l}" x2="${W - m.r}" y1="${sy(t)}" y2="${sy(t)}" stroke="#ddd"/>`);
    parts.push(`<text x="${m.l - 6}" y="${sy(t) + 4}" text-anchor="end">${+t.toPrecision(6)}</text>`);
  }
  const xt = options.logX ? niceTicks(x0, x1).filter((t) => Number.isInteger(t)) : niceTicks(x0, x1);
  for (const t of xt) {
    parts.push(`<text x="${sx(t)}" y="${H - m.b + 16}" text-anchor="middle">${options.logX ? +(10 ** t).toPrecision(6) : +t.toPrecision(6)}</text>`);
  }
  parts.push(`<rect x="${m.l}" y="${m.t}" width="${W - m.l - m.r}" height="${H - m.t - m.b}" fill="none" stroke="#444"/>`);
  if (options.xLabel) parts.push(`<text x="${(m.l + W - m.r) / 2}" y="${H - 12}" text-anchor="middle">${esc(options.xLabel)}</text>`);
  if (options.yLabel) parts.push(`<text transform="translate(16 ${(m.t + H - m.b) / 2}) rotate(-90)" text-anchor="middle">${esc(options.yLabel)}</text>`);
  pts.forEach((p, i) => {
    const c = COLORS[i % COLORS.length];
    const d = p.map(([x, y], j) => `${j ? 'L' : 'M'}${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(' ');
    parts.push(`<path d="${d}" fill="none" stroke="${c}" stroke-width="2"/>`);
    for (const [x, y] of p) parts.push(`<circle cx="${sx(x).toFixed(1)}" cy="${sy(y).toFixed(1)}" r="2.5" fill="${c}"/>`);
    parts.push(`<rect x="${W - m.r + 12}" y="${m.t + i * 18}" width="12" height="3" fill="${c}"/>`);
    parts.push(`<text x="${W - m.r + 30}" y="${m.t + i * 18 + 5}">${esc(series[i].name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}

/** Options for `imageGrid`. */
export interface ImageGridOptions {
  /** Label under each image (e.g. "7 (true 7)"). */
  labels?: readonly string[];
  /** Which images to mark (drawn with a red label), e.g. the mistakes. */
  highlight?: readonly boolean[];
  columns?: number;
  /** Pixel size of one image pixel. */
  scale?: number;
  title?: string;
}

/**
 * A grid of grayscale images ([N, H, W] or [N, 1, H, W], values scaled to
 * their min..max) as an SVG document, each with an optional label.
 * @example writeFileSync('digits.svg', viz.imageGrid(images.narrow(0, 0, 32), { labels }));
 */
export function imageGrid(images: Tensor, options: ImageGridOptions = {}): string {
  if (!(images instanceof Tensor)) throw new TypeError('imageGrid: images must be a Tensor');
  const shape = images.shape;
  if (!(shape.length === 3 || (shape.length === 4 && shape[1] === 1))) {
    throw new RangeError(`imageGrid: expected [N, H, W] or [N, 1, H, W], got [${shape.join(',')}]`);
  }
  const [n, h, w] = [shape[0], shape[shape.length - 2], shape[shape.length - 1]];
  const data = Array.from(images.to('float64').data() as Float64Array);
  const lo = Math.min(...data);
  const hi = Math.max(...data);
  const cols = options.columns ?? Math.min(n, 8);
  const s = options.scale ?? 3;
  const cellW = w * s + 12;
  const cellH = h * s + 26;
  const top = options.title ? 28 : 6;
  const rows = Math.ceil(n / cols);
  const W = cols * cellW + 6;
  const H = top + rows * cellH;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="11" shape-rendering="crispEdges">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
  ];
  if (options.title) parts.push(`<text x="${W / 2}" y="18" text-anchor="middle" font-size="14">${esc(options.title)}</text>`);
  for (let k = 0; k < n; k++) {
    const ox = 6 + (k % cols) * cellW;
    const oy = top + Math.floor(k / cols) * cellH;
    parts.push(`<g transform="translate(${ox} ${oy})">`);
    for (let i = 0; i < h; i++) {
      for (let j = 0; j < w; j++) {
        const v = data[k * h * w + i * w + j];
        const g = Math.round(255 * (1 - (hi > lo ? (v - lo) / (hi - lo) : 0)));
        if (g < 250) parts.push(`<rect x="${j * s}" y="${i * s}" width="${s}" height="${s}" fill="rgb(${g},${g},${g})"/>`);
      }
    }
    parts.push(`<rect width="${w * s}" height="${h * s}" fill="none" stroke="#bbb"/>`);
    const label = options.labels?.[k];
    if (label !== undefined) {
      const color = options.highlight?.[k] ? '#d62728' : '#222';
      parts.push(`<text x="${(w * s) / 2}" y="${h * s + 15}" text-anchor="middle" fill="${color}">${esc(label)}</text>`);
    }
    parts.push('</g>');
  }
  parts.push('</svg>');
  return parts.join('\n');
}
