/**
 * What Gluon's convolution layers (Conv1D, Conv2D, Conv2DTranspose) share: reading their arguments
 * (positional, or one options object as Gluon's keywords), the layout, channel and group checks,
 * and their weight and bias parameters. Each layer keeps only what differs: its sizes' rank and
 * its weight's shape.
 */
import type { DType } from '../../core/dtype.js';
import { ValueError } from '../../core/errors.js';
import { checkOptions } from '../../core/options.js';
import { create as createInit } from '../init.js';
import type { Parameter, ParameterDict } from '../parameter.js';
import { checkActivation, type ActivationType } from './activations.js';
import { checkInt, type InitSpec } from './basic-layers.js';

/** The options every Block takes. */
export const BLOCK_KEYS = ['prefix', 'params', 'hint'];

/** The options every convolution layer takes, besides its sizes. */
export const CONV_KEYS = [
  ...BLOCK_KEYS,
  'channels',
  'kernelSize',
  'strides',
  'padding',
  'dilation',
  'groups',
  'layout',
  'activation',
  'useBias',
  'weightInitializer',
  'biasInitializer',
  'inChannels',
  'dtype',
];

/** The options of a convolution layer that this module reads. */
export interface ConvCommonOptions {
  groups?: number;
  layout?: string;
  activation?: ActivationType | null;
  useBias?: boolean;
  weightInitializer?: InitSpec | null;
  biasInitializer?: InitSpec;
  inChannels?: number;
  dtype?: DType;
}

/** Whether `v` is an options object (not a size: a number or a list). */
export function isOptions(v: unknown): boolean {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Reads `(channels, kernelSize, opts)` or `({ channels, kernelSize, ...opts })`, checks the option
 * names against `keys`, and requires a kernel size. Called before `super(opts)`.
 *
 * @example
 * const { channels, kernelSize, opts, where } = readConvArgs('nn.Conv2D', '(6, 5)', a, b, c, CONV_KEYS);
 */
export function readConvArgs<O extends object, K>(
  layer: string,
  example: string,
  channelsOrOpts: unknown,
  kernelSizeArg: K | undefined,
  optsArg: O,
  keys: readonly string[],
): { channels: number; kernelSize: K; opts: O; where: string } {
  const byKey = isOptions(channelsOrOpts);
  const opts = (byKey ? channelsOrOpts : optsArg) as O & { channels?: number; kernelSize?: K };
  checkOptions(layer, opts, keys);
  const channels = (byKey ? opts.channels : channelsOrOpts) as number;
  const kernelSize = byKey ? opts.kernelSize : kernelSizeArg;
  const where = `${layer}(${channels})`;
  if (kernelSize === undefined) throw new ValueError(`${where}: kernelSize is required, e.g. new ${layer}${example}`);
  return { channels, kernelSize, opts, where };
}

/** Refuses any layout but `expected` (the only one the kernels take). */
export function checkLayout(layout: string | undefined, expected: string, where: string): void {
  if (layout !== undefined && layout !== expected)
    throw new ValueError(`${where}: only the ${expected} layout is supported, got '${layout}'`);
}

/**
 * The checked channels, groups, input channels (0: inferred at the first forward pass) and
 * activation of a convolution layer.
 */
export function convChannels(
  channels: number,
  opts: ConvCommonOptions,
  where: string,
): { channels: number; groups: number; inChannels: number; act: ActivationType | null } {
  const c = checkInt(channels, 'channels', where, 1);
  const groups = checkInt(opts.groups ?? 1, 'groups', where, 1);
  if (c % groups !== 0) throw new ValueError(`${where}: channels (${c}) must be divisible by groups (${groups})`);
  const inChannels = checkInt(opts.inChannels ?? 0, 'inChannels', where, 0);
  if (inChannels % groups !== 0) throw new ValueError(`${where}: inChannels (${inChannels}) must be divisible by groups (${groups})`);
  return { channels: c, groups, inChannels, act: opts.activation ? checkActivation(opts.activation, where) : null };
}

/** The layer's `weight` of `weightShape` and its `bias` of (channels), unless `useBias` is false. */
export function convParameters(
  params: ParameterDict,
  weightShape: number[],
  channels: number,
  opts: ConvCommonOptions,
): { weight: Parameter; bias: Parameter | null } {
  const dtype = opts.dtype ?? 'float32';
  const weight = params.get('weight', { shape: weightShape, dtype, init: createInit(opts.weightInitializer) });
  const bias =
    opts.useBias === false ? null : params.get('bias', { shape: [channels], dtype, init: createInit(opts.biasInitializer ?? 'zeros') });
  return { weight, bias };
}
