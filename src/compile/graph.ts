/**
 * The graph IR and the tracer. A hybridized block's first call runs its `hybridForward` once
 * with `SymbolArray`s instead of NDArrays: every op on them appends a node (op, inputs,
 * attributes, and the shape and dtype it produces) to the tracer's list, which is therefore in
 * topological order. Shapes and dtypes come from running each op once on the trace's input
 * values with the eager ops (in predict mode and without recording, so nothing is learnt or
 * drawn twice); the user never sees those values: reading a symbol's values is an error naming
 * the block, as MXNet's symbols refuse it.
 */
import { pause } from '../autograd/autograd.js';
import type { DType } from '../core/dtype.js';
import { ValueError } from '../core/errors.js';
import { shapeStr, sizeOf, type Shape } from '../core/shape.js';
import type { Context } from '../ndarray/context.js';
import { NDArray } from '../ndarray/ndarray.js';
import { opDef, type Attrs } from './ops.js';

/** A parameter as the graph sees it: a name and its value on a device (gluon's Parameter fits). */
export interface ParamRef {
  readonly name: string;
  data(ctx?: Context): NDArray;
}

/** One node of the graph: an input, a parameter, or an op applied to earlier nodes. */
export interface GNode {
  readonly id: number;
  /** 'null' for inputs and parameters (MXNet's spelling), else an op of the table (ops.ts) or 'layer'. */
  readonly op: string;
  readonly inputs: readonly number[];
  readonly attrs: Attrs;
  readonly shape: Shape;
  readonly dtype: DType;
  /** MXNet's symbol name: 'data', 'dense0_weight', 'hybridnet0_relu0'. */
  readonly name: string;
  readonly param?: ParamRef;
}

/** A traced graph: its nodes in topological order, which are inputs, parameters and outputs. */
export interface Graph {
  readonly nodes: readonly GNode[];
  readonly inputs: readonly number[];
  readonly params: readonly number[];
  readonly outputs: readonly number[];
  /** Whether the block returned a list (its outputs then come back as a list). */
  readonly outputIsList: boolean;
}

/** An opaque layer node's call: the block's own eager forward on the input values. */
export type LayerCall = (inputs: readonly NDArray[]) => NDArray;

interface Scope {
  readonly prefix: string;
  readonly label: string;
  readonly counters: Map<string, number>;
}

let active: Tracer | null = null;

/** The tracer now running, if any. @example activeTracer() === null // outside a trace */
export function activeTracer(): Tracer | null {
  return active;
}

/**
 * Records the nodes of one trace. `run(fn)` makes it the active tracer while `fn` runs; the graph
 * is then read from `nodes`, and `dispose()` frees the trace-time values.
 *
 * @example
 * const t = new Tracer("HybridNet 'hybridnet0'", 'hybridnet0_');
 * const x = t.input('data', nd.ones([1, 4]));
 * const y = t.run(() => x.relu());
 * t.nodes.length; // 2
 * t.dispose();
 */
export class Tracer {
  readonly nodes: GNode[] = [];
  private readonly values: NDArray[] = [];
  private readonly scopes: Scope[] = [];
  private readonly paramIds = new Map<ParamRef, number>();
  readonly inputIds: number[] = [];
  readonly paramNodeIds: number[] = [];
  private ctx: Context | null = null;

  constructor(label: string, prefix: string) {
    if (typeof label !== 'string' || typeof prefix !== 'string')
      throw new ValueError(`Tracer: expected a label and a name prefix (strings), got ${typeof label} and ${typeof prefix}`);
    this.scopes.push({ prefix, label, counters: new Map() });
  }

  /** The block being traced now, for error messages ("HybridNet 'hybridnet0'"). */
  get label(): string {
    return this.scopes[this.scopes.length - 1].label;
  }

  /** Runs `fn` with this tracer active (traces do not nest: a second one is an error). */
  run<T>(fn: () => T): T {
    if (active && active !== this) throw new ValueError(`hybridize: ${this.label} started a trace inside the trace of ${active.label}`);
    const prev = active;
    active = this;
    try {
      return fn();
    } finally {
      active = prev;
    }
  }

  /** Runs `fn` with ops named under `prefix` and errors naming `label` (a child block's call). */
  inScope<T>(prefix: string, label: string, fn: () => T): T {
    this.scopes.push({ prefix, label, counters: new Map() });
    try {
      return fn();
    } finally {
      this.scopes.pop();
    }
  }

  /** `name` under the current block's prefix ('dense0_' + 'fwd'). */
  prefixed(name: string): string {
    return this.scopes[this.scopes.length - 1].prefix + name;
  }

  /** A graph input ('data') holding `value` during the trace. */
  input(name: string, value: NDArray): SymbolArray {
    this.ctx ??= value.context;
    const s = this.add('null', [], {}, value, name);
    this.inputIds.push(s.id);
    return s;
  }

  /** The node of parameter `p` (one per parameter, however often it is used). */
  param(p: ParamRef): SymbolArray {
    let id = this.paramIds.get(p);
    if (id === undefined) {
      const v = p.data(this.ctx ?? undefined);
      const s = this.add('null', [], {}, v._valueHandle(), p.name, p);
      id = s.id;
      this.paramIds.set(p, id);
      this.paramNodeIds.push(id);
    }
    return new SymbolArray(this, this.nodes[id]);
  }

  /** Appends `op` on `inputs`; its shape and dtype come from running it once on the trace values. */
  apply(op: string, inputs: readonly SymbolArray[], attrs: Attrs = {}, name?: string): SymbolArray {
    const def = opDef(op);
    for (const x of inputs)
      if (!(x instanceof SymbolArray) || x.tracer !== this)
        throw new ValueError(`${this.label}: ${op} got an input that is not a symbol of this trace (${String(x)})`);
    const vals = inputs.map((x) => this.values[x.id]);
    const v = pause(() => def.run(vals, attrs), { trainMode: false });
    return this.add(
      op,
      inputs.map((x) => x.id),
      attrs,
      v,
      name ?? this.autoName(def.mxnet),
    );
  }

  /**
   * An opaque node for a block that has no `hybridForward` (a built-in layer such as Conv2D or
   * BatchNorm, or a block written with `forward`): at run time it calls `call` on the input
   * values, so the layer's own eager code runs (and records its gradients) there.
   */
  layer(
    mxnet: string,
    block: unknown,
    call: LayerCall,
    inputs: readonly SymbolArray[],
    params: readonly ParamRef[],
    name: string,
  ): SymbolArray {
    const vals = inputs.map((x) => this.values[x.id]);
    const v = pause(() => call(vals), { trainMode: false });
    if (!(v instanceof NDArray))
      throw new ValueError(`${this.label}: ${name} returned ${typeof v}; a traced layer must return one NDArray`);
    const ps = params.map((p) => this.param(p).id);
    return this.add('layer', [...inputs.map((x) => x.id), ...ps], { mxnet, block, call, nData: inputs.length }, v, name);
  }

  private autoName(mxnet: string): string {
    const scope = this.scopes[this.scopes.length - 1];
    const alias = mxnet.replace(/^_+/, '').toLowerCase();
    const c = scope.counters.get(alias) ?? 0;
    scope.counters.set(alias, c + 1);
    return `${scope.prefix}${alias}${c}`;
  }

  private add(op: string, inputs: number[], attrs: Attrs, v: NDArray, name: string, param?: ParamRef): SymbolArray {
    const node: GNode = { id: this.nodes.length, op, inputs, attrs, shape: [...v.shape], dtype: v.dtype, name, param };
    this.nodes.push(node);
    this.values.push(v);
    return new SymbolArray(this, node);
  }

  /** The graph with `outputs` as its heads. */
  graph(outputs: readonly SymbolArray[], outputIsList: boolean): Graph {
    return { nodes: this.nodes, inputs: this.inputIds, params: this.paramNodeIds, outputs: outputs.map((s) => s.id), outputIsList };
  }

  /** Frees the trace-time values (the input values belong to the caller). */
  dispose(): void {
    this.values.forEach((v, i) => {
      if (!this.inputIds.includes(i)) v.dispose();
    });
    this.values.length = 0;
  }
}

function readError(s: SymbolArray, what: string): never {
  throw new ValueError(
    `${s.tracer.label}: ${what} reads the values of ${s.toString()} while the block is traced by hybridize(); ` +
      'a hybridized block computes on symbols, which hold no values (as MXNet symbols): remove the read, ' +
      'or call the block without hybridize()',
  );
}

type Operand = SymbolArray | number;

/**
 * A symbolic array inside a trace (MXNet's Symbol): the methods of NDArray that compute append a
 * node and return a new symbol; the ones that read values throw, naming the block. `shape` and
 * `dtype` are known (they were fixed by the trace's inputs).
 *
 * @example
 * // inside hybridForward(F, x), while tracing:
 * String(x);           // '<Symbol data>'
 * x.relu().mul(2);     // a SymbolArray
 * x.asScalar();        // ValueError: HybridNet 'hybridnet0': asScalar reads the values of <Symbol data> ...
 */
export class SymbolArray {
  constructor(
    /** @internal */ readonly tracer: Tracer,
    /** @internal */ readonly node: GNode,
  ) {}
  get id(): number {
    return this.node.id;
  }
  get name(): string {
    return this.node.name;
  }
  get shape(): Shape {
    return this.node.shape;
  }
  get dtype(): DType {
    return this.node.dtype;
  }
  get ndim(): number {
    return this.node.shape.length;
  }
  get size(): number {
    return sizeOf(this.node.shape);
  }

  private bin(op: string, b: Operand | NDArray, reverse = false): SymbolArray {
    if (typeof b === 'number') return this.tracer.apply(`${op}Scalar`, [this], { scalar: b, reverse });
    if (b instanceof SymbolArray) return reverse ? this.tracer.apply(op, [b, this]) : this.tracer.apply(op, [this, b]);
    throw new ValueError(
      `${this.tracer.label}: ${op} of ${this.toString()} and ${b instanceof NDArray ? `an NDArray of shape ${shapeStr(b.shape)}` : typeof b}; ` +
        'inside a traced block every array operand must be a symbol (pass constants as parameters, or use numbers)',
    );
  }
  private un(op: string): SymbolArray {
    return this.tracer.apply(op, [this]);
  }

  add(b: Operand): SymbolArray {
    return this.bin('add', b);
  }
  sub(b: Operand): SymbolArray {
    return this.bin('sub', b);
  }
  mul(b: Operand): SymbolArray {
    return this.bin('mul', b);
  }
  div(b: Operand): SymbolArray {
    return this.bin('div', b);
  }
  pow(b: Operand): SymbolArray {
    return this.bin('pow', b);
  }
  mod(b: Operand): SymbolArray {
    return this.bin('mod', b);
  }
  rsub(s: number): SymbolArray {
    return this.bin('sub', s, true);
  }
  rdiv(s: number): SymbolArray {
    return this.bin('div', s, true);
  }
  maximum(b: Operand): SymbolArray {
    return this.bin('maximum', b);
  }
  minimum(b: Operand): SymbolArray {
    return this.bin('minimum', b);
  }
  equal(b: Operand): SymbolArray {
    return this.bin('equal', b);
  }
  notEqual(b: Operand): SymbolArray {
    return this.bin('notEqual', b);
  }
  greater(b: Operand): SymbolArray {
    return this.bin('greater', b);
  }
  greaterEqual(b: Operand): SymbolArray {
    return this.bin('greaterEqual', b);
  }
  lesser(b: Operand): SymbolArray {
    return this.bin('lesser', b);
  }
  lesserEqual(b: Operand): SymbolArray {
    return this.bin('lesserEqual', b);
  }
  neg(): SymbolArray {
    return this.un('neg');
  }
  abs(): SymbolArray {
    return this.un('abs');
  }
  sign(): SymbolArray {
    return this.un('sign');
  }
  exp(): SymbolArray {
    return this.un('exp');
  }
  log(): SymbolArray {
    return this.un('log');
  }
  sqrt(): SymbolArray {
    return this.un('sqrt');
  }
  square(): SymbolArray {
    return this.un('square');
  }
  sin(): SymbolArray {
    return this.un('sin');
  }
  cos(): SymbolArray {
    return this.un('cos');
  }
  tanh(): SymbolArray {
    return this.un('tanh');
  }
  sigmoid(): SymbolArray {
    return this.un('sigmoid');
  }
  relu(): SymbolArray {
    return this.un('relu');
  }
  floor(): SymbolArray {
    return this.un('floor');
  }
  ceil(): SymbolArray {
    return this.un('ceil');
  }
  round(): SymbolArray {
    return this.un('round');
  }
  reciprocal(): SymbolArray {
    return this.un('reciprocal');
  }
  log1p(): SymbolArray {
    return this.un('log1p');
  }
  expm1(): SymbolArray {
    return this.un('expm1');
  }
  reshape(shape: readonly number[]): SymbolArray {
    return this.tracer.apply('Reshape', [this], { shape: [...shape] });
  }
  flatten(): SymbolArray {
    return this.tracer.apply('Flatten', [this]);
  }
  transpose(axes?: readonly number[]): SymbolArray {
    return this.tracer.apply('transpose', [this], axes ? { axes: [...axes] } : {});
  }
  get T(): SymbolArray {
    return this.transpose();
  }
  sum(opts: { axis?: number | number[] | null; keepdims?: boolean } = {}): SymbolArray {
    return this.tracer.apply('sum', [this], { axis: opts.axis ?? null, keepdims: opts.keepdims ?? false });
  }
  mean(opts: { axis?: number | number[] | null; keepdims?: boolean } = {}): SymbolArray {
    return this.tracer.apply('mean', [this], { axis: opts.axis ?? null, keepdims: opts.keepdims ?? false });
  }
  max(opts: { axis?: number | number[] | null; keepdims?: boolean } = {}): SymbolArray {
    return this.tracer.apply('max', [this], { axis: opts.axis ?? null, keepdims: opts.keepdims ?? false });
  }
  softmax(opts: { axis?: number } = {}): SymbolArray {
    return this.tracer.apply('softmax', [this], { axis: opts.axis ?? -1 });
  }

  // The reads MXNet's symbols refuse.
  asScalar(): number {
    return readError(this, 'asScalar');
  }
  dataSync(): never {
    return readError(this, 'dataSync');
  }
  toArray(): never {
    return readError(this, 'toArray');
  }
  data(): never {
    return readError(this, 'data');
  }
  asScalarAsync(): never {
    return readError(this, 'asScalarAsync');
  }
  toArrayAsync(): never {
    return readError(this, 'toArrayAsync');
  }
  toStringAsync(): never {
    return readError(this, 'toStringAsync');
  }
  backward(): never {
    return readError(this, 'backward');
  }
  attachGrad(): never {
    return readError(this, 'attachGrad');
  }
  /** Control flow on values (`if (x > 0)`, `Number(x)`) reads them: refused as the other reads. */
  valueOf(): never {
    return readError(this, 'a comparison or conversion to a number');
  }
  [Symbol.toPrimitive](hint: string): string {
    if (hint === 'string') return this.toString();
    return readError(this, 'a comparison or conversion to a number');
  }
  toString(): string {
    return `<Symbol ${this.node.name}>`;
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }
}

/** Whether `x` is a symbol of a trace. @example isSymbol(x) // true inside a trace */
export function isSymbol(x: unknown): x is SymbolArray {
  return x instanceof SymbolArray;
}
