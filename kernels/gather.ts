// AssemblyScript (not TypeScript): row gather out[j] = x[idx[j]] for int32 indices (validated on
// the TS side), each row a block of rowBytes bytes: a minibatch drawn at random from a data set.
// One memory.copy per row; the TS side splits the rows over the worker threads when they are awake.

/** Copies n rows: row idx[j] of x (rows strideBytes apart) to out + j·rowBytes. */
export function gather_rows(out: usize, x: usize, idx: usize, n: i32, rowBytes: i32, strideBytes: i32): void {
  const rb = <usize>rowBytes;
  const sb = <usize>strideBytes;
  for (let j = 0; j < n; j++) memory.copy(out + <usize>j * rb, x + <usize>load<i32>(idx + (<usize>j << 2)) * sb, rb);
}
