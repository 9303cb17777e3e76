/** `node:url` inside a benchmark bundle run in a page: a URL's path stands for a file path. */

/**
 * @example
 * fileURLToPath('http://127.0.0.1:8000/worker.js'); // '/worker.js'
 */
export function fileURLToPath(u: string | URL): string {
  return decodeURIComponent(new URL(String(u)).pathname);
}

/**
 * @example
 * pathToFileURL('/a.js').href; // the page's own origin + '/a.js'
 */
export function pathToFileURL(p: string): URL {
  return new URL(p, (globalThis as { location?: { href: string } }).location?.href ?? 'http://localhost/');
}
