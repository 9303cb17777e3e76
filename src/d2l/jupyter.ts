/**
 * Deno's Jupyter kernel, as seen from the library: its `Deno.jupyter.display` when the code runs
 * in one (a notebook cell), else nothing. Figures (plot.ts) and progress bars (progress.ts) use it
 * to show themselves in the cell's output, as the book's notebooks showed matplotlib figures.
 */

/** Options of `Deno.jupyter.display`: a raw MIME bundle, shown anew or replacing `display_id`'s. */
export interface JupyterDisplayOptions {
  raw: true;
  update?: boolean;
  display_id?: string;
}

/** `Deno.jupyter.display`. */
export type JupyterDisplay = (bundle: Record<string, string>, opts: JupyterDisplayOptions) => Promise<void> | void;

/**
 * The display function of Deno's Jupyter kernel when this runs in one, else undefined (Node, a
 * web page, Deno outside a kernel).
 *
 * @example
 * const display = jupyterDisplay();
 * if (display) await display({ 'text/plain': 'hello' }, { raw: true });
 */
export function jupyterDisplay(): JupyterDisplay | undefined {
  const deno = (globalThis as { Deno?: { jupyter?: { display?: unknown } } }).Deno;
  const display = deno?.jupyter?.display;
  return typeof display === 'function' ? (display as JupyterDisplay) : undefined;
}
