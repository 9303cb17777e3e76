/**
 * The safetensors codec, where Gluon's parameter files (`saveParameters`, `Trainer.saveStates`)
 * meet it. The codec itself lives in `src/ndarray/safetensors.ts`, below both `nd.save`/`nd.load`
 * and Gluon, so imports keep running down the layers; this module re-exports it unchanged.
 *
 * @example
 * import { saveSafetensors } from './safetensors.js';
 * saveSafetensors('x.safetensors', { x: nd.arange(4) });
 */
export * from '../ndarray/safetensors.js';
