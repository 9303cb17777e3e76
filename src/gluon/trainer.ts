/**
 * gluon.Trainer: applies an optimizer to a set of Parameters, as Gluon's Trainer. Parameters that
 * live on several devices (data-parallel training) have their gradients summed through a KVStore
 * before the update, which runs once on the first device and is copied to the others. With the
 * 'dist_sync' store every parameter's gradient is also summed over the processes of an mpirun
 * job, and the batch counts every process' examples (docs/DISTRIBUTED.md).
 */
import { D2LError, ShapeError, ValueError } from '../core/errors.js';
import { shapeStr, shapesEqual } from '../core/shape.js';
import { keep } from '../ndarray/memory.js';
import { currentContext } from '../ndarray/context.js';
import { NDArray } from '../ndarray/ndarray.js';
import { Parameter, ParameterDict } from './parameter.js';
import { Optimizer, withoutRecording } from './optimizer/optimizer.js';
import { create as createOptimizer } from './optimizer/registry.js';
import { readFileSync } from '#platform'; // Node-only: see src/platform/
import { getState as getRandomState, setState as setRandomState, RandomState, type RandomGeneratorState } from '../ndarray/random.js';
import { decodeSafetensors, saveSafetensors, type TensorRecord } from './safetensors.js';
import type { LRScheduler } from './lr-scheduler.js';
import { KVStore } from '../kvstore/kvstore.js';
import { create as createKVStore } from '../kvstore/create.js';
import { DistSyncKVStore } from '../kvstore/dist.js';

/** A gradient that backward() has not written since the last step (Gluon's stale-gradient UserWarning). */
export class StaleGradientError extends D2LError {}

/**
 * The optimizer settings a Trainer passes on (the union of the built-in optimizers' options;
 * each optimizer rejects the ones it does not know).
 */
export interface TrainerOptimizerParams {
  learningRate?: number;
  wd?: number;
  momentum?: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  gamma1?: number;
  gamma2?: number;
  rho?: number;
  centered?: boolean;
  clipWeights?: number | null;
  clipGradient?: number | null;
  /** Multiplies the 1/batchSize the Trainer applies (default 1). */
  rescaleGrad?: number;
  lrScheduler?: LRScheduler | null;
  beginNumUpdate?: number;
  correctBias?: boolean;
  lazyUpdate?: boolean;
  multiPrecision?: boolean;
  [key: string]: unknown;
}

/** Options of Trainer.step / Trainer.update. */
export interface StepOptions {
  /** Skip (instead of failing on) parameters whose gradient backward() has not written since the last step. */
  ignoreStaleGrad?: boolean;
}

interface GradMark {
  grad: NDArray;
  version: number;
}

const FORMAT = 'd2l-ts/trainer-states';

/**
 * Updates Parameters with an optimizer. `step(batchSize)` rescales the gradients by
 * rescaleGrad / batchSize (the optimizer applies it, the gradients themselves are not changed)
 * and updates every parameter in place: the arrays keep their identity, the update runs outside
 * autograd recording, and no temporaries outlive the call.
 *
 * A gradient counts as fresh when it was written since the last step (by backward, or by hand);
 * a stale one is an error unless `ignoreStaleGrad` is set, which skips that parameter as Gluon does.
 *
 * @example
 * const trainer = new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: 0.1 });
 * for (const [X, y] of trainIter) {
 *   const l = autograd.record(() => loss.forward(net.forward(X), y));
 *   l.backward();
 *   trainer.step(X.shape[0]);
 * }
 */
export class Trainer {
  private readonly params: Parameter[];
  private readonly opt: Optimizer;
  /** Multiplier of 1/batchSize (the optimizerParams' rescaleGrad). */
  private readonly scale: number;
  /** Optimizer state per parameter index (created at the first update). */
  private readonly states = new Map<number, NDArray[]>();
  /** The gradient array and its storage version as of the last update, per index. */
  private readonly marks = new Map<number, GradMark>();
  /** What sums the gradients of parameters on several devices: a type, created at first need. */
  private kvstoreSpec: string | KVStore | null;
  private store: KVStore | null = null;
  /** Whether the parameters went through the dist_sync store's init (rank 0's values everywhere). */
  private distInitialized = false;
  /** Steps (allreduces) run through the dist_sync store, for its watchdog's message. */
  private distSteps = 0;
  /** Per index, whether the gradient was fresh before the dist_sync allreduce rewrote it. */
  private freshBeforeReduce: Map<number, boolean> | null = null;

  /**
   * @param params the parameters (`net.collectParams()` or a list)
   * @param optimizer a name ('sgd', 'adam', ...) or an Optimizer
   * @param optimizerParams the optimizer's settings (learningRate, wd, ...)
   * @param kvstore what sums the gradients of parameters that live on several devices: a store
   *   type ('device', the default as in Gluon, or 'local'), a KVStore, or null (then such
   *   parameters are refused). Parameters on one device never use it, except with 'dist_sync':
   *   then every gradient is summed over all processes of the mpirun job, `step(batchSize)`
   *   takes this process' batch size and divides by batchSize * numWorkers (the examples of all
   *   processes, as MXNet does for dist_sync), and the parameters start from rank 0's values.
   */
  constructor(
    params: ParameterDict | Iterable<Parameter>,
    optimizer: string | Optimizer,
    optimizerParams: TrainerOptimizerParams | null = null,
    kvstore: string | KVStore | null = 'device',
  ) {
    if (!(kvstore === null || typeof kvstore === 'string' || kvstore instanceof KVStore))
      throw new ValueError(
        `Trainer: kvstore must be a store type ('device', 'local', 'dist_sync'), a KVStore or null, got ${describe(kvstore)}`,
      );
    // A distributed store is made now (it starts MPI and knows the rank); another type is only
    // checked, so an unknown one fails here, not at the first step.
    if (kvstore === 'dist_sync') this.store = createKVStore(kvstore);
    else if (typeof kvstore === 'string') createKVStore(kvstore);
    else if (kvstore instanceof DistSyncKVStore) this.store = kvstore;
    this.kvstoreSpec = kvstore;
    let list: unknown[];
    if (params instanceof ParameterDict) list = params.values();
    else if (params && typeof (params as Iterable<Parameter>)[Symbol.iterator] === 'function') list = [...(params as Iterable<Parameter>)];
    else
      throw new ValueError(
        `Trainer: params must be a ParameterDict (net.collectParams()) or a list of Parameters, got ${describe(params)}`,
      );
    const seen = new Set<Parameter>();
    this.params = [];
    list.forEach((p, i) => {
      if (!(p instanceof Parameter)) throw new ValueError(`Trainer: element ${i} of params is not a Parameter (got ${describe(p)})`);
      // A shared parameter appears once.
      if (seen.has(p)) return;
      seen.add(p);
      this.params.push(p);
    });
    const paramDict = new Map(this.params.map((p, i) => [i, p] as const));
    if (optimizer instanceof Optimizer) {
      if (optimizerParams && Object.keys(optimizerParams).length)
        throw new ValueError(
          'Trainer: optimizerParams must be empty when optimizer is an Optimizer instance (set its options when constructing it)',
        );
      this.opt = optimizer;
      this.opt.paramDict = paramDict;
      this.scale = this.opt.rescaleGrad;
    } else if (typeof optimizer === 'string') {
      const opts: Record<string, unknown> = { ...(optimizerParams ?? {}) };
      this.scale = (opts.rescaleGrad as number | undefined) ?? 1;
      this.opt = createOptimizer(optimizer, { ...opts, paramDict });
    } else {
      throw new ValueError(`Trainer: optimizer must be a name ('sgd', 'adam', ...) or an Optimizer, got ${describe(optimizer)}`);
    }
    this.opt.idx2name = new Map(this.params.map((p, i) => [i, p.name]));
    // Parameters already initialised start from rank 0's values now; deferred ones at the first step.
    // (Parameters on a GPU are read asynchronously: they are broadcast at the first stepAsync.)
    if (this.distStore && this.params.every((p) => p.isInitialized && onCpu(p))) this.initDistParams();
  }

  /** The dist_sync store when training across processes, else null. */
  private get distStore(): DistSyncKVStore | null {
    return this.store instanceof DistSyncKVStore ? this.store : null;
  }

  /**
   * Initialises the dist_sync store with every parameter (key = its index): the processes must
   * agree on the parameter set (else an error on every rank), and each process' parameters, on
   * all their devices, become rank 0's values.
   */
  private initDistParams(): void {
    const { keys, all } = this.distKeysToInit();
    if (keys.length)
      this.distStore!.init(
        keys,
        keys.map((i) => this.params[i].data()),
      );
    this.pullDistInit(keys, all);
  }

  /** initDistParams for parameters on any device (GPU values are read into host memory first). */
  private async initDistParamsAsync(): Promise<void> {
    const { keys, all } = this.distKeysToInit();
    if (keys.length)
      await this.distStore!.initAsync(
        keys,
        keys.map((i) => this.params[i].data()),
      );
    this.pullDistInit(keys, all);
  }

  /** The initialised parameters not yet in the dist_sync store (and whether that is all of them). */
  private distKeysToInit(): { keys: number[]; all: boolean } {
    const store = this.distStore!;
    const live = this.params.map((p, i) => [i, p] as const).filter(([, p]) => p.isInitialized);
    return { keys: live.map(([i]) => i).filter((i) => !store.has(i)), all: live.length === this.params.length };
  }

  /** Every copy of the freshly initialised parameters takes rank 0's value from the store. */
  private pullDistInit(keys: number[], all: boolean): void {
    withoutRecording(() => {
      for (const i of keys) {
        this.distStore!.pull(i, this.params[i].data());
        this.params[i].copyToReplicas();
      }
    });
    this.distInitialized = all;
  }

  /** The optimizer doing the updates. @example trainer.optimizer.numUpdate */
  get optimizer(): Optimizer {
    return this.opt;
  }

  /** The parameters, in update order (shared ones once). @example trainer.parameters.map((p) => p.name) */
  get parameters(): readonly Parameter[] {
    return this.params;
  }

  /**
   * The current learning rate (the schedule's value when there is one).
   * @example trainer.learningRate // 0.1
   */
  get learningRate(): number {
    return this.opt.learningRate;
  }

  /**
   * Sets the learning rate (an error when an LRScheduler is in charge, as in Gluon).
   * @example trainer.setLearningRate(trainer.learningRate * 0.1)
   */
  setLearningRate(lr: number): void {
    this.opt.setLearningRate(lr);
  }

  /**
   * One optimization step: rescales gradients by rescaleGrad / batchSize, then `allreduceGrads()`
   * and `update()`. Call it after `backward()`.
   *
   * @example
   * l.backward();
   * trainer.step(batchSize);
   */
  step(batchSize: number, opts: StepOptions = {}): void {
    this.setRescale(batchSize, 'step');
    this.allreduceGrads();
    this.runUpdate(opts.ignoreStaleGrad ?? false, 'step');
  }

  /**
   * `step` that may wait for a device: with kvstore 'dist_sync' and parameters on a GPU, the
   * gradients are read into host memory, summed over the processes there and written back
   * (a WebGPU buffer cannot be handed to MPI, and a GPU is read only asynchronously); rank 0's
   * parameters are broadcast at the first call. Anywhere else it does what `step` does, so one
   * training loop can await it on every device.
   *
   * @example
   * l.backward();
   * await trainer.stepAsync(batchSize); // parameters on gpu(0), under mpirun -np 2
   */
  async stepAsync(batchSize: number, opts: StepOptions = {}): Promise<void> {
    this.setRescale(batchSize, 'stepAsync');
    const store = this.distStore;
    if (store) {
      if (!this.distInitialized) await this.initDistParamsAsync();
      store.trainerStep = ++this.distSteps;
      const { keys, grads, fresh } = this.distGrads();
      await store.pushpullAsync(keys, grads);
      this.freshBeforeReduce = fresh;
    } else this.allreduceGrads();
    this.runUpdate(opts.ignoreStaleGrad ?? false, 'stepAsync');
  }

  /**
   * Sums each parameter's gradient over its device copies (through the KVStore), so every copy
   * holds the sum. A parameter on one device has nothing to sum. Code written as
   * `allreduceGrads(); clip...; update(batchSize)` works as in Gluon.
   *
   * @example
   * trainer.allreduceGrads();
   * gluon.utils.clipGlobalNorm(grads, 1);
   * trainer.update(batchSize);
   */
  allreduceGrads(): void {
    if (this.distStore) {
      this.allreduceAcrossProcesses(this.distStore);
      return;
    }
    this.params.forEach((p, i) => {
      if (p.gradReq === 'null' || !p.isInitialized) return;
      const grad = p.grad();
      if (p.listCtx().length < 2) return;
      // A stale gradient is left as it is, so that update() still sees it as stale.
      if (!this.isFresh(i, grad)) return;
      const store = this.kvstore(p);
      if (!store.has(i)) store.init(i, grad);
      const grads = p.listGrad();
      store.push(i, grads);
      store.pull(i, grads);
    });
  }

  /**
   * dist_sync: sums every parameter's gradient over its devices and all processes, in the same
   * order on every rank (a parameter that is stale on one rank is still reduced, so the ranks'
   * collectives stay paired; it is then skipped or refused by the update as usual).
   */
  private allreduceAcrossProcesses(store: DistSyncKVStore): void {
    const onGpu = this.params.find((p) => p.isInitialized && !onCpu(p));
    if (onGpu)
      throw new ValueError(
        `Trainer.step (dist_sync): Parameter '${onGpu.name}' lives on ${onGpu.listCtx().join(', ')}, whose gradients reduce ` +
          `through host memory, which a GPU gives only asynchronously: use \`await trainer.stepAsync(batchSize)\``,
      );
    if (!this.distInitialized) this.initDistParams();
    store.trainerStep = ++this.distSteps;
    const { keys, grads, fresh } = this.distGrads();
    keys.forEach((k, j) => {
      store.push(k, grads[j]);
      store.pull(k, grads[j]);
    });
    this.freshBeforeReduce = fresh;
  }

  /** The gradients a dist_sync step reduces (every initialised trainable parameter, in order). */
  private distGrads(): { keys: number[]; grads: NDArray[][]; fresh: Map<number, boolean> } {
    const keys: number[] = [];
    const grads: NDArray[][] = [];
    const fresh = new Map<number, boolean>();
    this.params.forEach((p, i) => {
      if (p.gradReq === 'null' || !p.isInitialized) return;
      const g = p.listGrad();
      fresh.set(i, this.isFresh(i, g[0]));
      keys.push(i);
      grads.push(g);
    });
    return { keys, grads, fresh };
  }

  /** The store that sums gradients across devices (created at the first parameter that needs it). */
  private kvstore(p: Parameter): KVStore {
    if (this.store) return this.store;
    if (this.kvstoreSpec === null)
      throw new ValueError(
        `Trainer: Parameter '${p.name}' lives on [${p.listCtx().join(', ')}], and kvstore is null: nothing would sum its gradients. ` +
          `Create the Trainer with kvstore 'device' (the default) or 'local'`,
      );
    this.store = typeof this.kvstoreSpec === 'string' ? createKVStore(this.kvstoreSpec) : this.kvstoreSpec;
    return this.store;
  }

  /**
   * Updates the parameters from their current gradients, rescaled by rescaleGrad / batchSize,
   * without the allreduce (Gluon's `trainer.update`, after `allreduceGrads()`).
   *
   * @example
   * trainer.allreduceGrads();
   * trainer.update(batchSize);
   */
  update(batchSize: number, opts: StepOptions = {}): void {
    this.setRescale(batchSize, 'update');
    this.runUpdate(opts.ignoreStaleGrad ?? false, 'update');
  }

  private setRescale(batchSize: number, op: string): void {
    if (!(typeof batchSize === 'number' && Number.isFinite(batchSize) && batchSize > 0))
      throw new ValueError(`Trainer.${op}: batchSize must be a positive number (the gradients are divided by it), got ${batchSize}`);
    // dist_sync: the gradients are sums over every process' batch, so the batch is all of them.
    this.opt.rescaleGrad = this.scale / (batchSize * (this.distStore?.numWorkers ?? 1));
  }

  /** Whether the gradient of parameter i was written since its last update. */
  private isFresh(i: number, grad: NDArray): boolean {
    const m = this.marks.get(i);
    const v = grad.storage.version;
    // A gradient array not seen before is fresh once anything wrote into it (it starts at 0).
    if (!m || m.grad !== grad) return v > 0;
    return v !== m.version;
  }

  private runUpdate(ignoreStale: boolean, op: string): void {
    const pending: [number, Parameter, NDArray][] = [];
    // After a dist_sync allreduce every gradient was rewritten; freshness is what it was before.
    const freshBefore = this.freshBeforeReduce;
    this.freshBeforeReduce = null;
    this.params.forEach((p, i) => {
      if (p.gradReq === 'null') return;
      if (!p.isInitialized) {
        if (ignoreStale) return;
        throw new StaleGradientError(
          `Trainer.${op}: Parameter '${p.name}' has not been initialized${p.isDeferred ? ' (its shape is still unknown)' : ''}; ` +
            `run a forward pass inside autograd.record() and backward() before step(), or pass { ignoreStaleGrad: true } to skip it`,
        );
      }
      const grad = p.grad();
      if (!(freshBefore?.get(i) ?? this.isFresh(i, grad))) {
        if (ignoreStale) return;
        throw new StaleGradientError(
          `Trainer.${op}: the gradient of Parameter '${p.name}' on ${p.context} has not been updated by backward since the last step ` +
            `(or ever). This could mean a bug in your model that made it only use a subset of the Parameters (Blocks) for this ` +
            `iteration, or step() was called before backward(). If you are intentionally only using a subset, call step with ` +
            `{ ignoreStaleGrad: true } to skip updating Parameters with stale gradients`,
        );
      }
      pending.push([i, p, grad]);
    });
    withoutRecording(() => {
      for (const [i, p, grad] of pending) {
        const w = p.data();
        const st = this.stateFor(i, w, p);
        this.opt.update(i, w, grad, st);
        p.copyToReplicas();
        this.marks.set(i, { grad, version: grad.storage.version });
      }
    });
    // A skipped stale gradient was still rewritten by the allreduce: it stays stale until backward.
    if (freshBefore)
      for (const i of freshBefore.keys())
        if (!this.marks.has(i) || this.marks.get(i)!.grad === this.params[i].grad())
          this.marks.set(i, { grad: this.params[i].grad(), version: this.params[i].grad().storage.version });
  }

  private stateFor(i: number, w: NDArray, p: Parameter): NDArray[] {
    let st = this.states.get(i);
    if (!st) {
      st = this.opt.createState(i, w).map((s) => keep(s));
      this.states.set(i, st);
    }
    for (const s of st)
      if (!shapesEqual(s.shape, w.shape) || !s.context.equals(w.context))
        throw new ShapeError(
          `Trainer: the ${this.opt.kind} state of Parameter '${p.name}' has shape ${shapeStr(s.shape)} on ${s.context}, ` +
            `but the parameter has shape ${shapeStr(w.shape)} on ${w.context} (were states loaded for another model?)`,
        );
    return st;
  }

  /**
   * Saves the optimizer state (momentum buffers, moment estimates, update counts, learning rate,
   * schedule position) to `path` as a safetensors file, atomically. Arrays are named
   * `<index>.<k>` (k-th state array of the index-th parameter); the bookkeeping is JSON in the
   * file's metadata.
   *
   * @example
   * trainer.saveStates('/tmp/mlp.states');
   */
  saveStates(path: string): void {
    const tensors = new Map<string, TensorRecord>();
    for (const [i, st] of [...this.states].sort((a, b) => a[0] - b[0]))
      st.forEach((s, k) => {
        if (s.context.deviceType !== 'cpu')
          throw new ValueError(
            `Trainer.saveStates('${path}'): the optimizer state of Parameter '${this.params[i].name}' lives on ${s.context}, ` +
              'which is read only asynchronously: use `await trainer.saveStatesAsync(path)` (the same file)',
          );
        tensors.set(`${i}.${k}`, { dtype: s.dtype, shape: [...s.shape], data: s.dataSync() });
      });
    saveSafetensors(path, tensors, this.statesMetadata());
  }

  /**
   * `saveStates` for states on any device (a GPU is read asynchronously): the same file.
   *
   * @example
   * await trainer.saveStatesAsync('/tmp/mlp.states'); // parameters on gpu(0)
   */
  async saveStatesAsync(path: string): Promise<void> {
    const tensors = new Map<string, TensorRecord>();
    for (const [i, st] of [...this.states].sort((a, b) => a[0] - b[0]))
      for (let k = 0; k < st.length; k++)
        tensors.set(`${i}.${k}`, { dtype: st[k].dtype, shape: [...st[k].shape], data: await st[k].data() });
    saveSafetensors(path, tensors, this.statesMetadata());
  }

  /** The metadata of a trainer-states file. */
  private statesMetadata(): Record<string, string> {
    return {
      format: FORMAT,
      version: '1',
      optimizer: this.opt.kind,
      bookkeeping: JSON.stringify(this.opt.getBookkeeping()),
      params: JSON.stringify(this.params.map((p) => p.name)),
      states: JSON.stringify(Object.fromEntries([...this.states].map(([i, st]) => [String(i), st.length]))),
      // The random generator (shuffles, dropout), so a resumed run continues the same sequence.
      random: JSON.stringify(getRandomState()),
    };
  }

  /**
   * Loads optimizer state saved by `saveStates` into this trainer (same optimizer kind, same
   * parameter order and shapes). Existing state arrays are overwritten in place.
   *
   * The file also holds the library's random generator state at the time of saving (shuffle order,
   * dropout masks; `nd.random.getState()`); it is restored by default, so a run resumed from
   * `saveParameters` + `saveStates` continues exactly as the uninterrupted run would.
   * `{ restoreRandomState: false }` keeps the current generator (MXNet's load_states has no such
   * state). Files written before the generator was saved load without it.
   *
   * @example
   * trainer.loadStates('/tmp/mlp.states');
   * trainer.loadStates('/tmp/mlp.states', { restoreRandomState: false });
   */
  loadStates(path: string, opts: { restoreRandomState?: boolean } = {}): void {
    const op = 'Trainer.loadStates';
    let raw: Uint8Array;
    try {
      // A plain Uint8Array copy: a Node Buffer's slice() is a view into a shared pool, which the
      // decoder must not see.
      raw = new Uint8Array(readFileSync(path));
    } catch (e) {
      throw new ValueError(`${op}: cannot read '${path}': ${(e as Error).message}`);
    }
    const { tensors, metadata } = decodeSafetensors(raw, `'${path}'`);
    if (metadata.format !== FORMAT)
      throw new ValueError(
        `${op}: '${path}' is not a trainer-states file written by saveStates (format ${JSON.stringify(metadata.format ?? null)})`,
      );
    if (metadata.optimizer !== this.opt.kind)
      throw new ValueError(`${op}: '${path}' holds ${metadata.optimizer} states but this trainer uses ${this.opt.kind}`);
    let counts: Record<string, number>;
    let bookkeeping: ReturnType<Optimizer['getBookkeeping']>;
    try {
      counts = JSON.parse(metadata.states ?? '{}');
      bookkeeping = JSON.parse(metadata.bookkeeping ?? 'null');
    } catch (e) {
      throw new ValueError(`${op}: '${path}' has unreadable metadata: ${(e as Error).message}`);
    }
    if (!bookkeeping) throw new ValueError(`${op}: '${path}' has no optimizer bookkeeping`);
    let randomState: RandomGeneratorState | null = null;
    if ((opts.restoreRandomState ?? true) && metadata.random !== undefined) {
      try {
        randomState = JSON.parse(metadata.random);
        new RandomState(0).setState(randomState); // validate before changing anything
      } catch (e) {
        throw new ValueError(`${op}: '${path}' has an unusable random generator state: ${(e as Error).message}`);
      }
    }
    // Check everything before changing anything.
    const incoming = new Map<number, TensorRecord[]>();
    for (const [key, n] of Object.entries(counts)) {
      const i = Number(key);
      if (!Number.isInteger(i) || i < 0 || i >= this.params.length)
        throw new ValueError(`${op}: '${path}' has states for parameter #${key} but this trainer has ${this.params.length} parameters`);
      const p = this.params[i];
      const arrs: TensorRecord[] = [];
      for (let k = 0; k < n; k++) {
        const t = tensors.get(`${i}.${k}`);
        if (!t) throw new ValueError(`${op}: '${path}' lacks state array '${i}.${k}'`);
        if (p.isInitialized && !shapesEqual(t.shape, p.data().shape))
          throw new ShapeError(
            `${op}: state '${i}.${k}' in '${path}' has shape ${shapeStr(t.shape)} but Parameter '${p.name}' has shape ${shapeStr(p.data().shape)}`,
          );
        arrs.push(t);
      }
      incoming.set(i, arrs);
    }
    for (const [i, arrs] of incoming) {
      const existing = this.states.get(i);
      if (
        existing &&
        existing.length === arrs.length &&
        existing.every((s, k) => shapesEqual(s.shape, arrs[k].shape) && s.dtype === arrs[k].dtype)
      ) {
        // Overwrite in place so outside references to the state arrays stay valid.
        withoutRecording(() =>
          existing.forEach((s, k) => {
            const tmp = NDArray._fromData(arrs[k].data, arrs[k].shape, arrs[k].dtype, s.context);
            s._assignFrom(tmp);
            tmp.dispose();
          }),
        );
      } else {
        existing?.forEach((s) => s.dispose());
        const p = this.params[i];
        const ctx = p.isInitialized ? p.data().context : currentContext();
        this.states.set(
          i,
          arrs.map((t) => keep(NDArray._fromData(t.data, t.shape, t.dtype, ctx))),
        );
      }
    }
    this.opt.setBookkeeping(bookkeeping);
    if (randomState) setRandomState(randomState);
  }
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return (v as object).constructor?.name ?? 'an object';
  return typeof v;
}

/** Whether every copy of a parameter lives in host memory. */
function onCpu(p: Parameter): boolean {
  return p.listCtx().every((c) => c.deviceType === 'cpu');
}
