/**
 * The optional MPI transport of the dist_sync KVStore: build/Release/d2l_mpi.node, a small N-API
 * addon over Open MPI (native/d2l_mpi.c), built at install by scripts/build-mpi.mjs when mpicc is
 * present. Node-only: it is loaded lazily through `process.getBuiltinModule`, which a browser does
 * not have, so the browser bundle holds nothing of it (no `#platform` entry is needed).
 *
 * Collectives run in place on memory handed over as a Uint8Array and a byte offset: for arrays
 * on the CPU backend that is the heap's own buffer, so nothing is copied. Each waits at most
 * D2L_DIST_TIMEOUT seconds; past that the addon prints what it was waiting for and ends the job
 * with MPI_Abort (docs/DISTRIBUTED.md).
 */
import { ValueError } from '../core/errors.js';
import { env, nodeProcess } from '../core/env.js';
import { locateAddon } from '../core/addon.js';

/** What `init()` reports. */
export interface MpiInit {
  rank: number;
  size: number;
  /** MPI_THREAD_SINGLE 0 ... MPI_THREAD_MULTIPLE 3: what Open MPI granted. */
  threadLevel: number;
  threadMultiple: 0 | 1;
  /** The libmpi the addon runs on. */
  library: string;
}

/** Element types `allreduce` sums: float32, float64, int32. */
export const MPI_DTYPE = { float32: 0, float64: 1, int32: 2 } as const;

/** The addon's exports (native/d2l_mpi.c). */
export interface MpiAddon {
  init(): MpiInit;
  allreduce(mem: Uint8Array, byteOffset: number, count: number, dtype: 0 | 1 | 2, timeoutMs: number, what: string): void;
  bcast(mem: Uint8Array, byteOffset: number, byteLength: number, root: number, timeoutMs: number, what: string): void;
  allgather(send: Uint8Array, recv: Uint8Array, timeoutMs: number, what: string): void;
  barrier(timeoutMs: number, what: string): void;
  abort(code: number, message: string): never;
  finalize(): void;
  wtime(): number;
}

const ADDON_FILE = 'd2l_mpi.node';
/** The watchdog's default, in seconds. */
export const DEFAULT_DIST_TIMEOUT_S = 120;

let addon: MpiAddon | null | undefined;
let failure = '';

function load(): MpiAddon | null {
  if (addon !== undefined) return addon;
  addon = null;
  const get = nodeProcess()?.getBuiltinModule;
  if (!get) {
    failure = 'not running in Node >= 20.16 (the MPI addon is a Node native module; a browser has no MPI)';
    return null;
  }
  if (env('D2L_MPI') === '0') {
    failure = 'disabled by D2L_MPI=0';
    return null;
  }
  try {
    const found = locateAddon(ADDON_FILE, 'D2L_MPI_ADDON', import.meta.url)!;
    const file = found.file;
    if (!file) {
      failure = env('D2L_MPI_ADDON')
        ? `D2L_MPI_ADDON=${env('D2L_MPI_ADDON')} does not exist`
        : `${ADDON_FILE} was not built (needs Open MPI: apt-get install openmpi-bin libopenmpi-dev, then npm run build:mpi)`;
      return null;
    }
    const a = found.require(file) as MpiAddon;
    if (typeof a?.allreduce !== 'function' || typeof a.init !== 'function') {
      failure = `${file} is not the d2l-ts MPI addon`;
      return null;
    }
    addon = a;
  } catch (e) {
    failure = `loading the MPI addon failed: ${(e as Error)?.message ?? String(e)}`;
  }
  return addon;
}

/**
 * Whether the MPI addon can be loaded here (it does not start MPI).
 *
 * @example
 * if (!mpiAvailable()) console.log(mpiUnavailableReason());
 */
export function mpiAvailable(): boolean {
  return load() !== null;
}

/**
 * Why the MPI addon is not available ('' when it is).
 *
 * @example
 * mpiUnavailableReason(); // 'd2l_mpi.node was not built (needs Open MPI: ...)'
 */
export function mpiUnavailableReason(): string {
  return load() ? '' : failure;
}

let started: { addon: MpiAddon; info: MpiInit } | null = null;

/**
 * Starts MPI once per process (MPI_Init_thread, asking for MPI_THREAD_MULTIPLE) and returns the
 * addon with this process' rank and the job's size. At exit every rank meets the others in a
 * watched barrier and finalizes; a rank exiting with a non-zero code (an uncaught error) aborts
 * the whole job at once instead of leaving the others waiting.
 *
 * @example
 * const { info } = startMpi('kv.create'); // info.rank, info.size
 */
export function startMpi(op: string): { addon: MpiAddon; info: MpiInit } {
  if (started) return started;
  const a = load();
  if (!a) throw new ValueError(`${op}('dist_sync'): the MPI transport is not available: ${failure}`);
  const info = a.init();
  started = { addon: a, info };
  const proc = nodeProcess() as { on?: (ev: string, fn: (code: number) => void) => void; exitCode?: number } | undefined;
  proc?.on?.('exit', (code: number) => {
    if (code !== 0 && info.size > 1)
      a.abort(code, `d2l-ts dist_sync: rank ${info.rank} of ${info.size} exited with code ${code}; ending the job (MPI_Abort)`);
    if (info.size > 1) a.barrier(distTimeoutMs(), `the barrier at exit (${exitWhat()})`);
    a.finalize();
  });
  return started;
}

let describeExit: () => string = () => 'after the last collective';

/**
 * Sets what the exit barrier's watchdog message says this rank did last (the store's step count).
 *
 * @example
 * setExitDescription(() => `after trainer step ${steps}`);
 */
export function setExitDescription(fn: () => string): void {
  describeExit = fn;
}

function exitWhat(): string {
  return describeExit();
}

/**
 * The watchdog's limit for one collective, in milliseconds: D2L_DIST_TIMEOUT seconds (default
 * 120; 0 waits forever).
 *
 * @example
 * distTimeoutMs(); // 120000
 */
export function distTimeoutMs(): number {
  const raw = env('D2L_DIST_TIMEOUT');
  if (raw === undefined || raw === '') return DEFAULT_DIST_TIMEOUT_S * 1000;
  const s = Number(raw);
  if (!Number.isFinite(s) || s < 0)
    throw new ValueError(`D2L_DIST_TIMEOUT must be a number of seconds >= 0 (0: no watchdog), got '${raw}'`);
  return s * 1000;
}
