/**
 * The book's 10.6 (求近义词和类比词): k nearest neighbours by cosine similarity over a matrix of
 * word vectors, and analogies a : b :: c : ? answered by the word nearest to
 * vec(b) − vec(a) + vec(c). `getSimilarTokens` (in word2vec.ts) takes a `TokenEmbedding` too.
 * Every function reads its results from the device once, asynchronously, so vectors on a GPU
 * work as well.
 */
import { ShapeError, ValueError } from '../core/errors.js';
import type { NDArray } from '../ndarray/ndarray.js';
import * as nd from '../ndarray/nd.js';
import type { TokenEmbedding } from '../contrib/text/embedding.js';

/**
 * The book's `knn(W, x, k)`: the `k` rows of `W` most similar to `x` by cosine similarity
 * `W x / (sqrt(Σ W² + 1e-9) · sqrt(Σ x²))` (the 1e-9 for rows of zeros), as `[indices, cosines]`,
 * most similar first (ties to the smaller index, as `nd.topk`).
 *
 * @example
 * const [topk, cos] = await knn(embed.idxToVec, embed.getVecsByTokens(['chip']), 4);
 */
export async function knn(W: NDArray, x: NDArray, k: number): Promise<[number[], number[]]> {
  if (!W || W.ndim !== 2) throw new ShapeError(`knn: W must be a 2-D array (tokens, vecLen), got shape [${W?.shape}]`);
  if (!x || x.size !== W.shape[1])
    throw new ShapeError(`knn: x must hold one vector of length ${W.shape[1]} (W's rows), got shape [${x?.shape}]`);
  if (!Number.isInteger(k) || k < 1 || k > W.shape[0]) throw new ValueError(`knn: k must be an integer in [1, ${W.shape[0]}], got ${k}`);
  // 添加的1e-9是为了数值稳定性 (the book: for numerical stability).
  const cos = nd.dot(W, x.reshape([-1])).div(
    nd
      .sum(W.mul(W), { axis: 1 })
      .add(1e-9)
      .sqrt()
      .mul(nd.sum(x.mul(x)).sqrt()),
  );
  const topk = nd.topk(cos, { k, retTyp: 'indices' });
  const indices = Array.from(await topk.data(), (v) => Math.round(v));
  const values = Array.from(await cos.take(indices).data());
  return [indices, values];
}

/** The tokens of `tokens` that `embed` does not know. */
function unknown(embed: TokenEmbedding, tokens: readonly string[]): string[] {
  return tokens.filter((t) => !embed.tokenToIdx.has(t) || embed.tokenToIdx.get(t) === 0);
}

/**
 * The `k` tokens most similar to `queryToken` in `embed` (a `TokenEmbedding`), the query itself
 * left out: the book's 10.6 `get_similar_tokens`, which takes the k + 1 nearest and drops the
 * first. Returns `[token, cosine]` pairs; the book prints them as `cosine sim=0.856: chips`.
 *
 * @example
 * for (const [tok, c] of await similarTokensInEmbedding('chip', 3, glove6b50d)) console.log(`cosine sim=${c.toFixed(3)}: ${tok}`);
 */
export async function similarTokensInEmbedding(queryToken: string, k: number, embed: TokenEmbedding): Promise<[string, number][]> {
  if (unknown(embed, [queryToken]).length)
    throw new ValueError(`getSimilarTokens: '${queryToken}' is not in the embedding's vocabulary (${embed.length} tokens)`);
  if (!Number.isInteger(k) || k < 1 || k + 1 > embed.length)
    throw new ValueError(`getSimilarTokens: k must be an integer in [1, ${embed.length - 1}], got ${k}`);
  const [topk, cos] = await knn(embed.idxToVec, embed.getVecsByTokens([queryToken]), k + 1);
  return topk.slice(1).map((i, j) => [embed.idxToToken[i], cos[j + 1]]);
}

/**
 * The book's `get_analogy(token_a, token_b, token_c, embed)`: the token whose vector is nearest
 * (by cosine) to vec(b) − vec(a) + vec(c), for a : b :: c : ?. As in the book the three tokens
 * themselves are candidates. A token the embedding does not know is an error (its vector would
 * be the unknown one).
 *
 * @example
 * await getAnalogy('man', 'woman', 'son', glove6b50d); // 'daughter'
 */
export async function getAnalogy(tokenA: string, tokenB: string, tokenC: string, embed: TokenEmbedding): Promise<string> {
  const missing = unknown(embed, [tokenA, tokenB, tokenC]);
  if (missing.length) throw new ValueError(`getAnalogy: ${missing.map((t) => `'${t}'`).join(', ')} not in the embedding's vocabulary`);
  const vecs = embed.getVecsByTokens([tokenA, tokenB, tokenC]);
  const x = vecs.get(1).sub(vecs.get(0)).add(vecs.get(2));
  const [topk] = await knn(embed.idxToVec, x, 1);
  return embed.idxToToken[topk[0]];
}
