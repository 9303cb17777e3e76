// What the native addons' builders (build-blas.mjs, build-dnnl.mjs, build-mpi.mjs) share: how one
// reports its single line and exit code, finding a command on PATH, Node's headers (never
// downloaded), and the library folders to look in.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';

/**
 * The builder's way out: prints `d2l-ts <name>: <msg>` and exits 0, or 1 when `strict` and the
 * addon was not built.
 */
export function reporter(name, strict) {
  return (ok, msg) => {
    console.log(`d2l-ts ${name}: ${msg}`);
    process.exit(ok || !strict ? 0 : 1);
  };
}

/** The full path of `cmd` on PATH, or null. */
export function onPath(cmd) {
  for (const d of (process.env.PATH ?? '').split(delimiter)) if (d && existsSync(join(d, cmd))) return join(d, cmd);
  return null;
}

/** Node's headers (include/node/node_api.h) next to node or in node-gyp's cache, so nothing is downloaded. */
export function findNodeInclude() {
  const cands = [];
  if (process.env.npm_config_nodedir) cands.push(process.env.npm_config_nodedir);
  cands.push(dirname(dirname(process.execPath)), '/usr', '/usr/local');
  const cache = process.env.npm_config_devdir || join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'node-gyp');
  cands.push(join(cache, process.versions.node));
  for (const c of cands) if (existsSync(join(c, 'include', 'node', 'node_api.h'))) return join(c, 'include', 'node');
  return null;
}

/** The library folders to look in: the multiarch ones first (where Debian installs), then the usual others. */
export function libDirs(cc = 'gcc', extra = []) {
  const dirs = [];
  const r = spawnSync(cc, ['-print-multiarch'], { encoding: 'utf8' });
  const triplet = r.status === 0 ? r.stdout.trim() : '';
  if (triplet) dirs.push(`/usr/lib/${triplet}`, `/lib/${triplet}`);
  dirs.push('/usr/lib64', '/usr/lib', '/usr/local/lib', ...extra);
  return dirs;
}
