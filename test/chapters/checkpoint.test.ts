// Epoch checkpoints of the long CNN programs (chapters/checkpoint.ts through trainBookCnn, and
// `d2l-ts run <slug> --resume`): a run of two epochs and a run of one epoch resumed to two end
// with the same parameters bit for bit and print the same epoch-2 line (the checkpoint restores
// the parameters, the batch norm statistics, the trainer and the random generator that shuffles
// and drops out); a resume with other settings is refused; the folder holds only complete files,
// also after a save that failed half-way; and the command line saves and resumes. The network is
// a small one (a convolution, batch norm, dropout) on 96 Fashion-MNIST images at 16x16, so each
// run takes a second or two; the command-line test runs DenseNet on 64 images at 32x32.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nd, gluon, cpu, d2l, autograd } from '../../src/index.js';
import { haveFashionMnist, requireResource } from '../helpers.js';
import { trainBookCnn, type CnnDefaults } from '../../chapters/cnn-run.js';
import { checkCheckpoint, peekCheckpoint, readCheckpoint, restoreCheckpoint, saveCheckpoint } from '../../chapters/checkpoint.js';

const { nn } = gluon;
const MAIN = fileURLToPath(new URL('../../cli/main.js', import.meta.url));

const HAVE_FASHION = haveFashionMnist();

/** A small CNN with every kind of state a checkpoint must carry: weights, batch norm statistics, dropout's random masks. */
function tinyNet(): gluon.Sequential {
  gluon.resetNameCounters();
  const net = new nn.Sequential();
  net.add(
    new nn.Conv2D(4, 3, { padding: 1 }),
    new nn.BatchNorm(),
    new nn.Activation('relu'),
    new nn.MaxPool2D(2, { strides: 2 }),
    new nn.Dense(16, { activation: 'relu' }),
    new nn.Dropout(0.5),
    new nn.Dense(10),
  );
  return net;
}

const BOOK: CnnDefaults = { slug: 'tiny', lr: 0.1, batchSize: 32, epochs: 2, resize: 16 };
const BASE = { limit: 96, ctx: cpu() };

/** Every parameter's bytes by structured name (the batch norm statistics included). */
function paramBytes(net: gluon.Block): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const [k, p] of net.structuredParams()) {
    const a = p.data().dataSync();
    out.set(k, Buffer.from(a.buffer, a.byteOffset, a.byteLength));
  }
  return out;
}

/** An epoch line without its time, which differs between runs. */
const noTime = (l: string) => l.replace(/, time \d+\.\d sec$/, '');

async function train(seed: number, opts: Parameters<typeof trainBookCnn>[1]) {
  nd.random.seed(seed);
  const net = tinyNet();
  const lines: string[] = [];
  const r = await trainBookCnn(net, { ...BASE, ...opts }, BOOK, (l) => lines.push(l));
  return { net, lines, history: r.history };
}

test('two epochs in one run, and one epoch resumed to two, end with the same parameters and print the same epoch-2 line', async (t) => {
  if (!requireResource(t, HAVE_FASHION, 'Fashion-MNIST')) return;
  const dirA = mkdtempSync(join(tmpdir(), 'd2l-ck-a-'));
  const dirB = mkdtempSync(join(tmpdir(), 'd2l-ck-b-'));
  const whole = await train(7, { epochs: 2, checkpointDir: dirA });
  await train(7, { epochs: 1, checkpointDir: dirB });
  assert.equal(readCheckpoint(dirB)?.epoch, 1);
  // Another seed for the resumed process: what happens after the checkpoint comes from its generator.
  const resumed = await train(12345, { epochs: 2, checkpointDir: dirB, resume: true });

  const a = paramBytes(whole.net);
  const b = paramBytes(resumed.net);
  assert.ok(
    [...a.keys()].some((k) => k.endsWith('running_mean')),
    'the batch norm statistics are compared too',
  );
  assert.deepEqual([...b.keys()], [...a.keys()]);
  for (const [k, bytes] of a) assert.ok(bytes.equals(b.get(k)!), `parameter ${k} differs after the resumed run`);

  const epochLines = (ls: string[]) => ls.filter((l) => l.startsWith('epoch ')).map(noTime);
  assert.equal(epochLines(whole.lines).length, 2);
  assert.deepEqual(epochLines(resumed.lines), [epochLines(whole.lines)[1]]);
  assert.ok(resumed.lines.includes(`resuming at epoch 2 of 2 from the checkpoint of epoch 1 in ${dirB}`), resumed.lines.join('\n'));
  // The history holds both epochs, the first from the checkpoint.
  const numbers = (m: d2l.EpochMetrics) => [m.epoch, m.loss, m.trainAcc, m.testAcc];
  assert.deepEqual(resumed.history.map(numbers), whole.history.map(numbers));
  assert.equal(readCheckpoint(dirB)?.epoch, 2);

  // The check has teeth: without the generator's state the resumed epoch differs.
  const dirC = mkdtempSync(join(tmpdir(), 'd2l-ck-c-'));
  await train(7, { epochs: 1, checkpointDir: dirC });
  nd.random.seed(12345);
  const net = tinyNet();
  net.initialize({ forceReinit: true, ctx: cpu() });
  net.forward(nd.zeros([1, 1, 16, 16])); // the deferred shapes
  const trainer = new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: BOOK.lr });
  const ck = readCheckpoint(dirC)!;
  restoreCheckpoint(dirC, ck, { slug: 'tiny', net, trainer, settings: ck.settings });
  nd.random.seed(12345); // undo the generator's restoration only
  const [trainIter, testIter] = await d2l.loadDataFashionMnist(BOOK.batchSize, { resize: BOOK.resize, limit: BASE.limit });
  await d2l.trainCh5(net, trainIter, testIter, BOOK.batchSize, trainer, cpu(), 2, { startEpoch: 1, print: () => {} });
  const c = paramBytes(net);
  assert.ok(
    [...a].some(([k, bytes]) => !bytes.equals(c.get(k)!)),
    'another random generator state must give other parameters',
  );
});

test('the folder holds only the last complete checkpoint; a fresh run over it says it starts over', async (t) => {
  if (!requireResource(t, HAVE_FASHION, 'Fashion-MNIST')) return;
  const dir = mkdtempSync(join(tmpdir(), 'd2l-ck-files-'));
  await train(3, { epochs: 2, checkpointDir: dir });
  assert.deepEqual(readdirSync(dir).sort(), ['checkpoint.json', 'epoch-2.params', 'epoch-2.states']);
  const m = JSON.parse(readFileSync(join(dir, 'checkpoint.json'), 'utf8'));
  assert.equal(m.format, 'd2l-ts-checkpoint');
  assert.deepEqual(m.settings, { batchSize: 32, lr: 0.1, resize: 16, limit: 96 });
  assert.equal(m.history.length, 2);

  // A run without --resume replaces it, and says so before it trains.
  const again = await train(3, { epochs: 1, checkpointDir: dir });
  const note = `starting over: the checkpoint of epoch 2 in ${dir} is replaced after epoch 1 (--resume continues it instead)`;
  const at = again.lines.indexOf(note);
  assert.ok(at >= 0 && at < again.lines.findIndex((l) => l.startsWith('epoch ')), again.lines.join('\n'));
  assert.deepEqual(readdirSync(dir).sort(), ['checkpoint.json', 'epoch-1.params', 'epoch-1.states']);
  // Epoch 1 once more: under the other stem, as the manifest named epoch-1.params while the new files were written.
  await train(3, { epochs: 1, checkpointDir: dir });
  assert.deepEqual(readdirSync(dir).sort(), ['checkpoint.json', 'epoch-1.1.params', 'epoch-1.1.states']);
  assert.equal(readCheckpoint(dir)?.params, 'epoch-1.1.params');
});

test('a save that fails half-way leaves the previous checkpoint readable, and the next save removes its leftovers', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'd2l-ck-fail-'));
  nd.random.seed(1);
  const net = tinyNet();
  net.initialize({ ctx: cpu() });
  const X = nd.random.uniform(0, 1, [8, 1, 8, 8]);
  const y = nd.array([0, 1, 2, 3, 4, 5, 6, 7]);
  const trainer = new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: 0.1 });
  const loss = new gluon.loss.SoftmaxCrossEntropyLoss();
  const step = () => {
    const l = autograd.record(() => loss.forward(net.forward(X), y).sum());
    l.backward();
    trainer.step(8);
  };
  const metrics = (epoch: number): d2l.EpochMetrics => ({ epoch, loss: 1, trainAcc: 0.5, testAcc: 0.5, seconds: 1, examplesPerSec: 8 });
  const settings = { batchSize: 8, lr: 0.1 };
  step();
  await saveCheckpoint(dir, { slug: 'tiny', epoch: 1, net, trainer, history: [metrics(1)], settings });
  const before = paramBytes(net);
  step();
  // The trainer's file cannot be written: the epoch-2 parameters are on disk, the manifest is not.
  const failing = Object.assign(Object.create(trainer) as gluon.Trainer, {
    saveStatesAsync: async () => {
      throw new Error('disk full');
    },
  });
  await assert.rejects(
    saveCheckpoint(dir, { slug: 'tiny', epoch: 2, net, trainer: failing, history: [metrics(1), metrics(2)], settings }),
    /disk full/,
  );
  writeFileSync(join(dir, 'epoch-3.states.4242.abcdef12.tmp'), 'a killed atomic write');
  const ck = readCheckpoint(dir)!;
  assert.equal(ck.epoch, 1);
  const fresh = tinyNet();
  fresh.initialize({ ctx: cpu() });
  fresh.forward(X);
  restoreCheckpoint(dir, ck, {
    slug: 'tiny',
    net: fresh,
    trainer: new gluon.Trainer(fresh.collectParams(), 'sgd', { learningRate: 0.1 }),
    settings,
  });
  for (const [k, bytes] of before) assert.ok(bytes.equals(paramBytes(fresh).get(k)!), `${k}: the epoch-1 checkpoint is intact`);
  // The next complete save leaves only its own files (and files that are not a checkpoint's).
  writeFileSync(join(dir, 'notes.txt'), 'mine');
  await saveCheckpoint(dir, { slug: 'tiny', epoch: 2, net, trainer, history: [metrics(1), metrics(2)], settings });
  assert.deepEqual(readdirSync(dir).sort(), ['checkpoint.json', 'epoch-2.params', 'epoch-2.states', 'notes.txt']);
  // Another program's checkpoint.json is left alone.
  const other = mkdtempSync(join(tmpdir(), 'd2l-ck-other-'));
  writeFileSync(join(other, 'checkpoint.json'), '{"model": "something else"}');
  await assert.rejects(
    saveCheckpoint(other, { slug: 'tiny', epoch: 1, net, trainer, history: [metrics(1)], settings }),
    /checkpoint\.json' exists and is not a d2l-ts checkpoint manifest; it is left alone/,
  );
  assert.equal(readFileSync(join(other, 'checkpoint.json'), 'utf8'), '{"model": "something else"}');
  assert.deepEqual(readdirSync(other), ['checkpoint.json']);
  assert.throws(() => peekCheckpoint(other), /not a d2l-ts checkpoint manifest/);
  assert.throws(() => readCheckpoint(other), /is not a d2l-ts checkpoint manifest/);
});

test('resuming with other settings, another program or no checkpoint is refused with what differs', async (t) => {
  if (!requireResource(t, HAVE_FASHION, 'Fashion-MNIST')) return;
  const dir = mkdtempSync(join(tmpdir(), 'd2l-ck-settings-'));
  await train(5, { epochs: 1, checkpointDir: dir });
  const otherSettings =
    /checkCheckpoint: the checkpoint in .* was trained with other settings, so resuming would not continue that run:\n {2}- lr: 0\.1 in the checkpoint, 0\.2 now\nrerun with the checkpoint's settings, or without --resume to start over$/;
  await assert.rejects(train(5, { epochs: 2, lr: 0.2, checkpointDir: dir, resume: true }), otherSettings);
  await assert.rejects(
    train(5, { epochs: 2, batchSize: 16, limit: 48, checkpointDir: dir, resume: true }),
    /- batchSize: 32 in the checkpoint, 16 now\n {2}- limit: 96 in the checkpoint, 48 now\n/,
  );
  const ck = readCheckpoint(dir)!;
  assert.throws(
    () => checkCheckpoint(dir, ck, { slug: 'resnet', settings: ck.settings }),
    /the checkpoint in .* belongs to 'tiny', not 'resnet'; pass another --checkpoint-dir/,
  );
  const empty = mkdtempSync(join(tmpdir(), 'd2l-ck-empty-'));
  await assert.rejects(
    train(5, { epochs: 2, checkpointDir: empty, resume: true }),
    new RegExp(
      `ValueError: tiny --resume: no checkpoint in ${empty} \\(a run saves one there after each epoch\\); run without --resume to start$`,
    ),
  );
  await assert.rejects(train(5, { epochs: 2, resume: true }), /resume needs checkpointDir/);
  // A refused resume changed nothing.
  assert.equal(readCheckpoint(dir)?.epoch, 1);
  // A checkpoint whose files are gone is reported, not half loaded.
  const m = JSON.parse(readFileSync(join(dir, 'checkpoint.json'), 'utf8'));
  writeFileSync(join(dir, 'checkpoint.json'), JSON.stringify({ ...m, states: 'epoch-9.states' }));
  assert.throws(() => readCheckpoint(dir), /names 'epoch-9\.states', which is missing from/);
});

test('d2l-ts run densenet saves a checkpoint in out/densenet/checkpoint, and --resume continues at epoch 2', async (t) => {
  if (!requireResource(t, HAVE_FASHION, 'Fashion-MNIST')) return;
  const cwd = mkdtempSync(join(tmpdir(), 'd2l-ck-cli-'));
  // On the CPU: the CNN programs pick a GPU when there is one (the book's try_gpu), and a software
  // WebGPU adapter takes minutes for what the CPU does in seconds.
  const small = ['--limit', '64', '--batch-size', '32', '--resize', '32', '--ctx', 'cpu', '--seed', '1', '--no-progress'];
  const first = spawnSync(process.execPath, [MAIN, 'run', 'densenet', '--epochs', '1', ...small], { cwd, encoding: 'utf8' });
  assert.equal(first.status, 0, first.stderr);
  const dir = join(cwd, 'out', 'densenet', 'checkpoint');
  assert.ok(existsSync(join(dir, 'checkpoint.json')), `no checkpoint in the default folder ${dir}`);
  assert.deepEqual(readdirSync(dir).sort(), ['checkpoint.json', 'epoch-1.params', 'epoch-1.states']);
  const epoch1 = first.stdout.split('\n').filter((l) => l.startsWith('epoch '));
  assert.equal(epoch1.length, 1);

  // From elsewhere, naming the folder; another seed changes nothing after the checkpoint.
  const second = spawnSync(
    process.execPath,
    [MAIN, 'run', 'densenet', '--resume', '--checkpoint-dir', dir, '--epochs', '2', ...small.slice(0, -3), '--seed', '9', '--no-progress'],
    { encoding: 'utf8' },
  );
  assert.equal(second.status, 0, second.stderr);
  const lines = second.stdout.split('\n');
  assert.ok(lines.includes(`resuming at epoch 2 of 2 from the checkpoint of epoch 1 in ${dir}`), second.stdout);
  const epochs = lines.filter((l) => l.startsWith('epoch '));
  assert.equal(epochs.length, 1, second.stdout);
  assert.match(epochs[0]!, /^epoch 2, loss \d+\.\d{4}, train acc \d\.\d{3}, test acc \d\.\d{3}, time \d+\.\d sec$/);
  assert.equal(readCheckpoint(dir)?.epoch, 2);
  // The uninterrupted two-epoch run prints the same epoch 2 (batch norm, trainer and generator state carried over).
  const whole = spawnSync(process.execPath, [MAIN, 'run', 'densenet', '--epochs', '2', '--checkpoint-dir', join(cwd, 'whole'), ...small], {
    encoding: 'utf8',
  });
  assert.equal(whole.status, 0, whole.stderr);
  const wholeEpochs = whole.stdout
    .split('\n')
    .filter((l) => l.startsWith('epoch '))
    .map(noTime);
  assert.deepEqual(wholeEpochs, [noTime(epoch1[0]!), noTime(epochs[0]!)]);

  // Other settings: the CLI reports the refusal (exit 1) without training.
  const third = spawnSync(
    process.execPath,
    [MAIN, 'run', 'densenet', '--resume', '--checkpoint-dir', dir, '--epochs', '3', '--lr', '0.5', ...small],
    { encoding: 'utf8' },
  );
  assert.equal(third.status, 1);
  assert.match(third.stderr, /was trained with other settings[^]*- lr: 0\.1 in the checkpoint, 0\.5 now/);
  assert.ok(!third.stdout.split('\n').some((l) => l.startsWith('epoch ')), 'nothing trained');
});
