/**
 * A progress bar for training loops (cli-progress): batches done, the running loss and examples per
 * second. It draws on stderr only when asked to and when stderr is a terminal, so captured output
 * (tests, `> log.txt`) holds just the book's lines. In Deno's Jupyter kernel it is one display in
 * the cell's output, updated in place and cleared at the end of its epoch.
 */
import { cliProgress } from '#platform'; // Node-only: see src/platform/
import { jupyterDisplay, type JupyterDisplay } from './jupyter.js';

/**
 * Whether to show progress bars: `explicit` when given, else when both stdout and stderr are
 * terminals (and not in CI); in Deno's Jupyter kernel, unless `explicit` is false.
 *
 * @example
 * const show = d2l.progressEnabled(opts.progress);
 */
export function progressEnabled(explicit?: boolean): boolean {
  // A notebook cell shows the bar in its output (no terminal needed).
  if (jupyterDisplay()) return explicit ?? true;
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
  private cell: CellBar | null = null;
  private readonly t0 = performance.now();
  private examples = 0;

  constructor(
    readonly total: number,
    opts: ProgressOptions = {},
  ) {
    const enabled = opts.enabled ?? progressEnabled();
    if (!enabled) return;
    const display = jupyterDisplay();
    if (display) {
      this.cell = new CellBar(display, total, opts.label ?? '');
      return;
    }
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
    return this.bar !== null || this.cell !== null;
  }

  /**
   * Sets the batches done; `loss` is the running mean loss (omit to keep the last one) and
   * `examples` the examples seen in this update.
   */
  update(done: number, info: { loss?: number; examples?: number } = {}): void {
    if (info.examples) this.examples += info.examples;
    if (this.cell) {
      this.cell.update(done, info.loss, this.examplesPerSec);
      return;
    }
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
    this.cell?.stop();
    this.cell = null;
  }
}

let cellBars = 0;

/**
 * The bar in a notebook cell: one text display, replaced in place (the kernel's display_id) at
 * most ten times a second, as cli-progress draws, and emptied by `stop()` so the cell keeps just
 * the printed lines.
 */
class CellBar {
  private readonly id = `d2l-progress-${++cellBars}-${Date.now()}`;
  private last = 0;
  private loss = '-';

  constructor(
    private readonly display: JupyterDisplay,
    private readonly total: number,
    private readonly label: string,
  ) {
    this.show(this.text(0, 0), false);
  }

  update(done: number, loss: number | undefined, speed: number): void {
    if (loss !== undefined) this.loss = loss.toFixed(4);
    const now = performance.now();
    if (now - this.last < 100 && done < this.total) return;
    this.last = now;
    this.show(this.text(done, speed), true);
  }

  stop(): void {
    this.show('', true);
  }

  private text(done: number, speed: number): string {
    const width = 30;
    const filled = this.total > 0 ? Math.min(width, Math.round((done / this.total) * width)) : 0;
    const bar = '█'.repeat(filled) + '░'.repeat(width - filled);
    return `${this.label} [${bar}] ${done}/${this.total} batches | loss ${this.loss} | ${speed > 0 ? Math.round(speed) : '-'} examples/s`;
  }

  private show(text: string, update: boolean): void {
    // Fire and forget: a bar must not hold the training loop up, nor fail it.
    Promise.resolve(this.display({ 'text/plain': text }, { raw: true, display_id: this.id, ...(update ? { update: true } : {}) })).catch(
      () => {},
    );
  }
}
