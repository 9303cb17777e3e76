/**
 * The workload parameters: ../shared/bench/workloads.json (the source of truth, shared with the
 * peers' scripts) when that folder exists, else bench/workloads.json, the copy that ships with
 * the repository for machines without ../shared.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, sharedBenchDir } from './w3-w5-harness.js';

export interface W1Params {
  sizes: number[];
  min_warmup: number;
  min_reps: number;
  min_time_s: number;
}
export interface W2Params {
  n: number;
  min_warmup: number;
  min_reps: number;
  min_time_s: number;
}
export interface WorkloadParams {
  w1_sgemm: W1Params;
  w2_elementwise: W2Params;
}

let cached: { params: WorkloadParams; source: string } | undefined;

export function workloadParams(): { params: WorkloadParams; source: string } {
  if (cached) return cached;
  const shared = join(sharedBenchDir(), 'workloads.json');
  const source = existsSync(shared) ? shared : join(repoRoot(), 'bench', 'workloads.json');
  cached = { params: JSON.parse(readFileSync(source, 'utf8')) as WorkloadParams, source };
  return cached;
}
