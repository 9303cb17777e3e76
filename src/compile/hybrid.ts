/**
 * What `hybridize()` does to a call: the dispatch HybridBlock and HybridSequential install as
 * their `forward` (eager, traced or compiled), the trace itself, and the per-block cache of
 * compiled programs keyed by the inputs' shapes, dtypes and devices and by training mode (a
 * change of any of them traces again).
 */
import { isTraining, pause } from '../autograd/autograd.js';
import { ValueError } from '../core/errors.js';
import { shapeStr, shapesEqual } from '../core/shape.js';
import type { Context } from '../ndarray/context.js';
import { NDArray } from '../ndarray/ndarray.js';
import { activeTracer, isSymbol, Tracer, type Graph, type ParamRef, type SymbolArray } from './graph.js';
import { ndNamespace, symNamespace, type Namespace } from './namespace.js';
import { compileGraph, type Program } from './program.js';
import { exportGraph } from './export.js';

/** One compiled signature of a block. */
export interface CompiledEntry {
  readonly key: string;
  readonly graph: Graph;
  readonly program: Program;
  readonly params: readonly Parameter[];
  /** The traced shape and dtype of each parameter, checked at every call. */
  readonly traced: ReadonlyMap<Parameter, { shape: readonly number[]; dtype: string }>;
}

interface BlockCache {
  entries: Map<string, CompiledEntry>;
  last: CompiledEntry | null;
  traces: number;
}
const caches = new WeakMap<object, BlockCache>();
/** Blocks whose forward only chains their children (HybridSequential). */
const containers = new WeakSet<object>();

/** A parameter as the compiler needs it (gluon's Parameter; src/compile sits below gluon and names no gluon type). */
interface Parameter extends ParamRef {
  readonly isInitialized: boolean;
}
/** A block as the dispatch sees it (gluon's HybridBlock and HybridSequential). */
interface Block {
  readonly name: string;
  readonly prefix: string;
  readonly isHybridized: boolean;
  readonly params: { values(): Parameter[] };
  collectParams(): { values(): Parameter[] };
}
type HybridHost = Block & { hybridForward?: (F: Namespace, ...args: any[]) => any };
type EagerForward = (...args: any[]) => any;

/** "HybridNet 'hybridnet0'", for messages. */
export function blockLabel(b: Block): string {
  return `${b.constructor.name} '${b.name}'`;
}

/**
 * Replaces `block.forward` by the dispatch: the class's own forward runs eagerly; while a parent
 * is traced, a call on symbols is traced; after `hybridize()`, a call runs the compiled program.
 * `container`: the block's forward only calls its children (HybridSequential), so the trace runs
 * it on symbols instead of recording it as one opaque layer.
 *
 * @example
 * // in HybridBlock's constructor:
 * installHybridDispatch(this, false);
 */
export function installHybridDispatch(block: Block, container: boolean): void {
  const eager = Object.getPrototypeOf(block).forward as EagerForward;
  if (container) containers.add(block);
  if (typeof eager !== 'function') throw new ValueError(`hybridize: ${blockLabel(block)} has no forward method`);
  Object.defineProperty(block, 'forward', {
    value: function forward(this: HybridHost, ...args: any[]): any {
      return hybridCall(this, eager, args);
    },
    enumerable: false,
    configurable: true,
    writable: true,
  });
}

function hybridCall(block: HybridHost, eager: EagerForward, args: any[]): any {
  const t = activeTracer();
  if (t) return args.some(isSymbol) ? traceCall(t, block, eager, args) : eager.apply(block, args);
  if (block.isHybridized) return compiledCall(block, eager, args);
  return eager.apply(block, args);
}

/** The MXNet op of a built-in layer that is traced as one node. */
const LAYER_OPS: Record<string, string> = {
  Conv2D: 'Convolution',
  Conv1D: 'Convolution',
  Conv2DTranspose: 'Deconvolution',
  MaxPool2D: 'Pooling',
  AvgPool2D: 'Pooling',
  GlobalAvgPool2D: 'Pooling',
  GlobalMaxPool2D: 'Pooling',
  MaxPool1D: 'Pooling',
  AvgPool1D: 'Pooling',
  GlobalMaxPool1D: 'Pooling',
  GlobalAvgPool1D: 'Pooling',
  BatchNorm: 'BatchNorm',
  LayerNorm: 'LayerNorm',
  InstanceNorm: 'InstanceNorm',
  Embedding: 'Embedding',
};

function traceCall(t: Tracer, block: HybridHost, eager: EagerForward, args: any[]): any {
  return t.inScope(block.prefix, blockLabel(block), () => {
    // A layer may ask to stay opaque for this call (BatchNorm in training mode).
    const opaque = (block as { traceAsLayer?: () => boolean }).traceAsLayer?.() === true;
    if (typeof block.hybridForward === 'function' && !opaque) {
      const own = block.params.values().map((p) => t.param(p));
      return block.hybridForward(symNamespace, ...args, ...own);
    }
    if (containers.has(block) && !opaque) return eager.apply(block, args);
    // A layer without hybridForward: one node running the layer's own eager code.
    const syms = args.filter((a): a is SymbolArray => isSymbol(a));
    if (syms.length !== args.filter((a) => a !== undefined && a !== null).length)
      throw new ValueError(
        `${blockLabel(block)}: a traced layer takes symbols only, got ${args.map((a) => (isSymbol(a) ? String(a) : typeof a)).join(', ')}`,
      );
    const mxnet = LAYER_OPS[block.constructor.name] ?? `_block_${block.constructor.name}`;
    return t.layer(mxnet, block, (vals) => eager.apply(block, [...vals]), syms, block.collectParams().values(), `${block.prefix}fwd`);
  });
}

function signature(block: Block, args: readonly unknown[]): string {
  const parts = args.map((a, i) => {
    if (!(a instanceof NDArray))
      throw new ValueError(
        `${blockLabel(block)}: a hybridized block takes NDArrays, got ${a === null ? 'null' : typeof a} as argument ${i}; ` +
          'call hybridize(false) to run it eagerly with other arguments',
      );
    a.checkAlive(`${blockLabel(block)}.forward`);
    return `${a.dtype}[${a.shape.join(',')}]@${a.context}`;
  });
  return `${parts.join(';')}|${isTraining() ? 'train' : 'predict'}`;
}

function cacheOf(block: object): BlockCache {
  let c = caches.get(block);
  if (!c) caches.set(block, (c = { entries: new Map(), last: null, traces: 0 }));
  return c;
}

/**
 * Forgets every compiled program of `block` (hybridize() calls it, so a changed network traces again).
 *
 * @example
 * clearHybridCache(net);
 */
export function clearHybridCache(block: object): void {
  caches.delete(block);
}

/**
 * How often `block` was traced, and its compiled signatures (for tests and docs).
 *
 * @example
 * net.hybridize(); net.forward(x); net.forward(x);
 * hybridStats(net).traces; // 1
 */
export function hybridStats(block: object): { traces: number; signatures: string[]; last: CompiledEntry | null } {
  const c = caches.get(block);
  return { traces: c?.traces ?? 0, signatures: c ? [...c.entries.keys()] : [], last: c?.last ?? null };
}

function disposeResult(r: unknown): void {
  if (r instanceof NDArray) r.dispose();
  else if (Array.isArray(r)) for (const x of r) disposeResult(x);
}

function compiledCall(block: HybridHost, eager: EagerForward, args: any[]): any {
  const key = signature(block, args);
  const cache = cacheOf(block);
  let entry = cache.entries.get(key);
  if (!entry) {
    entry = traceBlock(block, eager, args, key);
    cache.entries.set(key, entry);
    cache.traces++;
  }
  cache.last = entry;
  const ctx = (args[0] as NDArray).context;
  const outs = entry.program.run(args, (p) => paramValue(block, p as Parameter, ctx, entry!));
  return entry.graph.outputIsList ? outs : outs[0];
}

function paramValue(block: Block, p: Parameter, ctx: Context, entry: CompiledEntry): NDArray {
  const v = p.data(ctx);
  const node = entry.traced.get(p)!;
  if (!shapesEqual(v.shape, node.shape) || v.dtype !== node.dtype)
    throw new ValueError(
      `${blockLabel(block)}: parameter '${p.name}' is now ${v.dtype} of shape ${shapeStr(v.shape)} but was traced as ${node.dtype} of shape ` +
        `${shapeStr(node.shape)}; call hybridize() again after changing parameters`,
    );
  return v;
}

function traceBlock(block: HybridHost, eager: EagerForward, args: NDArray[], key: string): CompiledEntry {
  const params = block.collectParams().values();
  // Deferred shapes (nn.Dense(10) without inUnits) are learnt from one eager call first.
  if (params.some((p) => !p.isInitialized)) disposeResult(pause(() => eager.apply(block, args), { trainMode: false }));
  const t = new Tracer(blockLabel(block), '');
  try {
    const syms = args.map((a, i) => t.input(args.length === 1 ? 'data' : `data${i}`, a));
    const out = t.run(() => traceCall(t, block, eager, syms));
    const list = Array.isArray(out);
    const outs: unknown[] = list ? out : [out];
    for (const o of outs)
      if (!isSymbol(o) || o.tracer !== t)
        throw new ValueError(
          `${blockLabel(block)}: hybridForward returned ${o instanceof NDArray ? 'an NDArray' : typeof o}; a traced block must return the symbols it computed`,
        );
    const graph = t.graph(outs as SymbolArray[], list);
    const traced = new Map(graph.params.map((id) => [graph.nodes[id].param as Parameter, graph.nodes[id]]));
    return { key, graph, program: compileGraph(graph), params, traced };
  } finally {
    t.dispose();
  }
}

/**
 * `F` for a block's eager hybridForward call, and its own parameters' values on `ctx`.
 *
 * @example
 * // HybridBlock.prototype.forward:
 * return this.hybridForward(...eagerHybridArgs(this, x), ...);
 */
export function eagerHybridForward(block: HybridHost, args: any[]): any {
  if (typeof block.hybridForward !== 'function')
    throw new ValueError(`${blockLabel(block)}: a HybridBlock defines hybridForward(F, x, ...params) (or forward(x))`);
  const first = args.find((a) => a instanceof NDArray) as NDArray | undefined;
  const own = block.params.values().map((p) => p.data(first?.context));
  return block.hybridForward(ndNamespace, ...args, ...own);
}

/**
 * `net.export(path, epoch)`: the graph of the block's latest compiled call as
 * `<path>-symbol.json` and its parameters as `<path>-<epoch>.params` (safetensors; see
 * src/compile/export.ts). The block must have been hybridized and called once.
 *
 * @example
 * net.hybridize(); net.forward(x);
 * exportBlock(net, 'my_mlp'); // ['my_mlp-symbol.json', 'my_mlp-0000.params']
 */
export function exportBlock(block: Block, path: string, epoch = 0): [string, string] {
  const last = caches.get(block)?.last;
  if (!last)
    throw new ValueError(
      `${blockLabel(block)}.export: nothing was compiled yet; call hybridize() and run the block once (net.forward(x)) before export`,
    );
  return exportGraph(last.graph, path, epoch, (p) => (p as Parameter).data(), blockLabel(block));
}
