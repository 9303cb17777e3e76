// Lowers V8's interrupt budget once per process so the framework's code is optimized within
// the first epoch (D2L_V8_TIERING=0 leaves V8 alone).
import { env, nodeProcess } from '../../core/env.js';

/**
 * V8's interrupt budget that d2l-ts sets (its default is 67584). A training step calls a few
 * hundred small framework functions once or a few times each; with the default budget V8 takes
 * many epochs to optimize them all (W3 ran 0.20, 0.15, 0.15, 0.12, ... s/epoch and kept getting
 * faster for 30 epochs), and each optimization is a compile job on a background thread that
 * takes the core from a kernel worker mid-job. 16000 against the default: W3, W4 -5% (medians of
 * 5 epochs, A/B pairs); 8000 against 16000: W3 -8%, W4 -5%, with W4's compile jobs per epoch
 * 312/68/30/10 at 16000 (docs/PERF.md).
 */
export const INTERRUPT_BUDGET = 8000;

let tuned: boolean | undefined;

/**
 * Lowers V8's interrupt budget so the framework's hot functions are optimized within the first
 * epoch instead of over many (Node only, once per process). D2L_V8_TIERING=0 leaves V8's flags
 * alone; D2L_V8_INTERRUPT_BUDGET=n picks another budget. Returns whether the flag was set.
 *
 * @example
 * import { tuneV8Tiering } from './v8-tiering.js';
 * tuneV8Tiering(); // true in Node, false in a browser or with D2L_V8_TIERING=0
 */
export function tuneV8Tiering(): boolean {
  if (tuned !== undefined) return tuned;
  tuned = false;
  if (env('D2L_V8_TIERING') === '0') return false;
  const v8 = nodeProcess()?.getBuiltinModule?.('node:v8') as { setFlagsFromString(f: string): void } | undefined;
  if (!v8) return false;
  const budget = Math.floor(Number(env('D2L_V8_INTERRUPT_BUDGET') ?? '') || INTERRUPT_BUDGET);
  if (!(budget > 0)) return false;
  v8.setFlagsFromString(`--interrupt-budget=${budget}`);
  tuned = true;
  return true;
}
