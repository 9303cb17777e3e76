// Optimizers by name, as `gluon.Trainer(params, 'sgd', ...)` and `mx.optimizer.create` look them up.
import { ValueError } from '../../core/errors.js';
import { Optimizer, type OptimizerOptions } from './optimizer.js';
import { NAG, SGD } from './sgd.js';
import { AdaGrad } from './adagrad.js';
import { RMSProp } from './rmsprop.js';
import { AdaDelta } from './adadelta.js';
import { Adam, AdamW } from './adam.js';

/** A constructor the registry can call with an options object. */
export type OptimizerClass = (new (opts?: any) => Optimizer) & { keys?: readonly string[] };

const registry = new Map<string, OptimizerClass>();

/**
 * Registers an optimizer class under `name` (case-insensitive), so `create(name)` and
 * `new Trainer(params, name)` find it. Its static `keys` (if any) lists the options it accepts.
 *
 * @example
 * gluon.optimizer.register('signsgd', SignSGD);
 * const trainer = new gluon.Trainer(params, 'signsgd', { learningRate: 0.01 });
 */
export function register(name: string, cls: OptimizerClass): void {
  if (typeof name !== 'string' || !name) throw new ValueError('optimizer.register: the name must be a non-empty string');
  registry.set(name.toLowerCase(), cls);
}

/** The registered optimizer names, sorted. @example gluon.optimizer.names() // ['adadelta', 'adagrad', 'adam', ...] */
export function names(): string[] {
  return [...registry.keys()].sort();
}

/**
 * Makes an optimizer by name with `opts` (MXNet's `mx.optimizer.create`). Unknown names and
 * unknown options are errors that list the valid ones.
 *
 * @example
 * const opt = gluon.optimizer.create('adam', { learningRate: 0.005 });
 */
export function create(name: string, opts: Record<string, unknown> = {}): Optimizer {
  if (typeof name !== 'string') throw new ValueError(`optimizer.create: the optimizer must be a name or an Optimizer, got ${typeof name}`);
  const cls = registry.get(name.toLowerCase());
  if (!cls) throw new ValueError(`optimizer.create: unknown optimizer '${name}'; valid names are: ${names().join(', ')}`);
  if (cls.keys) {
    const bad = Object.keys(opts).filter((k) => opts[k] !== undefined && !cls.keys!.includes(k));
    if (bad.length)
      throw new ValueError(
        `optimizer.create('${name}'): unknown option${bad.length > 1 ? 's' : ''} ${bad.map((b) => `'${b}'`).join(', ')}; ` +
          `${name.toLowerCase()} accepts: ${cls.keys.join(', ')}`,
      );
  }
  return new cls(opts as OptimizerOptions);
}

register('sgd', SGD);
register('nag', NAG);
register('adagrad', AdaGrad);
register('rmsprop', RMSProp);
register('adadelta', AdaDelta);
register('adam', Adam);
register('adamw', AdamW);
