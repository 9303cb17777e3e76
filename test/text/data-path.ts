/** Where the text tests find the book's data files: D2L_DATA_DIR, else ../shared/data (from the repo root, where tests run). */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The data directory the tests read from. */
export const DATA_DIR = resolve(process.env.D2L_DATA_DIR ?? join('..', 'shared', 'data'));
/** Whether `name` exists in the data directory. */
export function hasData(name: string): boolean {
  return existsSync(join(DATA_DIR, name));
}
