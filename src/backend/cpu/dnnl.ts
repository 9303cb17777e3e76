// The optional oneDNN convolution path: loading the N-API addon (native/d2l_dnnl.c) and running
// float32 Conv2d forward, backward data and backward weights (with the bias gradient) on it,
// directly on the CPU heap.
import type { Conv2dParams, Storage, View } from '../backend.js';
import { ValueError } from '../../core/errors.js';
import { env, nodeProcess } from '../../core/env.js';
import { locateAddon } from '../../core/addon.js';
import { withThreadPolicy } from './blas/index.js';
import { denseF32, withDense, type ScratchHost } from './conv-gemm.js';
import { NATIVE_CONV, evenRanges, type NativeExecutor, type NativeRunner } from './threads/protocol.js';

/**
 * The optional oneDNN path for 2-D convolution on Node: build/Release/d2l_dnnl.node, a small N-API
 * addon over the system oneDNN (libdnnl, the library PyTorch and MXNet run CPU convolutions on),
 * built at install by scripts/build-dnnl.mjs when a compiler and libdnnl-dev are present. Like the
 * BLAS addon it computes on the CPU heap in place: it gets a Uint8Array over the heap's
 * SharedArrayBuffer and byte offsets, so nothing is copied. The CPU backend runs float32
 * convolutions with dense NCHW / OIHW operands here when its kernels are 'auto' (D2L_DNNL
 * selects, see env.ts); without the addon the im2col + GEMM and Wasm paths run unchanged.
 *
 * Threads: one set owns the cores, as for OpenBLAS. A large convolution is split over the batch
 * into NATIVE_CONV chunks for the CPU backend's worker pool, whose threads have each loaded the
 * addon and run their slice with oneDNN single-threaded (the weight gradient's slices summed
 * after); oneDNN's own OpenMP threads run only where the pool cannot split (a batch of one, no
 * pool), after our spinning workers are sent to sleep (WorkerPool.park).
 */

/** The addon's exports (native/d2l_dnnl.c). */
export interface DnnlAddon {
  conv(mem: Uint8Array, desc: Float64Array): boolean;
  impl(desc: Float64Array): string;
  getThreads(): number;
  stats(): { runs: number; created: number; cached: number };
  info(): { version: string; library: string; runtime: string; isa: string; threads: number; openmp: number };
}

/** What dnnlInfo() reports. */
export interface DnnlInfo {
  /** Whether the addon is loaded. */
  loaded: boolean;
  /** Whether the CPU backend sends convolutions to it ('auto' kernels, D2L_DNNL not '0'). */
  enabled: boolean;
  /** The addon file (when found). */
  addon: string | null;
  /** oneDNN's version, e.g. '2.6.3'. */
  version: string | null;
  /** The libdnnl shared library the addon runs on. */
  library: string | null;
  /** oneDNN's threading runtime: 'omp', 'tbb', 'seq' or 'threadpool'. */
  runtime: string | null;
  /** The instruction set oneDNN's kernels use here, e.g. 'avx512_core'. */
  isa: string | null;
  /** oneDNN's OpenMP threads on this thread (used only where the worker pool cannot split a convolution). */
  threads: number;
  /** oneDNN convolution calls so far, batch slices on every thread counted. */
  runs: number;
  /** Primitives in this thread's cache of the addon. */
  cached: number;
  /** 'auto' (per convolution, see DnnlLayout), 'plain' (our layouts in place) or 'any' (oneDNN's blocked layouts, reordered). */
  layout: DnnlLayout;
  /** Why it is not loaded (null when loaded). */
  reason: string | null;
}

/** 'auto': use the addon when it is loaded; 'on': the same, but its absence is an error; 'off': never. */
export type DnnlMode = 'auto' | 'on' | 'off';
/**
 * Where oneDNN computes: on our NCHW / OIHW tensors in place ('plain', its im2col + GEMM kernels
 * here), in blocked layouts it picks ('any': its direct JIT kernels, with reorders from and to
 * ours on each call), or per convolution ('auto', the default: see layoutFor).
 */
export type DnnlLayout = 'auto' | 'plain' | 'any';

const ADDON_FILE = 'd2l_dnnl.node';

let addon: DnnlAddon | null | undefined;
let addonPath: string | null = null;
let failure: string | null = null;
let mode: DnnlMode | undefined;
let layout: DnnlLayout | undefined;

/** D2L_DNNL as a mode: '' / 'auto' -> 'auto', '1' -> 'on', '0' -> 'off'. */
function parseMode(v: string | undefined): DnnlMode {
  if (v === undefined || v === '' || v === 'auto') return 'auto';
  if (v === '1') return 'on';
  if (v === '0') return 'off';
  throw new ValueError(`D2L_DNNL must be 'auto', '1' or '0' (got '${v}')`);
}

function parseLayout(v: string | undefined): DnnlLayout {
  if (v === undefined || v === '' || v === 'auto') return 'auto';
  if (v === 'plain' || v === 'any') return v;
  throw new ValueError(`D2L_DNNL_LAYOUT must be 'auto', 'plain' or 'any' (got '${v}')`);
}

function currentMode(): DnnlMode {
  return (mode ??= parseMode(env('D2L_DNNL')));
}

function currentLayout(): DnnlLayout {
  return (layout ??= parseLayout(env('D2L_DNNL_LAYOUT')));
}

/** Loads the addon once; null (with the reason in dnnlInfo()) when it is absent, disabled or fails. */
function load(): DnnlAddon | null {
  if (addon !== undefined) return addon;
  addon = null;
  const get = nodeProcess()?.getBuiltinModule;
  if (!get) {
    failure = 'not running in Node >= 20.16 (the oneDNN addon is a Node native module, loaded through process.getBuiltinModule)';
    return null;
  }
  if (env('D2L_DNNL') === '0') {
    failure = 'disabled by D2L_DNNL=0';
    return null;
  }
  try {
    const found = locateAddon(ADDON_FILE, 'D2L_DNNL_ADDON', import.meta.url)!;
    const file = found.file;
    if (!file) {
      failure = env('D2L_DNNL_ADDON')
        ? `D2L_DNNL_ADDON=${env('D2L_DNNL_ADDON')} does not exist`
        : `${ADDON_FILE} was not built (needs a C compiler and oneDNN, e.g. apt-get install build-essential libdnnl-dev, then npm run build:dnnl)`;
      return null;
    }
    addonPath = file;
    // libgomp reads its spin policy when it is loaded: the same short spin as OpenBLAS' threads.
    const a = withThreadPolicy(() => found.require(file)) as DnnlAddon;
    if (typeof a?.conv !== 'function' || typeof a.impl !== 'function') {
      failure = `${file} is not the d2l-ts oneDNN addon`;
      return null;
    }
    addon = a;
    failure = null;
  } catch (e) {
    failure = `loading the oneDNN addon failed: ${(e as Error)?.message ?? String(e)}`;
    addon = null;
  }
  return addon;
}

/**
 * Whether the oneDNN addon is loaded (loading it on first call).
 *
 * @example
 * dnnlAvailable(); // true after `apt-get install libdnnl-dev && npm run build:dnnl`
 */
export function dnnlAvailable(): boolean {
  return load() !== null;
}

/**
 * Whether the CPU backend sends convolutions to oneDNN in 'auto' mode: the addon is loaded and
 * the mode is not 'off'. In mode 'on' a missing addon is an error, with the reason.
 *
 * @example
 * dnnlEnabled(); // false with D2L_DNNL=0
 */
export function dnnlEnabled(): boolean {
  const m = currentMode();
  if (m === 'off') return false;
  if (load()) return true;
  if (m === 'on') throw new ValueError(`D2L_DNNL=1: the oneDNN addon is not loaded: ${failure}`);
  return false;
}

/**
 * Selects the oneDNN path at run time (what D2L_DNNL sets at start): 'auto', 'on' or 'off'.
 * Returns the previous mode, so a test can restore it.
 *
 * @example
 * const prev = setDnnlMode('off'); // the im2col + GEMM path, as without the addon
 * setDnnlMode(prev);
 */
export function setDnnlMode(m: DnnlMode): DnnlMode {
  if (m !== 'auto' && m !== 'on' && m !== 'off') throw new ValueError(`setDnnlMode: mode must be 'auto', 'on' or 'off', got ${String(m)}`);
  const prev = currentMode();
  if (m === 'on' && !load()) throw new ValueError(`setDnnlMode('on'): the oneDNN addon is not loaded: ${failure}`);
  mode = m;
  return prev;
}

/**
 * Selects where oneDNN computes (what D2L_DNNL_LAYOUT sets at start): 'auto' per convolution,
 * 'plain' on our NCHW / OIHW tensors, 'any' in layouts it picks, reordered on each call. Returns
 * the previous one.
 *
 * @example
 * const prev = setDnnlLayout('any');
 * setDnnlLayout(prev);
 */
export function setDnnlLayout(l: DnnlLayout): DnnlLayout {
  if (l !== 'auto' && l !== 'plain' && l !== 'any')
    throw new ValueError(`setDnnlLayout: layout must be 'auto', 'plain' or 'any', got ${String(l)}`);
  const prev = currentLayout();
  layout = l;
  return prev;
}

/**
 * Loads the addon file in a kernel worker thread (N-API addons load once per thread), which runs
 * NATIVE_CONV chunks (slices of a batch) single-threaded on it.
 *
 * @example
 * const run = nativeConvRunner(loadDnnlAddonAt(file), memory);
 */
export function loadDnnlAddonAt(file: string): DnnlAddon {
  const get = nodeProcess()?.getBuiltinModule;
  if (!get) throw new Error('the oneDNN addon needs Node >= 20.16');
  const mod = get('node:module') as { createRequire(from: string | URL): (id: string) => unknown };
  const a = withThreadPolicy(() => mod.createRequire(import.meta.url)(file)) as DnnlAddon;
  if (typeof a?.conv !== 'function') throw new Error(`${file} is not the d2l-ts oneDNN addon`);
  return a;
}

/** The addon loaded on this thread, or null (whatever the mode). */
export function loadedDnnlAddon(): DnnlAddon | null {
  return load();
}

/** The loaded addon's file, for the kernel worker threads (null when it is not loaded). */
export function dnnlAddonFile(): string | null {
  return load() ? addonPath : null;
}

/**
 * Runs pool chunks of kind NATIVE_CONV on `a` over `memory` (the heap): each chunk's one argument
 * is the byte address of its descriptor (DESC_LEN float64s) in the heap.
 *
 * @example
 * pool chunks [[descAddr0], [descAddr1]] -> a.conv(heap, desc) on whichever thread claims each
 */
export function nativeConvRunner(a: DnnlAddon, memory: { readonly buffer: ArrayBufferLike }): NativeRunner {
  let view: Uint8Array | null = null;
  return (fn, args, base) => {
    if (fn !== NATIVE_CONV) throw new Error(`dnnl: unknown native function ${fn}`);
    const buf = memory.buffer;
    if (!view || view.byteLength !== buf.byteLength) view = new Uint8Array(buf);
    if (!a.conv(view, new Float64Array(buf, args[base + 1], DESC_LEN)))
      throw new Error('dnnl: oneDNN has no implementation for a slice of a convolution it ran on the calling thread');
  };
}

/**
 * The oneDNN path's state: loaded or why not, oneDNN's version, runtime, ISA and threads.
 *
 * @example
 * dnnlInfo().isa; // 'avx512_core' on a Skylake-SP server (null without the addon)
 */
export function dnnlInfo(): DnnlInfo {
  const a = load();
  let enabled = false;
  try {
    enabled = dnnlEnabled();
  } catch {
    // mode 'on' without the addon: not enabled, and the reason is below
  }
  if (!a)
    return {
      loaded: false,
      enabled,
      addon: addonPath,
      version: null,
      library: null,
      runtime: null,
      isa: null,
      threads: 0,
      runs: 0,
      cached: 0,
      layout: currentLayout(),
      reason: failure,
    };
  const i = a.info();
  return {
    loaded: true,
    enabled,
    addon: addonPath,
    version: i.version,
    library: i.library,
    runtime: i.runtime,
    isa: i.isa,
    threads: i.threads,
    runs: a.stats().runs,
    cached: a.stats().cached,
    layout: currentLayout(),
    reason: null,
  };
}

// ------------------------------------------------------------------ descriptors

const KIND_FWD = 0;
const KIND_BWD_DATA = 1;
const KIND_BWD_WEIGHTS = 2;
/** native/d2l_dnnl.c's descriptor: D_KIND .. D_THR, then the four offsets. */
const DESC_LEN = 24;
const D_N = 1;
const D_THR = 19;
const D_OFF = 20;
/** One descriptor per kind of call in flight (the gradients fill two before running either). */
const descF = new Float64Array(DESC_LEN);
const descW = new Float64Array(DESC_LEN);
const descX = new Float64Array(DESC_LEN);
let memView: Uint8Array | null = null;

/** A Uint8Array over the heap's current buffer (a grown shared memory hands out a longer one). */
function heapBytes(buffer: ArrayBufferLike): Uint8Array {
  if (!memView || memView.buffer !== buffer) memView = new Uint8Array(buffer);
  return memView;
}

interface HeapStorage {
  readonly ptr: number;
}

/** The byte address of a float32 view's first element (readmitting an evicted storage first). */
const addr = (v: View): number => (v.storage as unknown as HeapStorage).ptr + v.offset * 4;

const INT32_MAX = 2147483647;

/** The output size of a convolution along one axis (the op layer's formula, rounding down). */
function outSize(n: number, k: number, s: number, pad: number, d: number): number {
  return Math.floor((n + 2 * pad - d * (k - 1) - 1) / s) + 1;
}

/**
 * Whether the geometry is one the addon takes: positive sizes within int32, channels that split
 * into the groups, and the output shape the input, kernel and parameters give.
 */
function fits(xs: readonly number[], ws: readonly number[], ys: readonly number[], p: Conv2dParams): boolean {
  if (xs.length !== 4 || ws.length !== 4 || ys.length !== 4) return false;
  for (const d of [...xs, ...ws, ...ys]) if (!(d >= 1)) return false;
  let nx = 1;
  let ny = 1;
  let nw = 1;
  for (let i = 0; i < 4; i++) {
    nx *= xs[i];
    ny *= ys[i];
    nw *= ws[i];
  }
  if (nx * 4 > INT32_MAX || ny * 4 > INT32_MAX || nw * 4 > INT32_MAX) return false;
  const G = p.groups;
  if (!(G >= 1) || ws[1] * G !== xs[1] || ws[0] % G !== 0 || ys[0] !== xs[0] || ys[1] !== ws[0]) return false;
  for (const v of [...p.stride, ...p.dilation]) if (!(v >= 1)) return false;
  if (!(p.padding[0] >= 0 && p.padding[1] >= 0)) return false;
  return (
    ys[2] === outSize(xs[2], ws[2], p.stride[0], p.padding[0], p.dilation[0]) &&
    ys[3] === outSize(xs[3], ws[3], p.stride[1], p.padding[1], p.dilation[1])
  );
}

/**
 * Whether a convolution computes in oneDNN's blocked layouts ('auto': chosen from per-kernel
 * timings of LeNet's, a ResNet block's, MobileNet-style depthwise and 1x1 shapes, one thread). Blocked (direct JIT kernels,
 * channels in blocks of 16) wins 2-8x on 3x3 and 5x5 kernels and depthwise ones, reorders
 * included; plain (im2col + GEMM) wins on 1x1 kernels, which are one GEMM already, and on the data
 * gradient of an input with fewer than 4 channels (LeNet's first layer: C = 1 padded to a block of 16
 * made it 4-8x slower than plain).
 */
function layoutFor(kind: number, xs: readonly number[], ws: readonly number[], p: Conv2dParams): boolean {
  const l = currentLayout();
  if (l !== 'auto') return l === 'any';
  const pointwise = ws[2] === 1 && ws[3] === 1 && p.padding[0] === 0 && p.padding[1] === 0;
  if (pointwise && p.stride[0] === 1 && p.stride[1] === 1) return false;
  return !(kind === KIND_BWD_DATA && xs[1] < 4);
}

/**
 * Whether the CPU backend should send a convolution's data gradient to oneDNN: not for an input
 * with fewer than 4 channels (LeNet's first layer, an RGB stem), where neither of oneDNN's
 * layouts beat the im2col + GEMM path (measured: 1.3-1.5x slower plain, 5-9x blocked). The
 * forward pass and the weight gradient always go.
 *
 * @example
 * dnnlTakesDataGrad([256, 1, 28, 28]); // false
 */
export function dnnlTakesDataGrad(xShape: readonly number[]): boolean {
  return xShape.length === 4 && xShape[1] >= 4;
}

/** Fills `desc` (native/d2l_dnnl.c's D_* layout) for one call. */
function fill(
  desc: Float64Array,
  kind: number,
  xs: readonly number[],
  ws: readonly number[],
  ys: readonly number[],
  p: Conv2dParams,
  acc: boolean,
  offs: [number, number, number, number],
): Float64Array {
  desc[0] = kind;
  for (let i = 0; i < 4; i++) desc[1 + i] = xs[i]; // N, C, H, W
  desc[5] = ws[0]; // OC
  desc[6] = ws[2]; // KH
  desc[7] = ws[3]; // KW
  desc[8] = ys[2]; // OH
  desc[9] = ys[3]; // OW
  desc[10] = p.stride[0];
  desc[11] = p.stride[1];
  desc[12] = p.padding[0];
  desc[13] = p.padding[1];
  desc[14] = p.dilation[0];
  desc[15] = p.dilation[1];
  desc[16] = p.groups;
  desc[17] = layoutFor(kind, xs, ws, p) ? 1 : 0;
  desc[18] = acc ? 1 : 0;
  desc[D_THR] = 1;
  for (let i = 0; i < 4; i++) desc[D_OFF + i] = offs[i];
  return desc;
}

/**
 * The oneDNN implementation that runs a convolution (what ONEDNN_VERBOSE=1 prints), e.g.
 * 'brgconv:avx512_core' or 'gemm:jit'; null without the addon. `kind` is the forward pass or one
 * of the two gradients; `bias` whether a bias (or its gradient) takes part.
 *
 * @example
 * dnnlImpl('forward', [256, 1, 28, 28], [6, 1, 5, 5], { stride: [1, 1], padding: [0, 0], dilation: [1, 1], groups: 1 });
 */
export function dnnlImpl(
  kind: 'forward' | 'backwardData' | 'backwardWeights',
  xShape: readonly number[],
  wShape: readonly number[],
  p: Conv2dParams,
  bias = false,
): string | null {
  const k = kind === 'forward' ? KIND_FWD : kind === 'backwardData' ? KIND_BWD_DATA : kind === 'backwardWeights' ? KIND_BWD_WEIGHTS : -1;
  if (k < 0) throw new ValueError(`dnnlImpl: kind must be 'forward', 'backwardData' or 'backwardWeights', got ${String(kind)}`);
  if (xShape.length !== 4 || wShape.length !== 4)
    throw new ValueError(`dnnlImpl: x and w must be 4-d (NCHW, OIHW), got [${xShape}] and [${wShape}]`);
  const a = load();
  if (!a) return null;
  const ys = [xShape[0], wShape[0], outSize(xShape[2], wShape[2], p.stride[0], p.padding[0], p.dilation[0])];
  ys.push(outSize(xShape[3], wShape[3], p.stride[1], p.padding[1], p.dilation[1]));
  if (!fits(xShape, wShape, ys, p))
    throw new ValueError(`dnnlImpl: x [${xShape}] and w [${wShape}] make no convolution with these parameters (groups ${p.groups})`);
  return a.impl(fill(descF, k, xShape, wShape, ys, p, false, [0, 0, bias && k !== KIND_BWD_DATA ? 0 : -1, 0]));
}

// ------------------------------------------------------------------ the kernels

/**
 * How a convolution may use threads: the CPU backend's thread count, its worker pool's executor
 * for NATIVE_CONV chunks (null without it), and a call that sends spinning pool workers to sleep
 * before oneDNN starts OpenMP threads of its own.
 */
export interface DnnlThreads {
  threads: number;
  exec: NativeExecutor | null;
  park(): void;
  /** Multiply-adds from which OpenMP threads are used on the calling thread (default DNNL_MT_MIN_MACS). */
  minWork?: number;
}

/**
 * Multiply-adds from which a convolution is split over threads (a batch slice per pool thread);
 * smaller ones run on the calling thread alone, where waking a thread costs more than it saves.
 */
export const DNNL_MT_MIN_MACS = 1 << 21;

/** Multiply-adds of one convolution (forward; each gradient costs about the same). */
function macs(xs: readonly number[], ws: readonly number[], ys: readonly number[]): number {
  return ys[0] * ys[1] * ys[2] * ys[3] * ws[1] * ws[2] * ws[3];
}

/** A tensor's float32 elements per image (its size over the batch). */
const perImage = (shape: readonly number[]): number => shape[1] * shape[2] * shape[3];

/**
 * Runs `desc` (offsets of whole-batch tensors) on the calling thread, or split over the batch on
 * the pool: chunk i takes images [lo, hi) (`batched[k]`: whether offset k moves with the image
 * and by how many bytes per image), single-threaded. Without the pool or for a batch of one it
 * runs on OpenMP threads here. `partials` (a backward-weights call): the slices beyond the first
 * write their dW (and dbias) into scratch, added into the outputs after. False when oneDNN has
 * no implementation (nothing written).
 */
function execute(
  a: DnnlAddon,
  heap: { readonly buffer: ArrayBufferLike },
  desc: Float64Array,
  work: number,
  batched: [number, number, number, number],
  partials: { dw: number; db: number } | null,
  t: DnnlThreads | null,
): boolean {
  const N = desc[D_N];
  const P = t?.exec && N >= 2 ? Math.min(N, t.exec.chunks(work, false)) : 1;
  if (P <= 1) {
    const mt = t && t.threads > 1 && work >= (t.minWork ?? DNNL_MT_MIN_MACS);
    desc[D_THR] = mt ? t.threads : 1;
    if (mt) t.park();
    return a.conv(heapBytes(heap.buffer), desc);
  }
  const exec = t!.exec!;
  const ranges = evenRanges(N, P);
  const first = new Float64Array(desc);
  first[D_N] = ranges[0][1];
  // The slices' primitives exist for the first slice's size on this thread: if oneDNN has none,
  // nothing has run yet and the caller falls back.
  if (a.impl(first) === 'unimplemented') return false;
  const descs = new Float64Array(ranges.length * DESC_LEN);
  const scratchBytes = partials ? (ranges.length - 1) * (partials.dw + partials.db) * 4 : 0;
  const run = (scratch: number) => {
    ranges.forEach(([lo, hi], i) => {
      const d = descs.subarray(i * DESC_LEN, (i + 1) * DESC_LEN);
      d.set(desc);
      d[D_N] = hi - lo;
      d[D_THR] = 1;
      for (let k = 0; k < 4; k++) if (batched[k] && d[D_OFF + k] >= 0) d[D_OFF + k] += lo * batched[k];
      if (partials && i > 0) {
        // This slice's dW and dbias go to scratch blocks, written (not added to).
        d[18] = 0;
        d[D_OFF + 3] = scratch + (i - 1) * partials.dw * 4;
        if (d[D_OFF + 2] >= 0) d[D_OFF + 2] = scratch + (ranges.length - 1) * partials.dw * 4 + (i - 1) * partials.db * 4;
      }
    });
    exec.withHeapCopy(descs, (addr) =>
      exec.run(
        NATIVE_CONV,
        ranges.map((_, i) => [addr + i * DESC_LEN * 8]),
      ),
    );
    if (partials) {
      exec.addBlocks(desc[D_OFF + 3], partials.dw, scratch, 1, partials.dw, ranges.length - 1);
      if (desc[D_OFF + 2] >= 0)
        exec.addBlocks(desc[D_OFF + 2], partials.db, scratch + (ranges.length - 1) * partials.dw * 4, 1, partials.db, ranges.length - 1);
    }
  };
  if (scratchBytes > 0) exec.withScratch(scratchBytes, run);
  else run(0);
  return true;
}

/**
 * out = conv2d(x, w) (+ bias) on oneDNN, for float32 NCHW x and out, OIHW w and a (OC) bias, all
 * dense; out is written. Large ones are split over the batch on the CPU backend's worker pool
 * (`t.exec`, one single-threaded slice per thread), else run on the calling thread. False,
 * touching nothing, without the addon, for other dtypes or layouts, or where oneDNN has no
 * implementation (the caller runs another kernel).
 *
 * @example
 * if (!dnnlConv2d(be.heap, x, w, null, p, out, null)) be.conv2d(x, w, p, out);
 */
export function dnnlConv2d(
  heap: { readonly buffer: ArrayBufferLike },
  x: View,
  w: View,
  bias: View | null,
  p: Conv2dParams,
  out: View,
  t: DnnlThreads | null = null,
): boolean {
  if (!denseF32(x) || !denseF32(w) || !denseF32(out) || (bias && (!denseF32(bias) || bias.shape.length !== 1))) return false;
  if (!fits(x.shape, w.shape, out.shape, p) || (bias && bias.shape[0] !== w.shape[0])) return false;
  const a = load();
  if (!a) return false;
  // Addresses first: reading `ptr` moves an evicted array back into the heap, which may grow it.
  const offs: [number, number, number, number] = [addr(x), addr(w), bias ? addr(bias) : -1, addr(out)];
  const d = fill(descF, KIND_FWD, x.shape, w.shape, out.shape, p, false, offs);
  return execute(a, heap, d, macs(x.shape, w.shape, out.shape), [perImage(x.shape) * 4, 0, 0, perImage(out.shape) * 4], null, t);
}

/** What the gradients need from the CPU backend for a non-dense head gradient: a dense copy. */
export type DnnlHost = ScratchHost;

/**
 * The gradients of conv2d on oneDNN, ADDED into dx, dw and db (each may be null), as the CPU
 * backend's conv2dGrad contract says (the op layer passes zero-filled arrays; an output already
 * holding values gets the gradient added). g is (N, OC, OH, OW), any strides (a non-dense g is
 * copied dense first); x, w and the outputs must be dense float32. x is read only when dw or db
 * is asked for. Threads as for dnnlConv2d (the weight gradient's slices are summed after). False,
 * touching nothing, where dnnlConv2d would be.
 *
 * @example
 * dnnlConv2dGrad(be, be.heap, g, x, w, p, dx, dw, null, null);
 */
export function dnnlConv2dGrad(
  host: DnnlHost,
  heap: { readonly buffer: ArrayBufferLike },
  g: View,
  x: View,
  w: View,
  p: Conv2dParams,
  dx: View | null,
  dw: View | null,
  db: View | null,
  t: DnnlThreads | null = null,
): boolean {
  if (g.dtype !== 'float32' || !denseF32(w) || (dx && !denseF32(dx)) || (dw && !denseF32(dw))) return false;
  if ((dw || db) && !denseF32(x)) return false;
  if (db && (!denseF32(db) || db.shape.length !== 1 || db.shape[0] !== w.shape[0])) return false;
  if (!fits(x.shape, w.shape, g.shape, p)) return false;
  if (!dx && !dw && !db) return true;
  const a = load();
  if (!a) return false;
  return withDense(host, g, (gd) => gradients(a, heap, gd, x, w, p, dx, dw, db, t));
}

function gradients(
  a: DnnlAddon,
  heap: { readonly buffer: ArrayBufferLike },
  g: View,
  x: View,
  w: View,
  p: Conv2dParams,
  dx: View | null,
  dw: View | null,
  db: View | null,
  t: DnnlThreads | null,
): boolean {
  // The bias gradient comes with the weight gradient's primitive; alone it is the op layer's reduction.
  if (db && !dw) return false;
  const work = macs(x.shape, w.shape, g.shape);
  const [xImg, gImg] = [perImage(x.shape) * 4, perImage(g.shape) * 4];
  const W = dw ? fill(descW, KIND_BWD_WEIGHTS, x.shape, w.shape, g.shape, p, true, [addr(x), addr(g), db ? addr(db) : -1, addr(dw)]) : null;
  const X = dx ? fill(descX, KIND_BWD_DATA, x.shape, w.shape, g.shape, p, true, [addr(g), addr(w), -1, addr(dx)]) : null;
  // Both primitives must exist before either runs: a false after dw was added to would make the
  // caller's fallback add it twice. (impl() creates and caches them; a single call needs no
  // check, as it touches nothing when it returns false.)
  if (W && X && (a.impl(W) === 'unimplemented' || a.impl(X) === 'unimplemented')) return false;
  const partials = { dw: sizeOfShape(w.shape), db: db ? w.shape[0] : 0 };
  if (W && !execute(a, heap, W, work, [xImg, gImg, 0, 0], partials, t)) return false;
  if (X && !execute(a, heap, X, work, [gImg, 0, 0, xImg], null, t)) return false;
  return true;
}

function sizeOfShape(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}
