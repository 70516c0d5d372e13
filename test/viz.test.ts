// SVG charts: well-formed documents whose geometry follows the data.
import { describe, expect, it } from 'vitest';
import { tensor, viz, zeros } from '../src/index';

describe('viz', () => {
  it('lineChart draws one path per series with points in data order', () => {
    const svg = viz.lineChart([{ name: 'loss', values: [3, 2, 1] }, { name: 'acc', values: [0.5, 0.9, 0.95] }], { title: 'T' });
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.trim().endsWith('</svg>')).toBe(true);
    expect(svg.match(/<path /g)).toHaveLength(2);
    // The loss path goes down the page as the value falls: y grows.
    const d = /<path d="([^"]+)"/.exec(svg)![1];
    const ys = [...d.matchAll(/[ML][\d.]+,([\d.]+)/g)].map((m) => Number(m[1]));
    expect(ys[0]).toBeLessThan(ys[1]);
    expect(ys[1]).toBeLessThan(ys[2]);
    expect(svg).toContain('>loss<');
    expect(() => viz.lineChart([])).toThrow(TypeError);
  });

  it('imageGrid draws dark pixels where the image is bright, with labels', () => {
    const img = zeros([2, 1, 3, 3]).add(tensor([0, 0, 0, 0, 1, 0, 0, 0, 0]).float().reshape(1, 1, 3, 3));
    const svg = viz.imageGrid(img, { labels: ['a', 'b<'], highlight: [false, true], scale: 2 });
    // Only the centre pixel of each image is non-white.
    expect(svg.match(/fill="rgb\(0,0,0\)"/g)).toHaveLength(2);
    expect(svg).toContain('>b&lt;<');
    expect(svg).toContain('fill="#d62728">b');
    expect(() => viz.imageGrid(zeros([2, 3]))).toThrow(RangeError);
  });
});
