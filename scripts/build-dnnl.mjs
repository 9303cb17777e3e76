#!/usr/bin/env node
// Builds the optional oneDNN addon (native/d2l_dnnl.c, an N-API module over the system oneDNN,
// libdnnl) into build/Release/d2l_dnnl.node, for float32 convolutions on the CPU. It runs in the
// package's "install" script after the BLAS addon (npm install / npm ci) and by hand as
// `npm run build:dnnl`.
//
// The addon is never required: when a C compiler, oneDNN's header and library or Node's headers
// are missing, or the build fails, this prints one line saying why and exits 0, and convolutions
// run on the im2col + GEMM and Wasm paths as before. It compiles with cc directly (N-API symbols
// resolve against the running node at load time, so nothing links against Node). Nothing is
// downloaded.
//
// Options: D2L_DNNL=0 skips the build; D2L_DNNL_ROOT=<prefix> takes oneDNN from <prefix>/include
// and <prefix>/lib (bound as the addon's run path); CC=<compiler>; --strict (or
// D2L_DNNL_STRICT=1) exits 1 when the addon is not built, as `npm run build:dnnl` does (CI);
// --verbose (or D2L_DNNL_VERBOSE=1) prints the compiler's output.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { homedir } from 'node:os';
import { findNodeInclude, libDirs, onPath, reporter } from './native-common.mjs';

const root = new URL('..', import.meta.url).pathname;
const source = join(root, 'native', 'd2l_dnnl.c');
const outDir = join(root, 'build', 'Release');
const outFile = join(outDir, 'd2l_dnnl.node');
const strict = process.env.D2L_DNNL_STRICT === '1' || process.argv.includes('--strict');
const verbose = process.env.D2L_DNNL_VERBOSE === '1' || process.argv.includes('--verbose');

const done = reporter('dnnl', strict);

/** oneDNN's include dir (holding oneapi/dnnl/dnnl.h) and library dir (holding libdnnl.so). */
function findDnnl(cc) {
  const prefix = process.env.D2L_DNNL_ROOT;
  const incs = prefix ? [join(prefix, 'include')] : ['/usr/include', '/usr/local/include', '/opt/homebrew/include'];
  const libs = prefix ? [join(prefix, 'lib'), join(prefix, 'lib64')] : libDirs(cc, ['/opt/homebrew/lib']);
  const inc = incs.find((d) => existsSync(join(d, 'oneapi', 'dnnl', 'dnnl.h')));
  const lib = libs.find((d) => existsSync(join(d, 'libdnnl.so')) || existsSync(join(d, 'libdnnl.dylib')));
  const where = prefix ? ` under D2L_DNNL_ROOT=${prefix}` : '';
  if (!inc) return { error: `oneDNN's header oneapi/dnnl/dnnl.h is not installed${where} (on Debian/Ubuntu: apt-get install libdnnl-dev)` };
  if (!lib) return { error: `oneDNN's library libdnnl.so is not installed${where} (on Debian/Ubuntu: apt-get install libdnnl-dev)` };
  return { inc, lib, rpath: !!prefix };
}

function main() {
  if (process.env.D2L_DNNL === '0') done(true, 'skipped (D2L_DNNL=0)');
  if (!existsSync(source)) done(true, 'skipped (native/ is not in this package)');
  // A stale addon from an earlier build must not outlive a build that no longer succeeds.
  rmSync(outFile, { force: true });
  if (process.platform === 'win32') done(false, 'skipped (the oneDNN addon is built on Linux and macOS only)');
  const cc = process.env.CC ? process.env.CC.split(' ')[0] : ['cc', 'gcc', 'clang'].find((c) => onPath(c));
  if (!cc || (process.env.CC && !onPath(cc) && !existsSync(cc)))
    done(false, 'skipped (no C compiler: install build-essential to get the oneDNN convolution path)');
  const dnnl = findDnnl(cc);
  if (dnnl.error) done(false, `skipped (${dnnl.error})`);
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
    `-I${dnnl.inc}`,
    '-DNODE_GYP_MODULE_NAME=d2l_dnnl',
    ...(process.platform === 'darwin' ? ['-undefined', 'dynamic_lookup'] : []),
    source,
    '-o',
    tmp,
    `-L${dnnl.lib}`,
    ...(dnnl.rpath ? [`-Wl,-rpath,${dnnl.lib}`] : []),
    '-ldnnl',
    '-ldl',
    '-lm',
  ];
  const r = spawnSync(cc, args, { encoding: 'utf8' });
  const log = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  if (verbose) process.stdout.write(log);
  if (r.status !== 0 || !existsSync(tmp)) {
    rmSync(tmp, { force: true });
    const line = log.split('\n').find((l) => /error|cannot find|undefined/.test(l)) ?? (r.error?.message || 'unknown error');
    done(false, `skipped (the build failed: ${line.trim().slice(0, 240)}; npm run build:dnnl -- --verbose shows the log)`);
  }
  renameSync(tmp, outFile);
  // Load it once in a child process: a missing run-time library shows here, not at first use.
  const check = spawnSync(
    process.execPath,
    ['-e', `const a=require(${JSON.stringify(outFile)});const i=a.info();console.log(i.version+' '+i.runtime+' '+i.isa)`],
    { encoding: 'utf8' },
  );
  if (check.status !== 0) {
    rmSync(outFile, { force: true });
    done(false, `skipped (built, but it does not load: ${`${check.stderr}`.trim().split('\n')[0].slice(0, 240)})`);
  }
  done(true, `built build/Release/d2l_dnnl.node (oneDNN ${check.stdout.trim()})`);
}

try {
  main();
} catch (e) {
  // Whatever goes wrong here must not fail the install.
  done(false, `skipped (unexpected error: ${(e && e.message) || e})`);
}
