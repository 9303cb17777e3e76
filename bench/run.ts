/**
 * Runs the benchmark workloads of ../shared/bench/WORKLOADS.md, one process per workload and
 * peer (a workload's RSS and JIT state never leak into the next), and passes their
 * `RESULT {json}` lines through in the shared harness's format.
 *
 *   npm run bench                                   # every workload, peers d2l-ts and d2l-ts-portable
 *   npm run bench -- w1_sgemm                       # one workload
 *   npm run bench -- w1_sgemm --repeats=3           # 3 processes per peer, then a table of medians
 *   npm run bench -- w1_sgemm --peers=d2l-ts-reference --sizes=128,512
 *   npm run bench -- w4_dist --peers=d2l-ts         # W4's scaling over 2 processes (Open MPI)
 *
 * Peers: d2l-ts = the best available CPU path (D2L_CPU_KERNELS=auto), d2l-ts-portable = the Wasm
 * SIMD kernels only (what runs in a browser too), d2l-ts-reference = the TypeScript reference
 * kernels (the "before" numbers), d2l-ts-browser = W3 in a Worker of a cross-origin isolated
 * page in headless Chromium (bench/browser-peers.ts; other workloads are skipped for it):
 *
 *   npm run bench -- w3_softmax_regression --peers=d2l-ts-portable,d2l-ts-browser --repeats=3
 *
 * Other `--key=value` options go to the workload.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, parseArgs } from './w3-w5-harness.js';

/** Each workload is one module of bench/, runnable on its own. */
export const WORKLOAD_MODULES: Record<string, string> = {
  w1_sgemm: 'w1-sgemm.js',
  w2_elementwise: 'w2-elementwise.js',
  w3_softmax_regression: 'w3-softmax-regression.js',
  w4_mlp: 'w4-mlp.js',
  w5_rnn: 'w5-rnn.js',
  /** W5 with the fused Gluon layers (RNN, GRU, LSTM) and a Dense over all steps (bench/w5-fused.ts). */
  w5_fused: 'w5-fused.js',
  w6_lenet: 'w6-lenet.js',
  w7_resnet18: 'w7-resnet18.js',
  /** W4 through dist_sync: 2 processes x 1 thread against 1 x 1 (Open MPI; bench/w4-dist.ts). */
  w4_dist: 'w4-dist.js',
};

export const PEER_KERNELS: Record<string, string> = {
  'd2l-ts': 'auto',
  'd2l-ts-portable': 'wasm',
  'd2l-ts-reference': 'ts',
  // Chromium picks its kernels as a page does (the Wasm kernels; bench/browser-peers.ts).
  'd2l-ts-browser': 'auto',
};
/** The workloads the browser peer runs (bench/browser-peers.ts BROWSER_PEERS). */
const BROWSER_WORKLOADS = new Set(['w3_softmax_regression']);

interface Result {
  peer: string;
  workload: string;
  case: string;
  unit: string;
  value: number;
}

function main(): number {
  const args = parseArgs();
  const here = dirname(fileURLToPath(import.meta.url));
  const names = args._.length ? args._ : Object.keys(WORKLOAD_MODULES);
  const peers = typeof args.peers === 'string' ? args.peers.split(',') : ['d2l-ts', 'd2l-ts-portable'];
  const repeats = typeof args.repeats === 'string' ? Math.max(1, Number(args.repeats)) : 1;
  const passOn = process.argv.slice(2).filter((a) => a.startsWith('--') && !/^--(peers|repeats)=/.test(a));
  for (const n of names)
    if (!WORKLOAD_MODULES[n]) {
      console.error(`bench: unknown workload '${n}'; known: ${Object.keys(WORKLOAD_MODULES).join(' ')}`);
      return 2;
    }
  for (const p of peers)
    if (!PEER_KERNELS[p]) {
      console.error(`bench: unknown peer '${p}'; known: ${Object.keys(PEER_KERNELS).join(' ')}`);
      return 2;
    }
  const results: Result[] = [];
  let failed = 0;
  for (const name of names) {
    const file = join(here, WORKLOAD_MODULES[name]);
    if (!existsSync(file)) {
      console.error(`bench: ${name}: ${file} is missing (run \`npm run build\`)`);
      failed++;
      continue;
    }
    for (let rep = 0; rep < repeats; rep++)
      for (const peer of peers) {
        const browser = peer === 'd2l-ts-browser';
        if (browser && !BROWSER_WORKLOADS.has(name)) continue;
        console.error(`bench: ${name} ${peer}${repeats > 1 ? ` (run ${rep + 1}/${repeats})` : ''}`);
        const cmd = browser ? [join(here, 'browser-peers.js'), peer, name, ...passOn] : [file, `--peer=${peer}`, ...passOn];
        const r = spawnSync(process.execPath, cmd, {
          env: { ...process.env, D2L_CPU_KERNELS: PEER_KERNELS[peer] },
          stdio: ['ignore', 'pipe', 'inherit'],
          encoding: 'utf8',
          maxBuffer: 64 << 20,
        });
        process.stdout.write(r.stdout ?? '');
        for (const line of (r.stdout ?? '').split('\n')) if (line.startsWith('RESULT ')) results.push(JSON.parse(line.slice(7)) as Result);
        if (r.status !== 0) {
          console.error(`bench: ${name} ${peer} exited with ${r.status ?? r.signal}`);
          failed++;
        }
      }
  }
  if (repeats > 1 || peers.length > 1) printSummary(results, peers);
  return failed ? 1 : 0;
}

/** Medians over the processes, one row per workload case, one column per peer. */
function printSummary(results: Result[], peers: string[]): void {
  const rows = new Map<string, Map<string, number[]>>();
  for (const r of results) {
    const key = `${r.workload} ${r.case} (${r.unit})`;
    if (!rows.has(key)) rows.set(key, new Map());
    const byPeer = rows.get(key)!;
    if (!byPeer.has(r.peer)) byPeer.set(r.peer, []);
    byPeer.get(r.peer)!.push(r.value);
  }
  console.log(`\n| workload | ${peers.join(' | ')} |\n|---|${peers.map(() => '---:').join('|')}|`);
  for (const [key, byPeer] of rows) {
    const cells = peers.map((p) => {
      const v = byPeer.get(p);
      if (!v) return 'n/a';
      const m = median(v);
      const spread = v.length > 1 ? (Math.max(...v) - Math.min(...v)) / 2 / m : 0;
      return `${m.toPrecision(3)}${spread > 0.1 ? ` (±${Math.round(spread * 100)}%)` : ''} [${v.length}]`;
    });
    console.log(`| ${key} | ${cells.join(' | ')} |`);
  }
}

process.exitCode = main();
