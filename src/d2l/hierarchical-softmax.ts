/**
 * Hierarchical softmax (层序softmax, the book's 10.2.2): the words are the leaves of a binary tree
 * whose internal nodes n carry vectors u_n, and
 *   P(w | w_c) = Π_{j=1}^{L(w)−1} σ([[n(w, j+1) = leftChild(n(w, j))]] · u_{n(w,j)}ᵀ v_c),
 * with [[x]] = 1 when x holds and −1 otherwise. Because σ(x) + σ(−x) = 1 at every node, the
 * probabilities of all leaves sum to 1, and one word costs L(w) − 1 sigmoid terms instead of a
 * softmax over the whole vocabulary.
 */
import { ValueError } from '../core/errors.js';
import type { NDArray } from '../ndarray/ndarray.js';
import * as nd from '../ndarray/nd.js';

/** A leaf's path from the root: the internal nodes it passes and whether it goes left at each. */
export interface TreePath {
  /** The internal nodes n(w, 1)..n(w, L(w)−1), as rows of the node-vector matrix. */
  nodes: number[];
  /** `left[j]`: whether n(w, j+2) is the left child of n(w, j+1) (the sign [[...]] is +1). */
  left: boolean[];
}

/**
 * The paths of a complete binary tree over `numLeaves` words (a power of two): internal nodes are
 * numbered as a heap (root 0, children 2i+1 and 2i+2), word k is the k-th leaf from the left, so
 * its path reads the bits of k from the top, 0 = left. With 8 words, word index 2 (the book's w_3)
 * goes left, right, left.
 *
 * @example
 * completeTreePaths(8)[2]; // { nodes: [0, 1, 4], left: [true, false, true] }
 */
export function completeTreePaths(numLeaves: number): TreePath[] {
  if (!Number.isInteger(numLeaves) || numLeaves < 2 || (numLeaves & (numLeaves - 1)) !== 0)
    throw new ValueError(`completeTreePaths: numLeaves must be a power of two >= 2, got ${numLeaves}`);
  const depth = Math.log2(numLeaves);
  return Array.from({ length: numLeaves }, (_, k) => {
    const path: TreePath = { nodes: [], left: [] };
    let node = 0;
    for (let j = depth - 1; j >= 0; j--) {
      const goLeft = ((k >> j) & 1) === 0;
      path.nodes.push(node);
      path.left.push(goLeft);
      node = 2 * node + (goLeft ? 1 : 2);
    }
    return path;
  });
}

/**
 * The paths of a Huffman tree over words with the given counts (what word2vec builds): frequent
 * words get short paths. The two least frequent subtrees merge first (ties: the earlier one), the
 * first of the pair on the left; internal nodes are numbered in the order they are created, so the
 * root is the last, `counts.length − 2`.
 *
 * @example
 * huffmanPaths([5, 1, 1]); // word 0: { nodes: [1], left: [false] }; words 1, 2: two steps each
 */
export function huffmanPaths(counts: readonly number[]): TreePath[] {
  if (counts.length < 2 || counts.some((c) => !(c > 0)))
    throw new ValueError(`huffmanPaths: expected at least 2 positive counts, got ${JSON.stringify(counts)}`);
  // Subtrees: leaves are 0..n−1, internal node i is n + i; each remembers its parent and side.
  const n = counts.length;
  const parent: { node: number; left: boolean }[] = [];
  let pool = counts.map((count, id) => ({ count, id, order: id }));
  for (let i = 0; pool.length > 1; i++) {
    pool.sort((a, b) => a.count - b.count || a.order - b.order);
    const [a, b] = pool;
    parent[a.id] = { node: i, left: true };
    parent[b.id] = { node: i, left: false };
    pool = [...pool.slice(2), { count: a.count + b.count, id: n + i, order: n + i }];
  }
  return counts.map((_, w) => {
    const path: TreePath = { nodes: [], left: [] };
    for (let id = w; parent[id] !== undefined; id = n + parent[id].node) {
      path.nodes.unshift(parent[id].node);
      path.left.unshift(parent[id].left);
    }
    return path;
  });
}

/**
 * P(w | w_c) by the hierarchical softmax formula, for a center vector `vc` (embed,) and the
 * internal nodes' vectors `U` (numNodes, embed): the product over the word's path of
 * σ(±u_nᵀ v_c). Differentiable in `vc` and `U` under autograd.
 *
 * @example
 * const paths = completeTreePaths(8);
 * hierarchicalSoftmaxProb(vc, U, paths[2]); // σ(u_0ᵀv_c) σ(−u_1ᵀv_c) σ(u_4ᵀv_c)
 */
export function hierarchicalSoftmaxProb(vc: NDArray, U: NDArray, path: TreePath): NDArray {
  if (vc.ndim !== 1 || U.ndim !== 2 || U.shape[1] !== vc.shape[0])
    throw new ValueError(
      `hierarchicalSoftmaxProb: expected vc (embed,) and U (numNodes, embed) with the same embed, got [${vc.shape}] and [${U.shape}]`,
    );
  if (path.nodes.length === 0 || path.nodes.length !== path.left.length || path.nodes.some((i) => !(i >= 0 && i < U.shape[0])))
    throw new ValueError(
      `hierarchicalSoftmaxProb: a path needs one side per node and nodes in [0, ${U.shape[0]}), got ${JSON.stringify(path)}`,
    );
  const sign = nd.array(
    path.left.map((l) => (l ? 1 : -1)),
    { dtype: U.dtype, ctx: U.context },
  );
  const scores = nd.dot(nd.take(U, nd.array(path.nodes, { ctx: U.context })), vc); // u_nᵀ v_c for each node
  return nd.sigmoid(scores.mul(sign)).prod();
}
