/**
 * `d2l-ts build-native`: runs the package's own install script by hand, for a project that
 * installed d2l-ts as a dependency (npm 11 runs a dependency's install script only when the user
 * approves it, so the native addons are otherwise never built there). The builders to run are
 * read from package.json's `install` script, so the two can never disagree.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EXIT } from './args.js';
import type { CliIO } from './main.js';

/** The folder of the d2l-ts package this file belongs to (the first package.json above it). */
export function packageRoot(from = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from, i = 0; i < 8; i++) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  throw new Error(`build-native: no package.json above ${from}`);
}

/**
 * The addon builders the package's `install` script runs (`node scripts/build-*.mjs`), in order.
 *
 * @example
 * nativeBuilders(packageRoot()); // ['scripts/build-blas.mjs', 'scripts/build-mpi.mjs']
 */
export function nativeBuilders(root: string): string[] {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts?: Record<string, string> };
  const install = pkg.scripts?.install ?? '';
  return [...install.matchAll(/\bnode\s+(scripts\/build-[\w-]+\.mjs)/g)].map((m) => m[1]);
}

/**
 * Builds every native addon (each builder prints one line: built, or why not) and returns the
 * exit code: 0, or with `strict` 1 when one was not built.
 *
 * @example
 * await buildNative(false, { out: console.log, err: console.error });
 */
export function buildNative(strict: boolean, io: CliIO): number {
  const root = packageRoot();
  const builders = nativeBuilders(root);
  if (!builders.length) {
    io.err(`d2l-ts build-native: ${join(root, 'package.json')} names no addon builder in its install script`);
    return EXIT.failure;
  }
  let failed = false;
  for (const b of builders) {
    const r = spawnSync(process.execPath, [join(root, b), ...(strict ? ['--strict'] : [])], { cwd: root, encoding: 'utf8' });
    for (const line of `${r.stdout ?? ''}${r.stderr ?? ''}`.split('\n')) if (line.trim()) io.out(line);
    if (r.status !== 0) failed = true;
  }
  return failed ? EXIT.failure : EXIT.ok;
}
