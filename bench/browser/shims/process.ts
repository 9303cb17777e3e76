/**
 * What the benchmark scripts use of Node's `process`, inside a bundle run in a page: its uses in
 * the bench files are rewritten to this object (bench/browser-peers.ts), so nothing else in the
 * bundle (d2l-ts, tfjs, jax-js, which tell Node from a browser by `process`) sees a `process`.
 * `argv` and `env` come from the runner (config.json); `exit` tells the page the run ended;
 * a page has no peak RSS, so `maxRSS` is NaN (no RSS row in the table).
 */
type Post = (m: unknown) => void;

export const __benchProcess = {
  get argv(): string[] {
    return ['node', 'bench', ...((globalThis as { __benchArgv?: string[] }).__benchArgv ?? [])];
  },
  get env(): Record<string, string | undefined> {
    return (globalThis as { __benchEnv?: Record<string, string> }).__benchEnv ?? {};
  },
  version: 'browser',
  versions: {},
  resourceUsage: (): { maxRSS: number } => ({ maxRSS: NaN }),
  /** Ends the run: the page's worker reports the code to the runner. */
  exit(code = 0): void {
    (globalThis as unknown as { postMessage: Post }).postMessage({ done: code });
  },
};
