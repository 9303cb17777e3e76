#!/usr/bin/env node
// Builds the optional BLAS addon (native/d2l_blas.c, an N-API module over the system OpenBLAS)
// into build/Release/d2l_blas.node. It runs as the package's "install" script (npm install /
// npm ci) and by hand as `npm run build:blas`.
//
// The addon is never required: when a C compiler, Python (for node-gyp), node-gyp, Node's
// headers or OpenBLAS are missing, or the build fails, this prints one line saying why and exits
// 0, and d2l-ts runs GEMM on its Wasm kernels. It never downloads anything: node-gyp gets an
// explicit --nodedir with the installed headers, and is npm's own bundled copy (never npx).
//
// Options: D2L_BLAS=0 skips the build; D2L_OPENBLAS_LIBDIR=<dir> links and runs against the
// libopenblas in <dir>; --strict (or D2L_BLAS_STRICT=1) exits 1 when the addon is not built, as
// `npm run build:blas` does; --verbose (or D2L_BLAS_VERBOSE=1) prints node-gyp's log.
// By default the addon is bound (run path) to Debian's OpenMP build of OpenBLAS when that is
// installed, as it sleeps after each GEMM instead of spinning (docs/PERF-blas.md).
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { homedir } from 'node:os';
import { createRequire } from 'node:module';
import { libDirs, onPath, reporter } from './native-common.mjs';

const root = new URL('..', import.meta.url).pathname;
const nativeDir = join(root, 'native');
const outDir = join(root, 'build', 'Release');
const outFile = join(outDir, 'd2l_blas.node');
const strict = process.env.D2L_BLAS_STRICT === '1' || process.argv.includes('--strict');
const verbose = process.env.D2L_BLAS_VERBOSE === '1' || process.argv.includes('--verbose');

const done = reporter('blas', strict);

/** The library dirs to look in (Debian/Ubuntu's multiarch ones first), with Homebrew's OpenBLAS. */
const blasLibDirs = () => libDirs('gcc', ['/opt/homebrew/opt/openblas/lib', '/usr/local/opt/openblas/lib']);

/**
 * The link-time library (libopenblas.so from libopenblas-dev) and the directory to bind the addon
 * to at run time: D2L_OPENBLAS_LIBDIR, else Debian's openblas-openmp/ when installed, else none
 * (the loader's default libopenblas.so.0).
 */
function findOpenBlas() {
  const env = process.env.D2L_OPENBLAS_LIBDIR;
  if (env) {
    const ok =
      existsSync(join(env, 'libopenblas.so.0')) || existsSync(join(env, 'libopenblas.so')) || existsSync(join(env, 'libopenblas.dylib'));
    return ok ? { linkDir: env, runDir: env } : { error: `D2L_OPENBLAS_LIBDIR=${env} holds no libopenblas` };
  }
  for (const d of blasLibDirs()) {
    if (!existsSync(join(d, 'libopenblas.so')) && !existsSync(join(d, 'libopenblas.dylib'))) continue;
    const omp = join(d, 'openblas-openmp');
    return { linkDir: d, runDir: existsSync(join(omp, 'libopenblas.so.0')) ? omp : '' };
  }
  return { error: 'OpenBLAS is not installed (no libopenblas.so; on Debian/Ubuntu: apt-get install libopenblas-dev)' };
}

/** Node's headers, so node-gyp never downloads them. */
function findNodeDir() {
  const cands = [];
  if (process.env.npm_config_nodedir) cands.push(process.env.npm_config_nodedir);
  cands.push(dirname(dirname(process.execPath)));
  const cache = process.env.npm_config_devdir || join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'node-gyp');
  cands.push(join(cache, process.versions.node));
  for (const c of cands)
    if (existsSync(join(c, 'include', 'node', 'node_api.h')) && existsSync(join(c, 'include', 'node', 'common.gypi'))) return c;
  return null;
}

/** npm's bundled node-gyp (what npm itself would run), without npx. */
function findNodeGyp() {
  const cands = [];
  if (process.env.npm_config_node_gyp) cands.push(process.env.npm_config_node_gyp);
  if (process.env.npm_execpath) cands.push(join(dirname(process.env.npm_execpath), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  cands.push(join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  try {
    cands.push(createRequire(import.meta.url).resolve('node-gyp/bin/node-gyp.js'));
  } catch {
    // not a dependency of this package: fine
  }
  for (const c of cands) if (c && existsSync(c)) return { cmd: process.execPath, pre: [c] };
  const bin = onPath('node-gyp');
  return bin ? { cmd: bin, pre: [] } : null;
}

function run(cmd, args, cwd) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8' });
  const log = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  if (verbose) process.stdout.write(log);
  return { ok: r.status === 0, log, error: r.error };
}

/** The last meaningful error line of a failed build, for the one-line message. */
function lastError(log) {
  const lines = log
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  // A compiler or linker diagnostic first (file:line: error: ..., cannot find -lopenblas), then any gyp error.
  const tool = lines.find((l) => /: (fatal )?error:|cannot find -l|undefined reference|Error: /.test(l));
  const err = lines.filter(
    (l) => /error|fatal|not found/i.test(l) && !/^gyp (info|ERR! (stack|System|command|cwd|node|node-gyp|not ok))/.test(l),
  );
  return (tool ?? err[err.length - 1] ?? lines[lines.length - 1] ?? 'unknown error').slice(0, 240);
}

function main() {
  if (process.env.D2L_BLAS === '0') done(true, 'skipped (D2L_BLAS=0)');
  if (!existsSync(join(nativeDir, 'binding.gyp'))) done(true, 'skipped (native/ is not in this package)');
  // A stale addon from an earlier build must not outlive a build that no longer succeeds.
  rmSync(outFile, { force: true });
  if (process.platform === 'win32') done(false, 'skipped (the OpenBLAS addon is built on Linux and macOS only)');
  const cc = process.env.CC ? process.env.CC.split(' ')[0] : ['cc', 'gcc', 'clang'].find((c) => onPath(c));
  if (!cc || (process.env.CC && !onPath(cc) && !existsSync(cc)))
    done(false, 'skipped (no C compiler: install build-essential to get the native GEMM path)');
  if (!onPath('make')) done(false, 'skipped (no make: install build-essential to get the native GEMM path)');
  if (!['python3', 'python'].some((p) => onPath(p)) && !process.env.PYTHON && !process.env.npm_config_python)
    done(false, 'skipped (node-gyp needs Python 3, which is not installed)');
  const blas = findOpenBlas();
  if (blas.error) done(false, `skipped (${blas.error})`);
  const nodeDir = findNodeDir();
  if (!nodeDir)
    done(
      false,
      `skipped (no Node ${process.versions.node} headers next to node or in the node-gyp cache, and this build never downloads them)`,
    );
  const gyp = findNodeGyp();
  if (!gyp) done(false, 'skipped (node-gyp not found: it ships with npm)');

  const gypArgs = [`--nodedir=${nodeDir}`];
  const defs = [`-Dopenblas_linkdir=${blas.linkDir}`, `-Dopenblas_rundir=${blas.runDir}`];
  rmSync(join(nativeDir, 'build'), { recursive: true, force: true });
  let r = run(gyp.cmd, [...gyp.pre, 'configure', ...gypArgs, '--', ...defs], nativeDir);
  if (r.ok) r = run(gyp.cmd, [...gyp.pre, 'build', ...gypArgs], nativeDir);
  if (!r.ok)
    done(
      false,
      `skipped (the build failed: ${r.error ? r.error.message : lastError(r.log)}; npm run build:blas -- --verbose shows the log)`,
    );
  const built = join(nativeDir, 'build', 'Release', 'd2l_blas.node');
  if (!existsSync(built)) done(false, 'skipped (node-gyp reported success but produced no d2l_blas.node)');
  mkdirSync(outDir, { recursive: true });
  copyFileSync(built, outFile);

  // Load it once in a child process: a missing run-time library shows here, not at first use.
  const check = spawnSync(
    process.execPath,
    ['-e', `const a=require(${JSON.stringify(outFile)});const i=a.info();console.log(i.parallel+' '+i.corename+' '+i.library)`],
    { encoding: 'utf8' },
  );
  if (check.status !== 0) {
    rmSync(outFile, { force: true });
    done(false, `skipped (built, but it does not load: ${lastError(`${check.stdout}${check.stderr}`)})`);
  }
  done(true, `built build/Release/d2l_blas.node (OpenBLAS ${check.stdout.trim()})`);
}

try {
  main();
} catch (e) {
  // Whatever goes wrong here must not fail the install.
  done(false, `skipped (unexpected error: ${(e && e.message) || e})`);
}
