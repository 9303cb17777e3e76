import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from '../../cli/main.js';
import { chapterSlugs, loadChapter } from '../../chapters/index.js';
import { RUN_USAGE, USAGE } from '../../cli/args.js';

const MAIN = fileURLToPath(new URL('../../cli/main.js', import.meta.url));

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) }, out, err };
}

test('list prints every chapter slug with its section title', async () => {
  const { io, out } = capture();
  assert.equal(await main(['list'], io), 0);
  const text = out.join('\n');
  for (const slug of chapterSlugs()) assert.match(text, new RegExp(`^${slug}\\s+\\S`, 'm'));
  assert.match(text, /linear-regression-scratch\s+3\.2 /);
  assert.doesNotMatch(text, /cannot load/);
});

test('--help and help <command> print usage and exit 0', async () => {
  for (const argv of [['--help'], [], ['help'], ['help', 'run'], ['run', '--help'], ['start', '--help']]) {
    const { io, out } = capture();
    assert.equal(await main(argv, io), 0, argv.join(' '));
    assert.match(out.join('\n'), /Usage: d2l-ts/);
  }
  const { io, err } = capture();
  assert.equal(await main(['help', 'nope'], io), 2);
  assert.match(err.join('\n'), /no help for 'nope'/);
});

test('an unknown slug exits 2 and lists the valid ones', async () => {
  const { io, err } = capture();
  assert.equal(await main(['run', 'softmax-regresion'], io), 2);
  const text = err.join('\n');
  assert.match(text, /unknown chapter 'softmax-regresion'/);
  for (const slug of chapterSlugs()) assert.ok(text.includes(slug), slug);
  assert.match(text, /d2l-ts --help/);
});

test('--kvstore on a chapter that does not train through a KVStore exits 2', async () => {
  const { io, err } = capture();
  assert.equal(await main(['run', 'linear-regression-scratch', '--kvstore', 'dist_sync'], io), 2);
  assert.match(err.join('\n'), /--kvstore: linear-regression-scratch does not train through a KVStore \(mlp-gluon does\)/);
});

test('--resume and --checkpoint-dir on a program that saves no checkpoints exit 2, listing those that do', async () => {
  const resumable: string[] = [];
  for (const slug of chapterSlugs()) if ((await loadChapter(slug)).meta.resumable) resumable.push(slug);
  // The long CNN programs of 5.6-5.12 (those that train through trainBookCnn, which saves the
  // checkpoints) and 10.8's textCNN, which saves its own.
  assert.deepEqual(resumable, ['alexnet', 'vgg', 'nin', 'googlenet', 'resnet', 'densenet', 'sentiment-analysis-cnn']);
  const source = (slug: string) => readFileSync(fileURLToPath(new URL(`../../../chapters/${slug}.ts`, import.meta.url)), 'utf8');
  assert.deepEqual(
    chapterSlugs().filter((slug) => /\btrainBookCnn\(/.test(source(slug))),
    resumable.filter((slug) => slug !== 'sentiment-analysis-cnn'),
  );
  for (const flag of [['--resume'], ['--checkpoint-dir', 'ck']]) {
    const { io, out, err } = capture();
    assert.equal(await main(['run', 'linear-regression-scratch', ...flag, '--epochs', '1'], io), 2, flag.join(' '));
    assert.equal(
      err.join('\n'),
      `d2l-ts: ${flag[0]}: linear-regression-scratch saves no checkpoints; the programs that do and take --resume: ${resumable.join(', ')}`,
    );
    assert.deepEqual(out, [], 'nothing ran');
  }
  // The help lists the same programs.
  for (const text of [USAGE, RUN_USAGE]) assert.ok(text.includes(resumable.join(', ')), text);
  assert.match(RUN_USAGE, /\[--resume\] \[--checkpoint-dir D\]/);
  assert.match(USAGE, /--checkpoint-dir D .*\n.*default <out-dir>\/checkpoint, i\.e\. \.\/out\/<slug>\/checkpoint/);
});

test('--resume with no checkpoint, and a --checkpoint-dir that is a file, exit 2 before the program starts', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'd2l-cli-ck-'));
  let { io, out, err } = capture();
  const none = join(dir, 'none');
  assert.equal(await main(['run', 'resnet', '--resume', '--checkpoint-dir', none, '--seed', '1'], io), 2);
  assert.equal(
    err.join('\n'),
    `d2l-ts: resnet --resume: no checkpoint in ${none} (a run saves one there after each epoch); run without --resume to start`,
  );
  assert.deepEqual(out, [], 'nothing ran');
  // The default folder, ./out/<slug>/checkpoint under --out-dir.
  ({ io, out, err } = capture());
  assert.equal(await main(['run', 'densenet', '--resume', '--out-dir', dir], io), 2);
  assert.match(err.join('\n'), new RegExp(`no checkpoint in ${join(dir, 'checkpoint')} `));
  const file = join(dir, 'a-file');
  writeFileSync(file, 'x');
  ({ io, out, err } = capture());
  assert.equal(await main(['run', 'resnet', '--checkpoint-dir', file], io), 2);
  assert.equal(err.join('\n'), `d2l-ts: --checkpoint-dir ${file}: is not a directory (expected the folder holding resnet's checkpoints)`);
  assert.deepEqual(out, []);
});

test('bad numbers exit 2 with a clear message', async () => {
  const { io, err } = capture();
  assert.equal(await main(['run', 'linear-regression-scratch', '--epochs', 'x'], io), 2);
  assert.match(err[0], /--epochs must be a positive integer, got 'x'/);
});

test('run <slug> runs the chapter with the options, printing the book lines', async () => {
  const { io, out, err } = capture();
  const outDir = mkdtempSync(join(tmpdir(), 'd2l-cli-'));
  const code = await main(['run', 'linear-regression-scratch', '--seed', '5', '--epochs', '2', '--out-dir', outDir, '--no-progress'], io);
  assert.equal(code, 0, err.join('\n'));
  const lines = out.join('\n').split('\n');
  assert.deepEqual(
    lines.filter((l) => l.startsWith('epoch')).map((l) => l.replace(/[\d.]+$/, 'N')),
    ['epoch 1, loss N', 'epoch 2, loss N'],
  );
  assert.match(err.join('\n'), /# linear-regression-scratch: 3\.2/);
  // the same seed gives the same output
  const again = capture();
  await main(['run', 'linear-regression-scratch', '--seed', '5', '--epochs', '2', '--out-dir', outDir], again.io);
  assert.deepEqual(again.out, out);
});

test('without --seed a seed is chosen and shown so the run can be repeated', async () => {
  const { io, err } = capture();
  const outDir = mkdtempSync(join(tmpdir(), 'd2l-cli-'));
  assert.equal(await main(['run', 'linear-regression-scratch', '--epochs', '1', '--out-dir', outDir], io), 0);
  assert.match(err.join('\n'), /\(seed \d+; rerun with --seed \d+ to repeat this run\)/);
});

test('the built binary: exit codes 0 and 2, messages on stderr', () => {
  const ok = spawnSync(process.execPath, [MAIN, 'list'], { encoding: 'utf8' });
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /linear-regression-scratch/);
  const bad = spawnSync(process.execPath, [MAIN, 'run', 'nope'], { encoding: 'utf8' });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /unknown chapter 'nope'/);
  assert.equal(bad.stdout, '');
  const badNum = spawnSync(process.execPath, [MAIN, 'run', 'mlp', '--lr', '-1'], { encoding: 'utf8' });
  assert.equal(badNum.status, 2);
  assert.match(badNum.stderr, /--lr must be a positive number/);
});

test('--ctx gpu without a GPU backend is a clear error, not a crash', async () => {
  const { io, err } = capture();
  const code = await main(['run', 'mlp', '--ctx', 'gpu', '--seed', '1', '--out-dir', mkdtempSync(join(tmpdir(), 'd2l-cli-'))], io);
  if (code === 0) return; // a machine with a working WebGPU backend
  assert.notEqual(code, 0);
  assert.match(err.join('\n'), /gpu\(0\)|GPU|WebGPU/);
  assert.doesNotMatch(err.join('\n'), /^\s+at /m, 'no stack trace');
});
