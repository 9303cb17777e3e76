/**
 * `d2l-ts start` (`npm start`): the project's main job. Trains the book's concise MLP (3.10) on
 * Fashion-MNIST with a progress bar per epoch, prints the book's epoch lines, and writes to the
 * output directory (default ./out):
 *
 *   training-curves.png   loss and train/test accuracy per epoch
 *   predictions.png       the first test images, titled true label / predicted label
 *   mlp.safetensors       the trained parameters (net.saveParameters)
 *   metrics.json          the numbers of every epoch
 *
 * The four files are replaced together (cli/run-outputs.ts: staged, then renamed at the end), so
 * an interrupted run leaves the previous run's files whole.
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { RunOutputs } from './run-outputs.js';
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
export async function startJob(
  opts: ChapterOptions,
  io: { out: (l: string) => void; err: (l: string) => void },
  hooks: { afterFile?: (name: string) => void } = {},
): Promise<StartResult> {
  const outputs = new RunOutputs(resolve(opts.outDir ?? 'out'));
  const names = { curves: 'training-curves.png', predictions: 'predictions.png', parameters: 'mlp.safetensors', metrics: 'metrics.json' };
  const staged = {
    curves: outputs.path(names.curves),
    predictions: outputs.path(names.predictions),
    parameters: outputs.path(names.parameters),
    metrics: outputs.path(names.metrics),
  };
  const done = (name: string) => hooks.afterFile?.(name);
  let history: d2l.EpochMetrics[];
  try {
    io.out(`training ${meta.title} on Fashion-MNIST`);
    const r = await runMlpGluon({ ...opts, print: io.out, progress: opts.progress ?? d2l.progressEnabled() });
    history = r.history;
    const { net, testIter } = r;
    await d2l.plotTrainingCurves(history, staged.curves, { title: 'MLP (3.10) on Fashion-MNIST' });
    done(names.curves);
    await d2l.predictCh3(net, testIter, 18, staged.predictions, { numCols: 9, ...(opts.ctx ? { ctx: opts.ctx } : {}) });
    done(names.predictions);
    if (!opts.ctx || opts.ctx.deviceType === 'cpu') net.saveParameters(staged.parameters);
    else {
      // saveParameters reads synchronously, which a GPU cannot do: copy each parameter to the host
      // asynchronously and write the same file (structured names, as saveParameters writes them).
      const host: [string, NDArray][] = [];
      for (const [name, p] of net.structuredParams()) host.push([name, await p.data().copytoAsync(cpu())]);
      gluon.saveSafetensors(staged.parameters, host, { format: 'd2l-ts', names: 'structured' });
      for (const [, a] of host) a.dispose();
    }
    done(names.parameters);
    writeFileSync(staged.metrics, JSON.stringify({ model: meta.slug, seed: opts.seed ?? null, epochs: history }, null, 2) + '\n');
    done(names.metrics);
    await outputs.commit();
  } catch (e) {
    outputs.abort();
    throw e;
  }
  const files = {
    curves: outputs.final(names.curves),
    predictions: outputs.final(names.predictions),
    parameters: outputs.final(names.parameters),
    metrics: outputs.final(names.metrics),
  };

  const secs = history.reduce((s, m) => s + m.seconds, 0);
  io.out(`trained ${history.length} epochs in ${secs.toFixed(1)} sec (${(secs / Math.max(1, history.length)).toFixed(2)} sec/epoch)`);
  io.out(`training curves: ${files.curves}`);
  io.out(`predictions:     ${files.predictions}`);
  io.out(`parameters:      ${files.parameters}`);
  io.out(`metrics:         ${files.metrics}`);
  return { history, files };
}
