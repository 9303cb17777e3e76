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
// Matched against the path under dist/test, not the checkout's own path (a worktree named *-browser matched "browser/").
if (only.length) files = files.filter((f) => only.some((o) => f.slice(testDir.length).includes(o)));
if (files.length === 0) {
  console.error('run-tests: no test files found under dist/test (did the build run?)');
  process.exit(1);
}
// The tests of the book's loops run in a process of their own without --expose-gc: they show the
// heap stays flat with no help from an explicit collection (their files assert gc is absent).
const NO_GC = ['book-loops-memory.test.js', 'notebook-memory.test.js', 'mlp-memory.test.js'];
const groups = [
  { flags: ['--expose-gc'], files: files.filter((f) => !NO_GC.some((n) => f.endsWith(n))) },
  { flags: [], files: files.filter((f) => NO_GC.some((n) => f.endsWith(n))) },
].filter((g) => g.files.length > 0);

const dir = mkdtempSync(join(tmpdir(), 'd2l-tests-'));
const totals = { tests: 0, pass: 0, fail: 0, skipped: 0 };
let status = 0;
groups.forEach((g, i) => {
  const tap = join(dir, `report-${i}.tap`);
  const r = spawnSync(
    process.execPath,
    [
      ...g.flags,
      '--test',
      '--test-concurrency=1',
      '--test-reporter=spec',
      '--test-reporter-destination=stdout',
      '--test-reporter=tap',
      `--test-reporter-destination=${tap}`,
      ...g.files,
    ],
    { stdio: 'inherit', env: process.env },
  );
  const report = readFileSync(tap, 'utf8');
  const count = (k) => Number((report.match(new RegExp(`^# ${k} (\\d+)`, 'm')) ?? [])[1] ?? 0);
  for (const k of Object.keys(totals)) totals[k] += count(k);
  if (r.status !== 0) status = r.status ?? 1;
});
console.log(`\n${totals.pass} passed, ${totals.fail} failed, ${totals.skipped} skipped`);
if (totals.tests === 0) {
  console.error('run-tests: zero tests ran; failing');
  process.exit(1);
}
process.exit(status);
