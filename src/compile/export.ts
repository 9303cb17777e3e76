/**
 * `net.export(path)` and `SymbolBlock.imports`: a traced graph as MXNet's `<path>-symbol.json`
 * (nodes with MXNet's op names and string attributes, `arg_nodes`, `heads`) and its parameters
 * as `<path>-0000.params`. Unlike MXNet, whose .params files are its own binary NDArray format,
 * the parameter file is safetensors (names `arg:<parameter name>`, as MXNet prefixes them), so
 * any safetensors reader opens it; MXNet itself cannot load it.
 *
 * Graphs of the ops of the table (src/compile/ops.ts: elementwise ops, dot, FullyConnected,
 * Activation, Convolution, Pooling, Dropout, Flatten, Reshape, reductions, softmax, concat)
 * export; a layer traced as an opaque node (BatchNorm, LayerNorm, Conv1D...) does not yet, and
 * export says which.
 */
import { readFileSync } from '#platform'; // Node-only: see src/platform/
import type { DType } from '../core/dtype.js';
import { ValueError } from '../core/errors.js';
import type { Context } from '../ndarray/context.js';
import type { NDArray } from '../ndarray/ndarray.js';
import { encodeSafetensors, readSafetensors, recordToArray, writeFileAtomic } from '../ndarray/safetensors.js';
import { isSymbol, type Graph, type ParamRef, type SymbolArray } from './graph.js';
import { mxnetName, opDef, opFromMxnet, type Attrs } from './ops.js';

/** One node of MXNet's symbol JSON. */
export interface SymbolJsonNode {
  op: string;
  name: string;
  attrs?: Record<string, string>;
  inputs: [number, number, number][];
}
/** MXNet's symbol JSON file. */
export interface SymbolJson {
  nodes: SymbolJsonNode[];
  arg_nodes: number[];
  node_row_ptr: number[];
  heads: [number, number, number][];
  attrs: Record<string, [string, number]>;
}

const snake = (k: string) => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const camel = (k: string) => k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

/** An attribute value as MXNet writes it: True/False, (2, 3), None, numbers. */
function attrString(v: unknown, where: string): string {
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') return v;
  if (v === null || v === undefined) return 'None';
  if (Array.isArray(v) && v.every((x) => typeof x === 'number')) return v.length === 1 ? `(${v[0]},)` : `(${v.join(', ')})`;
  throw new ValueError(`${where}: cannot write the attribute value ${String(v)}`);
}
function parseAttr(s: string): unknown {
  if (s === 'True') return true;
  if (s === 'False') return false;
  if (s === 'None') return null;
  const tuple = /^\((.*)\)$/.exec(s);
  if (tuple)
    return tuple[1]
      .split(',')
      .map((t) => t.trim())
      .filter((t) => t.length)
      .map(Number);
  if (/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$|^[-+]?(Infinity|NaN)$/.test(s)) return Number(s);
  return s;
}

/**
 * The symbol JSON of a traced graph.
 *
 * @example
 * const json = graphToJson(hybridStats(net).last!.graph, "HybridSequential 'hybridsequential0'");
 * json.nodes[0]; // { op: 'null', name: 'data', inputs: [] }
 */
export function graphToJson(g: Graph, where: string): SymbolJson {
  const opaque = g.nodes.filter((n) => n.op === 'layer');
  if (opaque.length)
    throw new ValueError(
      `${where}.export: these layers were traced as opaque nodes and cannot be exported yet: ` +
        `${opaque.map((n) => `${n.name} (${String(n.attrs.mxnet)})`).join(', ')}; export supports the ops of src/compile/ops.ts (docs/COMPILE.md)`,
    );
  const nodes: SymbolJsonNode[] = g.nodes.map((n) => {
    if (n.op === 'null') return { op: 'null', name: n.name, inputs: [] };
    const attrs: Record<string, string> = {};
    for (const [k, v] of Object.entries(n.attrs)) if (k !== 'reverse') attrs[snake(k)] = attrString(v, where);
    return { op: mxnetName(n.op, n.attrs), name: n.name, attrs, inputs: n.inputs.map((i) => [i, 0, 0] as [number, number, number]) };
  });
  return {
    nodes,
    arg_nodes: g.nodes.filter((n) => n.op === 'null').map((n) => n.id),
    node_row_ptr: [...Array(g.nodes.length + 1).keys()],
    heads: g.outputs.map((o) => [o, 0, 0]),
    attrs: { mxnet_version: ['int', 10400] },
  };
}

/**
 * Writes `<path>-symbol.json` and `<path>-<epoch, 4 digits>.params` (safetensors) for a traced
 * graph, atomically; returns both file names.
 *
 * @example
 * exportGraph(graph, 'out/my_mlp', 0, (p) => p.data(), "HybridSequential 'hybridsequential0'");
 * // ['out/my_mlp-symbol.json', 'out/my_mlp-0000.params']
 */
export function exportGraph(g: Graph, path: string, epoch: number, value: (p: ParamRef) => NDArray, where: string): [string, string] {
  if (typeof path !== 'string' || path.length === 0) throw new ValueError(`${where}.export: expected a path prefix, got ${String(path)}`);
  if (!Number.isInteger(epoch) || epoch < 0 || epoch > 9999)
    throw new ValueError(`${where}.export: epoch must be an integer in [0, 9999], got ${String(epoch)}`);
  const json = graphToJson(g, where);
  const entries: [string, NDArray][] = [];
  for (const id of g.params) {
    const n = g.nodes[id];
    const v = value(n.param!);
    if (v.context.deviceType !== 'cpu')
      throw new ValueError(`${where}.export: parameter '${n.name}' lives on ${v.context}; copy the network to the CPU first`);
    entries.push([`arg:${n.name}`, v]);
  }
  const sym = `${path}-symbol.json`;
  const params = `${path}-${String(epoch).padStart(4, '0')}.params`;
  writeFileAtomic(sym, new TextEncoder().encode(JSON.stringify(json, null, 2)));
  writeFileAtomic(params, encodeSafetensors(entries, { format: 'd2l-ts', names: 'mxnet-export' }));
  return [sym, params];
}

/**
 * Reads an exported symbol file and its parameters: the JSON, and each parameter's array on
 * `ctx` by its name (the `arg:` / `aux:` prefix removed).
 *
 * @example
 * const { json, params } = readExport('out/my_mlp-symbol.json', 'out/my_mlp-0000.params', nd.cpu());
 */
export function readExport(symbolFile: string, paramFile: string | null, ctx: Context): { json: SymbolJson; params: Map<string, NDArray> } {
  let json: SymbolJson;
  try {
    json = JSON.parse(readFileSync(symbolFile, 'utf8')) as SymbolJson;
  } catch (e) {
    throw new ValueError(`SymbolBlock.imports: cannot read the symbol file '${symbolFile}': ${(e as Error).message}`);
  }
  if (!json || !Array.isArray(json.nodes) || !Array.isArray(json.heads))
    throw new ValueError(`SymbolBlock.imports: '${symbolFile}' is not a symbol file (no nodes and heads)`);
  json.nodes.forEach((n, i) => {
    if (n.op !== 'null' && !opFromMxnet(n.op))
      throw new ValueError(`SymbolBlock.imports: '${symbolFile}' node ${i} ('${n.name}') has op '${n.op}', which d2l-ts cannot run`);
  });
  const params = new Map<string, NDArray>();
  if (paramFile !== null)
    for (const [k, r] of readSafetensors(paramFile).tensors) params.set(k.replace(/^(arg|aux):/, ''), recordToArray(r, ctx));
  return { json, params };
}

/** The shape and dtype of each parameter a symbol file needs (from the arrays read with it). */
export function paramSpecs(
  json: SymbolJson,
  inputNames: readonly string[],
  params: ReadonlyMap<string, NDArray>,
): { name: string; shape: number[]; dtype: DType }[] {
  const out: { name: string; shape: number[]; dtype: DType }[] = [];
  for (const n of json.nodes) {
    if (n.op !== 'null' || inputNames.includes(n.name)) continue;
    const v = params.get(n.name);
    if (!v)
      throw new ValueError(
        `SymbolBlock.imports: the parameter file has no value for '${n.name}' (and it is not an input: ${inputNames.join(', ')})`,
      );
    out.push({ name: n.name, shape: [...v.shape], dtype: v.dtype });
  }
  return out;
}

/**
 * Runs a symbol file's nodes on `inputs` (NDArrays: eagerly; symbols: appended to their trace)
 * with the parameter values `params` (by name). Returns the heads.
 *
 * @example
 * const [y] = replayJson(json, ['data'], [x], new Map([['dense0_weight', w], ...]));
 */
export function replayJson<T extends NDArray | SymbolArray>(
  json: SymbolJson,
  inputNames: readonly string[],
  inputs: readonly T[],
  params: ReadonlyMap<string, T>,
): T[] {
  if (inputs.length !== inputNames.length)
    throw new ValueError(`SymbolBlock: expected ${inputNames.length} inputs (${inputNames.join(', ')}), got ${inputs.length}`);
  const vals: T[] = [];
  for (const n of json.nodes) {
    if (n.op === 'null') {
      const i = inputNames.indexOf(n.name);
      const v = i >= 0 ? inputs[i] : params.get(n.name);
      if (v === undefined) throw new ValueError(`SymbolBlock: no value for the variable '${n.name}'`);
      vals.push(v);
      continue;
    }
    const { op, reverse } = opFromMxnet(n.op)!;
    const attrs: Record<string, unknown> = {};
    for (const [k, s] of Object.entries(n.attrs ?? {})) attrs[camel(k)] = parseAttr(s);
    if (op.endsWith('Scalar')) attrs.reverse = reverse;
    const ins = n.inputs.map(([j]) => vals[j]);
    const first = ins[0];
    vals.push(
      (isSymbol(first)
        ? first.tracer.apply(op, ins as SymbolArray[], attrs as Attrs, n.name)
        : opDef(op).run(ins as NDArray[], attrs as Attrs)) as T,
    );
  }
  const heads = json.heads.map(([j]) => vals[j]);
  // Eager intermediates that are not heads, inputs or parameters are freed.
  for (const v of vals)
    if (!isSymbol(v) && !heads.includes(v) && !inputs.includes(v) && ![...params.values()].includes(v)) (v as NDArray).dispose();
  return heads;
}
