// Chapter 4 (deep learning computation) programs: what the book printed where it is deterministic
// (parameter names and shapes, ParameterDict reprs, initializer calls, the reprs of saved and
// loaded lists and dicts, contexts), and the properties of the random parts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nd, gluon } from '../../src/index.js';
import * as modelConstruction from '../../chapters/model-construction.js';
import * as parameters from '../../chapters/parameters.js';
import * as deferredInit from '../../chapters/deferred-init.js';
import * as customLayer from '../../chapters/custom-layer.js';
import * as readWrite from '../../chapters/read-write.js';
import * as useGpu from '../../chapters/use-gpu.js';
import { loadChapter } from '../../chapters/index.js';

const quiet = { print: () => {} };

test('4.1 model-construction: an MLP Block, MySequential, FancyMLP (a constant, control flow) and nested blocks', async () => {
  const r = await modelConstruction.run({ seed: 1, ...quiet });
  assert.deepEqual(r.outputs.mlp.shape, [2, 10]);
  assert.deepEqual(r.outputs.mySequential.shape, [2, 10]);
  assert.match(r.lines[0], /<NDArray 2x10 @cpu\(0\)>$/);
  // FancyMLP halves x until its norm is at most 1, then multiplies by 10 if it is under 0.8, and
  // returns the sum of 2 x 20 values: |sum| <= sqrt(40) * 10.
  for (const s of [r.outputs.fancy, r.outputs.nested]) {
    assert.deepEqual(s.shape, []);
    assert.ok(Math.abs(s.asScalar()) <= Math.sqrt(40) * 10 + 1e-3, `${s.asScalar()}`);
  }
  assert.match(r.lines[2], /^\n-?\d+\.\d+\n<NDArray {2}@cpu\(0\)>$/);
});

test('4.1: FancyMLP keeps its constant out of training, and its forward pass follows the book', async () => {
  // Same seed, same draws: the program's X and the constant are reproducible.
  const a = await modelConstruction.run({ seed: 7, ...quiet });
  const b = await modelConstruction.run({ seed: 7, ...quiet });
  assert.deepEqual(a.outputs.fancy.asScalar(), b.outputs.fancy.asScalar());
  assert.deepEqual(a.lines, b.lines);
});

test("4.2 parameters: the book's reprs, zero gradients and biases, Constant(1), MyInit's calls and values, setData, sharing", async () => {
  const r = await parameters.run({ seed: 1, ...quiet });
  const text = r.lines.join('\n');
  // The book's tuples, laid out as IPython did (the type's name is ours: gluon.ParameterDict).
  assert.equal(
    r.lines[0],
    '(dense0_ (\n   Parameter dense0_weight (shape=(256, 20), dtype=float32)\n   Parameter dense0_bias (shape=(256,), dtype=float32)\n ), gluon.ParameterDict)',
  );
  assert.equal(
    r.lines[1],
    '(Parameter dense0_weight (shape=(256, 20), dtype=float32),\n Parameter dense0_weight (shape=(256, 20), dtype=float32))',
  );
  assert.match(r.lines[2], /<NDArray 256x20 @cpu\(0\)>$/);
  assert.equal(
    r.lines[3],
    '\n[[0. 0. 0. ... 0. 0. 0.]\n [0. 0. 0. ... 0. 0. 0.]\n [0. 0. 0. ... 0. 0. 0.]\n ...\n [0. 0. 0. ... 0. 0. 0.]\n [0. 0. 0. ... 0. 0. 0.]\n [0. 0. 0. ... 0. 0. 0.]]\n<NDArray 256x20 @cpu(0)>',
  );
  assert.equal(r.lines[4], '\n[0. 0. 0. 0. 0. 0. 0. 0. 0. 0.]\n<NDArray 10 @cpu(0)>');
  assert.equal(
    r.lines[5],
    'sequential0_ (\n  Parameter dense0_weight (shape=(256, 20), dtype=float32)\n  Parameter dense0_bias (shape=(256,), dtype=float32)\n' +
      '  Parameter dense1_weight (shape=(10, 256), dtype=float32)\n  Parameter dense1_bias (shape=(10,), dtype=float32)\n)',
  );
  assert.equal(
    r.lines[6],
    'sequential0_ (\n  Parameter dense0_weight (shape=(256, 20), dtype=float32)\n  Parameter dense1_weight (shape=(10, 256), dtype=float32)\n)',
  );
  assert.equal(r.lines[8], '\n[1. 1. 1. 1. 1. 1. 1. 1. 1. 1. 1. 1. 1. 1. 1. 1. 1. 1. 1. 1.]\n<NDArray 20 @cpu(0)>');
  assert.ok(text.includes('Init dense0_weight (256, 20)\nInit dense1_weight (10, 256)'));
  // MyInit: each value 0 or in [5, 10] in magnitude; setData added 1 everywhere.
  const drawn = Array.from(r.myInitRow.dataSync());
  assert.ok(
    drawn.every((v) => v === 0 || (Math.abs(v) >= 5 && Math.abs(v) <= 10)),
    drawn.join(' '),
  );
  assert.ok(drawn.some((v) => v === 0) && drawn.some((v) => v !== 0));
  const after = Array.from(r.net.get<gluon.nn.Dense>(0).weight.data().get(0).dataSync());
  after.forEach((v, i) => assert.ok(Math.abs(v - drawn[i] - 1) < 1e-5));
  // The Normal(0.01) row and the Xavier row: Xavier's bound for (256, 20) is sqrt(6 / 276).
  const xavier = r.lines[9].match(/-?\d+\.\d+(e-\d+)?/g)!.map(Number);
  assert.ok(xavier.every((v) => Math.abs(v) <= Math.sqrt(6 / 276)));
  // Sharing: the second and third layers hold the same Parameter objects.
  const [l1, l2] = [r.sharedNet.get<gluon.nn.Dense>(1), r.sharedNet.get<gluon.nn.Dense>(2)];
  assert.equal(l1.weight, l2.weight);
  assert.equal(r.lines[r.lines.length - 1], '\n[1. 1. 1. 1. 1. 1. 1. 1.]\n<NDArray 8 @cpu(0)>');
});

test("4.3 deferred-init prints exactly the book's lines, each at the step where the book's came", async () => {
  const r = await deferredInit.run(quiet);
  assert.deepEqual(r.lines, [
    'Init dense0_weight (256, 20)',
    'Init dense1_weight (10, 256)',
    'Init dense0_weight (256, 20)',
    'Init dense1_weight (10, 256)',
    'Init dense2_weight (256, 20)',
    'Init dense3_weight (10, 256)',
  ]);
  assert.deepEqual(r.marks, [
    'first forward: dense0_weight',
    'first forward: dense1_weight',
    'forceReinit: dense0_weight',
    'forceReinit: dense1_weight',
    'initialize with inUnits: dense2_weight',
    'initialize with inUnits: dense3_weight',
  ]);
});

test('4.4 custom-layer: CenteredLayer gives [-2 -1 0 1 2] and a zero mean; MyDense names, shapes and ReLU outputs', async () => {
  const r = await customLayer.run({ seed: 1, ...quiet });
  assert.equal(r.lines[0], '\n[-2. -1.  0.  1.  2.]\n<NDArray 5 @cpu(0)>');
  assert.ok(Math.abs(r.centeredMean) < 1e-6, `${r.centeredMean}`);
  assert.equal(r.lines[2], '(\n  Parameter param2 (shape=(2, 3), dtype=float32)\n)');
  assert.equal(
    r.lines[3],
    'mydense0_ (\n  Parameter mydense0_weight (shape=(5, 3), dtype=float32)\n  Parameter mydense0_bias (shape=(3,), dtype=float32)\n)',
  );
  assert.deepEqual(r.denseOut.shape, [2, 3]);
  assert.deepEqual(r.netOut.shape, [2, 1]);
  for (const o of [r.denseOut, r.netOut])
    assert.ok(
      Array.from(o.dataSync()).every((v) => v >= 0),
      'ReLU outputs',
    );
  // MyDense computes relu(x W + b) with W of shape (inUnits, units).
  const X = nd.random.uniform(0, 1, [3, 5]);
  const expect = nd.relu(nd.dot(X, r.dense.weight.data()).add(r.dense.bias.data()));
  assert.deepEqual(r.dense.forward(X).toArray(), expect.toArray());
});

test("4.5 read-write: nd.save/nd.load of an array, a list and a dict print as the book's; reloaded parameters give the same output", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'd2l-ch4-rw-'));
  const r = await readWrite.run({ seed: 1, outDir: dir, ...quiet });
  assert.deepEqual(r.lines, [
    '[\n [1. 1. 1.]\n <NDArray 3 @cpu(0)>]',
    '(\n [1. 1. 1.]\n <NDArray 3 @cpu(0)>, \n [0. 0. 0. 0.]\n <NDArray 4 @cpu(0)>)',
    "{'x': \n [1. 1. 1.]\n <NDArray 3 @cpu(0)>, 'y': \n [0. 0. 0. 0.]\n <NDArray 4 @cpu(0)>}",
    '\n[[1. 1. 1. 1. 1. 1. 1. 1. 1. 1.]\n [1. 1. 1. 1. 1. 1. 1. 1. 1. 1.]]\n<NDArray 2x10 @cpu(0)>',
  ]);
  for (const f of r.files) assert.ok(existsSync(f), f);
  assert.deepEqual(r.Y2.toArray(), r.Y.toArray());
});

test('4.6 use-gpu on the CPU (--ctx cpu): contexts, copies, asInContext identity, (z + 2).exp() * y, Dense on the device', async () => {
  const r = await useGpu.run({ seed: 1, ctx: nd.cpu(), ...quiet });
  assert.equal(r.lines[1], '(cpu(0), gpu(0), gpu(1))');
  assert.equal(r.lines[2], '\n[1. 2. 3.]\n<NDArray 3 @cpu(0)>');
  assert.equal(r.lines[3], 'cpu(0)');
  assert.deepEqual(r.lines.slice(8, 10), ['True', 'False']);
  assert.equal(r.lines[10], '\n[ 20.085537 109.1963   445.2395  ]\n<NDArray 3 @cpu(0)>');
  // Dense(1) on [1, 2, 3] (three samples of one feature, as MXNet): w * x.
  r.netOut.forEach((v, i) => assert.ok(Math.abs(v - r.weight * (i + 1)) < 1e-6));
  assert.match(r.lines[11], /<NDArray 3x1 @cpu\(0\)>$/);
  assert.match(r.lines[12], /<NDArray 1x1 @cpu\(0\)>$/);
});

test('4.6 use-gpu with d2l.tryGpu: runs on gpu(0) where WebGPU works, else on cpu(0), with the same numbers', async () => {
  const r = await useGpu.run({ seed: 1, ...quiet });
  const dev = r.ctx.toString();
  assert.ok(dev === 'gpu(0)' || dev === 'cpu(0)');
  assert.match(r.lines[4], new RegExp(`<NDArray 3 @${dev.replace(/[()]/g, '\\$&')}>$`));
  [Math.exp(3), 2 * Math.exp(4), 3 * Math.exp(5)].forEach((e, i) => assert.ok(Math.abs(r.result[i] - e) < 1e-5 * e));
});

test('every chapter-4 slug loads through the chapter index', async () => {
  for (const slug of ['model-construction', 'parameters', 'deferred-init', 'custom-layer', 'read-write', 'use-gpu']) {
    const c = await loadChapter(slug);
    assert.equal(c.meta.slug, slug);
    assert.match(c.meta.title, /^4\.\d /);
  }
  // The Constant from 4.1 is a gluon export, as in Gluon.
  assert.equal(typeof gluon.Constant, 'function');
});
