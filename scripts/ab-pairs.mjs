#!/usr/bin/env node
// A/B pairs of whole benchmark processes: runs one workload from two builds (two checkouts, each
// built with `npm run build`) alternately, one process each, and prints every pair's ratio B/A and
// their median. The machine drifts 15-20% an hour, so only ratios of neighbouring runs count.
//
//   node scripts/ab-pairs.mjs --a=../before --b=. --workload=w4-mlp --pairs=7 [--peer=d2l-ts]
//   node scripts/ab-pairs.mjs --a=. --b=. --env-b=D2L_CPU_HOT_SPLIT=0 --workload=w3-softmax-regression
//   node scripts/ab-pairs.mjs --a=. --b=. --args-b=--memory=none --workload=w4-mlp   # space-separated
//
// Each pair starts with A or B in turn (A B, B A, A B, ...), so neither side always runs first.
// Output: one line per pair, then `median B/A` and a JSON line (AB {...}) for docs/PERF.md.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

const args = Object.fromEntries(
  process.argv.slice(2).map((a) => {
    const m = /^--([^=]+)=(.*)$/.exec(a);
    if (!m) {
      console.error(`ab-pairs: arguments are --key=value (got '${a}')`);
      process.exit(2);
    }
    return [m[1], m[2]];
  }),
);
const dirA = resolve(args.a ?? '.');
const dirB = resolve(args.b ?? '.');
const workload = args.workload;
const pairs = Number(args.pairs ?? 7);
const peer = args.peer ?? 'd2l-ts';
const kernels = { 'd2l-ts': 'auto', 'd2l-ts-portable': 'wasm', 'd2l-ts-reference': 'ts' }[peer];
if (!workload || !Number.isInteger(pairs) || pairs < 1 || !kernels) {
  console.error(
    'ab-pairs: usage: --a=DIR --b=DIR --workload=w4-mlp [--pairs=7] [--peer=d2l-ts|d2l-ts-portable] [--env-a=K=V,...] [--env-b=K=V,...] [--args-a="--k=v ..."] [--args-b=...]',
  );
  process.exit(2);
}
const argsOf = (s) => (s ? s.split(' ').filter(Boolean) : []);
const envOf = (s) => Object.fromEntries((s ? s.split(',') : []).map((kv) => kv.split('=')));
const sides = [
  { name: 'A', file: join(dirA, 'dist', 'bench', `${workload}.js`), env: envOf(args['env-a']), args: argsOf(args['args-a']) },
  { name: 'B', file: join(dirB, 'dist', 'bench', `${workload}.js`), env: envOf(args['env-b']), args: argsOf(args['args-b']) },
];
for (const s of sides)
  if (!existsSync(s.file)) {
    console.error(`ab-pairs: ${s.file} is missing (build that checkout first)`);
    process.exit(2);
  }

/** One process: the workload's RESULT value (its headline metric). */
function runOnce(side) {
  const r = spawnSync(process.execPath, [side.file, `--peer=${peer}`, ...side.args], {
    env: { ...process.env, D2L_CPU_KERNELS: kernels, ...side.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  const line = (r.stdout ?? '').split('\n').find((l) => l.startsWith('RESULT '));
  if (r.status !== 0 || !line) {
    console.error(`ab-pairs: ${side.name} (${side.file}) failed with ${r.status ?? r.signal}\n${r.stderr}`);
    process.exit(1);
  }
  return JSON.parse(line.slice(7));
}

const median = (v) => {
  const s = [...v].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

const rows = [];
let unit = '';
for (let p = 0; p < pairs; p++) {
  const order = p % 2 === 0 ? [0, 1] : [1, 0];
  const v = [0, 0];
  for (const i of order) {
    const res = runOnce(sides[i]);
    v[i] = res.value;
    unit = res.unit;
  }
  rows.push({ a: v[0], b: v[1], ratio: v[1] / v[0] });
  console.log(`pair ${p + 1}: A ${v[0]} ${unit}, B ${v[1]} ${unit}, B/A ${(v[1] / v[0]).toFixed(3)}`);
}
const med = median(rows.map((r) => r.ratio));
console.log(
  `median B/A over ${pairs} pairs: ${med.toFixed(3)} (A median ${median(rows.map((r) => r.a))}, B median ${median(rows.map((r) => r.b))} ${unit})`,
);
console.log(`AB ${JSON.stringify({ workload, peer, unit, pairs: rows, medianRatio: med })}`);
