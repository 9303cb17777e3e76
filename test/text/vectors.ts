// Crafted word vectors the embedding tests share (not a test file): woman − man + son = daughter
// exactly, and chips, intel, electronics are the nearest to chip with cosines 1/√1.01, 1/√1.09,
// 1/√1.16; and the GloVe text format they are written in.

/** Word vectors with known nearest neighbours and one exact analogy. */
export const ANALOGY_VECTORS: readonly [string, number[]][] = [
  ['man', [1, 0, 0, 0]],
  ['woman', [1, 1, 0, 0]],
  ['son', [0, 0, 1, 0]],
  ['daughter', [0, 1, 1, 0]],
  ['chip', [0, 0, 0, 1]],
  ['chips', [0, 0, 0.1, 1]],
  ['intel', [0.3, 0, 0, 1]],
  ['electronics', [0, 0.4, 0, 1]],
];

/** `rows` as a GloVe text file: `token v1 ... vN` a line. */
export function gloveText(rows: readonly (readonly [string, readonly number[]])[]): string {
  return rows.map(([t, v]) => `${t} ${v.join(' ')}\n`).join('');
}
