// The harness of the notebook tests (test/notebooks/notebooks.test.ts on small data,
// test/full/notebooks.test.ts on the book's): generated notebooks (scripts/notebooks/build.mjs)
// run in Deno's Jupyter kernel under `jupyter nbconvert` (the flushing execute preprocessor) and
// must print exactly what their chapter programs print with the same seed and settings, with the
// program's figures shown inline as PNG display data.
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import type { ChapterOptions } from '../../chapters/common.js';
import { loadChapter } from '../../chapters/index.js';
import { requireResource } from '../helpers.js';

const root = new URL('../../..', import.meta.url).pathname;
const JUPYTER = '/usr/bin/jupyter';
const SEED = 0;

/** One notebook's settings: ChapterOptions keys for the parameter cell and run(), and its inline figures. */
export interface NotebookCase {
  opts: ChapterOptions;
  figures: number;
}

/**
 * Builds the notebooks of `cases` (all of `scripts/notebooks/build.mjs`'s CONVERTED with
 * `requireAll`), runs each chapter program and executes its notebook in Deno's kernel with the
 * same seed and settings, and asserts the same printed lines (timings aside), no error or stderr
 * output, and `figures` inline PNGs. Skips (fails under CI=true) without jupyter or deno. With a
 * `tolerance` the texts must agree word for word and their numbers within it (the full tier: over
 * thousands of steps the two runtimes' float rounding drifts apart).
 *
 * @example
 * await checkNotebooks(t, { ndarray: { opts: {}, figures: 0 } });
 */
export async function checkNotebooks(
  t: TestContext,
  cases: Record<string, NotebookCase>,
  requireAll = false,
  tolerance = 0,
): Promise<void> {
  const kernels = await import(join(root, 'scripts', 'notebooks', 'kernel.mjs'));
  const deno = (kernels.findDeno as () => string | null)();
  if (!requireResource(t, existsSync(JUPYTER), `Debian's jupyter (${JUPYTER}; apt-get install jupyter-nbconvert)`)) return;
  if (!requireResource(t, deno !== null, 'the deno binary (npm install deno, or DENO=/path/to/deno)')) return;
  const jupyterPath = (kernels.installKernel as (d: string) => string)(deno!);
  const builder = await import(join(root, 'scripts', 'notebooks', 'build.mjs'));
  const converted = builder.CONVERTED as string[];
  const outDir = mkdtempSync(join(tmpdir(), 'd2l-notebooks-'));
  if (requireAll)
    assert.deepEqual(
      converted.filter((s) => !(s in cases)),
      [],
      'converted chapters without small-data settings in this test',
    );
  // D2L_NOTEBOOKS=slug,slug runs only those (while converting a program); CI runs them all.
  const only = process.env.D2L_NOTEBOOKS?.split(',').filter(Boolean);
  const slugs = converted.filter((s) => s in cases && (!only || only.includes(s)));
  const small = Object.fromEntries(Object.entries(cases).map(([slug, c]) => [slug, c.opts]));
  const files = (builder.buildNotebooks as (o: object) => string[])({ outDir, seed: SEED, small, slugs });
  assert.equal(files.length, slugs.length);
  const t0 = performance.now();
  for (const [i, slug] of slugs.entries()) {
    const { run } = await loadChapter(slug);
    const lines: string[] = [];
    // The program runs in the notebook's folder, so the files it names (out/<slug>/...) are the same.
    const cwd = process.cwd();
    process.chdir(outDir);
    const ran = performance.now();
    try {
      await run({ print: (l) => lines.push(l), seed: SEED, progress: false, ...cases[slug].opts });
    } finally {
      process.chdir(cwd);
    }
    const expected = lines.map((l) => l + '\n').join('');
    const started = performance.now();
    const { printed, images } = execute(files[i], join(outDir, `${slug}.out.ipynb`), jupyterPath);
    t.diagnostic(
      `${slug}: program ${((started - ran) / 1000).toFixed(1)} s, notebook ${((performance.now() - started) / 1000).toFixed(1)} s in the kernel`,
    );
    if (tolerance === 0) assert.equal(untimed(printed.join('')), untimed(expected), `${slug}: notebook output differs from the program's`);
    else assertCloseText(untimed(printed.join('')), untimed(expected), tolerance, slug);
    assert.equal(images, cases[slug].figures, `${slug}: inline figures`);
  }
  t.diagnostic(`all notebooks: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

/** Timings differ between two runs: `0.12 sec`, `1234.5 examples/sec` read as `<time>`. */
const untimed = (text: string) => text.replace(/\b\d+(?:\.\d+)? (sec|examples\/sec)\b/g, '<time> $1');
const EXECUTE_ARGS = ['--Exporter.preprocessors=["d2l_execute.FlushingExecutePreprocessor"]', '--FlushingExecutePreprocessor.enabled=True'];

interface NotebookOutput {
  output_type: string;
  name?: string;
  text?: string | string[];
  ename?: string;
  evalue?: string;
  data?: Record<string, unknown>;
}
interface Notebook {
  cells: { cell_type: string; outputs?: NotebookOutput[] }[];
}

const text = (t: string | string[] | undefined) => (Array.isArray(t) ? t.join('') : (t ?? ''));

/** `actual` and `expected` with the same words and line breaks, and numbers within `tol` of each other. */
function assertCloseText(actual: string, expected: string, tol: number, slug: string): void {
  const NUM = /-?\d+(?:\.\d+)?(?:e[-+]?\d+)?/g;
  assert.equal(actual.replace(NUM, '#'), expected.replace(NUM, '#'), `${slug}: notebook text differs from the program's`);
  const a = (actual.match(NUM) ?? []).map(Number);
  const e = (expected.match(NUM) ?? []).map(Number);
  const far = a.findIndex((v, i) => Math.abs(v - e[i]) > tol);
  assert.equal(far, -1, `${slug}: number ${far} is ${a[far]} in the notebook, ${e[far]} in the program (tolerance ${tol})`);
}

/** Executes notebook `file` headless into `executed`; returns what each cell printed and the number of PNGs shown. */
function execute(file: string, executed: string, jupyterPath: string): { printed: string[]; images: number } {
  // The stock execute preprocessor drops the stdout Deno's kernel sends after a cell's idle
  // status; scripts/notebooks/d2l_execute.py waits for it (see its header and docs/NOTEBOOKS.md).
  const args = ['nbconvert', '--to', 'notebook', ...EXECUTE_ARGS, '--output', executed, file];
  const r = spawnSync(JUPYTER, args, {
    cwd: join(file, '..'),
    encoding: 'utf8',
    timeout: 300_000,
    env: { ...process.env, JUPYTER_PATH: jupyterPath, PYTHONPATH: join(root, 'scripts', 'notebooks') },
  });
  assert.equal(r.status, 0, `nbconvert ${file} failed:\n${r.stderr}`);
  const nb = JSON.parse(readFileSync(executed, 'utf8')) as Notebook;
  const outputs = nb.cells.flatMap((c) => c.outputs ?? []);
  const errors = outputs.filter((o) => o.output_type === 'error' || o.name === 'stderr');
  assert.deepEqual(errors, [], `${file}: a cell wrote an error`);
  const streams = (c: Notebook['cells'][number]) => (c.outputs ?? []).filter((o) => o.output_type === 'stream');
  const images = outputs.filter((o) => o.output_type === 'display_data' && o.data?.['image/png']).length;
  return {
    printed: nb.cells.map((c) =>
      streams(c)
        .map((o) => text(o.text))
        .join(''),
    ),
    images,
  };
}
