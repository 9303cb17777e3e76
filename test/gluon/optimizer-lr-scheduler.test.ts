import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ValueError } from '../../src/core/errors.js';
import { CosineScheduler, FactorScheduler, MultiFactorScheduler, PolyScheduler } from '../../src/gluon/lr-scheduler.js';

const near = (a: number[], b: number[], tol = 1e-12) =>
  a.forEach((v, i) => assert.ok(Math.abs(v - b[i]) <= tol * (1 + Math.abs(b[i])), `[${i}] ${v} vs ${b[i]}: got [${a}]`));
const run = (s: { getLr(n: number): number }, from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => s.getLr(from + i));

test('FactorScheduler: lr·factor every `step` updates, floored at stopFactorLr (MXNet semantics)', () => {
  near(run(new FactorScheduler(2, { factor: 0.5, baseLr: 1 }), 1, 7), [1, 1, 0.5, 0.5, 0.25, 0.25, 0.125]);
  near(run(new FactorScheduler(1, { factor: 0.1, baseLr: 1, stopFactorLr: 0.005 }), 1, 5), [1, 0.1, 0.01, 0.005, 0.005]);
  // resuming at a later update jumps several factors at once (`while`, not `if`)
  near([new FactorScheduler(10, { factor: 0.5, baseLr: 8 }).getLr(35)], [1]);
  assert.equal(new FactorScheduler(5).getLr(100), 0.01, 'factor 1 and baseLr 0.01 by default');
});

test('MultiFactorScheduler: lr·factor once the update count passes each listed step', () => {
  near(run(new MultiFactorScheduler([2, 4], { factor: 0.1, baseLr: 1 }), 1, 6), [1, 1, 0.1, 0.1, 0.01, 0.01]);
  near([new MultiFactorScheduler([3, 6, 9], { factor: 0.5, baseLr: 1 }).getLr(100)], [0.125]);
});

test('CosineScheduler and PolyScheduler: decay to finalLr over maxUpdate, then constant', () => {
  const c = new CosineScheduler(10, { baseLr: 2, finalLr: 0.5 });
  const expect = Array.from({ length: 12 }, (_, i) => {
    const n = Math.min(i + 1, 10);
    return 0.5 + ((2 - 0.5) * (1 + Math.cos((Math.PI * n) / 10))) / 2;
  });
  near(run(c, 1, 12), expect);
  near([new CosineScheduler(10, { baseLr: 1 }).getLr(5)], [0.5]);
  near(run(new PolyScheduler(4, { baseLr: 1, pwr: 2 }), 1, 5), [0.5625, 0.25, 0.0625, 0, 0]);
});

test('warmup: linear from warmupBeginLr to baseLr, or constant, during the first warmupSteps updates', () => {
  const lin = new CosineScheduler(14, { baseLr: 1, finalLr: 0, warmupSteps: 4, warmupBeginLr: 0.2 });
  near(run(lin, 0, 4), [0.2, 0.4, 0.6, 0.8, 1]);
  near([lin.getLr(9)], [0.5]);
  const cst = new FactorScheduler(2, { factor: 0.5, baseLr: 1, warmupSteps: 3, warmupBeginLr: 0.1, warmupMode: 'constant' });
  // as MXNet, the factor steps count from update 0, warmup included: update 3 > 0 + 2 already decays
  near(run(cst, 0, 5), [0.1, 0.1, 0.1, 0.5, 0.5, 0.25]);
  const mf = new MultiFactorScheduler([5], { factor: 0.1, baseLr: 1, warmupSteps: 2 });
  near(run(mf, 0, 6), [0, 0.5, 1, 1, 1, 1, 0.1]);
});

test('invalid schedules are errors naming the scheduler, the value and the rule', () => {
  assert.throws(
    () => new FactorScheduler(0),
    (e: Error) => e instanceof ValueError && /FactorScheduler: step must be at least 1 update, got 0/.test(e.message),
  );
  assert.throws(() => new FactorScheduler(2, { factor: 1.5 }), /FactorScheduler: factor must be no more than 1/);
  assert.throws(() => new MultiFactorScheduler([3, 2]), /MultiFactorScheduler: steps must be strictly increasing, got \[3, 2\]/);
  assert.throws(() => new MultiFactorScheduler([]), /non-empty list/);
  assert.throws(() => new CosineScheduler(0), /CosineScheduler: maxUpdate must be a positive integer, got 0/);
  assert.throws(() => new CosineScheduler(5, { warmupSteps: 5 }), /maxUpdate \(5\) must exceed warmupSteps \(5\)/);
  assert.throws(
    () => new CosineScheduler(5, { baseLr: 0.1, warmupBeginLr: 0.5 }),
    /baseLr \(0.1\) has to be higher than warmupBeginLr \(0.5\)/,
  );
  assert.throws(
    () => new FactorScheduler(1, { warmupMode: 'cubic' as 'linear' }),
    /warmupMode must be 'linear' or 'constant', got 'cubic'/,
  );
});

test('getState/setState carry a schedule across a restart', () => {
  const a = new FactorScheduler(2, { factor: 0.5, baseLr: 1 });
  run(a, 1, 5);
  const b = new FactorScheduler(2, { factor: 0.5, baseLr: 1 });
  b.setState(a.getState());
  near(run(b, 6, 9), run(a, 6, 9));
  const c = new CosineScheduler(10, { baseLr: 1 });
  c.setBaseLr(0.5);
  near([c.getLr(5)], [0.25]);
});
