#!/usr/bin/env node
// Wall time per CPU-backend method (matmul by shape and layout, elementwise by op and shape) for a
// whole program, printed at exit: where a training step's time goes, kernel by kernel, inside the
// loop (not in isolation, where caches are warm). Build first (npm run build).
//
//   node scripts/profile-ops.mjs dist/bench/w4-mlp.js --epochs=3
//   D2L_CPU_KERNELS=wasm node scripts/profile-ops.mjs dist/bench/w3-softmax-regression.js
import { performance } from 'node:perf_hooks';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const { CpuBackend } = await import(new URL('../dist/src/backend/cpu/cpu-backend.js', import.meta.url).href);
const P = CpuBackend.prototype;
const SKIP = new Set([
  'constructor',
  'kernelInfo',
  'fastKernels',
  'supportsDType',
  'memory',
  'setKernels',
  'setThreads',
  'startThreads',
  'shutdownThreads',
]);
const stats = new Map();
const layout = (v) => (v.strides.at(-1) !== 1 ? 'ᵀ' : '');
const keyOf = (name, a) => {
  if (name === 'matmul' || name === 'matmulAdd')
    return `${name} ${a[0].shape.join('x')}${layout(a[0])}·${a[1].shape.join('x')}${layout(a[1])}`;
  if (['unary', 'binary', 'binaryScalar', 'reduce'].includes(name)) return `${name} ${a[0]} ${a[1]?.shape ? a[1].shape.join('x') : ''}`;
  if (name === 'copy') return `copy ${a[0].shape.join('x')} ${a[0].dtype}->${a[1].dtype}`;
  return name;
};
for (const name of Object.getOwnPropertyNames(P)) {
  if (SKIP.has(name) || typeof P[name] !== 'function') continue;
  const f = P[name];
  P[name] = function (...a) {
    const t = performance.now();
    try {
      return f.apply(this, a);
    } finally {
      const k = keyOf(name, a);
      const s = stats.get(k) ?? [0, 0];
      s[0] += performance.now() - t;
      s[1]++;
      stats.set(k, s);
    }
  };
}
// The convolution's own kernels (conv-gemm.ts calls them inside conv2d / conv2dGrad, whose
// lines above include them): listed as `wasm convColumns im2col C=6 images=218` and so on.
const { WasmKernels } = await import(new URL('../dist/src/backend/cpu/wasm/fast.js', import.meta.url).href);
const W = WasmKernels.prototype;
const wasmKey = (name, a) =>
  name === 'convColumns'
    ? `wasm convColumns ${a[0] ? 'im2col' : 'col2im'} C=${a[1][0]} images=${a[4]}`
    : name === 'convDirect' || name === 'convDirectDw'
      ? `wasm ${name} C=${a[0][0]} ${a[0][3]}x${a[0][4]} OC=${a[0][5]}`
      : `wasm ${name}`;
for (const name of ['convColumns', 'convDirect', 'convDirectDw', 'pooling', 'unaryGrad']) {
  const f = W[name];
  W[name] = function (...a) {
    const t = performance.now();
    try {
      return f.apply(this, a);
    } finally {
      const k = wasmKey(name, a);
      const s = stats.get(k) ?? [0, 0];
      s[0] += performance.now() - t;
      s[1]++;
      stats.set(k, s);
    }
  };
}
const t0 = performance.now();
process.on('exit', () => {
  let sum = 0;
  for (const [k, [t]] of stats) if (!k.startsWith('wasm ')) sum += t;
  for (const [k, [t, n]] of [...stats].sort((a, b) => b[1][0] - a[1][0]).slice(0, 40))
    console.error(`${t.toFixed(1).padStart(9)} ms ${String(n).padStart(7)} calls ${((1000 * t) / n).toFixed(1).padStart(9)} us/call  ${k}`);
  console.error(`backend total ${sum.toFixed(0)} ms of ${(performance.now() - t0).toFixed(0)} ms`);
});
const script = resolve(process.argv[2] ?? '');
process.argv.splice(1, 1);
process.argv[1] = script;
await import(pathToFileURL(script).href);
