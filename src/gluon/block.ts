/**
 * Block, HybridBlock, Sequential, HybridSequential: Gluon 1.x's model containers.
 *
 * Naming follows Gluon 1.x: a block gets a prefix from its alias and a counter (`dense0_`,
 * `dense1_`, ...); blocks created inside `parent.nameScope(() => ...)` get the parent's prefix
 * in front and a counter local to the parent (`mlp0_dense0_`). Parameters are named
 * `prefix + name` (`dense0_weight`); `collectParams()` returns them under those names.
 * Files written by `saveParameters` use structured names instead (`0.weight`, `hidden.bias`):
 * the attribute path from the block down to the parameter.
 */
import type { DType } from '../core/dtype.js';
import { ValueError } from '../core/errors.js';
import { shapeStr } from '../core/shape.js';
import type { Context } from '../ndarray/context.js';
import { currentContext } from '../ndarray/context.js';
import { NDArray } from '../ndarray/ndarray.js';
import { clearHybridCache, eagerHybridForward, exportBlock, installHybridDispatch } from '../compile/hybrid.js';
import { create as createInit, type InitializerName } from './init.js';
import { Parameter, ParameterDict, type Initializer, type InitializeOptions } from './parameter.js';
import { encodeSafetensors, readSafetensors, recordToArray, writeFileAtomic, type TensorRecord } from './safetensors.js';

/** Options every Block constructor accepts. */
export interface BlockOptions {
  /** The name prefix of the block and its parameters (default: alias + counter + '_'). */
  prefix?: string;
  /**
   * Share parameters: the block looks up its parameters in this dict first, so
   * `new nn.Dense(8, { params: shared.params })` reuses `shared`'s weight and bias.
   */
  params?: ParameterDict | null;
  /** The stem of the automatic prefix (default: the class's alias, e.g. 'dense'). */
  hint?: string;
}

interface Scope {
  block: Block;
}
const scopes: Scope[] = [];
const globalCounter = new Map<string, number>();

/**
 * Resets the automatic name counters, so the next Dense is `dense0_` again (Gluon names depend
 * on how many blocks were created before; tests and notebooks may want a fresh start).
 *
 * @example
 * resetNameCounters();
 * new nn.Dense(1).name; // 'dense0'
 */
export function resetNameCounters(): void {
  globalCounter.clear();
}

/** The keyword arguments of `Block.initialize` beyond the initializer. */
export interface BlockInitializeOptions {
  /** The device, or a list of devices for data-parallel training (a copy of every parameter on each). */
  ctx?: Context | readonly Context[];
  forceReinit?: boolean;
  /** The initializer, when the options object is the only argument. */
  init?: Initializer | InitializerName;
}

/** Options of `Block.loadParameters`. */
export interface LoadParametersOptions {
  /** Where the arrays are created (default: where each parameter lives, else the current context). */
  ctx?: Context;
  /** Leave parameters that are not in the file as they are instead of failing. */
  allowMissing?: boolean;
  /** Ignore arrays in the file that match no parameter instead of failing. */
  ignoreExtra?: boolean;
}

/** Indents every line but the first by `n` spaces (Gluon's `_indent`). @example indent('a\nb', 2) // 'a\n  b' */
export function indent(s: string, n: number): string {
  const lines = s.split('\n');
  return [lines[0], ...lines.slice(1).map((l) => ' '.repeat(n) + l)].join('\n');
}

/** The block's own handles on arrays assigned to its attributes (see `adoptAttribute`). */
const adopted = new WeakSet<NDArray>();

/**
 * An array assigned to a block's attribute (the book's `self.moving_mean = ...`) is held through
 * the block's own handle, so the array stays valid however the user's handle ends (a tidy scope
 * around the training step frees the one it created); reassigning the attribute drops only the
 * block's previous handle. The block's handle is recorded as the same node of the graph, so a
 * gradient still flows through it; an array with a gradient attached (a variable) is kept as it
 * is, since its `.grad` lives on that handle.
 */
function adoptAttribute(target: object, key: string | symbol, value: unknown): unknown {
  const old = (target as Record<string | symbol, unknown>)[key];
  if (old instanceof NDArray && adopted.has(old) && old !== value) old.dispose();
  if (!(value instanceof NDArray) || value.isDisposed || adopted.has(value) || value.gradReq !== 'null') return value;
  const own = value._valueHandle();
  own._node = value._node;
  adopted.add(own);
  return own;
}

const ATTRIBUTE_TRAPS: ProxyHandler<Block> = {
  defineProperty(target, key, desc) {
    if ('value' in desc) desc = { ...desc, value: adoptAttribute(target, key, desc.value) };
    return Reflect.defineProperty(target, key, desc);
  },
};

/** Whether `v` is an NDArray that must not be disposed by a container (a variable or parameter). */
function isVariable(v: NDArray): boolean {
  return v.gradReq !== 'null';
}

/**
 * The base class of layers and models, as Gluon's Block. Subclasses define `forward`. Child
 * blocks and parameters are registered automatically when assigned to fields (found the next
 * time the block lists its children), or explicitly with `registerChild` / `registerParameter`.
 *
 * @example
 * class MLP extends nn.Block {
 *   hidden: nn.Dense;
 *   output: nn.Dense;
 *   constructor() {
 *     super();
 *     [this.hidden, this.output] = this.nameScope(() => [new nn.Dense(256, { activation: 'relu' }), new nn.Dense(10)]);
 *   }
 *   override forward(x: NDArray): NDArray {
 *     const h = this.hidden.forward(x);
 *     const y = this.output.forward(h);
 *     h.dispose();
 *     return y;
 *   }
 * }
 * const net = new MLP();
 * net.initialize();
 * net.forward(nd.random.uniform(0, 1, [2, 20])).shape; // [2, 10]
 */
export abstract class Block {
  /** The name prefix, e.g. 'dense0_'. */
  readonly prefix: string;
  /** This block's own parameters (named prefix + name); see collectParams() for all of them. */
  readonly params: ParameterDict;
  /** @internal Registered children by structured name. */
  protected readonly _children = new Map<string, Block>();
  /** @internal Registered parameters by structured name. */
  protected readonly _regParams = new Map<string, Parameter>();
  /** @internal Keys of `_children`/`_regParams` that came from fields. */
  private readonly _fieldKeys = new Set<string>();
  /** @internal Counters of the blocks created inside this block's nameScope. */
  private readonly _scopeCounter = new Map<string, number>();
  private _hybridized = false;

  constructor(opts: BlockOptions = {}) {
    const hint = opts.hint ?? this.alias();
    const top = scopes[scopes.length - 1];
    let prefix = opts.prefix;
    if (!top) {
      if (prefix === undefined) {
        const c = globalCounter.get(hint) ?? 0;
        globalCounter.set(hint, c + 1);
        prefix = `${hint}${c}_`;
      }
      this.params = opts.params ? new ParameterDict(opts.params.prefix, opts.params) : new ParameterDict(prefix);
      this.prefix = prefix;
    } else {
      const parent = top.block;
      if (prefix === undefined) {
        const c = parent._scopeCounter.get(hint) ?? 0;
        parent._scopeCounter.set(hint, c + 1);
        prefix = `${hint}${c}_`;
      }
      this.params = opts.params
        ? new ParameterDict(opts.params.prefix, opts.params)
        : new ParameterDict(parent.params.prefix + prefix, parent.params.shared);
      this.prefix = parent.prefix + prefix;
    }
    // Every later field definition and assignment (`this.movingMean = ...`) goes through the
    // proxy's defineProperty trap: class fields use [[Define]] semantics, so a setter on the
    // prototype would not see them.
    return new Proxy(this, ATTRIBUTE_TRAPS);
  }

  /** The stem of automatic prefixes: the class name in lower case ('dense', 'mlp'). */
  protected alias(): string {
    return this.constructor.name.toLowerCase();
  }

  /** The prefix without its trailing '_' (e.g. 'dense0'). */
  get name(): string {
    return this.prefix.endsWith('_') ? this.prefix.slice(0, -1) : this.prefix;
  }

  /**
   * Runs `fn` so that blocks created inside get this block's prefix (`mlp0_dense0_`), as Gluon's
   * `with self.name_scope():`. Returns what `fn` returns.
   *
   * @example
   * this.dense = this.nameScope(() => new nn.Dense(10));
   */
  nameScope<T>(fn: () => T): T {
    scopes.push({ block: this });
    try {
      return fn();
    } finally {
      scopes.pop();
    }
  }

  /** Computes the output; called by users as `net.forward(x)`. @example const y = net.forward(X); */
  abstract forward(...args: any[]): any;

  /**
   * Registers `block` as a child under `name` (default: the number of children so far), so its
   * parameters are collected, initialised, saved and loaded with this block's.
   *
   * @example
   * this.registerChild(new nn.Dense(10), 'output');
   */
  registerChild<T extends Block>(block: T, name?: string): T {
    if (!((block as unknown) instanceof Block))
      throw new ValueError(`${this.constructor.name}.registerChild: expected a Block, got ${String(block)}`);
    if ((block as Block) === this) throw new ValueError(`${this.constructor.name}.registerChild: a block cannot be its own child`);
    const key = name ?? String(this._children.size);
    this._children.set(key, block);
    return block;
  }

  /**
   * Registers a parameter under a structured name (used in saved files: 'weight',
   * 'running_mean'). Parameters assigned to fields are registered automatically by field name.
   *
   * @example
   * this.gamma = this.registerParameter('gamma', this.params.get('gamma', { shape: [0] }));
   */
  registerParameter(name: string, p: Parameter): Parameter {
    this._regParams.set(name, p);
    return p;
  }

  /** Picks up children and parameters assigned to fields since the last look. */
  private syncFields(): void {
    const known = new Set<unknown>([...this._children.values(), ...this._regParams.values()]);
    for (const key of Object.keys(this)) {
      const v = (this as Record<string, unknown>)[key];
      if (!(v instanceof Block) && !(v instanceof Parameter)) continue;
      const map = (v instanceof Block ? this._children : this._regParams) as Map<string, unknown>;
      if (map.get(key) === v) continue;
      if (map.has(key) && !this._fieldKeys.has(key)) continue; // an explicit registration under this key wins
      if (known.has(v)) continue; // already registered under another name
      map.set(key, v);
      this._fieldKeys.add(key);
      known.add(v);
    }
    // Fields that no longer hold what was registered from them.
    for (const key of this._fieldKeys) {
      const v = (this as Record<string, unknown>)[key];
      if (this._children.has(key) && this._children.get(key) !== v) this._children.delete(key);
      if (this._regParams.has(key) && this._regParams.get(key) !== v) this._regParams.delete(key);
    }
  }

  /**
   * The registered children, by structured name, in registration order.
   *
   * @example
   * for (const [name, child] of net.children) console.log(name, child.name);
   */
  get children(): ReadonlyMap<string, Block> {
    this.syncFields();
    return this._children;
  }

  /**
   * Every parameter of this block and its descendants, by full name (`dense0_weight`), optionally
   * only those whose name matches `select`: a string is a regular expression matched at the start
   * of the name (Python's re.match, as Gluon), a RegExp is used as given.
   *
   * @example
   * net.collectParams('.*weight').keys(); // ['dense0_weight', 'dense1_weight']
   */
  collectParams(select?: string | RegExp): ParameterDict {
    const re = select === undefined ? null : typeof select === 'string' ? new RegExp(`^(?:${select})`) : select;
    const ret = new ParameterDict(this.params.prefix);
    this.collectInto(ret, re);
    return ret;
  }

  private collectInto(ret: ParameterDict, re: RegExp | null): void {
    this.syncFields();
    const add = (p: Parameter) => {
      if (re && !re.test(p.name)) return;
      if (re) re.lastIndex = 0;
      const mine = ret.has(p.name) ? ret.get(p.name) : undefined;
      if (mine && mine !== p)
        throw new ValueError(`collectParams: two different parameters are named '${p.name}'; give the blocks distinct prefixes`);
      ret.set(p.name, p);
    };
    for (const p of this.params.values()) add(p);
    for (const p of this._regParams.values()) add(p);
    for (const c of this._children.values()) c.collectInto(ret, re);
  }

  /**
   * Parameters by structured name ('0.weight', 'hidden.bias'), as saved in files. A shared
   * parameter appears under every name it is reachable by.
   *
   * @example
   * [...net.structuredParams().keys()]; // ['0.weight', '0.bias', '1.weight', '1.bias']
   */
  structuredParams(prefix = ''): Map<string, Parameter> {
    this.syncFields();
    const out = new Map<string, Parameter>();
    for (const [k, p] of this._regParams) out.set(prefix + k, p);
    for (const [k, c] of this._children) for (const [n, p] of c.structuredParams(`${prefix}${k}.`)) out.set(n, p);
    return out;
  }

  /**
   * Initializes every parameter (deferred where a shape is still unknown). `init` applies to
   * parameters with no initializer of their own (Dense biases have zeros); default Uniform(0.07).
   * Already initialised parameters are left alone unless `forceReinit`. The options object may
   * also come alone: `net.initialize({ init: new init.Xavier(), forceReinit: true })`.
   *
   * @example
   * net.initialize(new init.Normal(0.01));
   * net.initialize(new init.Xavier(), { forceReinit: true });
   */
  initialize(init?: Initializer | InitializerName | BlockInitializeOptions | null, opts: BlockInitializeOptions = {}): this {
    let spec: Initializer | InitializerName | undefined | null = init as Initializer | InitializerName | undefined;
    let o = opts;
    if (init && typeof init === 'object' && typeof (init as Initializer).initArray !== 'function') {
      o = { ...(init as BlockInitializeOptions), ...opts };
      spec = o.init;
    }
    const chosen = createInit(spec ?? o.init);
    const io: InitializeOptions = { ctx: o.ctx, forceReinit: o.forceReinit };
    this.collectParams().initialize(chosen, io);
    return this;
  }

  /**
   * Calls `fn` on every descendant and then on this block (Gluon's apply).
   *
   * @example
   * net.apply((b) => console.log(b.name));
   */
  apply(fn: (b: Block) => void): this {
    for (const c of this.children.values()) c.apply(fn);
    fn(this);
    return this;
  }

  /**
   * Converts every parameter to `dtype` (e.g. 'float64' for gradient checks), as Gluon's cast.
   *
   * @example
   * net.cast('float64');
   */
  cast(dtype: DType): this {
    for (const p of this.collectParams().values()) p.cast(dtype);
    return this;
  }

  /**
   * Gluon's hybridize: marks this block and its descendants for compilation. A HybridBlock or
   * HybridSequential called afterwards traces its `hybridForward` once per input signature
   * (shapes, dtypes, device, training mode) and then runs the compiled program
   * (src/compile/, docs/COMPILE.md): elementwise chains fused into generated kernels, no per-op
   * dispatch inside them. A plain Block ignores the flag but passes it to its children.
   * `hybridize(false)` goes back to eager execution. Either call forgets compiled programs.
   *
   * @example
   * net.hybridize();
   * net.forward(x); // traces, compiles, runs
   * net.forward(x); // runs the compiled program
   */
  hybridize(active = true): this {
    if (typeof active !== 'boolean') throw new ValueError(`${this.constructor.name}.hybridize: expected a boolean, got ${String(active)}`);
    this._hybridized = active;
    clearHybridCache(this);
    for (const c of this.children.values()) c.hybridize(active);
    return this;
  }

  /** Whether hybridize() is on for this block. @example net.hybridize(); net.isHybridized // true */
  get isHybridized(): boolean {
    return this._hybridized;
  }

  /**
   * Saves every parameter to a safetensors file under its structured name ('0.weight'),
   * atomically and synchronously. All parameters must hold values (run a forward pass first if
   * some were deferred).
   *
   * @example
   * net.saveParameters('mlp.params');
   */
  saveParameters(path: string): void {
    const entries = this.savedEntries(path, 'saveParameters');
    const onGpu = entries.find(([, a]) => a.context.deviceType !== 'cpu');
    if (onGpu)
      throw new ValueError(
        `${this.constructor.name}.saveParameters('${path}'): parameter '${onGpu[0]}' lives on ${onGpu[1].context}, which is read only ` +
          'asynchronously: use `await net.saveParametersAsync(path)` (the same file)',
      );
    writeFileAtomic(path, encodeSafetensors(entries, { format: 'd2l-ts', names: 'structured' }));
  }

  /**
   * `saveParameters` for parameters on any device (a GPU is read asynchronously): the same
   * safetensors file, written atomically once every value is read.
   *
   * @example
   * net.initialize(new init.Normal(0.01), { ctx: nd.gpu() });
   * await net.saveParametersAsync('mlp.params');
   */
  async saveParametersAsync(path: string): Promise<void> {
    const entries = this.savedEntries(path, 'saveParametersAsync');
    const records: [string, TensorRecord][] = [];
    for (const [k, a] of entries) records.push([k, { dtype: a.dtype, shape: [...a.shape], data: await a.data() }]);
    writeFileAtomic(path, encodeSafetensors(records, { format: 'd2l-ts', names: 'structured' }));
  }

  /** [structured name, array] of every parameter, or an error naming those without values. */
  private savedEntries(path: string, op: string): [string, NDArray][] {
    const params = this.structuredParams();
    const missing = [...params].filter(([, p]) => !p.isInitialized).map(([k, p]) => `${k} (${p.name}, shape ${shapeStr(p.shape)})`);
    if (missing.length)
      throw new ValueError(
        `${this.constructor.name}.${op}('${path}'): these parameters hold no values yet: ${missing.join(', ')}; ` +
          `call net.initialize() and run one forward pass (deferred shapes) before saving`,
      );
    return [...params].map(([k, p]) => [k, p.data()]);
  }

  /**
   * Loads parameters saved by `saveParameters` (safetensors, structured names). Checks that the
   * file and the block have the same names (unless `allowMissing` / `ignoreExtra`), shapes and
   * dtypes, and lists every mismatch in one error before changing anything.
   *
   * @example
   * const clone = new MLP();
   * clone.loadParameters('mlp.params');
   */
  loadParameters(path: string, opts: LoadParametersOptions = {}): void {
    const { tensors } = readSafetensors(path);
    const params = this.structuredParams();
    const problems: string[] = [];
    const missing = [...params.keys()].filter((k) => !tensors.has(k));
    const extra = [...tensors.keys()].filter((k) => !params.has(k));
    if (missing.length && !opts.allowMissing)
      problems.push(`missing from the file (pass allowMissing: true to keep their current values): ${missing.join(', ')}`);
    if (extra.length && !opts.ignoreExtra)
      problems.push(`in the file but not in the block (pass ignoreExtra: true to skip them): ${extra.join(', ')}`);
    for (const [k, p] of params) {
      const r = tensors.get(k);
      if (!r) continue;
      const declared = p.isInitialized ? p.data().shape : p.shape;
      const shapeOk =
        declared.length === 0 ||
        (declared.length === r.shape.length && declared.every((d, i) => (p.isInitialized || d > 0 ? d === r.shape[i] : true)));
      if (!shapeOk) problems.push(`'${k}' (${p.name}): shape ${shapeStr(r.shape)} in the file, ${shapeStr(declared)} in the block`);
      if (r.dtype !== p.dtype) problems.push(`'${k}' (${p.name}): dtype ${r.dtype} in the file, ${p.dtype} in the block`);
    }
    if (problems.length)
      throw new ValueError(
        `${this.constructor.name}.loadParameters('${path}'): the file does not match the block:\n  - ${problems.join('\n  - ')}`,
      );
    for (const [k, p] of params) {
      const r = tensors.get(k);
      if (!r) continue;
      if (opts.ctx && (p.isInitialized || p.isDeferred)) p.resetCtx(opts.ctx);
      const ctx = opts.ctx ?? (p.isInitialized ? p.data().context : currentContext());
      const arr = recordToArray(r, ctx);
      p.setData(arr);
      arr.dispose();
    }
  }

  /** The structured-name line of each child, for toString. */
  protected childLines(): string {
    return [...this.children].map(([k, b]) => `  (${k}): ${indent(b.toString(), 2)}`).join('\n');
  }

  /**
   * Gluon's repr: the class name and one line per child.
   *
   * @example
   * console.log(String(net)); // Sequential(\n  (0): Dense(None -> 256, Activation(relu))\n ...)
   */
  toString(): string {
    return `${this.constructor.name}(\n${this.childLines()}\n)`;
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }
}

/**
 * Gluon's HybridBlock: a block written once as `hybridForward(F, x, ...params)` that runs
 * imperatively (F is `nd`, x an NDArray, params the block's own parameter values in registration
 * order) until `hybridize()`, and then as a compiled graph (F is the symbol namespace and x a
 * symbol during the one trace per input signature; see docs/COMPILE.md). Reading values inside
 * a traced hybridForward (asScalar, toArray, `if (x > 0)`) is an error naming the block.
 * Subclasses that define `forward` instead run that eagerly, and inside a traced parent become
 * one opaque node of the graph.
 *
 * @example
 * class HybridNet extends nn.HybridBlock {
 *   hidden = new nn.Dense(10);
 *   output = new nn.Dense(2);
 *   hybridForward(F: any, x: any) {
 *     return this.output.forward(F.relu(this.hidden.forward(x)));
 *   }
 * }
 * const net = new HybridNet();
 * net.initialize();
 * net.hybridize();
 * net.forward(nd.random.normal(0, 1, [1, 4])).shape; // [1, 2]
 */
export abstract class HybridBlock extends Block {
  constructor(opts: BlockOptions = {}) {
    super(opts);
    installHybridDispatch(this, false);
  }

  /** Runs hybridForward with F = nd (what a call does until hybridize()). @example net.forward(x) */
  forward(...args: any[]): any {
    // hybridForward(F, x, ...params) is defined by subclasses (not declared here, so that the book's
    // classes need no `override`): the dispatch finds it at run time.
    return eagerHybridForward(this, args);
  }

  /**
   * Gluon's export: writes the graph of the latest compiled call as `<path>-symbol.json` (MXNet's
   * op names) and the parameters as `<path>-<epoch, 4 digits>.params`, a safetensors file (not
   * MXNet's binary format). Load both with `SymbolBlock.imports`. Returns the two file names.
   *
   * @example
   * net.hybridize();
   * net.forward(x);
   * net.export('my_mlp'); // ['my_mlp-symbol.json', 'my_mlp-0000.params']
   */
  export(path: string, epoch = 0): [string, string] {
    return exportBlock(this, path, epoch);
  }
}

/**
 * Runs children in order, each on the previous one's output, as Gluon's nn.Sequential.
 * Intermediate outputs are disposed as soon as the next child has consumed them (unless a child
 * returns its own input, or a variable such as a parameter array). A child returning an array
 * `[y, ...rest]` passes `rest` as extra arguments to the next child, as Gluon does with tuples.
 *
 * @example
 * const net = new nn.Sequential();
 * net.add(new nn.Dense(256, { activation: 'relu' }), new nn.Dense(10));
 * net.initialize(new init.Normal(0.01));
 * net.forward(nd.ones([2, 784])).shape; // [2, 10]
 * net.get<nn.Dense>(0).weight.data().shape; // [256, 784]
 * net[1].name; // 'dense1'
 */
export class Sequential extends Block {
  /** Children by position: `net[0]` (also `net.get(0)`). */
  readonly [index: number]: Block;

  /**
   * Appends blocks (registered as children '0', '1', ...).
   *
   * @example
   * net.add(new nn.Dense(8), new nn.Dense(1));
   */
  add(...blocks: Block[]): this {
    for (const b of blocks) {
      const i = this._children.size;
      this.registerChild(b, String(i));
      Object.defineProperty(this, String(i), { get: () => this._children.get(String(i)), enumerable: false, configurable: true });
    }
    return this;
  }

  /**
   * The child at position `i` (negative counts from the end).
   *
   * @example
   * net.get<nn.Dense>(0).weight.data();
   */
  get<T extends Block = Block>(i: number): T {
    const n = this._children.size;
    const j = i < 0 ? n + i : i;
    const b = this._children.get(String(j));
    if (!Number.isInteger(i) || !b) throw new ValueError(`${this.constructor.name}.get: index ${i} is out of range for ${n} children`);
    return b as T;
  }

  /** The number of children. @example net.length // 2 */
  get length(): number {
    return this._children.size;
  }

  /** The children in order. @example for (const layer of net) console.log(layer.name); */
  [Symbol.iterator](): Iterator<Block> {
    return this._children.values();
  }

  /** Runs the children in order. @example net.forward(X) */
  forward(x: any, ...args: any[]): any {
    if (this._children.size === 0)
      throw new ValueError(`${this.constructor.name} '${this.name}': forward on an empty Sequential; add() layers first`);
    let cur: any = x;
    let rest = args;
    for (const block of this._children.values()) {
      const out = block.forward(cur, ...rest);
      let next: any = out;
      rest = [];
      if (Array.isArray(out)) {
        next = out[0];
        rest = out.slice(1);
      }
      if (cur !== x && cur instanceof NDArray && cur !== next && !rest.includes(cur) && !isVariable(cur) && !args.includes(cur))
        cur.dispose();
      cur = next;
    }
    return rest.length ? [cur, ...rest] : cur;
  }

  override toString(): string {
    return `${this.constructor.name}(\n${this.childLines()}\n)`;
  }
}

/**
 * Gluon's HybridSequential: a Sequential that compiles after hybridize(): its children (built-in
 * layers, HybridBlocks) are traced into one graph, run as one compiled program.
 *
 * @example
 * const net = new nn.HybridSequential();
 * net.add(new nn.Dense(10));
 * net.hybridize();
 */
export class HybridSequential extends Sequential {
  constructor(opts: BlockOptions = {}) {
    super(opts);
    installHybridDispatch(this, true);
  }

  /** As HybridBlock.export. @example net.export('my_mlp') */
  export(path: string, epoch = 0): [string, string] {
    return exportBlock(this, path, epoch);
  }
}
