/**
 * Epoch checkpoints for the long chapter programs (the CNNs of 5.6-5.12, `d2l-ts run <slug>
 * --resume`): after each epoch the parameters, the trainer state (optimizer, update counts and the
 * random generator, see `Trainer.saveStates`) and the metrics so far are saved to a folder, and a
 * later run continues after the last complete epoch with the same numbers as a run never stopped.
 *
 * The folder holds `checkpoint.json`, naming the epoch and its two files (`epoch-<n>.params`,
 * `epoch-<n>.states`). Every file is written atomically, and the epoch's two files before the
 * manifest that names them, so an interruption at any point leaves the previous complete epoch
 * readable. A save never overwrites a file the current manifest names (a new run saving epoch 1
 * over an old run's epoch 1 writes `epoch-1.1.params` and `epoch-1.1.states`), and once the manifest
 * moved on the files it does not name (the older epoch's, those of a save that was interrupted)
 * are removed.
 */
import { mkdirSync, readFileSync, readdirSync, rmSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { d2l, gluon } from '../src/index.js';
import { ValueError } from '../src/core/errors.js';
import { writeFileAtomic } from '../src/ndarray/safetensors.js';

const FORMAT = 'd2l-ts-checkpoint';
const MANIFEST = 'checkpoint.json';
/** The files a save writes (the epoch's two, under one of two stems) and their atomic writes' temporary files. */
const OWN_FILE = /^(?:epoch-\d+(?:\.1)?\.(?:params|states)|checkpoint\.json)(?:\.\d+\.[a-z0-9]+\.tmp)?$/;

/**
 * The settings a checkpoint was trained with that a resumed run must share (batch size, learning
 * rate, image size, data limit...): a run with other values would not continue the same training.
 * The number of epochs is not among them: a resumed run may train to another total.
 */
export type CheckpointSettings = Record<string, string | number | boolean>;

/** What `checkpoint.json` records. */
export interface CheckpointManifest {
  format: typeof FORMAT;
  version: 1;
  /** The chapter program's slug. */
  slug: string;
  /** The last complete epoch (1-based). */
  epoch: number;
  /** Its parameter and trainer-state files, relative to the folder. */
  params: string;
  states: string;
  settings: CheckpointSettings;
  /** The metrics of epochs 1..epoch. */
  history: d2l.EpochMetrics[];
}

function checkDir(op: string, dir: unknown): string {
  if (typeof dir !== 'string' || dir.trim() === '') throw new ValueError(`${op}: dir must be a non-empty folder path, got ${String(dir)}`);
  return resolve(dir);
}

function sameSettings(a: CheckpointSettings, b: CheckpointSettings): string[] {
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  return keys
    .filter((k) => a[k] !== b[k])
    .map((k) => `${k}: ${String(a[k] ?? '(none)')} in the checkpoint, ${String(b[k] ?? '(none)')} now`);
}

/**
 * What the manifest in `dir` says, without checking its files (null when there is none): a
 * damaged d2l-ts manifest, one naming a missing file, is read and replaced by the next save, but
 * another program's `checkpoint.json` is a ValueError, so that a save does not overwrite it.
 *
 * @example
 * peekCheckpoint('out/resnet/checkpoint')?.epoch; // 3, or undefined when there is no checkpoint
 */
export function peekCheckpoint(dir: string): Partial<CheckpointManifest> | null {
  const op = 'peekCheckpoint';
  const file = join(checkDir(op, dir), MANIFEST);
  if (!existsSync(file)) return null;
  let m: Partial<CheckpointManifest> | null = null;
  try {
    m = JSON.parse(readFileSync(file, 'utf8')) as Partial<CheckpointManifest>;
  } catch {
    // Not JSON: not written by saveCheckpoint, whose writes are atomic.
  }
  if (m?.format !== FORMAT)
    throw new ValueError(
      `${op}: '${file}' exists and is not a d2l-ts checkpoint manifest; it is left alone: pass another checkpoint folder`,
    );
  return m;
}

/**
 * Saves the state at the end of `epoch` (1-based) of a run to `dir` (created if missing): the
 * parameters of `net`, the state of `trainer` with the random generator, and `history` (the
 * metrics of epochs 1..epoch) with `settings`. Call it after the epoch, before anything random
 * happens again (`d2l.trainCh5`'s `onEpoch`).
 *
 * @example
 * await d2l.trainCh5(net, trainIter, testIter, 256, trainer, ctx, 5, {
 *   onEpoch: (m) => saveCheckpoint('out/resnet/checkpoint', { slug: 'resnet', epoch: m.epoch, net, trainer, history, settings }),
 * });
 */
export async function saveCheckpoint(
  dir: string,
  c: {
    slug: string;
    epoch: number;
    net: gluon.Block;
    trainer: gluon.Trainer;
    history: readonly d2l.EpochMetrics[];
    settings: CheckpointSettings;
  },
): Promise<CheckpointManifest> {
  const op = 'saveCheckpoint';
  const folder = checkDir(op, dir);
  if (!Number.isInteger(c.epoch) || c.epoch < 1)
    throw new ValueError(`${op}: epoch must be a positive integer (1-based), got ${String(c.epoch)}`);
  if (c.history.length !== c.epoch)
    throw new ValueError(`${op}: history must hold the metrics of epochs 1 to ${c.epoch}, got ${c.history.length} entries`);
  mkdirSync(folder, { recursive: true });
  // Never overwrite what the manifest on disk names: an interruption between the two files and the
  // manifest would leave it naming one new file and one old.
  const stem = peekCheckpoint(folder)?.params === `epoch-${c.epoch}.params` ? `epoch-${c.epoch}.1` : `epoch-${c.epoch}`;
  const manifest: CheckpointManifest = {
    format: FORMAT,
    version: 1,
    slug: c.slug,
    epoch: c.epoch,
    params: `${stem}.params`,
    states: `${stem}.states`,
    settings: { ...c.settings },
    history: c.history.map((m) => ({ ...m })),
  };
  await c.net.saveParametersAsync(join(folder, manifest.params));
  await c.trainer.saveStatesAsync(join(folder, manifest.states));
  writeFileAtomic(join(folder, MANIFEST), new TextEncoder().encode(`${JSON.stringify(manifest, null, 1)}\n`));
  // The manifest moved on: the files it does not name (the previous epoch's, leftovers of an
  // interrupted save) are no longer part of any checkpoint.
  for (const f of readdirSync(folder))
    if (OWN_FILE.test(f) && f !== MANIFEST && f !== manifest.params && f !== manifest.states) rmSync(join(folder, f), { force: true });
  return manifest;
}

/**
 * Reads and checks `dir/checkpoint.json` (without loading anything into a network); null when
 * the folder holds no checkpoint. Throws a ValueError when the manifest is unreadable or its
 * files are missing.
 *
 * @example
 * const ck = readCheckpoint('out/resnet/checkpoint');
 * ck?.epoch; // 3: epochs 1-3 are done
 */
export function readCheckpoint(dir: string): CheckpointManifest | null {
  const op = 'readCheckpoint';
  const folder = checkDir(op, dir);
  const file = join(folder, MANIFEST);
  if (!existsSync(file)) return null;
  let m: CheckpointManifest;
  try {
    m = JSON.parse(readFileSync(file, 'utf8')) as CheckpointManifest;
  } catch (e) {
    throw new ValueError(`${op}: '${file}' is not readable JSON: ${(e as Error).message}`);
  }
  if (m?.format !== FORMAT || m.version !== 1)
    throw new ValueError(
      `${op}: '${file}' is not a d2l-ts checkpoint manifest (format ${JSON.stringify(m?.format ?? null)}, version ${String(m?.version)})`,
    );
  if (!Number.isInteger(m.epoch) || m.epoch < 1 || !Array.isArray(m.history) || m.history.length !== m.epoch)
    throw new ValueError(`${op}: '${file}' is damaged: epoch ${String(m.epoch)} with ${String(m.history?.length)} epochs of metrics`);
  for (const f of [m.params, m.states])
    if (typeof f !== 'string' || !existsSync(join(folder, f)))
      throw new ValueError(`${op}: '${file}' names '${String(f)}', which is missing from ${folder}`);
  return m;
}

/**
 * Checks that the checkpoint `manifest` of `dir` was written by the program `slug` with the same
 * `settings`, and throws a ValueError listing what differs otherwise: a run with other settings
 * would not continue the checkpoint's training. `restoreCheckpoint` checks the same; a program
 * calls this first to fail before it loads its data.
 *
 * @example
 * const ck = readCheckpoint(dir);
 * if (ck) checkCheckpoint(dir, ck, { slug: 'resnet', settings: { batchSize: 256, lr: 0.05, resize: 96, limit: 'all' } });
 */
export function checkCheckpoint(dir: string, manifest: CheckpointManifest, c: { slug: string; settings: CheckpointSettings }): void {
  const op = 'checkCheckpoint';
  const folder = checkDir(op, dir);
  if (manifest.slug !== c.slug)
    throw new ValueError(
      `${op}: the checkpoint in ${folder} belongs to '${manifest.slug}', not '${c.slug}'; pass another --checkpoint-dir`,
    );
  const diff = sameSettings(manifest.settings, c.settings);
  if (diff.length)
    throw new ValueError(
      `${op}: the checkpoint in ${folder} was trained with other settings, so resuming would not continue that run:\n  - ${diff.join('\n  - ')}\n` +
        "rerun with the checkpoint's settings, or without --resume to start over",
    );
}

/**
 * Loads the checkpoint `manifest` of `dir` (from `readCheckpoint`) into `net` and `trainer`,
 * restoring the random generator too, after checking that it was written by the program `slug`
 * with the same `settings` (`checkCheckpoint`). `d2l.trainCh5(..., { startEpoch: manifest.epoch })`
 * then continues as the uninterrupted run.
 *
 * @example
 * const ck = readCheckpoint(dir);
 * if (ck) restoreCheckpoint(dir, ck, { slug: 'resnet', net, trainer, settings });
 */
export function restoreCheckpoint(
  dir: string,
  manifest: CheckpointManifest,
  c: { slug: string; net: gluon.Block; trainer: gluon.Trainer; settings: CheckpointSettings },
): void {
  const folder = checkDir('restoreCheckpoint', dir);
  checkCheckpoint(folder, manifest, c);
  c.net.loadParameters(join(folder, manifest.params));
  c.trainer.loadStates(join(folder, manifest.states)); // with the random generator
}

/**
 * The resume step shared by the resumable programs: restores `checkpoint` (when given) into the
 * net and the trainer and prints where the run resumes, then returns the epoch history so far and
 * the `onEpoch` callback that records each new epoch and, with a checkpoint folder, saves it.
 * Call it after everything that draws from the random generator before training (the checkpoint
 * restores the generator).
 *
 * @example
 * const { history, onEpoch } = resumeTraining({ dir, checkpoint, done, numEpochs, slug, net, trainer, settings, print });
 * if (done < numEpochs) await d2l.trainCh5(net, trainIter, testIter, batchSize, trainer, ctx, numEpochs, { print, startEpoch: done, onEpoch });
 */
export function resumeTraining(c: {
  dir: string | undefined;
  checkpoint: CheckpointManifest | null;
  /** Epochs the checkpoint holds that this run keeps (at most its --epochs). */
  done: number;
  numEpochs: number;
  slug: string;
  net: gluon.Block;
  trainer: gluon.Trainer;
  settings: CheckpointSettings;
  print: (line: string) => void;
}): { history: d2l.EpochMetrics[]; onEpoch: (m: d2l.EpochMetrics) => void | Promise<void> } {
  if (!Number.isInteger(c.done) || c.done < 0 || !Number.isInteger(c.numEpochs) || c.numEpochs < 1)
    throw new ValueError(
      `resumeTraining: done must be an integer >= 0 and numEpochs >= 1, got ${String(c.done)} and ${String(c.numEpochs)}`,
    );
  if (c.checkpoint && !c.dir) throw new ValueError('resumeTraining: a checkpoint to resume needs its folder (dir)');
  const history: d2l.EpochMetrics[] = [];
  const { dir, checkpoint, done, numEpochs } = c;
  if (checkpoint) {
    restoreCheckpoint(dir!, checkpoint, c);
    history.push(...checkpoint.history.slice(0, done));
    c.print(
      done < numEpochs
        ? `resuming at epoch ${done + 1} of ${numEpochs} from the checkpoint of epoch ${checkpoint.epoch} in ${resolve(dir!)}`
        : `the checkpoint in ${resolve(dir!)} has ${checkpoint.epoch} epochs already: nothing left to train for --epochs ${numEpochs}`,
    );
  }
  const onEpoch = dir
    ? async (m: d2l.EpochMetrics) => {
        history.push(m);
        await saveCheckpoint(dir, { slug: c.slug, epoch: m.epoch, net: c.net, trainer: c.trainer, history, settings: c.settings });
      }
    : (m: d2l.EpochMetrics) => void history.push(m);
  return { history, onEpoch };
}
