// d2l-ts installed as a dependency, as a user's project gets it: `npm pack`, then a fresh project
// installs the tarball entirely offline from the npm cache `npm ci` filled, through a lock file
// derived from ours. With npm's default settings (npm 11.19 runs a dependency's install script
// and warns that it is not approved) the addon is built at install and GEMM runs on OpenBLAS at
// once. When the script does not run (`npm install-scripts deny d2l-ts`, `--ignore-scripts`; and
// npm's announced default), the package computes on its portable kernels, says once which
// command enables the native path, and after that one command (`npx d2l-ts build-native`) runs
// GEMM on OpenBLAS.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireResource } from '../helpers.js';
import { blasAvailable } from '../../src/backend/cpu/blas/index.js';

const root = new URL('../../..', import.meta.url).pathname;

interface LockEntry {
  dev?: boolean;
  [k: string]: unknown;
}

/** A lock file for `app` depending on the packed tarball: our lock's non-dev entries, offline-installable. */
function appLock(tgz: string, tgzName: string): object {
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
  const self = lock.packages[''] as LockEntry & {
    version: string;
    dependencies?: Record<string, string>;
    engines?: unknown;
    bin?: unknown;
  };
  const integrity = 'sha512-' + createHash('sha512').update(readFileSync(tgz)).digest('base64');
  const packages: Record<string, unknown> = {
    '': { name: 'app', dependencies: { 'd2l-ts': `file:${tgzName}` } },
    'node_modules/d2l-ts': {
      version: self.version,
      resolved: `file:${tgzName}`,
      integrity,
      hasInstallScript: true,
      dependencies: self.dependencies ?? {},
      ...(self.engines ? { engines: self.engines } : {}),
      ...(self.bin ? { bin: self.bin } : {}),
    },
  };
  for (const [k, v] of Object.entries(lock.packages)) if (k !== '' && !v.dev) packages[k] = v;
  return { name: 'app', lockfileVersion: 3, requires: true, packages };
}

const APP = `import { nd, ready } from 'd2l-ts';
await ready();
const y = nd.dot(nd.ones([300, 300]), nd.ones([300, 300]));
console.log(JSON.stringify({ gemm: nd.cpu().backend.kernelInfo().gemm, value: y.get([0, 0]).asScalar() }));
`;

test(
  'npm pack, installed offline into a fresh project with default npm settings: works, then build-native turns OpenBLAS on',
  { timeout: 300_000 },
  (t) => {
    if (!requireResource(t, blasAvailable(), 'the OpenBLAS addon in this checkout (a C compiler and libopenblas-dev)')) return;
    const dir = mkdtempSync(join(tmpdir(), 'd2l-install-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const run = (cmd: string, args: string[], cwd: string, timeout = 120_000) => {
      // The project's own settings stay out of the user's project (no CI=true, no D2L_* overrides).
      const env = { ...process.env };
      for (const k of Object.keys(env)) if (k.startsWith('D2L_') || k.startsWith('npm_')) delete env[k];
      const r = spawnSync(cmd, args, { cwd, env, encoding: 'utf8', timeout });
      return { status: r.status, out: r.stdout ?? '', err: r.stderr ?? '' };
    };

    const pack = run('npm', ['pack', '--ignore-scripts', '--pack-destination', dir, '--json'], root);
    assert.equal(pack.status, 0, pack.err);
    const [info] = JSON.parse(pack.out) as { filename: string; files: { path: string }[] }[];
    const paths = info.files.map((f) => f.path);
    assert.ok(paths.includes('dist/src/index.js') && paths.includes('dist/cli/main.js') && paths.includes('native/d2l_blas.c'));
    assert.deepEqual(
      paths.filter((p) => /^(build|test|dist\/test|bench|dist\/bench|site|docs)\//.test(p)),
      [],
      'no tests, benchmarks, docs or prebuilt binaries of this machine in the package',
    );

    const app = join(dir, 'app');
    mkdirSync(app);
    writeFileSync(
      join(app, 'package.json'),
      JSON.stringify({ name: 'app', private: true, type: 'module', dependencies: { 'd2l-ts': `file:../${info.filename}` } }),
    );
    writeFileSync(join(app, 'package-lock.json'), JSON.stringify(appLock(join(dir, info.filename), `../${info.filename}`)));
    writeFileSync(join(app, 'app.mjs'), APP);
    const install = (extra: string[]) => {
      rmSync(join(app, 'node_modules'), { recursive: true, force: true });
      const r = run('npm', ['ci', '--offline', '--no-audit', '--no-fund', ...extra], app, 180_000);
      return { ...r, cached: !/ENOTCACHED/.test(r.err) };
    };

    // npm's default settings: the install script runs (with npm 11's warning), the addon is built.
    const byDefault = install([]);
    if (!requireResource(t, byDefault.cached, "the npm cache holding d2l-ts's dependencies (run npm ci in the checkout first)")) return;
    assert.equal(byDefault.status, 0, byDefault.err);
    const first = run(process.execPath, ['app.mjs'], app);
    assert.equal(first.status, 0, first.err);
    assert.deepEqual(JSON.parse(first.out.trim()), { gemm: 'blas', value: 300 });
    assert.doesNotMatch(first.err, /build-native/);

    // The install script not run: portable kernels, one note naming the command, then that command.
    const denied = install(['--ignore-scripts']);
    assert.equal(denied.status, 0, denied.err);
    assert.ok(!existsSync(join(app, 'node_modules', 'd2l-ts', 'build')), 'npm ran no install script, so no addon was built');
    const before = run(process.execPath, ['app.mjs'], app);
    assert.equal(before.status, 0, before.err);
    assert.deepEqual(JSON.parse(before.out.trim()), { gemm: 'wasm', value: 300 });
    assert.match(before.err, /native OpenBLAS path is off[\s\S]*npx d2l-ts build-native/);
    assert.equal(before.err.match(/native OpenBLAS path is off/g)?.length, 1, 'said once');

    const build = run('npx', ['--no-install', 'd2l-ts', 'build-native'], app, 180_000);
    assert.equal(build.status, 0, build.out + build.err);
    assert.match(build.out, /d2l-ts blas: built /);

    const after = run(process.execPath, ['app.mjs'], app);
    assert.equal(after.status, 0, after.err);
    assert.deepEqual(JSON.parse(after.out.trim()), { gemm: 'blas', value: 300 });
    assert.doesNotMatch(after.err, /build-native/);
  },
);
