/**
 * A progress bar for training loops (cli-progress): batches done, the running loss and examples per
 * second. It draws on stderr only when asked to and when stderr is a terminal, so captured output
 * (tests, `> log.txt`) holds just the book's lines.
 */
import { cliProgress } from '#platform'; // Node-only: see src/platform/

/**
 * Whether to show progress bars: `explicit` when given, else when both stdout and stderr are
 * terminals (and not in CI).
 *
 * @example
 * const show = d2l.progressEnabled(opts.progress);
 */
export function progressEnabled(explicit?: boolean): boolean {
  if (explicit !== undefined) return explicit && Boolean(process.stderr.isTTY);
  return Boolean(process.stdout.isTTY && process.stderr.isTTY) && process.env.CI !== 'true';
}

export interface ProgressOptions {
  /** Text before the bar, e.g. 'epoch 1'. */
  label?: string;
  /** Draw at all (default: {@link progressEnabled}()). */
  enabled?: boolean;
}

/**
 * One bar over `total` batches. `update(done, { loss, examples })` moves it; `stop()` removes it so
 * the next printed line starts clean. A disabled bar does nothing, so loops need no branches.
 *
 * @example
 * const bar = new d2l.ProgressBar(numBatches, { label: 'epoch 1' });
 * bar.update(1, { loss: 0.9, examples: 256 });
 * bar.stop();
 */
export class ProgressBar {
  private bar: cliProgress.SingleBar | null = null;
  private readonly t0 = performance.now();
  private examples = 0;

  constructor(
    readonly total: number,
    opts: ProgressOptions = {},
  ) {
    const enabled = opts.enabled ?? progressEnabled();
    if (!enabled) return;
    this.bar = new cliProgress.SingleBar(
      {
        format: `${opts.label ?? ''} [{bar}] {value}/{total} batches | loss {loss} | {speed} examples/s | eta {eta_formatted}`,
        stream: process.stderr,
        clearOnComplete: true,
        hideCursor: true,
        barsize: 30,
        fps: 10,
      },
      cliProgress.Presets.shades_classic,
    );
    this.bar.start(total, 0, { loss: '-', speed: '-' });
  }

  /** Whether the bar draws. */
  get enabled(): boolean {
    return this.bar !== null;
  }

  /**
   * Sets the batches done; `loss` is the running mean loss (omit to keep the last one) and
   * `examples` the examples seen in this update.
   */
  update(done: number, info: { loss?: number; examples?: number } = {}): void {
    if (info.examples) this.examples += info.examples;
    if (!this.bar) return;
    const secs = (performance.now() - this.t0) / 1000;
    const payload: Record<string, string> = { speed: secs > 0 ? Math.round(this.examples / secs).toString() : '-' };
    if (info.loss !== undefined) payload.loss = info.loss.toFixed(4);
    this.bar.update(done, payload);
  }

  /** Examples per second since the bar started. */
  get examplesPerSec(): number {
    const secs = (performance.now() - this.t0) / 1000;
    return secs > 0 ? this.examples / secs : 0;
  }

  /** Removes the bar from the terminal. */
  stop(): void {
    this.bar?.stop();
    this.bar = null;
  }
}
