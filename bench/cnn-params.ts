/**
 * The parameters of the CNN workloads W6 (LeNet) and W7 (ResNet-18): `w6_lenet` / `w7_resnet18`
 * of ../shared/bench/workloads.json when the shared file has them, else of bench/workloads.json,
 * which defines them (the shared file predates them). bench/torch_w6_w7.py reads the same keys.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, sharedBenchDir } from './w3-w5-harness.js';

/** One CNN training-step workload. */
export interface CnnStepConfig {
  batch_size: number;
  lr: number;
  /** Input side (height = width); one channel. */
  image_size: number;
  warmup_steps: number;
  min_steps: number;
  min_time_s: number;
  /** Distinct batches, cycled. */
  data_batches: number;
}

export interface CnnParams {
  w6_lenet: CnnStepConfig;
  w7_resnet18: CnnStepConfig;
}

let cached: CnnParams | undefined;

export function cnnParams(): CnnParams {
  if (cached) return cached;
  const read = (p: string): Partial<CnnParams> => (existsSync(p) ? (JSON.parse(readFileSync(p, 'utf8')) as Partial<CnnParams>) : {});
  const shared = read(join(sharedBenchDir(), 'workloads.json'));
  const ours = read(join(repoRoot(), 'bench', 'workloads.json'));
  const pick = (k: keyof CnnParams): CnnStepConfig => {
    const v = shared[k] ?? ours[k];
    if (!v) throw new Error(`bench: ${k} is in neither ../shared/bench/workloads.json nor bench/workloads.json`);
    return v;
  };
  cached = { w6_lenet: pick('w6_lenet'), w7_resnet18: pick('w7_resnet18') };
  return cached;
}
