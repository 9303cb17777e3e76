#!/usr/bin/env node
// Builds the optional MPI addon (native/d2l_mpi.c, an N-API module over Open MPI) into
// build/Release/d2l_mpi.node, for kv.create('dist_sync'). It runs in the package's "install"
// script after the BLAS addon (npm install / npm ci) and by hand as `npm run build:mpi`.
//
// The addon is never required: when mpicc, Open MPI's library or Node's headers are missing, or
// the build fails, this prints one line saying why and exits 0, and everything but the
// distributed store works as before. It compiles with mpicc directly (the MPI wrapper compiler
// knows the include and library paths of the installed MPI); N-API symbols resolve against the
// running node at load time, so nothing links against Node. Nothing is downloaded.
//
// Options: D2L_MPI=0 skips the build; MPICC=<path> picks the wrapper compiler; --strict (or
// D2L_MPI_STRICT=1) exits 1 when the addon is not built, as `npm run build:mpi` does (CI);
// --verbose (or D2L_MPI_VERBOSE=1) prints the compiler's output.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { homedir } from 'node:os';
import { findNodeInclude, onPath, reporter } from './native-common.mjs';

const root = new URL('..', import.meta.url).pathname;
const source = join(root, 'native', 'd2l_mpi.c');
const outDir = join(root, 'build', 'Release');
const outFile = join(outDir, 'd2l_mpi.node');
const strict = process.env.D2L_MPI_STRICT === '1' || process.argv.includes('--strict');
const verbose = process.env.D2L_MPI_VERBOSE === '1' || process.argv.includes('--verbose');

const done = reporter('mpi', strict);

function main() {
  if (process.env.D2L_MPI === '0') done(true, 'skipped (D2L_MPI=0)');
  if (!existsSync(source)) done(true, 'skipped (native/ is not in this package)');
  // A stale addon from an earlier build must not outlive a build that no longer succeeds.
  rmSync(outFile, { force: true });
  if (process.platform === 'win32') done(false, 'skipped (the MPI addon is built on Linux and macOS only)');
  const mpicc = process.env.MPICC || onPath('mpicc');
  if (!mpicc || !existsSync(mpicc))
    done(false, 'skipped (no mpicc: install Open MPI, e.g. apt-get install openmpi-bin libopenmpi-dev, for dist_sync)');
  const nodeInclude = findNodeInclude();
  if (!nodeInclude)
    done(false, `skipped (no Node ${process.versions.node} headers (node_api.h) next to node, and this build never downloads them)`);
  mkdirSync(outDir, { recursive: true });
  const tmp = `${outFile}.tmp-${process.pid}`;
  const args = [
    '-O2',
    '-std=gnu11',
    '-Wall',
    '-Wextra',
    '-Wno-unused-parameter',
    '-fPIC',
    '-shared',
    `-I${nodeInclude}`,
    '-DNODE_GYP_MODULE_NAME=d2l_mpi',
    ...(process.platform === 'darwin' ? ['-undefined', 'dynamic_lookup'] : []),
    source,
    '-o',
    tmp,
    '-ldl',
  ];
  const r = spawnSync(mpicc, args, { encoding: 'utf8' });
  const log = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  if (verbose) process.stdout.write(log);
  if (r.status !== 0 || !existsSync(tmp)) {
    rmSync(tmp, { force: true });
    const line = log.split('\n').find((l) => /error|cannot find|undefined/.test(l)) ?? (r.error?.message || 'unknown error');
    done(false, `skipped (the build failed: ${line.trim().slice(0, 240)}; npm run build:mpi -- --verbose shows the log)`);
  }
  renameSync(tmp, outFile);
  // Load it once in a child process: a missing run-time library shows here, not at first use.
  // (Loading does not start MPI; init() does, so this works outside mpirun.)
  const check = spawnSync(
    process.execPath,
    ['-e', `const a=require(${JSON.stringify(outFile)});if(typeof a.allreduce!=='function')process.exit(2)`],
    {
      encoding: 'utf8',
    },
  );
  if (check.status !== 0) {
    rmSync(outFile, { force: true });
    done(false, `skipped (built, but it does not load: ${`${check.stderr}`.trim().split('\n')[0].slice(0, 240)})`);
  }
  done(
    true,
    `built build/Release/d2l_mpi.node (${spawnSync(mpicc, ['--showme:version'], { encoding: 'utf8' }).stdout?.trim() || 'mpicc'})`,
  );
}

try {
  main();
} catch (e) {
  // Whatever goes wrong here must not fail the install.
  done(false, `skipped (unexpected error: ${(e && e.message) || e})`);
}
