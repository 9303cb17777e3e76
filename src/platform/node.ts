// The Node side of `#platform` (package.json "imports", condition `node`): the only module through
// which src/ reaches Node built-ins and Node-only packages at import time, so that a browser
// bundle (condition `browser`, see ./browser.ts) contains none of them. Backend code that loads
// Node modules lazily through `process.getBuiltinModule` (BLAS addon, worker_threads, v8 flags)
// needs no entry here: that call is absent in a browser and the code falls back.
export { closeSync, existsSync, fsyncSync, mkdirSync, mkdtempSync, openSync, readFileSync } from 'node:fs';
export { readSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
export { basename, dirname, extname, join, resolve as resolvePath } from 'node:path';
export { homedir, tmpdir } from 'node:os';
export { createRequire } from 'node:module';
export { createHash } from 'node:crypto';
export { gunzipSync } from 'node:zlib';
export { default as cliProgress } from 'cli-progress';
export { PNG } from 'pngjs';

/** True under Node (this module), false in the browser build. */
export const isNode = true;
