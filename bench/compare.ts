/**
 * `npm run bench:compare`: our workloads and the installed peers' (../shared/bench), measured side
 * by side on this machine, one process per (peer, workload), one after another, `--repeats`
 * processes each (default 3); prints the medians as a table with ratios against PyTorch and
 * writes every record to `out/bench-compare.json`.
 *
 *   npm run bench:compare
 *   npm run bench:compare -- w3_softmax_regression w5_rnn --repeats=5
 *   npm run bench:compare -- --peers=d2l-ts,torch --out=out/w3.json
 *   npm run bench:compare -- --peers=d2l-ts,d2l-ts-portable,torch,tfjs-wasm,tfjs-cpu,jax-js-wasm
 *   npm run bench:compare -- w6_lenet w7_resnet18 --peers=d2l-ts,d2l-ts-portable,torch
 *
 * W6 (LeNet) and W7 (ResNet-18) have no JS peers; their torch side is bench/torch_w6_w7.py.
 * W5-fused (the Gluon RNN/GRU/LSTM layers + Dense) neither; its torch side is bench/torch_w5_fused.py.
 *
 * Browser peers (W3; on request, not by default): d2l-ts-browser, tfjs-wasm-browser and
 * jax-js-browser run the same workload in a dedicated Worker of a cross-origin isolated page in
 * headless Chromium (bench/browser-peers.ts), reporting the same RESULT lines:
 *
 *   npm run bench:compare -- w3_softmax_regression --peers=d2l-ts-portable,tfjs-wasm,jax-js-wasm,d2l-ts-browser,tfjs-wasm-browser,jax-js-browser
 *
 * `--browser-epochs=N` shortens the browser peers' runs (a check that they work, not a timing).
 *
 * Peers: d2l-ts (best available path, D2L_CPU_KERNELS=auto), d2l-ts-portable (Wasm only),
 * torch (Debian's python3-torch on OpenBLAS-OpenMP: `LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/
 * openblas-openmp /usr/bin/python3 torch_bench.py <w>`, install with
 * `sudo bash ../shared/ci/install-peers.sh`), tfjs-wasm, jax-js-wasm, and on request tfjs-cpu
 * (pure JS; its W4 is capped to 20 batches per epoch and extrapolated, as in the peers' run_all.sh,
 * and W5 is skipped unless --tfjs-cpu-w5). The shared scripts are copied to a temporary folder
 * (../shared is read-only; `--peers-dir=` to choose it), where `npm ci` installs the JS peers once
 * when the npm registry is reachable; otherwise those peers are skipped with a note.
 *
 * Other options: --timeout-s=N (per process, default 1800), --no-install (never run npm ci),
 * --from=FILE (print the table of a saved run again, measuring nothing).
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, parseArgs, repoRoot, sharedBenchDir } from './w3-w5-harness.js';
import { chromiumPath } from './browser-peers.js';

const WORKLOADS = [
  'w1_sgemm',
  'w2_elementwise',
  'w3_softmax_regression',
  'w4_mlp',
  'w5_rnn',
  'w5_fused',
  'w6_lenet',
  'w7_resnet18',
] as const;
/**
 * The workloads whose PyTorch side is this repository's own script (the shared scripts predate
 * them) and that no shared JS peer runs: the CNNs (bench/torch_w6_w7.py) and W5-fused.
 */
const OWN_TORCH: Partial<Record<Workload, string>> = {
  w6_lenet: 'torch_w6_w7.py',
  w7_resnet18: 'torch_w6_w7.py',
  w5_fused: 'torch_w5_fused.py',
};
type Workload = (typeof WORKLOADS)[number];

/** Our workload modules (dist/bench), as bench/run.ts runs them. */
const OUR_MODULES: Record<Workload, string> = {
  w1_sgemm: 'w1-sgemm.js',
  w2_elementwise: 'w2-elementwise.js',
  w3_softmax_regression: 'w3-softmax-regression.js',
  w4_mlp: 'w4-mlp.js',
  w5_rnn: 'w5-rnn.js',
  w5_fused: 'w5-fused.js',
  w6_lenet: 'w6-lenet.js',
  w7_resnet18: 'w7-resnet18.js',
};

const ALL_PEERS = [
  'd2l-ts',
  'd2l-ts-portable',
  'torch',
  'tfjs-wasm',
  'tfjs-cpu',
  'jax-js-wasm',
  'd2l-ts-browser',
  'tfjs-wasm-browser',
  'jax-js-browser',
] as const;
/** The peers run in headless Chromium (bench/browser-peers.ts), and the workloads they run. */
const BROWSER_PEERS: readonly Peer[] = ['d2l-ts-browser', 'tfjs-wasm-browser', 'jax-js-browser'];
const BROWSER_WORKLOADS: readonly Workload[] = ['w3_softmax_regression'];
type Peer = (typeof ALL_PEERS)[number];
const DEFAULT_PEERS: Peer[] = ['d2l-ts', 'd2l-ts-portable', 'torch', 'tfjs-wasm', 'jax-js-wasm'];

const PY = '/usr/bin/python3';
const OPENBLAS_OMP = '/usr/lib/x86_64-linux-gnu/openblas-openmp';

interface Record_ {
  peer: string;
  workload: string;
  case: string;
  unit: string;
  value: number;
  rss_peak_mb?: number;
  epochs?: { epoch: number; sec: number; train_loss: number; train_acc: number; test_acc: number }[];
  [k: string]: unknown;
}

interface RunLog {
  peer: Peer;
  workload: Workload;
  run: number;
  status: number | null;
  wall_s: number;
  load_before: number;
  records: Record_[];
  error?: string;
}

interface Command {
  cmd: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
}

function log(msg: string): void {
  console.error(`bench:compare: ${msg}`);
}

/** The shared scripts in a writable folder, with their node_modules when they can be had. */
function preparePeersDir(dir: string, install: boolean): { jsPeers: boolean; note: string | null } {
  const src = sharedBenchDir();
  if (!existsSync(join(src, 'workloads.json')))
    throw new Error(`${src} not found: bench:compare needs the peers' scripts of ../shared/bench`);
  mkdirSync(dir, { recursive: true });
  cpSync(src, dir, { recursive: true, filter: (p) => !p.includes(`${join(src, 'node_modules')}`) && !p.includes(`${join(src, 'data')}`) });
  const have = () =>
    ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm', '@jax-js/jax'].every((m) =>
      existsSync(join(dir, 'node_modules', m, 'package.json')),
    );
  if (have()) return { jsPeers: true, note: null };
  if (!install) return { jsPeers: false, note: `JS peers skipped: ${dir}/node_modules is missing and --no-install was given` };
  const ping = spawnSync('npm', ['ping'], { cwd: dir, encoding: 'utf8', timeout: 30_000 });
  if (ping.status !== 0)
    return {
      jsPeers: false,
      note: `JS peers skipped: the npm registry is not reachable (npm ping: ${(ping.stderr || ping.error?.message || '').trim().split('\n').pop()})`,
    };
  log(`npm ci in ${dir} (tfjs, tfjs-backend-wasm, jax-js)`);
  const ci = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: dir, stdio: ['ignore', 'inherit', 'inherit'], timeout: 600_000 });
  if (ci.status !== 0 || !have())
    return { jsPeers: false, note: `JS peers skipped: npm ci failed in ${dir} (exit ${ci.status ?? ci.signal})` };
  return { jsPeers: true, note: null };
}

function torchAvailable(): string | null {
  if (!existsSync(PY)) return `torch skipped: ${PY} not found (sudo bash ../shared/ci/install-peers.sh)`;
  const r = spawnSync(PY, ['-c', 'import torch'], {
    env: { ...process.env, LD_LIBRARY_PATH: OPENBLAS_OMP },
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (r.status !== 0)
    return `torch skipped: \`${PY} -c "import torch"\` failed (sudo bash ../shared/ci/install-peers.sh): ${(r.stderr || '').trim().split('\n').pop()}`;
  if (!existsSync(join(OPENBLAS_OMP, 'libblas.so.3')))
    return `torch skipped: ${OPENBLAS_OMP}/libblas.so.3 missing (apt-get install libopenblas0-openmp)`;
  return null;
}

/** The command of one (peer, workload) process, or null when that pair is not run. */
function commandFor(
  peer: Peer,
  w: Workload,
  distBench: string,
  peersDir: string,
  opts: { tfjsCpuW5: boolean; browserEpochs: number | null; timeoutS: number },
): Command | null {
  const env = { ...process.env };
  switch (peer) {
    case 'd2l-ts-browser':
    case 'tfjs-wasm-browser':
    case 'jax-js-browser':
      if (!BROWSER_WORKLOADS.includes(w)) return null;
      return {
        cmd: process.execPath,
        args: [
          join(distBench, 'browser-peers.js'),
          peer,
          w,
          `--peers-dir=${peersDir}`,
          `--timeout-s=${opts.timeoutS}`,
          ...(opts.browserEpochs !== null ? [`--epochs=${opts.browserEpochs}`] : []),
        ],
        cwd: repoRoot(),
        env,
      };
    case 'd2l-ts':
    case 'd2l-ts-portable':
      env.D2L_CPU_KERNELS = peer === 'd2l-ts' ? 'auto' : 'wasm';
      return { cmd: process.execPath, args: [join(distBench, OUR_MODULES[w]), `--peer=${peer}`], cwd: repoRoot(), env };
    case 'torch':
      env.LD_LIBRARY_PATH = OPENBLAS_OMP;
      env.PYTHONDONTWRITEBYTECODE = '1';
      // Our own torch script imports the shared harness from the peers' copy.
      if (OWN_TORCH[w])
        return {
          cmd: PY,
          args: [join(repoRoot(), 'bench', OWN_TORCH[w]), ...(w === 'w5_fused' ? [] : [w])],
          cwd: peersDir,
          env: { ...env, D2L_BENCH_SHARED: peersDir },
        };
      return { cmd: PY, args: ['torch_bench.py', w], cwd: peersDir, env };
    case 'tfjs-wasm':
      if (OWN_TORCH[w]) return null; // the shared JS peers have no CNN workloads
      return { cmd: process.execPath, args: ['tfjs_bench.mjs', w, '--backend=wasm'], cwd: peersDir, env };
    case 'tfjs-cpu':
      if ((w === 'w5_rnn' && !opts.tfjsCpuW5) || OWN_TORCH[w]) return null;
      return {
        cmd: process.execPath,
        args: ['tfjs_bench.mjs', w, '--backend=cpu', ...(w === 'w4_mlp' ? ['--cap-batches=20'] : [])],
        cwd: peersDir,
        env,
      };
    case 'jax-js-wasm':
      if (OWN_TORCH[w]) return null;
      return { cmd: process.execPath, args: ['jaxjs_bench.mjs', w, '--device=wasm'], cwd: peersDir, env };
  }
}

function runOne(c: Command, timeoutS: number): { status: number | null; records: Record_[]; wallS: number; error?: string } {
  const t0 = performance.now();
  const r = spawnSync(c.cmd, c.args, {
    cwd: c.cwd,
    env: c.env,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: timeoutS * 1000,
    maxBuffer: 64 << 20,
  });
  const wallS = (performance.now() - t0) / 1000;
  const records: Record_[] = [];
  for (const line of (r.stdout ?? '').split('\n'))
    if (line.startsWith('RESULT ')) {
      try {
        records.push(JSON.parse(line.slice(7)) as Record_);
      } catch {
        // a truncated line (killed by the timeout) is not a result
      }
    }
  const tail = (r.stderr ?? '').trim().split('\n').slice(-3).join(' | ');
  const error = r.error ? r.error.message : r.status !== 0 ? `exit ${r.status ?? r.signal}: ${tail}` : undefined;
  return { status: r.status, records, wallS, error };
}

interface Row {
  key: string;
  label: string;
  unit: string;
  higherIsBetter: boolean;
  values: Map<string, number[]>;
}

/** The table rows: each RESULT case, plus W3's peak RSS and epoch-5 metrics. */
function buildRows(logs: RunLog[]): Row[] {
  const rows = new Map<string, Row>();
  const add = (key: string, label: string, unit: string, higherIsBetter: boolean, peer: string, v: number) => {
    if (!rows.has(key)) rows.set(key, { key, label, unit, higherIsBetter, values: new Map() });
    const row = rows.get(key)!;
    if (!row.values.has(peer)) row.values.set(peer, []);
    row.values.get(peer)!.push(v);
  };
  for (const l of logs)
    for (const r of l.records) {
      const w = r.workload;
      const label =
        w === 'w1_sgemm'
          ? `W1 sgemm ${r.case}`
          : w === 'w2_elementwise'
            ? `W2 exp(x)*2+x, 4M (${r.case})`
            : w === 'w3_softmax_regression'
              ? 'W3 softmax regression'
              : w === 'w4_mlp'
                ? 'W4 MLP 784-256-10'
                : w === 'w6_lenet'
                  ? 'W6 LeNet step, batch 256'
                  : w === 'w7_resnet18'
                    ? 'W7 ResNet-18 step, batch 64, 96x96'
                    : w === 'w5_fused'
                      ? `W5-fused ${r.case} layer + Dense`
                      : `W5 RNN ${r.case}`;
      // RESULTS.md's table shows jax-js with jit (W2) and its jit-compiled step (W5) in the
      // main rows; jax-js' eager W2 gets a row of its own.
      let c = r.case;
      if (w === 'w2_elementwise' && l.peer === 'jax-js-wasm') c = r.case === 'jit' ? 'eager' : 'eager (jax-js, not jit)';
      if (w === 'w5_rnn' && l.peer === 'jax-js-wasm' && c !== 'scratch') c = 'scratch';
      const lab = w === 'w2_elementwise' ? `W2 exp(x)*2+x, 4M${c === 'eager' ? '' : ` (${c})`}` : w === 'w5_rnn' ? `W5 RNN ${c}` : label;
      add(`${w}|${c}`, lab, r.unit, r.unit === 'GFLOP/s', l.peer, r.value);
      if (w === 'w3_softmax_regression' && typeof r.rss_peak_mb === 'number')
        add('w3|rss', 'W3 peak RSS', 'MB', false, l.peer, r.rss_peak_mb);
      if (w === 'w7_resnet18' && typeof r.rss_peak_mb === 'number') add('w7|rss', 'W7 peak RSS', 'MB', false, l.peer, r.rss_peak_mb);
      const last = r.epochs?.[r.epochs.length - 1];
      if (last && (w === 'w3_softmax_regression' || w === 'w4_mlp'))
        add(`${w}|acc`, `${w === 'w4_mlp' ? 'W4' : 'W3'} epoch-${last.epoch} test acc`, 'acc', true, l.peer, last.test_acc);
    }
  const order = (k: string) => {
    const w = k.split('|')[0];
    const i = [
      'w1_sgemm',
      'w2_elementwise',
      'w3_softmax_regression',
      'w3',
      'w4_mlp',
      'w5_rnn',
      'w5_fused',
      'w6_lenet',
      'w7_resnet18',
      'w7',
    ].indexOf(w);
    const n = /n=(\d+)/.exec(k);
    return i * 1e6 + (n ? Number(n[1]) : 0) + (k.endsWith('|acc') ? 5e5 : 0);
  };
  return [...rows.values()].sort((a, b) => order(a.key) - order(b.key));
}

function fmt(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  return a >= 100 ? v.toFixed(0) : a >= 10 ? v.toFixed(1) : a >= 1 ? v.toFixed(2) : v.toFixed(3);
}

/** A markdown table: the median of each peer, its spread, and (for timings) its ratio to torch. */
function renderTable(rows: Row[], peers: string[]): string {
  const out = [`| workload | ${peers.join(' | ')} |`, `|---|${peers.map(() => '---:').join('|')}|`];
  for (const row of rows) {
    const ref = row.values.get('torch');
    const refM = ref ? median(ref) : NaN;
    const cells = peers.map((p) => {
      const v = row.values.get(p);
      if (!v || v.length === 0) return 'n/a';
      const m = median(v);
      const spread = v.length > 1 ? (Math.max(...v) - Math.min(...v)) / 2 / Math.abs(m) : 0;
      let cell = fmt(m);
      if (spread > 0.1) cell += ` (±${Math.round(spread * 100)}%)`;
      if (p !== 'torch' && Number.isFinite(refM) && refM !== 0 && row.unit !== 'acc') cell += ` **${(m / refM).toFixed(2)}x**`;
      return cell;
    });
    out.push(`| ${row.label} (${row.unit}${row.higherIsBetter ? ' ↑' : ' ↓'}) | ${cells.join(' | ')} |`);
  }
  return out.join('\n');
}

/** Issue 6's targets, checked on the medians (undefined where a peer is missing). */
function checkTargets(rows: Row[]): { target: string; value: string; met: boolean | null }[] {
  const m = (key: string, peer: string): number | undefined => {
    const v = rows.find((r) => r.key === key)?.values.get(peer);
    return v && v.length ? median(v) : undefined;
  };
  const res: { target: string; value: string; met: boolean | null }[] = [];
  const ratio = (key: string, peer: string, cmp: (r: number) => boolean, target: string, invert = false) => {
    const a = m(key, peer);
    const t = m(key, 'torch');
    if (a === undefined || t === undefined) return res.push({ target, value: 'n/a', met: null });
    const r = invert ? t / a : a / t;
    res.push({ target, value: `${r.toFixed(2)}x`, met: cmp(r) });
  };
  ratio('w1_sgemm|n=1024', 'd2l-ts', (r) => r >= 0.9, 'd2l-ts W1 n=1024 >= 0.9x torch GFLOP/s');
  ratio('w2_elementwise|eager', 'd2l-ts', (r) => r <= 1.5, 'd2l-ts W2 <= 1.5x torch time');
  ratio('w3_softmax_regression|train', 'd2l-ts', (r) => r <= 1.0, 'd2l-ts W3 <= 1.0x torch s/epoch');
  ratio('w4_mlp|train', 'd2l-ts', (r) => r <= 1.0, 'd2l-ts W4 <= 1.0x torch s/epoch');
  ratio('w5_rnn|scratch', 'd2l-ts', (r) => r <= 1.0, 'd2l-ts W5 <= 1.0x torch ms/step');
  for (const c of ['rnn', 'gru', 'lstm'])
    ratio(`w5_fused|${c}`, 'd2l-ts', (r) => r <= 1.0, `d2l-ts W5-fused ${c} <= 1.0x torch ms/step (issue 17)`);
  ratio('w3|rss', 'd2l-ts', (r) => r <= 1.0, 'd2l-ts W3 peak RSS <= torch');
  ratio('w6_lenet|train_step', 'd2l-ts', (r) => r <= 1.0, 'd2l-ts W6 <= 1.0x torch ms/step (issue 19)');
  ratio('w6_lenet|train_step', 'd2l-ts-portable', (r) => r <= 3.0, 'portable W6 <= 3x torch ms/step (issue 19)');
  ratio('w7_resnet18|train_step', 'd2l-ts', (r) => r <= 1.0, 'd2l-ts W7 <= 1.0x torch ms/step (issue 19)');
  ratio('w7|rss', 'd2l-ts', (r) => r <= 1.0, 'd2l-ts W7 peak RSS <= torch (issue 19)');
  const g = m('w1_sgemm|n=1024', 'd2l-ts-portable');
  res.push({
    target: 'portable W1 n=1024 >= 60 GFLOP/s',
    value: g === undefined ? 'n/a' : `${fmt(g)} GFLOP/s`,
    met: g === undefined ? null : g >= 60,
  });
  const faster = (key: string, peer: string, factor: number, label: string) => {
    const a = m(key, 'd2l-ts-portable');
    const b = m(key, peer);
    if (a === undefined || b === undefined) return res.push({ target: label, value: 'n/a', met: null });
    res.push({ target: label, value: `${(b / a).toFixed(1)}x`, met: b / a >= factor });
  };
  faster('w3_softmax_regression|train', 'tfjs-wasm', 5, 'portable W3 >= 5x faster than tfjs-wasm');
  faster('w3_softmax_regression|train', 'jax-js-wasm', 5, 'portable W3 >= 5x faster than jax-js-wasm');
  faster('w5_rnn|scratch', 'tfjs-wasm', 5, 'portable W5 >= 5x faster than tfjs-wasm');
  faster('w5_rnn|scratch', 'jax-js-wasm', 5, 'portable W5 >= 5x faster than jax-js-wasm');
  faster('w4_mlp|train', 'jax-js-wasm', 2.5, 'portable W4 >= 2.5x faster than jax-js-wasm');
  faster('w4_mlp|train', 'tfjs-wasm', 10, 'portable W4 >= 10x faster than tfjs-wasm');
  // Issue 13's browser row: d2l-ts in Chromium within 1.3x of the portable path in Node, and
  // ahead of tfjs-wasm and jax-js in the same browser by at least the portable path's margins
  // over them in Node.
  const w3 = 'w3_softmax_regression|train';
  const inPage = m(w3, 'd2l-ts-browser');
  const portable = m(w3, 'd2l-ts-portable');
  res.push({
    target: 'd2l-ts-browser W3 <= 1.3x portable (Node) s/epoch',
    value: inPage === undefined || portable === undefined ? 'n/a' : `${(inPage / portable).toFixed(2)}x`,
    met: inPage === undefined || portable === undefined ? null : inPage / portable <= 1.3,
  });
  for (const [browserPeer, nodePeer] of [
    ['tfjs-wasm-browser', 'tfjs-wasm'],
    ['jax-js-browser', 'jax-js-wasm'],
  ] as const) {
    const b = m(w3, browserPeer);
    const n = m(w3, nodePeer);
    const label = `d2l-ts-browser W3 ahead of ${browserPeer} by >= portable's margin over ${nodePeer} in Node`;
    if (inPage === undefined || portable === undefined || b === undefined || n === undefined)
      res.push({ target: label, value: 'n/a', met: null });
    else
      res.push({ target: label, value: `${(b / inPage).toFixed(1)}x vs ${(n / portable).toFixed(1)}x`, met: b / inPage >= n / portable });
  }
  return res;
}

function machineLine(): string {
  let model = cpus()[0]?.model ?? 'unknown CPU';
  const ls = spawnSync('lscpu', [], { encoding: 'utf8' });
  if (ls.status === 0) {
    const get = (k: string) => new RegExp(`^${k}:\\s*(.+)$`, 'm').exec(ls.stdout)?.[1]?.trim();
    model = `${get('Model name') ?? model} (family ${get('CPU family')} model ${get('Model')}${get('Hypervisor vendor') ? `, ${get('Hypervisor vendor')} guest` : ''}), ${get('CPU\\(s\\)')} CPUs, L2 ${get('L2 cache') ?? '?'}, L3 ${get('L3 cache') ?? '?'}`;
  }
  return `${model} · ${(totalmem() / 2 ** 30).toFixed(0)} GiB · Node ${process.version}`;
}

function main(): number {
  const args = parseArgs();
  const workloads = (
    args._.length ? args._ : typeof args.workloads === 'string' ? args.workloads.split(',') : [...WORKLOADS]
  ) as Workload[];
  const peers = (typeof args.peers === 'string' ? args.peers.split(',') : DEFAULT_PEERS) as Peer[];
  for (const w of workloads) if (!WORKLOADS.includes(w)) return usage(`unknown workload '${w}'`);
  for (const p of peers) if (!ALL_PEERS.includes(p)) return usage(`unknown peer '${p}'`);
  const repeats = typeof args.repeats === 'string' ? Math.max(1, Math.floor(Number(args.repeats))) : 3;
  const timeoutS = typeof args['timeout-s'] === 'string' ? Number(args['timeout-s']) : 1800;
  const root = repoRoot();
  const outFile = resolve(root, typeof args.out === 'string' ? args.out : 'out/bench-compare.json');
  const peersDir = resolve(typeof args['peers-dir'] === 'string' ? args['peers-dir'] : join(tmpdir(), 'd2l-ts-bench-peers'));
  const distBench = dirname(fileURLToPath(import.meta.url));

  const notes: string[] = [];
  const skip = new Set<Peer>();
  if (typeof args.from === 'string') {
    // Re-render the table of a saved run (its records are the source; nothing is measured).
    const saved = JSON.parse(readFileSync(resolve(args.from), 'utf8')) as {
      runs: RunLog[];
      repeats: number;
      peers: Peer[];
      notes: string[];
      date: string;
      machine: string;
    };
    const text = report(
      saved.runs,
      saved.peers,
      saved.repeats,
      new Date(saved.date),
      saved.machine,
      saved.notes.filter((n) => !n.startsWith('WARNING')),
    );
    console.log('\n' + text);
    return 0;
  }
  const needJs = peers.some((p) => p.startsWith('tfjs') || p.startsWith('jax'));
  const needPeersDir = needJs || peers.includes('torch');
  if (needPeersDir) {
    const { jsPeers, note } = preparePeersDir(peersDir, !args['no-install']);
    if (note) notes.push(note);
    if (!jsPeers) for (const p of peers) if (p.startsWith('tfjs') || p.startsWith('jax')) skip.add(p);
  }
  if (peers.some((p) => BROWSER_PEERS.includes(p)) && !chromiumPath()) {
    notes.push('browser peers skipped: no Chromium (apt-get install chromium, or set CHROMIUM_PATH)');
    for (const p of peers) if (BROWSER_PEERS.includes(p)) skip.add(p);
  }
  if (peers.includes('torch')) {
    const why = torchAvailable();
    if (why) {
      notes.push(why);
      skip.add('torch');
    }
  }
  for (const n of notes) log(n);
  const active = peers.filter((p) => !skip.has(p));

  const started = new Date();
  const logs: RunLog[] = [];
  for (let run = 1; run <= repeats; run++)
    for (const w of workloads)
      for (const peer of active) {
        const c = commandFor(peer, w, distBench, peersDir, {
          tfjsCpuW5: !!args['tfjs-cpu-w5'],
          browserEpochs: typeof args['browser-epochs'] === 'string' ? Math.max(1, Math.floor(Number(args['browser-epochs']))) : null,
          timeoutS,
        });
        if (!c) continue;
        const loadBefore = loadavg()[0];
        log(`run ${run}/${repeats} ${w} ${peer} (load ${loadBefore.toFixed(2)})`);
        const r = runOne(c, timeoutS);
        if (r.error) log(`  ${peer} ${w} failed: ${r.error}`);
        for (const rec of r.records) if (peer.startsWith('d2l-ts')) rec.peer = peer;
        logs.push({
          peer,
          workload: w,
          run,
          status: r.status,
          wall_s: +r.wallS.toFixed(2),
          load_before: +loadBefore.toFixed(2),
          records: r.records,
          ...(r.error && { error: r.error }),
        });
      }

  const machine = machineLine();
  const text = report(logs, active, repeats, started, machine, notes);
  const rows = buildRows(logs);
  const targets = checkTargets(rows);
  console.log('\n' + text);
  mkdirSync(dirname(outFile), { recursive: true });
  writeFileSync(
    outFile,
    JSON.stringify(
      {
        date: started.toISOString(),
        machine,
        node: process.version,
        repeats,
        workloads,
        peers: active,
        skipped: [...skip],
        notes,
        peers_dir: needPeersDir ? peersDir : null,
        medians: rows.map((r) => ({
          key: r.key,
          label: r.label,
          unit: r.unit,
          values: Object.fromEntries([...r.values].map(([p, v]) => [p, { median: median(v), runs: v }])),
        })),
        targets,
        runs: logs,
        markdown: text,
      },
      null,
      1,
    ) + '\n',
  );
  log(`wrote ${outFile}`);
  return logs.some((l) => l.error) ? 1 : 0;
}

/** The markdown report: machine line, table with ratios, targets, notes. */
function report(logs: RunLog[], active: string[], repeats: number, started: Date, machine: string, notes: string[]): string {
  const rows = buildRows(logs);
  const table = renderTable(rows, active);
  const targets = checkTargets(rows);
  const loads = logs.map((l) => l.load_before);
  const date = started.toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
  const loadNote = loads.length
    ? `load average (1 min) before each process: ${fmt(Math.min(...loads))}-${fmt(Math.max(...loads))} on ${cpus().length} CPUs`
    : '';
  if (loads.length && Math.max(...loads) > cpus().length * 0.75)
    notes.push(
      `WARNING: other processes were running (load average up to ${fmt(Math.max(...loads))} on ${cpus().length} CPUs): every timing, and torch's above all (its OpenMP threads spin and wait for descheduled threads), is depressed and the ratios are not valid; re-run on an idle machine`,
    );
  const text = [
    `Date ${date} · ${machine}`,
    `Medians of ${repeats} processes per (peer, workload); **bold** = ratio to torch's median (timings: lower is better; GFLOP/s: higher). (±x%) = half the spread when over 10%. ${loadNote}`,
    '',
    table,
    '',
    '| target (issues 6, 13, 19) | measured | met |',
    '|---|---:|:---:|',
    ...targets.map((t) => `| ${t.target} | ${t.value} | ${t.met === null ? 'n/a' : t.met ? 'yes' : 'no'} |`),
    ...(notes.length ? ['', ...notes.map((n) => `- ${n}`)] : []),
  ].join('\n');
  return text;
}

function usage(msg: string): number {
  console.error(
    `bench:compare: ${msg}\nusage: npm run bench:compare -- [${WORKLOADS.join(' ')}] [--peers=${ALL_PEERS.join(',')}] [--repeats=3] [--out=out/bench-compare.json] [--peers-dir=DIR] [--no-install] [--timeout-s=1800] [--browser-epochs=N]`,
  );
  return 2;
}

process.exitCode = main();
