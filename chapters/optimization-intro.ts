/**
 * # 7.1 Optimization and deep learning (优化与深度学习)
 *
 * Training minimises a loss: optimization lowers the training error, while deep learning is after
 * the generalisation error too. Two of the obstacles optimization meets are local minima, where
 * the gradient vanishes although lower points exist elsewhere, and saddle points, where the
 * gradient vanishes at a point that is a minimum along some directions and a maximum along
 * others. In high dimensions saddle points are far more common than local minima: at a zero of
 * the gradient, all the Hessian's eigenvalues must be positive for a minimum.
 *
 * Run it: `d2l-ts run optimization-intro`. The figures go to `<outDir>/` (default
 * ./out/optimization-intro): `local-minimum.png`, `saddle-point.png` and `saddle-point-3d.png`.
 */
import { join } from 'node:path';
import { d2l } from '../src/index.js';
import { printer, runIfMain, type ChapterOptions } from './common.js';

export const meta = {
  slug: 'optimization-intro',
  title: '7.1 优化与深度学习 (optimization and deep learning)',
};

export interface OptimizationIntroResult {
  lines: string[];
  /** Every figure written. */
  files: string[];
  /** The wireframe's projected lines and where the red cross (the saddle point) lands, for checks. */
  wireframe: { lines: number; cross: [number, number] };
}

/** numpy's arange as numbers (start + i·step, numpy's count). */
function arange(start: number, stop: number, step: number): number[] {
  return Array.from({ length: Math.max(0, Math.ceil((stop - start) / step)) }, (_, i) => start + i * step);
}

/**
 * Runs 7.1: plots f(x) = x·cos(πx) with its local and global minimum, x³ with its saddle point,
 * and the saddle of x² - y² in 3-D.
 *
 * @example
 * const { files } = await run({ outDir: 'out/optimization-intro' });
 */
export async function run(opts: ChapterOptions = {}): Promise<OptimizationIntroResult> {
  const out = printer(opts);
  const lines: string[] = [];
  const print = (line: string) => {
    lines.push(line);
    out(line);
  };
  const outDir = opts.outDir ?? join('out', meta.slug);
  const files: string[] = [];

  // ## Challenges of optimization
  // ### Local minima
  // f(x) = x·cos(πx) has a local minimum near x = -0.3 and its global minimum near x = 1.1 on
  // [-1, 2): gradient descent started near the first one stays there.
  const f = (x: number) => x * Math.cos(Math.PI * x);
  d2l.setFigsize([4.5, 2.5]);
  let x = arange(-1.0, 2.0, 0.1);
  files.push(join(outDir, 'local-minimum.png'));
  await d2l.plot(x, x.map(f), {
    xLabel: 'x',
    yLabel: 'f(x)',
    annotations: [
      { text: 'local minimum', xy: [-0.3, -0.25], xytext: [-0.77, -1.0] },
      { text: 'global minimum', xy: [1.1, -0.95], xytext: [0.6, 0.8] },
    ],
    file: files[0],
  });
  print(`f(x) = x·cos(πx) with its local and global minimum: ${files[0]}`);

  // ### Saddle points
  // f(x) = x³: the gradient vanishes at x = 0, which is neither a minimum nor a maximum.
  x = arange(-2.0, 2.0, 0.1);
  files.push(join(outDir, 'saddle-point.png'));
  await d2l.plot(
    x,
    x.map((v) => v ** 3),
    {
      xLabel: 'x',
      yLabel: 'f(x)',
      annotations: [{ text: 'saddle point', xy: [0, -0.2], xytext: [-0.52, -5.0] }],
      file: files[1],
    },
  );
  print(`f(x) = x³ with its saddle point: ${files[1]}`);

  // f(x, y) = x² - y² over [-1, 1]², a 31 x 31 grid drawn as a wireframe (every second row and
  // column, the book's rstride = cstride = 2): the origin (the red cross) is a minimum along x and
  // a maximum along y. The 3-D view is matplotlib's default (elevation 30°, azimuth -60°),
  // projected orthographically.
  const grid = Array.from({ length: 31 }, (_, i) => -1 + (2 * i) / 30);
  const g = (gx: number, gy: number) => gx ** 2 - gy ** 2;
  const wire = await wireframe(grid, g, join(outDir, 'saddle-point-3d.png'));
  files.push(wire.file);
  print(`f(x, y) = x² - y² with its saddle point at (0, 0, 0): ${wire.file}`);
  return { lines, files, wireframe: { lines: wire.lines, cross: wire.cross } };
}

/**
 * The book's `plot_wireframe` of z = g(x, y) over grid × grid with a red cross at the origin,
 * projected to the screen: screen x = p·r and y = p·u for the view's right and up vectors.
 */
async function wireframe(
  grid: number[],
  g: (x: number, y: number) => number,
  file: string,
): Promise<{ file: string; lines: number; cross: [number, number] }> {
  const elev = (30 * Math.PI) / 180;
  const azim = (-60 * Math.PI) / 180;
  const right = [-Math.sin(azim), Math.cos(azim), 0];
  const up = [-Math.sin(elev) * Math.cos(azim), -Math.sin(elev) * Math.sin(azim), Math.cos(elev)];
  const project = (x: number, y: number, z: number): [number, number] => [
    x * right[0] + y * right[1] + z * right[2],
    x * up[0] + y * up[1] + z * up[2],
  ];
  const rows: { u: number; v: number; line: string; order: number }[] = [];
  let count = 0;
  const addLine = (pts: [number, number, number][]) => {
    const line = `l${count++}`;
    pts.forEach(([x, y, z], order) => {
      const [u, v] = project(x, y, z);
      rows.push({ u, v, line, order });
    });
  };
  // Lines of constant x and of constant y, every second grid line (and the last one).
  const picked = grid.filter((_, i) => i % 2 === 0 || i === grid.length - 1);
  for (const gx of picked) addLine(grid.map((gy) => [gx, gy, g(gx, gy)]));
  for (const gy of picked) addLine(grid.map((gx) => [gx, gy, g(gx, gy)]));
  // The box's floor edges and the vertical axis at the back corner, as the 3-D axes' frame.
  const frame: [number, number][] = [project(-1, -1, -1), project(1, -1, -1), project(1, 1, -1), project(-1, 1, -1), project(-1, -1, -1)];
  const zAxis: [number, number][] = [project(1, 1, -1), project(1, 1, 1)];
  const cross = project(0, 0, g(0, 0));
  const labels = [
    { u: project(0, -1.35, -1)[0], v: project(0, -1.35, -1)[1], text: 'x' },
    { u: project(1.35, 0, -1)[0], v: project(1.35, 0, -1)[1], text: 'y' },
    { u: project(1.15, 1.15, 0)[0], v: project(1.15, 1.15, 0)[1], text: 'z' },
  ];
  const [w, h] = d2l.getFigsize();
  const enc = {
    x: { field: 'u', type: 'quantitative' as const, axis: null, scale: { zero: false } },
    y: { field: 'v', type: 'quantitative' as const, axis: null, scale: { zero: false } },
  };
  await d2l.renderVegaLite(
    {
      width: Math.round(w * 100),
      height: Math.round(h * 100),
      layer: [
        {
          data: { values: [...frame, ...zAxis].map(([u, v], order) => ({ u, v, order, line: order < frame.length ? 'floor' : 'z' })) },
          mark: { type: 'line', color: '#999999', strokeWidth: 1 },
          encoding: { ...enc, detail: { field: 'line' }, order: { field: 'order', type: 'quantitative' } },
        },
        {
          data: { values: rows },
          mark: { type: 'line', color: '#1f77b4', strokeWidth: 1.2 },
          encoding: { ...enc, detail: { field: 'line' }, order: { field: 'order', type: 'quantitative' } },
        },
        {
          data: { values: [{ u: cross[0], v: cross[1] }] },
          mark: { type: 'point', shape: 'cross', angle: 45, color: 'red', filled: true, size: 80 },
          encoding: enc,
        },
        {
          data: { values: labels },
          mark: { type: 'text', fontSize: 12 },
          encoding: { ...enc, text: { field: 'text' } },
        },
      ],
    },
    file,
  );
  return { file, lines: count, cross };
}

runIfMain(import.meta.url, run);
