// The generated notebooks (scripts/notebooks/build.mjs) run in Deno's Jupyter kernel under
// `jupyter nbconvert --execute` and print exactly what their chapter programs print with the same
// seed. Skips with a reason when jupyter or deno is missing; fails then under CI=true.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { loadChapter } from '../../chapters/index.js';
import { requireResource } from '../helpers.js';

const root = new URL('../../..', import.meta.url).pathname;
const JUPYTER = '/usr/bin/jupyter';
const SEED = 0;
const EXECUTE_ARGS = ['--Exporter.preprocessors=["d2l_execute.FlushingExecutePreprocessor"]', '--FlushingExecutePreprocessor.enabled=True'];

interface NotebookOutput {
  output_type: string;
  name?: string;
  text?: string | string[];
  ename?: string;
  evalue?: string;
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
  const files = (builder.buildNotebooks as (o: object) => string[])({ outDir, seed: SEED });
  const slugs = builder.CONVERTED as string[];
  assert.equal(files.length, slugs.length);
  for (const [i, slug] of slugs.entries()) {
    const { run } = await loadChapter(slug);
    const { lines } = (await run({ print: () => {}, seed: SEED })) as { lines: string[] };
    const expected = lines.map((l) => l + '\n').join('');
    const printed = execute(files[i], join(outDir, `${slug}.out.ipynb`), jupyterPath).join('');
    assert.equal(printed, expected, `${slug}: notebook output differs from the program's`);
  }
});

/** Executes notebook `file` headless into `executed`; returns what each cell printed. */
function execute(file: string, executed: string, jupyterPath: string): string[] {
  // The stock execute preprocessor drops the stdout Deno's kernel sends after a cell's idle
  // status; scripts/notebooks/d2l_execute.py waits for it (see its header and docs/NOTEBOOKS.md).
  const args = ['nbconvert', '--to', 'notebook', ...EXECUTE_ARGS, '--output', executed, file];
  const r = spawnSync(JUPYTER, args, {
    cwd: join(file, '..'),
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, JUPYTER_PATH: jupyterPath, PYTHONPATH: join(root, 'scripts', 'notebooks') },
  });
  assert.equal(r.status, 0, `nbconvert ${file} failed:\n${r.stderr}`);
  const nb = JSON.parse(readFileSync(executed, 'utf8')) as Notebook;
  const outputs = nb.cells.flatMap((c) => c.outputs ?? []);
  const errors = outputs.filter((o) => o.output_type === 'error' || o.name === 'stderr');
  assert.deepEqual(errors, [], `${file}: a cell wrote an error`);
  return nb.cells.map((c) => (c.outputs ?? []).map((o) => text(o.text)).join(''));
}
