/**
 * Where d2l-ts's optional N-API addons lie (the OpenBLAS, oneDNN and Open MPI ones): the path a
 * `D2L_*_ADDON` setting names, else `build/Release/<file>` in the package root, the first folder
 * holding package.json above the loader (`src/...` in a checkout, `dist/src/...` compiled, or
 * `node_modules/d2l-ts/...` installed). Node built-ins are reached through
 * `process.getBuiltinModule`, so browser bundles never pull them in.
 */
import { env, nodeProcess, type SettingName } from './env.js';

/** What a loader needs: the addon's file (null when absent), where it looked from, and `require`. */
export interface LocatedAddon {
  /** The addon file, or null when it was not built (or the explicit setting names nothing). */
  file: string | null;
  /** The folder of the loader module the search started from. */
  here: string;
  /** Node's require, relative to the loader module. */
  require(file: string): unknown;
}

interface NodeFs {
  existsSync(p: string): boolean;
}
interface NodePath {
  join(...p: string[]): string;
  dirname(p: string): string;
  resolve(...p: string[]): string;
}

/**
 * Finds the addon `fileName` for the loader module at `fromUrl` (its `import.meta.url`), or null
 * outside Node (no `process.getBuiltinModule`, Node < 20.16 or a browser).
 *
 * @example
 * const found = locateAddon('d2l_blas.node', 'D2L_BLAS_ADDON', import.meta.url);
 * if (found?.file) found.require(found.file);
 */
export function locateAddon(fileName: string, explicitSetting: SettingName, fromUrl: string): LocatedAddon | null {
  const get = nodeProcess()?.getBuiltinModule;
  if (!get) return null;
  const fs = get('node:fs') as NodeFs;
  const path = get('node:path') as NodePath;
  const url = get('node:url') as { fileURLToPath(u: string | URL): string };
  const mod = get('node:module') as { createRequire(from: string | URL): (id: string) => unknown };
  const here = path.dirname(url.fileURLToPath(fromUrl));
  const req = mod.createRequire(fromUrl);
  const located = (file: string | null): LocatedAddon => ({ file, here, require: (f) => req(f) });
  const explicit = env(explicitSetting);
  if (explicit) return located(fs.existsSync(explicit) ? path.resolve(explicit) : null);
  let dir = here;
  for (let i = 0; i < 8; i++) {
    if (fs.existsSync(path.join(dir, 'package.json'))) {
      const p = path.join(dir, 'build', 'Release', fileName);
      return located(fs.existsSync(p) ? p : null);
    }
    const up = path.dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return located(null);
}
