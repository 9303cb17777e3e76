// The chapter-3 Fashion-MNIST programs with ctx gpu(0) (lavapipe in CI) on a slice of the data:
// the same epoch lines as on the CPU, parameters on the GPU, and `d2l-ts run ... --ctx gpu`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveDataFileSync } from '../../src/data/resolver.js';
import { nd, type Context } from '../../src/index.js';
import type { ChapterOptions } from '../../chapters/common.js';
import * as softmaxScratch from '../../chapters/softmax-regression-scratch.js';
import * as softmaxGluon from '../../chapters/softmax-regression-gluon.js';
import * as mlpScratch from '../../chapters/mlp-scratch.js';
import * as mlpGluon from '../../chapters/mlp-gluon.js';
import { main } from '../../cli/main.js';
import { requireResource } from '../helpers.js';
import { useGpu, gpuAvailable, G } from './setup.js';

useGpu();

function fashionMnistAvailable(): boolean {
  try {
    for (const f of ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', 't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz'])
      resolveDataFileSync(`fashion-mnist/${f}`, { verify: false });
    return true;
  } catch {
    return false;
  }
}
const HAVE_DATA = fashionMnistAvailable();
const tmp = () => mkdtempSync(join(tmpdir(), 'd2l-webgpu-ch3-'));
const EPOCH = /^epoch (\d+), loss (\d+\.\d{4}), train acc (\d\.\d{3}), test acc (\d\.\d{3})$/;

type Program = { run(opts: ChapterOptions): Promise<{ history: { loss: number; trainAcc: number; testAcc: number }[] }> };

async function epochs(
  p: Program,
  ctx: Context | undefined,
): Promise<{ lines: string[]; history: { loss: number; trainAcc: number; testAcc: number }[] }> {
  const lines: string[] = [];
  const r = await p.run({
    limit: 768,
    epochs: 2,
    seed: 7,
    outDir: tmp(),
    progress: false,
    print: (l) => lines.push(l),
    ...(ctx ? { ctx } : {}),
  });
  return { lines: lines.filter((l) => EPOCH.test(l)), history: r.history };
}

test("chapter 3 programs (3.6, 3.7, 3.9, 3.10) with ctx gpu(0) print the CPU run's epoch lines", async (t) => {
  if (!gpuAvailable(t)) return;
  if (!requireResource(t, HAVE_DATA, 'Fashion-MNIST')) return;
  for (const [name, p] of [
    ['softmax-regression-scratch', softmaxScratch],
    ['softmax-regression-gluon', softmaxGluon],
    ['mlp-scratch', mlpScratch],
    ['mlp-gluon', mlpGluon],
  ] as [string, Program][]) {
    const gpu = await epochs(p, G());
    const cpu = await epochs(p, undefined);
    assert.equal(gpu.lines.length, 2, `${name}: ${gpu.lines.join(' | ')}`);
    gpu.history.forEach((m, i) => {
      const c = cpu.history[i];
      // f32 sums on the GPU, float64 on the CPU: the numbers agree to rounding.
      assert.ok(Math.abs(m.loss - c.loss) < 1e-3, `${name} epoch ${i + 1}: loss ${m.loss} vs ${c.loss}`);
      assert.ok(Math.abs(m.trainAcc - c.trainAcc) <= 2 / 768, `${name} epoch ${i + 1}: train acc ${m.trainAcc} vs ${c.trainAcc}`);
      assert.ok(Math.abs(m.testAcc - c.testAcc) <= 0.003, `${name} epoch ${i + 1}: test acc ${m.testAcc} vs ${c.testAcc}`);
    });
  }
  // The Gluon model's parameters stayed on the GPU.
  const lines: string[] = [];
  const r = await mlpGluon.run({ limit: 256, epochs: 1, seed: 7, outDir: tmp(), progress: false, print: (l) => lines.push(l), ctx: G() });
  for (const p of r.net.collectParams().values()) assert.equal(String(p.context), 'gpu(0)', p.name);
});

test('d2l-ts run softmax-regression-gluon --ctx gpu trains on gpu(0)', async (t) => {
  if (!gpuAvailable(t)) return;
  if (!requireResource(t, HAVE_DATA, 'Fashion-MNIST')) return;
  const out: string[] = [];
  const err: string[] = [];
  const run = (ctx: string) =>
    main(
      [
        'run',
        'softmax-regression-gluon',
        '--ctx',
        ctx,
        '--epochs',
        '1',
        '--limit',
        '512',
        '--seed',
        '3',
        '--no-progress',
        '--out-dir',
        tmp(),
      ],
      {
        out: (l: string) => out.push(l),
        err: (l: string) => err.push(l),
      },
    );
  assert.equal(await run('gpu'), 0, err.join('\n'));
  const gpuLines = out.splice(0).filter((l) => EPOCH.test(l));
  assert.equal(await run('cpu'), 0, err.join('\n'));
  const cpuLines = out.filter((l) => EPOCH.test(l));
  assert.equal(gpuLines.length, 1);
  const [g, c] = [EPOCH.exec(gpuLines[0])!, EPOCH.exec(cpuLines[0])!];
  assert.ok(Math.abs(Number(g[2]) - Number(c[2])) <= 2e-4, `${gpuLines[0]} vs ${cpuLines[0]}`);
  assert.ok(nd.memory().devices['gpu(0)'], 'the CLI used the registered gpu(0)');
});
