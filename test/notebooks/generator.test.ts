// The notebook generator's program-shape rules (scripts/notebooks/build.mjs, docs/NOTEBOOKS.md
// "Program shape") on small made-up programs: parameters move to the parameter cell (with the
// test's small values), the plumbing objects leave the calls, and a program that reads opts
// elsewhere is refused with the line named. No kernel needed.
import test from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';

const root = new URL('../../..', import.meta.url).pathname;

interface Cell {
  cell_type: string;
  source: string[];
}
type ChapterNotebook = (src: string, slug: string, seed?: number, small?: object) => { cells: Cell[] };

const program = (body: string) => `/**
 * # 9.9 A made-up section
 *
 * What it shows.
 *
 * Run it: \`d2l-ts run made-up\`.
 */
import { join } from 'node:path';
import { nd, d2l } from '../src/index.js';
import { pyShape } from './pyrepr.js';
import { startRun, runIfMain, type ChapterOptions } from './common.js';

export const meta = { slug: 'made-up', title: '9.9' };

/** Runs it. */
export async function run(opts: ChapterOptions = {}): Promise<{ lines: string[] }> {
${body}
}

runIfMain(import.meta.url, run);
`;

const sources = (nb: { cells: Cell[] }) => nb.cells.map((c) => `[${c.cell_type}]\n${c.source.join('')}`);

test('notebooks: parameters, plumbing and imports become the book-like cells', async () => {
  const { chapterNotebook } = (await import(join(root, 'scripts', 'notebooks', 'build.mjs'))) as { chapterNotebook: ChapterNotebook };
  const src = program(`  const { print, lines, io, dev, dataOpts } = startRun(opts);
  nd.random.seed(opts.seed ?? 7);
  const outDir = opts.outDir ?? join('out', meta.slug);

  // ## Training
  const batchSize = opts.batchSize ?? 256;
  const limit = opts.limit; // examples to use
  const [trainIter, testIter] = await d2l.loadDataFashionMnist(batchSize, { limit, ...dataOpts });
  const W = nd.zeros([784, 10], dev);
  const ctx = await trainingContext(opts);
  print(pyShape(W.shape), ctx);
  const numEpochs = opts.epochs ?? 5;
  await d2l.trainCh3(net, trainIter, testIter, loss, numEpochs, batchSize, [W], 0.1, null, io);
  await d2l.getDataCh7(dataOpts);
  await d2l.trainCh7(trainer, states, hyper, features, labels, 10, 2, {
    file: 'f.png',
    ...io,
  });
  return {
    lines,
  };`);
  const cells = sources(chapterNotebook(src, 'made-up', undefined, { epochs: 1, limit: 512 }));
  assert.deepEqual(cells, [
    '[markdown]\n# 9.9 A made-up section\n\nWhat it shows.',
    "[code]\nimport { join } from 'node:path';\nimport { nd, d2l } from 'd2l-ts';\nimport { pyShape } from 'd2l-ts/chapters/pyrepr.js';",
    "[markdown]\nParameters: the book's settings. The tests run this notebook on small data by changing this cell (`limit`: only the first examples; `undefined` reads them all).",
    "[code]\nconst seed = 7;\nnd.random.seed(seed);\nconst outDir = join('out', 'made-up');\nconst batchSize = 256;\nconst limit = 512; // examples to use\nconst numEpochs = 1;",
    '[markdown]\n## Training',
    [
      '[code]',
      'const [trainIter, testIter] = await d2l.loadDataFashionMnist(batchSize, { limit });',
      'const W = nd.zeros([784, 10]);',
      'const ctx = await d2l.tryGpu();',
      'console.log(pyShape(W.shape), ctx);',
      'await d2l.trainCh3(net, trainIter, testIter, loss, numEpochs, batchSize, [W], 0.1, null);',
      'await d2l.getDataCh7();',
      'await d2l.trainCh7(trainer, states, hyper, features, labels, 10, 2, {',
      "  file: 'f.png'",
      '});',
    ].join('\n'),
  ]);
});

test('notebooks: a run body reading opts outside a parameter line, or using io otherwise, is refused', async () => {
  const { chapterNotebook } = (await import(join(root, 'scripts', 'notebooks', 'build.mjs'))) as { chapterNotebook: ChapterNotebook };
  assert.throws(
    () => chapterNotebook(program(`  const { print } = startRun(opts);\n  print(opts.lr ?? 0.1);`), 'made-up', 0),
    /made-up\.ts's run body reads opts outside a parameter line .*: print\(opts\.lr \?\? 0\.1\);/,
  );
  assert.throws(
    () => chapterNotebook(program(`  const { io } = startRun(opts);\n  const o = io;`), 'made-up', 0),
    /made-up\.ts uses io other than as a call's last argument/,
  );
  assert.throws(
    () => chapterNotebook(program(`  const numEpochs = opts.epochs ?? 5;`), 'made-up', 0, { lr: 1 }),
    /made-up has no parameter read from opts\.lr/,
  );
});
