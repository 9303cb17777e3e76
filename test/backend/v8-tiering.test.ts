// The CPU backend lowers V8's interrupt budget in Node (src/backend/cpu/v8-tiering.ts), and
// D2L_V8_TIERING=0 leaves V8's flags alone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { INTERRUPT_BUDGET, tuneV8Tiering } from '../../src/backend/cpu/v8-tiering.js';
import { getCpuBackend } from '../../src/backend/registry.js';

const module = fileURLToPath(new URL('../../src/backend/cpu/v8-tiering.js', import.meta.url));
const context = fileURLToPath(new URL('../../src/backend/registry.js', import.meta.url));

test('the CPU backend sets the interrupt budget once in Node', () => {
  getCpuBackend();
  assert.equal(tuneV8Tiering(), process.env.D2L_V8_TIERING !== '0');
  assert.ok(INTERRUPT_BUDGET > 0 && INTERRUPT_BUDGET < 67584, 'lower than V8 default');
});

test('D2L_V8_TIERING=0 leaves V8 alone; D2L_V8_INTERRUPT_BUDGET picks the budget', () => {
  const probe = `const { getCpuBackend } = await import(${JSON.stringify(context)}); getCpuBackend(); const m = await import(${JSON.stringify(module)}); console.log(m.tuneV8Tiering());`;
  const run = (env: Record<string, string>) =>
    spawnSync(process.execPath, ['--input-type=module', '-e', probe], { env: { ...process.env, ...env }, encoding: 'utf8' });
  const off = run({ D2L_V8_TIERING: '0' });
  assert.equal(off.status, 0, off.stderr);
  assert.equal(off.stdout.trim(), 'false');
  const on = run({ D2L_V8_TIERING: '1', D2L_V8_INTERRUPT_BUDGET: '20000' });
  assert.equal(on.status, 0, on.stderr);
  assert.equal(on.stdout.trim(), 'true');
  const bad = run({ D2L_V8_TIERING: '1', D2L_V8_INTERRUPT_BUDGET: '-5' });
  assert.equal(bad.stdout.trim(), 'false', 'a budget that is not a positive number is not set');
});
