/**
 * `d2l-ts start` (`npm start`): the project's main job. Trains the book's concise MLP (3.10) on
 * Fashion-MNIST with a progress bar per epoch, prints the book's epoch lines, and writes to the
 * output directory (default ./out):
 *
 *   training-curves.png   loss and train/test accuracy per epoch
 *   predictions.png       the first test images, titled true label / predicted label
 *   mlp.safetensors       the trained parameters (net.saveParameters)
 *   metrics.json          the numbers of every epoch
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { cpu, d2l, gluon, type NDArray } from '../src/index.js';
import type { ChapterOptions } from '../chapters/common.js';
import { meta, run as runMlpGluon } from '../chapters/mlp-gluon.js';

/** What the main job wrote. */
export interface StartResult {
  history: d2l.EpochMetrics[];
  files: { curves: string; predictions: string; parameters: string; metrics: string };
}

/**
 * Runs the main job with chapter options (epochs, lr, batchSize, seed, dataDir, outDir, ctx,
 * progress); `io.out` gets the program's lines and `io.err` the notes on files written.
 *
 * @example
 * await startJob({ seed: 1, outDir: 'out' }, { out: console.log, err: console.error });
 */
export async function startJob(opts: ChapterOptions, io: { out: (l: string) => void; err: (l: string) => void }): Promise<StartResult> {
  const outDir = resolve(opts.outDir ?? 'out');
  mkdirSync(outDir, { recursive: true });
  io.out(`training ${meta.title} on Fashion-MNIST`);
  const { history, net, testIter } = await runMlpGluon({ ...opts, print: io.out, progress: opts.progress ?? d2l.progressEnabled() });

  const files = {
    curves: join(outDir, 'training-curves.png'),
    predictions: join(outDir, 'predictions.png'),
    parameters: join(outDir, 'mlp.safetensors'),
    metrics: join(outDir, 'metrics.json'),
  };
  await d2l.plotTrainingCurves(history, files.curves, { title: 'MLP (3.10) on Fashion-MNIST' });
  await d2l.predictCh3(net, testIter, 18, files.predictions, { numCols: 9, ...(opts.ctx ? { ctx: opts.ctx } : {}) });
  if (!opts.ctx || opts.ctx.deviceType === 'cpu') net.saveParameters(files.parameters);
  else {
    // saveParameters reads synchronously, which a GPU cannot do: copy each parameter to the host
    // asynchronously and write the same file (structured names, as saveParameters writes them).
    const host: [string, NDArray][] = [];
    for (const [name, p] of net.structuredParams()) host.push([name, await p.data().copytoAsync(cpu())]);
    gluon.saveSafetensors(files.parameters, host, { format: 'd2l-ts', names: 'structured' });
    for (const [, a] of host) a.dispose();
  }
  writeFileSync(files.metrics, JSON.stringify({ model: meta.slug, seed: opts.seed ?? null, epochs: history }, null, 2) + '\n');

  const secs = history.reduce((s, m) => s + m.seconds, 0);
  io.out(`trained ${history.length} epochs in ${secs.toFixed(1)} sec (${(secs / Math.max(1, history.length)).toFixed(2)} sec/epoch)`);
  io.out(`training curves: ${files.curves}`);
  io.out(`predictions:     ${files.predictions}`);
  io.out(`parameters:      ${files.parameters}`);
  io.out(`metrics:         ${files.metrics}`);
  return { history, files };
}
