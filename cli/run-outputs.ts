/**
 * The files of one run, replaced together, so an output folder always holds one whole run (never
 * new images beside the previous run's metrics and parameters).
 *
 * Design: every output is first written into a staging folder inside the output folder
 * (`<out>/.staging-<pid>/`) and flushed to disk. Only when all of them are complete are they
 * renamed over the previous run's files, one synchronous rename each, with SIGINT/SIGTERM held
 * back until the renames are done. So an interruption (Ctrl-C, an error, a crash) before the
 * commit leaves the previous run untouched, and a Ctrl-C during it waits the few microseconds the
 * renames take. (Swapping the whole folder with one rename was not chosen: it would also take away
 * whatever else the user keeps in the output folder, e.g. `--out-dir .`.) The one case not
 * covered is the process being killed outright (SIGKILL, power loss) between two renames. Staging
 * folders left by runs that died are removed by the next run.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { D2LError } from '../src/core/errors.js';

const STAGING = /^\.staging-(\d+)$/;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function fsyncPath(p: string): void {
  let fd: number | null = null;
  try {
    fd = openSync(p, 'r');
    fsyncSync(fd);
  } catch {
    /* a file system without fsync on directories */
  } finally {
    if (fd !== null) closeSync(fd);
  }
}

/**
 * Stages the files of one run in `dir` and replaces the previous run's files all at once.
 *
 * @example
 * const outputs = new RunOutputs('out');
 * writeFileSync(outputs.path('metrics.json'), json);
 * await outputs.commit(); // out/metrics.json now belongs to this run
 */
export class RunOutputs {
  readonly dir: string;
  readonly staging: string;
  private readonly names: string[] = [];

  constructor(dir: string) {
    this.dir = resolve(dir);
    mkdirSync(this.dir, { recursive: true });
    for (const f of readdirSync(this.dir)) {
      const m = STAGING.exec(f);
      if (m && Number(m[1]) !== process.pid && !alive(Number(m[1]))) rmSync(join(this.dir, f), { recursive: true, force: true });
    }
    this.staging = join(this.dir, `.staging-${process.pid}`);
    rmSync(this.staging, { recursive: true, force: true });
    mkdirSync(this.staging);
  }

  /** Where to write the output `name` (in the staging folder); it joins the run's files. */
  path(name: string): string {
    if (!this.names.includes(name)) this.names.push(name);
    return join(this.staging, name);
  }

  /** Where `name` is once committed. */
  final(name: string): string {
    return join(this.dir, name);
  }

  /**
   * Moves every staged file over the previous one (SIGINT/SIGTERM wait until all are moved), then
   * removes the staging folder. Throws, leaving the previous run in place, if a file is missing.
   */
  async commit(): Promise<void> {
    const missing = this.names.filter((n) => !existsSync(join(this.staging, n)));
    if (missing.length)
      throw new D2LError(`the run's outputs are incomplete (${missing.join(', ')} not written); ${this.dir} still holds the previous run`);
    for (const n of this.names) fsyncPath(join(this.staging, n));
    const caught: NodeJS.Signals[] = [];
    const hold = (s: NodeJS.Signals) => caught.push(s);
    process.on('SIGINT', hold);
    process.on('SIGTERM', hold);
    try {
      for (const n of this.names) renameSync(join(this.staging, n), join(this.dir, n));
      fsyncPath(this.dir);
      // A signal that arrived during the renames is read by the event loop's next poll.
      await new Promise((r) => setImmediate(r));
    } finally {
      process.off('SIGINT', hold);
      process.off('SIGTERM', hold);
      rmSync(this.staging, { recursive: true, force: true });
    }
    if (caught.length && process.listenerCount(caught[0]) === 0) process.kill(process.pid, caught[0]);
  }

  /** Drops the staged files (the previous run stays). */
  abort(): void {
    rmSync(this.staging, { recursive: true, force: true });
  }
}
