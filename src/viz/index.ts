/** Pictures without dependencies: SVG line charts and image grids (`viz`). */
export { lineChart, imageGrid } from './svg';
export type { Series, LineChartOptions, ImageGridOptions } from './svg';
