/**
 * Headless plotting for the book's figures: a Vega-Lite spec is compiled to Vega, rendered to SVG by
 * a Vega View (no browser, no canvas), and rasterised to PNG by resvg. The book's matplotlib helpers
 * (`plot`, `semilogy`, `xyplot`) become functions that write an image file. In a web page the
 * figures are SVG only (resvg is a Node addon), for the page to insert.
 */
import { mkdirSync, writeFileSync } from '#platform'; // Node-only: see src/platform/
import { dirname, extname } from '#platform'; // Node-only: see src/platform/
import { createRequire, isNode } from '#platform'; // Node-only: see src/platform/
import type { TopLevelSpec } from 'vega-lite';
import type { Resvg as ResvgClass } from '@resvg/resvg-js';
import { ValueError } from '../core/errors.js';
import { elementwiseCodegen } from '../backend/cpu/codegen.js';
import { NDArray } from '../ndarray/ndarray.js';
import { jupyterDisplay } from './jupyter.js';

/**
 * A rendered figure: the SVG text, the PNG bytes, and the file written (if any). In a web page
 * the figure is SVG only (insert `figure.svg` into the page); reading `png` there is an error
 * (PNG rasterising is resvg's, a Node addon).
 */
export interface Figure {
  svg: string;
  png: Uint8Array;
  /** The path the figure was written to (PNG, or SVG for a `.svg` path). */
  file?: string;
}

/** Numbers to plot: a JS array, a typed array or a 1-D NDArray (read asynchronously). */
export type Values = ArrayLike<number> | NDArray;

/** The font every figure uses (DejaVu ships with Debian; resvg falls back to any system sans). */
export const FONT = 'DejaVu Sans';

const BASE_CONFIG = {
  font: FONT,
  view: { stroke: null },
  axis: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: 'normal' as const },
  legend: { labelFontSize: 11, titleFontSize: 11 },
  title: { fontSize: 13, fontWeight: 'normal' as const },
};

/**
 * Renders any Vega-Lite spec headless and returns SVG and PNG; writes `file` when given (`.svg`
 * writes the SVG, anything else the PNG). Parent directories are created.
 *
 * @example
 * await d2l.renderVegaLite({ data: { values: [{ x: 1, y: 2 }] }, mark: 'point',
 *   encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' } } }, 'out/p.png');
 */
export async function renderVegaLite(spec: TopLevelSpec, file?: string, opts: { scale?: number } = {}): Promise<Figure> {
  const withConfig = { ...spec, config: { ...BASE_CONFIG, ...(spec as { config?: object }).config } } as TopLevelSpec;
  // Loaded on first use: the plotting stack is ~40 MB that training-only programs never need.
  const [vega, vl] = await Promise.all([import('vega'), import('vega-lite')]);
  const compiled = vl.compile(withConfig).spec;
  // Vega compiles its expressions with `new Function`; where a page's CSP refuses that (no
  // 'unsafe-eval'), it parses them to trees and vega-interpreter evaluates them instead.
  const view =
    elementwiseCodegen() === 'function'
      ? new vega.View(vega.parse(compiled), { renderer: 'none' })
      : new vega.View(vega.parse(compiled, undefined, { ast: true }), {
          renderer: 'none',
          expr: (await import('vega-interpreter')).expressionInterpreter,
        });
  let svg: string;
  try {
    svg = await view.toSVG();
  } finally {
    view.finalize();
  }
  const figure = finishFigure(svg, file, opts.scale);
  await displayInline(figure);
  return figure;
}

/**
 * Rasterises an SVG string to PNG (resvg, system fonts, white background) at `scale` times its size.
 *
 * @example
 * const png = d2l.svgToPng('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>');
 */
export function svgToPng(svg: string, scale = 2): Uint8Array {
  const { Resvg } = createRequire(import.meta.url)('@resvg/resvg-js') as { Resvg: typeof ResvgClass };
  const r = new Resvg(svg, {
    background: 'white',
    fitTo: { mode: 'zoom', value: scale },
    font: { loadSystemFonts: true, defaultFontFamily: FONT, sansSerifFamily: FONT },
  });
  return r.render().asPng();
}

/** Base64 of bytes without Node's Buffer (the kernel may be Deno's). */
function base64(bytes: Uint8Array): string {
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin);
}

/**
 * Shows `figure` in the notebook's output when the code runs in Deno's Jupyter kernel, as the
 * book's `d2l.plt` draws inline: PNG display data (with the SVG's size as text), written beside
 * the cell's printed lines. Anywhere else (Node, a web page) it does nothing.
 *
 * @example
 * const fig = await d2l.plot(x, y); // in a notebook the curve appears under the cell
 * await d2l.displayInline(fig); // what plot did; a second call shows it again
 */
export async function displayInline(figure: Figure): Promise<void> {
  if (!figure || typeof figure.svg !== 'string')
    throw new ValueError('displayInline: expected a Figure (with its svg), got ' + typeof figure);
  const display = jupyterDisplay();
  if (!display) return;
  const size = /<svg[^>]*\swidth="([\d.]+)"[^>]*\sheight="([\d.]+)"/.exec(figure.svg);
  await display(
    {
      'image/png': base64(figure.png),
      'text/plain': `<Figure ${size ? `${size[1]}x${size[2]}` : ''}${figure.file ? ` ${figure.file}` : ''}>`,
    },
    { raw: true },
  );
}

function finishFigure(svg: string, file: string | undefined, scale = 2): Figure {
  if (!isNode) {
    if (file)
      throw new ValueError(`plot: cannot write ${file} in a web page; leave out the file and insert the figure's svg into the page`);
    return {
      svg,
      get png(): Uint8Array {
        throw new ValueError("plot: no PNG in a web page (PNG rasterising needs Node); insert the figure's svg into the page");
      },
    };
  }
  const png = svgToPng(svg, scale);
  if (file) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, extname(file).toLowerCase() === '.svg' ? svg : png);
  }
  return { svg, png, file };
}

async function toNumbers(v: Values, what: string): Promise<number[]> {
  if (v instanceof NDArray) {
    if (v.ndim > 1 && v.size !== v.shape[0])
      throw new ValueError(`plot: ${what} must be 1-D, got an array of shape (${v.shape.join(', ')})`);
    return Array.from(await v.data());
  }
  return Array.from(v);
}

export interface PlotOptions {
  xLabel?: string;
  yLabel?: string;
  /** One name per curve; a legend is drawn when given. */
  legend?: readonly string[];
  title?: string;
  /** 'log' for a logarithmic axis. */
  xScale?: 'linear' | 'log';
  yScale?: 'linear' | 'log';
  xLim?: [number, number];
  yLim?: [number, number];
  /** Figure size in inches as matplotlib's figsize (100 px per inch): default `getFigsize()`, [3.5, 2.5] as the book. */
  figsize?: [number, number];
  /** Dashed curves: one flag per curve (default: the second and later curves of semilogy are dashed). */
  dashed?: readonly boolean[];
  /** 'line' (default) or 'point' (a scatter plot). */
  mark?: 'line' | 'point';
  /** Point size in square pixels for `mark: 'point'` (default 4). */
  pointSize?: number;
  /** Where to write the image (`.png` or `.svg`). */
  file?: string;
  /**
   * Texts with an arrow to a point, as matplotlib's `axes.annotate(text, xy, xytext,
   * arrowprops=dict(arrowstyle='->'))`: the text starts at `xytext` (left, baseline), the arrow
   * points at `xy`. The axes then span the data with 5% margins (matplotlib's) unless xLim/yLim.
   */
  annotations?: readonly Annotation[];
}

/** One annotation of `plot`: `text` at `xytext` with an arrow to `xy`, both in data coordinates. */
export interface Annotation {
  text: string;
  xy: readonly [number, number];
  xytext: readonly [number, number];
}

// The default figure size in inches, as matplotlib's rcParams['figure.figsize'] that the book's
// set_figsize sets: a figure drawn without its own figsize takes it.
let currentFigsize: [number, number] = [3.5, 2.5];

/**
 * Sets the size of the figures drawn from now on without their own `figsize` (the book's
 * `set_figsize`, which sets matplotlib's default): width and height in inches, 100 px per inch.
 * Without an argument it restores the book's default (3.5, 2.5).
 *
 * @example
 * d2l.setFigsize([4.5, 2.5]);
 * await d2l.plot(x, y, { file: 'out/wide.png' }); // 450 x 250 px
 */
export function setFigsize(figsize: readonly [number, number] = [3.5, 2.5]): void {
  if (!Array.isArray(figsize) || figsize.length !== 2 || !figsize.every((v) => Number.isFinite(v) && v > 0))
    throw new ValueError(`setFigsize: figsize must be [width, height] in inches, two positive numbers, got ${JSON.stringify(figsize)}`);
  currentFigsize = [figsize[0], figsize[1]];
}

/** The figure size `setFigsize` set, [width, height] in inches. @example d2l.getFigsize() // [3.5, 2.5] */
export function getFigsize(): [number, number] {
  return [currentFigsize[0], currentFigsize[1]];
}

/**
 * Plots one or several curves (d2l's `plot`): `Y` is one series or a list of series, `X` one
 * x-series shared by all or one per curve. Returns the figure and writes `opts.file`.
 *
 * @example
 * const x = nd.arange(-8, 8, 0.1);
 * await d2l.plot(x, x.relu(), { xLabel: 'x', yLabel: 'relu(x)', file: 'out/relu.png' });
 */
export async function plot(X: Values | readonly Values[], Y: Values | readonly Values[], opts: PlotOptions = {}): Promise<Figure> {
  const isMany = (v: Values | readonly Values[]): v is readonly Values[] =>
    Array.isArray(v) && v.length > 0 && (v[0] instanceof NDArray || typeof v[0] === 'object');
  const ys = isMany(Y) ? [...Y] : [Y as Values];
  const xs = isMany(X) ? [...X] : ys.map(() => X as Values);
  if (xs.length !== ys.length) throw new ValueError(`plot: ${xs.length} x-series for ${ys.length} y-series`);
  if (opts.legend && opts.legend.length !== ys.length)
    throw new ValueError(`plot: ${opts.legend.length} legend entries for ${ys.length} curves`);
  const names: string[] = opts.legend ? [...opts.legend] : ys.map((_, i) => `${i}`);
  const rows: { x: number; y: number; series: string; order: number }[] = [];
  for (let k = 0; k < ys.length; k++) {
    const xv = await toNumbers(xs[k], 'X');
    const yv = await toNumbers(ys[k], 'Y');
    if (xv.length !== yv.length) throw new ValueError(`plot: curve ${k} has ${xv.length} x values but ${yv.length} y values`);
    for (let i = 0; i < xv.length; i++) rows.push({ x: xv[i], y: yv[i], series: names[k], order: i });
  }
  const [w, h] = opts.figsize ?? currentFigsize;
  const dashed = opts.dashed ?? ys.map(() => false);
  const scale = (type: 'linear' | 'log' | undefined, lim: [number, number] | undefined) => ({
    type: type ?? 'linear',
    ...(lim ? { domain: lim } : {}),
    // A log scale has no zero (Vega-Lite warns on stderr when it is set).
    ...(type === 'log' ? {} : { zero: false }),
    nice: type !== 'log',
  });
  const spec: TopLevelSpec = {
    width: Math.round(w * 100),
    height: Math.round(h * 100),
    ...(opts.title ? { title: opts.title } : {}),
    data: { values: rows },
    mark:
      opts.mark === 'point'
        ? { type: 'point', filled: true, size: opts.pointSize ?? 4, opacity: 0.8, clip: true }
        : { type: 'line', strokeWidth: 1.5, clip: true },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: opts.xLabel ?? null, scale: scale(opts.xScale, opts.xLim) },
      y: { field: 'y', type: 'quantitative', title: opts.yLabel ?? null, scale: scale(opts.yScale, opts.yLim) },
      order: { field: 'order', type: 'quantitative' },
      color: {
        field: 'series',
        type: 'nominal',
        sort: names,
        legend: opts.legend ? { title: null, orient: 'right' } : null,
      },
      ...(opts.mark === 'point'
        ? {}
        : {
            strokeDash: {
              field: 'series',
              type: 'nominal',
              sort: names,
              scale: { domain: names, range: dashed.map((d) => (d ? [4, 3] : [1, 0])) },
              // The same legend as color's: Vega-Lite merges the two (each entry shows its colour
              // and its dash, as matplotlib's), where differing settings were a warning on stderr.
              legend: opts.legend ? { title: null, orient: 'right' } : null,
            },
          }),
    },
  };
  if (opts.annotations?.length) return renderVegaLite(annotate(spec, rows, opts, w * 100, h * 100), opts.file);
  return renderVegaLite(spec, opts.file);
}

/**
 * `spec` (one view over `rows`) as layers with the annotations' texts and arrows. The arrows are
 * placed in pixels, so the scales get fixed domains: the data (and the annotations) with 5%
 * margins, or xLim/yLim.
 */
function annotate(spec: TopLevelSpec, rows: { x: number; y: number }[], opts: PlotOptions, width: number, height: number): TopLevelSpec {
  const notes = opts.annotations ?? [];
  for (const a of notes)
    if (
      typeof a?.text !== 'string' ||
      ![...(a.xy ?? []), ...(a.xytext ?? [])].every(Number.isFinite) ||
      a.xy.length !== 2 ||
      a.xytext.length !== 2
    )
      throw new ValueError(
        `plot: an annotation must be { text, xy: [x, y], xytext: [x, y] } with finite numbers, got ${JSON.stringify(a)}`,
      );
  if (opts.xScale === 'log' || opts.yScale === 'log') throw new ValueError('plot: annotations need linear axes');
  const extent = (vals: number[], lim?: [number, number]): [number, number] => {
    if (lim) return lim;
    const lo = Math.min(...vals);
    const hi = Math.max(...vals);
    const pad = (hi - lo || 1) * 0.05;
    return [lo - pad, hi + pad];
  };
  // Only the data sets the limits, as in matplotlib (annotations do not autoscale).
  const [x0, x1] = extent(
    rows.map((r) => r.x),
    opts.xLim,
  );
  const [y0, y1] = extent(
    rows.map((r) => r.y),
    opts.yLim,
  );
  const px = (x: number) => ((x - x0) / (x1 - x0)) * width;
  const py = (y: number) => ((y1 - y) / (y1 - y0)) * height;
  const dx = (p: number) => x0 + (p / width) * (x1 - x0);
  const dy = (p: number) => y1 - (p / height) * (y1 - y0);
  const texts: object[] = [];
  const arrows: object[] = [];
  const heads: object[] = [];
  for (const a of notes) {
    // The arrow leaves the middle of the text (about 6.5 px per character at 11 px), from its top
    // when the point is above it and from below its baseline otherwise, and stops 2 px short.
    const tx = px(a.xytext[0]) + (a.text.length * 6.5) / 2;
    const [ex, ey] = [px(a.xy[0]), py(a.xy[1])];
    const ty = ey < py(a.xytext[1]) ? py(a.xytext[1]) - 13 : py(a.xytext[1]) + 4;
    const len = Math.hypot(ex - tx, ey - ty) || 1;
    const [hx, hy] = [ex - ((ex - tx) / len) * 2, ey - ((ey - ty) / len) * 2];
    texts.push({ x: a.xytext[0], y: a.xytext[1], text: a.text });
    arrows.push({ x: dx(tx), y: dy(ty), x2: dx(hx), y2: dy(hy) });
    // The arrow head: two strokes 8 px long, 25 degrees either side of the shaft.
    const back = Math.atan2(ty - hy, tx - hx);
    for (const turn of [-0.44, 0.44])
      heads.push({ x: dx(hx), y: dy(hy), x2: dx(hx + 8 * Math.cos(back + turn)), y2: dy(hy + 8 * Math.sin(back + turn)) });
  }
  const { title, data, mark, encoding } = spec as unknown as Record<string, unknown>;
  const enc = encoding as Record<string, { scale?: object }>;
  const fixed = (e: { scale?: object }, domain: [number, number]) => ({ ...e, scale: { ...e.scale, domain, nice: false, zero: false } });
  const q = (field: string) => ({ field, type: 'quantitative' as const });
  const rule = { type: 'rule' as const, color: 'black', strokeWidth: 1 };
  return {
    width,
    height,
    ...(title ? { title } : {}),
    layer: [
      { data, mark, encoding: { ...enc, x: fixed(enc.x, [x0, x1]), y: fixed(enc.y, [y0, y1]) } },
      { data: { values: [...arrows, ...heads] }, mark: rule, encoding: { x: q('x'), y: q('y'), x2: { field: 'x2' }, y2: { field: 'y2' } } },
      {
        data: { values: texts },
        mark: { type: 'text', align: 'left', baseline: 'alphabetic', fontSize: 11 },
        encoding: { x: q('x'), y: q('y'), text: { field: 'text' } },
      },
    ],
  } as TopLevelSpec;
}

/**
 * A scatter plot (the book's `plt.scatter(x, y, 1)`), written to `opts.file`.
 *
 * @example
 * await d2l.scatter(features.get(':, 1'), labels, { file: 'out/scatter.png' });
 */
export async function scatter(X: Values, Y: Values, opts: Omit<PlotOptions, 'mark'> = {}): Promise<Figure> {
  return plot(X, Y, { ...opts, mark: 'point' });
}

/**
 * The book's `semilogy` (3.11): train (and optionally test) curves with a logarithmic y axis.
 *
 * @example
 * await d2l.semilogy([1, 2, 3], [0.5, 0.1, 0.05], 'epochs', 'loss', [1, 2, 3], [0.6, 0.2, 0.1], ['train', 'test'],
 *   { file: 'out/loss.png' });
 */
export async function semilogy(
  xVals: Values,
  yVals: Values,
  xLabel: string,
  yLabel: string,
  x2Vals?: Values | null,
  y2Vals?: Values | null,
  legend?: readonly string[] | null,
  opts: Omit<PlotOptions, 'xLabel' | 'yLabel' | 'legend' | 'yScale'> = {},
): Promise<Figure> {
  const two = x2Vals != null && y2Vals != null;
  return plot(two ? [xVals, x2Vals] : [xVals], two ? [yVals, y2Vals] : [yVals], {
    dashed: two ? [false, true] : [false],
    ...opts,
    xLabel,
    yLabel,
    yScale: 'log',
    ...(legend ? { legend } : {}),
  });
}

/** One epoch's numbers, as `trainCh3` returns them. */
export interface EpochCurvePoint {
  epoch: number;
  loss: number;
  trainAcc: number;
  testAcc: number;
}

/**
 * Training curves side by side: the training loss per epoch, and train/test accuracy per epoch.
 *
 * @example
 * const history = await d2l.trainCh3(net, trainIter, testIter, loss, 5, 256, null, null, trainer);
 * await d2l.plotTrainingCurves(history, 'out/curves.png');
 */
export async function plotTrainingCurves(
  history: readonly EpochCurvePoint[],
  file?: string,
  opts: { title?: string } = {},
): Promise<Figure> {
  if (history.length === 0) throw new ValueError('plotTrainingCurves: no epochs to plot');
  const lossRows = history.map((h) => ({ epoch: h.epoch, value: h.loss, series: 'train loss' }));
  const accRows = history.flatMap((h) => [
    { epoch: h.epoch, value: h.trainAcc, series: 'train acc' },
    { epoch: h.epoch, value: h.testAcc, series: 'test acc' },
  ]);
  const epochs = history.map((h) => h.epoch);
  const xEnc = {
    field: 'epoch',
    type: 'quantitative' as const,
    title: 'epoch',
    scale: { domain: [Math.min(...epochs), Math.max(...epochs)] },
    axis: { tickMinStep: 1, format: 'd' },
  };
  const panel = (rows: object[], yTitle: string, series: string[], colors: string[]) => ({
    width: 300,
    height: 220,
    data: { values: rows },
    mark: { type: 'line' as const, point: true, strokeWidth: 1.5 },
    encoding: {
      x: xEnc,
      y: { field: 'value', type: 'quantitative' as const, title: yTitle, scale: { zero: false } },
      color: {
        field: 'series',
        type: 'nominal' as const,
        scale: { domain: series, range: colors },
        legend: { title: null, orient: 'bottom' as const },
      },
    },
  });
  const spec: TopLevelSpec = {
    ...(opts.title ? { title: opts.title } : {}),
    hconcat: [
      panel(lossRows, 'loss', ['train loss'], ['#1f77b4']),
      panel(accRows, 'accuracy', ['train acc', 'test acc'], ['#ff7f0e', '#2ca02c']),
    ],
    resolve: { scale: { color: 'independent' } },
  };
  return renderVegaLite(spec, file);
}
