#!/usr/bin/env node
// Runs the compiled tests with Node's built-in runner. Node 20's `node --test` has no globs and
// ignores .ts files, so the test files are listed here from dist/test. A run that executes zero
// tests fails. TEST_TIER=fast skips the full-data tier (test/full).
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';

const root = new URL('..', import.meta.url).pathname;
const testDir = join(root, 'dist', 'test');
const tier = process.env.TEST_TIER ?? 'all';
const only = process.argv.slice(2);

function walk(dir) {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.test.js') ? [p] : [];
  });
}

let files = walk(testDir).sort();
if (tier === 'fast') files = files.filter((f) => !f.includes(`${join('test', 'full')}`));
if (only.length) files = files.filter((f) => only.some((o) => f.includes(o)));
if (files.length === 0) {
  console.error('run-tests: no test files found under dist/test (did the build run?)');
  process.exit(1);
}
const tap = join(mkdtempSync(join(tmpdir(), 'd2l-tests-')), 'report.tap');
const r = spawnSync(
  process.execPath,
  [
    '--expose-gc',
    '--test',
    '--test-concurrency=1',
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    '--test-reporter=tap',
    `--test-reporter-destination=${tap}`,
    ...files,
  ],
  { stdio: 'inherit', env: process.env },
);
const report = readFileSync(tap, 'utf8');
const count = (k) => Number((report.match(new RegExp(`^# ${k} (\\d+)`, 'm')) ?? [])[1] ?? 0);
const [tests, pass, fail, skipped] = [count('tests'), count('pass'), count('fail'), count('skipped')];
console.log(`\n${pass} passed, ${fail} failed, ${skipped} skipped`);
if (tests === 0) {
  console.error('run-tests: zero tests ran; failing');
  process.exit(1);
}
process.exit(r.status ?? 1);
