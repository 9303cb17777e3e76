/** `node:path` (POSIX) inside a benchmark bundle run in a page: join, resolve, dirname, basename. */

function normalize(p: string): string {
  const abs = p.startsWith('/');
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length && out[out.length - 1] !== '..') out.pop();
      else if (!abs) out.push('..');
    } else out.push(part);
  }
  return (abs ? '/' : '') + out.join('/') || (abs ? '/' : '.');
}

/**
 * @example
 * join('/a', '..', 'b'); // '/b'
 */
export function join(...parts: string[]): string {
  return normalize(parts.filter((p) => p !== '').join('/'));
}

/**
 * Absolute paths from the page's root.
 *
 * @example
 * resolve('/a/b', '../c'); // '/a/c'
 */
export function resolve(...parts: string[]): string {
  let p = '';
  for (const part of parts) p = part.startsWith('/') ? part : `${p}/${part}`;
  return normalize(p.startsWith('/') ? p : `/${p}`);
}

/**
 * @example
 * dirname('/a/b.js'); // '/a'
 */
export function dirname(p: string): string {
  const n = normalize(p);
  const i = n.lastIndexOf('/');
  return i < 0 ? '.' : i === 0 ? '/' : n.slice(0, i);
}

/**
 * @example
 * basename('/a/b.js'); // 'b.js'
 */
export function basename(p: string): string {
  return normalize(p).split('/').pop() ?? '';
}

export const sep = '/';
