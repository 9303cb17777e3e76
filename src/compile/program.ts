/**
 * From a traced graph to a program that runs it: lowering (FullyConnected into a product and its
 * bias add, Activation into its elementwise op), fusion (every maximal chain of float
 * elementwise ops whose intermediate results nobody else reads becomes one generated kernel,
 * src/compile/expr.ts + codegen.ts's multiKernel), and a flat list of steps with the point where
 * each intermediate array can be freed. A fused kernel that follows a product of the same shape
 * (a Dense layer's bias and activation) writes into the product's buffer when nothing records
 * gradients: the epilogue then needs no array of its own.
 *
 * With autograd recording, a fused kernel is one tape node whose gradient is a second generated
 * kernel (all its inputs' gradients in one pass over the output's shape, then summed back to
 * broadcast inputs' shapes); the other steps run the eager ops, which record themselves.
 */
import { recordOp, shouldRecord } from '../autograd/tape.js';
import { state } from '../autograd/state.js';
import { arrayTypeCode, multiKernel } from '../backend/cpu/codegen.js';
import { arr } from '../backend/cpu/elementwise.js';
import type { DType } from '../core/dtype.js';
import { ValueError } from '../core/errors.js';
import { broadcastStrides, coalesce, shapeStr, shapesEqual, sizeOf, type Shape } from '../core/shape.js';
import type { Context } from '../ndarray/context.js';
import type { NDArray } from '../ndarray/ndarray.js';
import { unbroadcast } from '../ops/reduce.js';
import { empty } from '../ops/util.js';
import { evalNd, gradProgram, toJS, toWGSL, type ExprProgram, type Instr } from './expr.js';
import type { Graph, GNode, LayerCall, ParamRef } from './graph.js';
import { opDef } from './ops.js';

/** A node after lowering: a graph node (graph.ts) with its ids renumbered, still in topological order. */
export type LNode = GNode;

/** Options of `compileGraph`. */
export interface CompileOptions {
  /** Fuse elementwise chains (default true; false runs every node with the eager ops). */
  fuse?: boolean;
}

interface EagerStep {
  readonly kind: 'eager';
  readonly id: number;
  readonly node: LNode;
}
/** One fused kernel: its external inputs, its program, and the node whose value it produces. */
export interface FusedStep {
  readonly kind: 'fused';
  readonly id: number;
  readonly ext: readonly number[];
  readonly members: readonly number[];
  readonly prog: ExprProgram;
  readonly js: string;
  readonly shape: Shape;
  readonly dtype: DType;
  /** Which external input's buffer the kernel may write into when nothing records (-1: none). */
  readonly inplace: number;
  readonly label: string;
  grad?: { prog: ExprProgram; js: string; wgsl?: string };
  /** The WGSL body, generated on first use on a GPU. */
  wgsl?: string;
}
type Step = EagerStep | FusedStep;

function isFloatDType(d: DType): boolean {
  return d === 'float32' || d === 'float64';
}

/** FullyConnected becomes reshape + dot + bias add, Activation its elementwise op, so both fuse. */
export function lower(g: Graph): { nodes: LNode[]; inputs: number[]; params: number[]; outputs: number[] } {
  const nodes: LNode[] = [];
  const map = new Map<number, number>();
  const add = (n: Omit<LNode, 'id'>): number => {
    nodes.push({ ...n, id: nodes.length });
    return nodes.length - 1;
  };
  for (const n of g.nodes) {
    const ins = n.inputs.map((i) => map.get(i)!);
    const base = { attrs: {}, dtype: n.dtype, name: n.name };
    let id: number;
    if (n.op === 'FullyConnected') {
      const x = g.nodes[n.inputs[0]];
      const flatten = n.attrs.flatten !== false;
      let xi = ins[0];
      if (flatten && x.shape.length !== 2)
        xi = add({
          ...base,
          op: 'Reshape',
          inputs: [xi],
          attrs: { shape: [x.shape[0], sizeOf(x.shape.slice(1))] },
          shape: [x.shape[0], sizeOf(x.shape.slice(1))],
          dtype: x.dtype,
        });
      id = add({ ...base, op: 'dot', inputs: [xi, ins[1]], attrs: { transposeB: true }, shape: n.shape });
      if (!n.attrs.noBias && ins.length > 2) id = add({ ...base, op: 'add', inputs: [id, ins[2]], shape: n.shape });
    } else if (n.op === 'Activation') {
      const t = n.attrs.actType;
      if (t === 'relu' || t === 'sigmoid' || t === 'tanh') id = add({ ...base, op: t, inputs: ins, shape: n.shape });
      else if (t === 'softrelu') id = add({ ...base, op: 'softrelu', inputs: ins, shape: n.shape });
      else {
        const a = add({ ...base, op: 'abs', inputs: ins, shape: n.shape });
        const d = add({ ...base, op: 'addScalar', inputs: [a], attrs: { scalar: 1, reverse: false }, shape: n.shape });
        id = add({ ...base, op: 'div', inputs: [ins[0], d], shape: n.shape });
      }
    } else id = add({ op: n.op, inputs: ins, attrs: n.attrs, shape: n.shape, dtype: n.dtype, name: n.name, param: n.param });
    map.set(n.id, id);
  }
  const m = (ids: readonly number[]) => ids.map((i) => map.get(i)!);
  return { nodes, inputs: m(g.inputs), params: m(g.params), outputs: m(g.outputs) };
}

/**
 * A compiled program of a graph.
 *
 * @example
 * const prog = compileGraph(graph);
 * const [y] = prog.run([x], (p) => p.data(x.context));
 */
export class Program {
  readonly nodes: readonly LNode[];
  readonly steps: readonly Step[];
  private readonly inputs: readonly number[];
  private readonly params: readonly number[];
  private readonly outputs: readonly number[];
  /** For each step, the values no later step reads (freed after it). */
  private readonly frees: readonly (readonly number[])[];
  private readonly keep: ReadonlySet<number>;

  constructor(graph: Graph, opts: CompileOptions = {}) {
    const low = lower(graph);
    this.nodes = low.nodes;
    this.inputs = low.inputs;
    this.params = low.params;
    this.outputs = low.outputs;
    this.steps = schedule(low, opts.fuse !== false);
    this.keep = new Set([...low.inputs, ...low.params, ...low.outputs]);
    const last = new Map<number, number>();
    this.steps.forEach((s, i) => {
      const reads = s.kind === 'fused' ? s.ext : s.node.inputs;
      for (const r of reads) last.set(r, i);
    });
    const frees: number[][] = this.steps.map(() => []);
    for (const [id, i] of last) if (!this.keep.has(id)) frees[i].push(id);
    // A value no step reads (a node computed for its side effect only) is freed right away.
    this.steps.forEach((s, i) => {
      if (!last.has(s.id) && !this.keep.has(s.id)) frees[i].push(s.id);
    });
    this.frees = frees;
  }

  /** The fused kernels (for tests and docs/COMPILE.md's examples). */
  get fused(): readonly FusedStep[] {
    return this.steps.filter((s): s is FusedStep => s.kind === 'fused');
  }

  /** Runs the program on `inputs` (in the graph's input order) with parameter values from `paramValue`. */
  run(inputs: readonly NDArray[], paramValue: (p: ParamRef) => NDArray): NDArray[] {
    if (inputs.length !== this.inputs.length)
      throw new ValueError(`compiled program: expected ${this.inputs.length} inputs, got ${inputs.length}`);
    const vals: (NDArray | undefined)[] = new Array(this.nodes.length);
    this.inputs.forEach((id, i) => (vals[id] = inputs[i]));
    for (const id of this.params) vals[id] = paramValue(this.nodes[id].param!);
    const made: NDArray[] = [];
    try {
      for (let i = 0; i < this.steps.length; i++) {
        const s = this.steps[i];
        if (s.kind === 'eager') {
          const n = s.node;
          const ins = n.inputs.map((j) => vals[j]!);
          vals[s.id] =
            n.op === 'layer' ? (n.attrs.call as LayerCall)(ins.slice(0, n.attrs.nData as number)) : opDef(n.op).run(ins, n.attrs);
        } else
          vals[s.id] = runFused(
            s,
            s.ext.map((j) => vals[j]!),
            vals,
            this.keep,
          );
        made.push(vals[s.id]!);
        for (const id of this.frees[i]) {
          vals[id]?.dispose();
          vals[id] = undefined;
        }
      }
    } catch (e) {
      for (const m of made) m.dispose();
      throw e;
    }
    const seen = new Set<number>();
    return this.outputs.map((id) => {
      const v = vals[id]!;
      const pass = this.inputs.includes(id) || this.params.includes(id) || seen.has(id);
      seen.add(id);
      // An output that is an input, a parameter or an earlier output comes back as its own handle.
      return pass ? opDef('_copy').run([v], {}) : v;
    });
  }
}

/**
 * Compiles a traced graph into a program.
 *
 * @example
 * const prog = compileGraph(tracer.graph([y], false));
 * prog.fused.length; // the number of generated kernels
 */
export function compileGraph(graph: Graph, opts: CompileOptions = {}): Program {
  if (!graph || !Array.isArray(graph.nodes) || !Array.isArray(graph.outputs))
    throw new ValueError('compileGraph: expected a graph (nodes, inputs, params, outputs) from a trace');
  return new Program(graph, opts);
}

/** The node's elementwise form when it may join a fused kernel. */
function fusible(n: LNode, nodes: readonly LNode[]): boolean {
  if (n.op === 'null' || n.op === 'layer') return false;
  const def = opDef(n.op);
  if (!def.elementwise || !isFloatDType(n.dtype)) return false;
  return n.inputs.every((i) => nodes[i].dtype === n.dtype);
}

function schedule(low: ReturnType<typeof lower>, fuse: boolean): Step[] {
  const { nodes, outputs } = low;
  // Only what an output depends on runs.
  const live = new Set<number>();
  const stack = [...outputs];
  while (stack.length) {
    const id = stack.pop()!;
    if (live.has(id)) continue;
    live.add(id);
    stack.push(...nodes[id].inputs);
  }
  const consumers = new Map<number, number[]>();
  for (const n of nodes) if (live.has(n.id)) for (const i of n.inputs) (consumers.get(i) ?? consumers.set(i, []).get(i)!).push(n.id);
  const outSet = new Set(outputs);
  const groupOf = new Map<number, number>();
  const groups = new Map<number, number[]>();
  if (fuse)
    for (let id = nodes.length - 1; id >= 0; id--) {
      const n = nodes[id];
      if (!live.has(id) || groupOf.has(id) || !fusible(n, nodes)) continue;
      const members = new Set([id]);
      const cand = new Set<number>(n.inputs);
      // Largest id first: every consumer a candidate could share the group with has been seen.
      for (;;) {
        let best = -1;
        for (const c of cand) if (c > best) best = c;
        if (best < 0) break;
        cand.delete(best);
        const p = nodes[best];
        if (groupOf.has(best) || outSet.has(best) || p.dtype !== n.dtype || !fusible(p, nodes)) continue;
        if (!(consumers.get(best) ?? []).every((c) => members.has(c))) continue;
        members.add(best);
        for (const i of p.inputs) if (!members.has(i)) cand.add(i);
      }
      for (const m of members) groupOf.set(m, id);
      groups.set(
        id,
        [...members].sort((a, b) => a - b),
      );
    }
  const steps: Step[] = [];
  for (const n of nodes) {
    if (!live.has(n.id) || n.op === 'null') continue;
    const root = groupOf.get(n.id);
    if (root === undefined || (groups.get(root)!.length === 1 && root === n.id)) {
      steps.push({ kind: 'eager', id: n.id, node: n });
      continue;
    }
    if (root !== n.id) continue;
    steps.push(fusedStep(nodes, groups.get(root)!, consumers, outSet));
  }
  return steps;
}

function fusedStep(nodes: readonly LNode[], members: readonly number[], consumers: Map<number, number[]>, outSet: Set<number>): FusedStep {
  const mem = new Set(members);
  const root = nodes[members[members.length - 1]];
  const instrs: Instr[] = [];
  const at = new Map<number, number>();
  const ext: number[] = [];
  const extAt = new Map<number, number>();
  const operand = (id: number): number => {
    const j = at.get(id) ?? extAt.get(id);
    if (j !== undefined) return j;
    ext.push(id);
    const k = instrs.push({ k: 'in', i: ext.length - 1 }) - 1;
    extAt.set(id, k);
    return k;
  };
  for (const id of members) {
    const n = nodes[id];
    const form = opDef(n.op).elementwise!(n.attrs);
    let j: number;
    if ('un' in form) j = instrs.push({ k: 'un', op: form.un, a: operand(n.inputs[0]) }) - 1;
    else if ('scalar' in form) {
      const x = operand(n.inputs[0]);
      const c = instrs.push({ k: 'const', v: form.scalar }) - 1;
      j = instrs.push(form.reverse ? { k: 'bin', op: form.bin, a: c, b: x } : { k: 'bin', op: form.bin, a: x, b: c }) - 1;
    } else {
      const a = operand(n.inputs[0]);
      j = instrs.push({ k: 'bin', op: form.bin, a, b: operand(n.inputs[1]) }) - 1;
    }
    at.set(id, j);
  }
  const prog: ExprProgram = { nIn: ext.length, instrs, outputs: [at.get(root.id)!] };
  // The epilogue's buffer: a fresh result (a product) of the output's shape and dtype read only here.
  let inplace = -1;
  ext.forEach((e, k) => {
    const p = nodes[e];
    if (inplace >= 0 || p.op === 'null' || p.op === 'layer' || !opDef(p.op).fresh || outSet.has(e)) return;
    if (!shapesEqual(p.shape, root.shape) || p.dtype !== root.dtype) return;
    if ((consumers.get(e) ?? []).every((c) => mem.has(c))) inplace = k;
  });
  const label = `fused(${members.map((id) => nodes[id].op).join(',')})`;
  return {
    kind: 'fused',
    id: root.id,
    ext,
    members,
    prog,
    js: toJS(prog, root.dtype),
    shape: root.shape,
    dtype: root.dtype,
    inplace,
    label,
  };
}

/** Runs a generated kernel: outputs and inputs broadcast to `shape`, coalesced, in one loop nest. */
function launch(js: string, shape: Shape, outs: readonly NDArray[], ins: readonly NDArray[]): void {
  if (sizeOf(shape) === 0) return;
  const st: (readonly number[])[] = [];
  let types = 0;
  for (const o of outs) {
    st.push(o.strides);
    types = types * 8 + arrayTypeCode(arr(o));
  }
  for (const x of ins) {
    st.push(shapesEqual(x.shape, shape) ? x.strides : broadcastStrides(x.shape, x.strides, shape));
    types = types * 8 + arrayTypeCode(arr(x));
  }
  const c = coalesce(shape, st);
  const k = multiKernel(js, outs.length, ins.length, c.shape.length, types);
  const args: unknown[] = [];
  outs.forEach((o, i) => args.push(arr(o), o.offset, c.strides[i]));
  ins.forEach((x, i) => args.push(arr(x), x.offset, c.strides[outs.length + i]));
  k(c.shape, ...args);
  for (const o of outs) o.storage.version++;
}

function onCpu(ctx: Context): boolean {
  return ctx.deviceType === 'cpu';
}

/** Runs a generated kernel on the arrays' device: the JS loop nest on the CPU, the backend's fusedMap elsewhere. */
function launchOn(js: string, wgsl: () => string, shape: Shape, outs: readonly NDArray[], ins: readonly NDArray[]): boolean {
  const ctx = outs[0].context;
  if (onCpu(ctx)) {
    launch(js, shape, outs, ins);
    return true;
  }
  const be = ctx.backend;
  if (!be.fusedMap) return false;
  const view = (x: NDArray) => ({
    storage: x.storage,
    shape,
    strides: shapesEqual(x.shape, shape) ? x.strides : broadcastStrides(x.shape, x.strides, shape),
    offset: x.offset,
    dtype: x.dtype,
  });
  const ok = be.fusedMap(js, wgsl(), shape, outs.map(view), ins.map(view));
  if (ok) for (const o of outs) o.storage.version++;
  return ok;
}

function runFused(s: FusedStep, ins: NDArray[], vals: (NDArray | undefined)[], keep: ReadonlySet<number>): NDArray {
  const ctx = ins[0].context;
  const record = shouldRecord(...ins);
  let out: NDArray;
  if (!record && s.inplace >= 0 && !keep.has(s.ext[s.inplace])) {
    out = ins[s.inplace];
    // The buffer now holds this node's value: the producer's slot must not free it.
    vals[s.ext[s.inplace]] = undefined;
  } else out = empty(s.shape, s.dtype, ctx);
  if (!launchOn(s.js, () => (s.wgsl ??= toWGSL(s.prog)), s.shape, [out], ins)) {
    // A backend without a kernel for it (too many operands for one WGSL binding group): op by op.
    if (out !== ins[s.inplace]) out.dispose();
    else vals[s.ext[s.inplace]] = out;
    out = evalNd(s.prog, ins)[0];
    if (record) return out;
  }
  if (record) {
    const need = ins.map((x) => x.requiresGrad);
    recordOp(s.label, ins, out, (g, saved) => fusedGrad(s, g, saved, need), 'inputs');
  }
  return out;
}

/** The gradients of a fused kernel's inputs: one generated pass, or the eager ops when the backward pass is itself recorded. */
function fusedGrad(s: FusedStep, g: NDArray, saved: NDArray[], need: readonly boolean[]): (NDArray | null)[] {
  s.grad ??= (() => {
    const prog = gradProgram(s.prog);
    return { prog, js: toJS(prog, s.dtype) };
  })();
  let grads: NDArray[];
  const grad = s.grad;
  grads = [];
  if (!state.recording && g.dtype === s.dtype) {
    grads = saved.map(() => empty(s.shape, s.dtype, g.context));
    if (!launchOn(grad.js, () => (grad.wgsl ??= toWGSL(grad.prog)), s.shape, grads, [...saved, g])) {
      for (const x of grads) x.dispose();
      grads = [];
    }
  }
  if (grads.length === 0) grads = evalNd(grad.prog, [...saved, g]);
  return grads.map((gi, i) => {
    if (!need[i]) {
      gi.dispose();
      return null;
    }
    if (shapesEqual(gi.shape, saved[i].shape)) return gi;
    const r = unbroadcast(gi, saved[i].shape);
    gi.dispose();
    return r;
  });
}

/** A one-line description of a program's steps ("dot; fused(add,relu)"), for tests and logs. */
export function describeProgram(p: Program): string {
  return p.steps
    .map((s) => (s.kind === 'fused' ? s.label : s.node.op === 'layer' ? `layer:${String(s.node.attrs.mxnet)}` : s.node.op))
    .join('; ');
}

/** Throws unless `x` is an array whose shape and dtype the program was traced for. @example checkSignature('net', x, [2, 3], 'float32') */
export function checkSignature(where: string, x: NDArray, shape: Shape, dtype: DType): void {
  if (!shapesEqual(x.shape, shape) || x.dtype !== dtype)
    throw new ValueError(`${where}: expected ${dtype} of shape ${shapeStr(shape)}, got ${x.dtype} of shape ${shapeStr(x.shape)}`);
}

export type { GNode };
