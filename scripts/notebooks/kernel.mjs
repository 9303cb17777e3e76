/**
 * `npm run notebooks:kernel`: installs Deno's Jupyter kernel for this project only, as the
 * kernelspec <root>/.jupyter/kernels/deno/kernel.json (what `deno jupyter --install` writes, but
 * project-local); use it with JUPYTER_PATH=<root>/.jupyter. The deno binary comes from the `deno`
 * npm package (node_modules/.bin/deno), from $DENO, or from PATH.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The deno binary to run the kernel with, or null when there is none. */
export function findDeno() {
  const candidates = [process.env.DENO, join(root, 'node_modules', '.bin', 'deno')].filter(Boolean);
  for (const c of candidates) if (existsSync(c)) return resolve(c);
  try {
    return execFileSync('sh', ['-c', 'command -v deno'], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}

/** Writes the kernelspec and returns the JUPYTER_PATH folder that holds it. */
export function installKernel(deno = findDeno()) {
  if (!deno) throw new Error('notebooks:kernel: no deno binary (npm install deno, or set DENO=/path/to/deno)');
  const jupyterPath = join(root, '.jupyter');
  const dir = join(jupyterPath, 'kernels', 'deno');
  mkdirSync(dir, { recursive: true });
  const spec = {
    argv: [deno, 'jupyter', '--kernel', '--conn', '{connection_file}'],
    display_name: 'Deno',
    language: 'typescript',
    env: { DENO_NO_UPDATE_CHECK: '1' },
  };
  writeFileSync(join(dir, 'kernel.json'), JSON.stringify(spec, null, 2) + '\n');
  return jupyterPath;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const p = installKernel();
  console.log(`Deno kernel installed; run notebooks with: JUPYTER_PATH=${p} jupyter notebook notebooks/`);
}
