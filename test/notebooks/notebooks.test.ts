// The generated notebooks (scripts/notebooks/build.mjs) run in Deno's Jupyter kernel under
// `jupyter nbconvert` (the flushing execute preprocessor) on small data and print exactly what
// their chapter programs print with the same seed and settings; the figures the program draws
// show inline as PNG display data. Skips with a reason when jupyter or deno is missing; fails then
// under CI=true.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import type { ChapterOptions } from '../../chapters/common.js';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { loadChapter } from '../../chapters/index.js';
import { requireResource } from '../helpers.js';

const root = new URL('../../..', import.meta.url).pathname;
const JUPYTER = '/usr/bin/jupyter';
const SEED = 0;

/**
 * Each converted chapter's small-data settings (ChapterOptions keys, set in the notebook's
 * parameter cell and passed to run()) and the number of figures it draws inline. A converted
 * chapter missing here fails the test: every notebook runs in CI.
 */
const SMALL: Record<string, { opts: ChapterOptions; figures: number }> = {
  ndarray: { opts: {}, figures: 0 },
  autograd: { opts: {}, figures: 0 },
  'linear-regression-scratch': { opts: {}, figures: 1 },
  'linear-regression-gluon': { opts: {}, figures: 0 },
  'softmax-regression': { opts: {}, figures: 0 },
  'fashion-mnist': { opts: { limit: 1024 }, figures: 1 },
  'softmax-regression-scratch': { opts: { limit: 1024, epochs: 1 }, figures: 1 },
  'softmax-regression-gluon': { opts: { limit: 1024, epochs: 1 }, figures: 1 },
  mlp: { opts: {}, figures: 6 },
  'mlp-scratch': { opts: { limit: 1024, epochs: 1 }, figures: 0 },
  'underfit-overfit': { opts: { epochs: 20 }, figures: 3 },
  'weight-decay': { opts: { epochs: 10 }, figures: 4 },
  dropout: { opts: { limit: 1024, epochs: 1 }, figures: 0 },
  backprop: { opts: {}, figures: 0 },
  'numerical-stability-and-init': { opts: {}, figures: 0 },
  'kaggle-house-price': { opts: { epochs: 5 }, figures: 2 },
  'model-construction': { opts: {}, figures: 0 },
  parameters: { opts: {}, figures: 0 },
  'deferred-init': { opts: {}, figures: 0 },
  'custom-layer': { opts: {}, figures: 0 },
  'read-write': { opts: {}, figures: 0 },
  'conv-layer': { opts: {}, figures: 0 },
  'padding-and-strides': { opts: {}, figures: 0 },
  channels: { opts: {}, figures: 0 },
  pooling: { opts: {}, figures: 0 },
  rnn: { opts: {}, figures: 0 },
  'lang-model-dataset': { opts: {}, figures: 0 },
  bptt: { opts: {}, figures: 0 },
  'bi-rnn': { opts: {}, figures: 0 },
  'gd-sgd': { opts: {}, figures: 5 },
  'minibatch-sgd': { opts: {}, figures: 4 },
  momentum: { opts: {}, figures: 8 },
  adagrad: { opts: {}, figures: 4 },
  rmsprop: { opts: {}, figures: 3 },
  adadelta: { opts: {}, figures: 2 },
  adam: { opts: {}, figures: 2 },
  'approx-training': { opts: {}, figures: 0 },
  fasttext: { opts: {}, figures: 0 },
  attention: { opts: {}, figures: 0 },
};

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

test('notebooks: each converted chapter executes in the Deno kernel and prints its program lines', async (t) => {
  const kernels = await import(join(root, 'scripts', 'notebooks', 'kernel.mjs'));
  const deno = (kernels.findDeno as () => string | null)();
  if (!requireResource(t, existsSync(JUPYTER), `Debian's jupyter (${JUPYTER}; apt-get install jupyter-nbconvert)`)) return;
  if (!requireResource(t, deno !== null, 'the deno binary (npm install deno, or DENO=/path/to/deno)')) return;
  const jupyterPath = (kernels.installKernel as (d: string) => string)(deno!);
  const builder = await import(join(root, 'scripts', 'notebooks', 'build.mjs'));
  const outDir = mkdtempSync(join(tmpdir(), 'd2l-notebooks-'));
  // D2L_NOTEBOOKS=slug,slug runs only those (while converting a program); CI runs them all.
  const only = process.env.D2L_NOTEBOOKS?.split(',').filter(Boolean);
  const slugs = (builder.CONVERTED as string[]).filter((s) => !only || only.includes(s));
  const missing = slugs.filter((s) => !(s in SMALL));
  assert.deepEqual(missing, [], 'converted chapters without small-data settings in this test');
  const small = Object.fromEntries(Object.entries(SMALL).map(([slug, c]) => [slug, c.opts]));
  const files = (builder.buildNotebooks as (o: object) => string[])({ outDir, seed: SEED, small, slugs });
  assert.equal(files.length, slugs.length);
  const t0 = performance.now();
  for (const [i, slug] of slugs.entries()) {
    const { run } = await loadChapter(slug);
    const lines: string[] = [];
    // The program runs in the notebook's folder, so the files it names (out/<slug>/...) are the same.
    const cwd = process.cwd();
    process.chdir(outDir);
    try {
      await run({ print: (l) => lines.push(l), seed: SEED, progress: false, ...SMALL[slug].opts });
    } finally {
      process.chdir(cwd);
    }
    const expected = lines.map((l) => l + '\n').join('');
    const started = performance.now();
    const { printed, images } = execute(files[i], join(outDir, `${slug}.out.ipynb`), jupyterPath);
    t.diagnostic(`${slug}: ${((performance.now() - started) / 1000).toFixed(1)} s in the kernel`);
    assert.equal(untimed(printed.join('')), untimed(expected), `${slug}: notebook output differs from the program's`);
    assert.equal(images, SMALL[slug].figures, `${slug}: inline figures`);
  }
  t.diagnostic(`all notebooks: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
});

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
