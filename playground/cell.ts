/**
 * The playground's editable code cell: runs d2l-ts code as a reader writes it (the README's and
 * the book's, `import ... from 'd2l-ts'` lines included, top-level `await` allowed) against the
 * page's library, and collects what it prints and the figures it shows. Written once for the page
 * and for Node, so a test can compare the two.
 *
 * @example
 * const { lines } = await runCell(lib, "console.log(nd.ones([2]).toString())");
 */
import type * as Lib from '../src/index.js';

/** What a cell printed (`console.log`, one string per call), the SVG figures it showed, its error. */
export interface CellResult {
  lines: string[];
  svgs: string[];
  error: string | null;
}

/** An `import { a, b } from 'd2l-ts'` line: the names are given to the cell anyway. */
const IMPORT_LINE = /^\s*import\s+(?:\{[^}]*\}|\*\s+as\s+\w+|\w+)\s+from\s+['"]d2l-ts['"];?\s*$/gm;

/**
 * Runs `code` with `nd`, `autograd`, `gluon`, `init`, `kv`, `d2l`, `cpu`, `gpu`, `NDArray` in scope,
 * `console.log` captured and `display(figure)` (or a figure as the last `return`) showing an SVG.
 * The code needs the page's CSP to allow 'unsafe-eval' (it is compiled with `new Function`).
 *
 * @example
 * await runCell(lib, "const fig = await d2l.plot([1, 2], [3, 4]); display(fig);");
 */
export async function runCell(lib: typeof Lib, code: string): Promise<CellResult> {
  if (typeof code !== 'string') throw new Error(`runCell: code must be a string, got ${typeof code}`);
  const lines: string[] = [];
  const svgs: string[] = [];
  const show = (v: unknown) => {
    if (v && typeof (v as { svg?: unknown }).svg === 'string') svgs.push((v as { svg: string }).svg);
    else if (v !== undefined) lines.push(String(v));
  };
  const text = (a: unknown[]) => a.map((v) => (typeof v === 'string' ? v : String(v))).join(' ');
  const cellConsole = {
    log: (...a: unknown[]) => lines.push(text(a)),
    info: (...a: unknown[]) => lines.push(text(a)),
    warn: (...a: unknown[]) => lines.push(text(a)),
    error: (...a: unknown[]) => lines.push(text(a)),
  };
  const names = ['nd', 'autograd', 'gluon', 'init', 'kv', 'd2l', 'cpu', 'gpu', 'NDArray', 'console', 'display'] as const;
  const values = [lib.nd, lib.autograd, lib.gluon, lib.init, lib.kv, lib.d2l, lib.cpu, lib.gpu, lib.NDArray, cellConsole, show];
  const body = code.replace(IMPORT_LINE, '');
  try {
    const fn = new Function(...names, `"use strict";\nreturn (async () => {\n${body}\n})();`) as (...a: unknown[]) => Promise<unknown>;
    show(await fn(...values));
    return { lines, svgs, error: null };
  } catch (e) {
    return { lines, svgs, error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) };
  }
}
