// The browser side of `#platform` (package.json "imports", conditions `browser` and `default`):
// the same names as ./node.ts, each a function or object that throws a clear error naming what
// is Node-only and what to use instead, so a bundle for a page contains no Node built-in and
// code that never touches files (NDArray, autograd, Gluon training) runs unchanged.
import type * as NodePlatform from './node.js';

/** The error every Node-only entry point throws in a browser. */
function unavailable(name: string): never {
  throw new Error(
    `d2l-ts: ${name} needs Node.js (files, native modules) and is not available in a browser; ` +
      'in a page, load data with fetch (loadDataFashionMnist({ url })) and keep arrays in memory',
  );
}

/** A stand-in for a Node function `name` that throws when called. */
function fn<T>(name: string): T {
  return ((..._args: unknown[]) => unavailable(name)) as T;
}

/** A stand-in for a Node object `name` whose every property access throws. */
function obj<T>(name: string): T {
  return new Proxy({}, { get: (_t, p) => unavailable(`${name}.${String(p)}`) }) as T;
}

type P = typeof NodePlatform;
export const closeSync = fn<P['closeSync']>('fs.closeSync');
export const existsSync = fn<P['existsSync']>('fs.existsSync');
export const fsyncSync = fn<P['fsyncSync']>('fs.fsyncSync');
export const mkdirSync = fn<P['mkdirSync']>('fs.mkdirSync');
export const mkdtempSync = fn<P['mkdtempSync']>('fs.mkdtempSync');
export const openSync = fn<P['openSync']>('fs.openSync');
export const readFileSync = fn<P['readFileSync']>('fs.readFileSync');
export const readSync = fn<P['readSync']>('fs.readSync');
export const renameSync = fn<P['renameSync']>('fs.renameSync');
export const rmSync = fn<P['rmSync']>('fs.rmSync');
export const statSync = fn<P['statSync']>('fs.statSync');
export const writeFileSync = fn<P['writeFileSync']>('fs.writeFileSync');
export const writeSync = fn<P['writeSync']>('fs.writeSync');
export const homedir = fn<P['homedir']>('os.homedir');
export const tmpdir = fn<P['tmpdir']>('os.tmpdir');
export const createRequire = fn<P['createRequire']>('module.createRequire');
export const createHash = fn<P['createHash']>('crypto.createHash');
export const gunzipSync = fn<P['gunzipSync']>('zlib.gunzipSync');
export const cliProgress = obj<P['cliProgress']>('cli-progress');
export const PNG = obj<P['PNG']>('pngjs PNG (image files)');

// Path helpers are pure string functions: POSIX-style versions so URLs and names still work.
export const basename: P['basename'] = (p: string, ext?: string) => {
  const b = p.replace(/\/+$/, '').split('/').pop() ?? '';
  return ext !== undefined && b.endsWith(ext) ? b.slice(0, b.length - ext.length) : b;
};
export const dirname: P['dirname'] = (p: string) => {
  const i = p.replace(/\/+$/, '').lastIndexOf('/');
  return i < 0 ? '.' : i === 0 ? '/' : p.slice(0, i);
};
export const extname: P['extname'] = (p: string) => {
  const b = basename(p);
  const i = b.lastIndexOf('.');
  return i <= 0 ? '' : b.slice(i);
};
export const join: P['join'] = (...parts: string[]) =>
  parts
    .filter((s) => s !== '')
    .join('/')
    .replace(/\/+/g, '/');
export const resolvePath: P['resolvePath'] = (...parts: string[]) => join(...parts);

/** True under Node, false here (the browser build). */
export const isNode = false;
