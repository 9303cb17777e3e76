/**
 * # 10.4 Subword embedding (子词嵌入（fastText）)
 *
 * The book's section is text. English words have inner structure: "dog", "dogs" and
 * "dogcatcher" share the root "dog", and "dog" is to "dogs" as "cat" is to "cats". word2vec gives
 * every form its own, unrelated vector. fastText (Bojanowski et al. 2017) represents a center
 * word by its subwords: with the boundary symbols `<` and `>`, "where" has the 3-grams `<wh`,
 * `whe`, `her`, `ere`, `re>`, plus the special subword `<where>`. With G_w the union of the
 * word's n-grams of lengths 3 to 6 and the special subword, and z_g the vector of subword g, the
 * skip-gram's center vector is
 *   v_w = Σ_{g ∈ G_w} z_g,
 * and the rest of the model is the skip-gram's. The dictionary (of subwords) is larger, so there
 * are more parameters and a word's vector costs a sum; in exchange a rare word, or one never
 * seen, gets a vector from the subwords it shares with other words.
 *
 * This program computes each of these on the book's words: the subwords of "where", the
 * dictionary of a few related words, the center vectors as sums of (random, untrained) subword
 * vectors through a Gluon Embedding, the gradient that reaches a shared subword (checked against
 * the formula), the vector of a word outside the dictionary, and the exercise's count of 6-letter
 * strings with fastText's remedy, hashing n-grams into buckets.
 *
 * Run it: `d2l-ts run fasttext [--seed 1]`.
 */
import { nd, gluon, autograd, d2l } from '../src/index.js';
import { startRun, runIfMain, type ChapterOptions } from './common.js';

export const meta = {
  slug: 'fasttext',
  title: '10.4 子词嵌入（fastText） (subword embedding)',
};

export interface FastTextResult {
  lines: string[];
  /** The 3-grams of 'where' and the special subword. */
  where3: string[];
  /** G_where for n = 3..6. */
  whereAll: string[];
  /** Words and subwords of the dictionary. */
  numWords: number;
  numSubwords: number;
  /** max |autograd − formula| of ∂L/∂Z. */
  gradientDiff: number;
  /** cos(v_dogcatchers, v_dogcatcher) and cos(v_dogcatchers, v_girl) with untrained subword vectors. */
  oovCos: { dogcatcher: number; girl: number; expected: number };
}

/** The book's example words. */
export const WORDS = ['where', 'dog', 'dogs', 'dogcatcher', 'cat', 'cats', 'boy', 'boyfriend', 'girl', 'girlfriend'];

const cosine = (a: number[], b: number[]) => {
  const dot = a.reduce((s, x, i) => s + x * b[i], 0);
  return dot / Math.sqrt(a.reduce((s, x) => s + x * x, 0) * b.reduce((s, x) => s + x * x, 0));
};

export async function run(opts: ChapterOptions = {}): Promise<FastTextResult> {
  const { print, lines } = startRun(opts);
  nd.random.seed(opts.seed ?? 1);

  // ## The subwords of "where": boundary symbols, then the character n-grams.
  const where3 = d2l.subwordNgrams('where', 3, 3);
  print(`n = 3: ${where3.slice(0, -1).join(', ')}, and the special subword ${where3[where3.length - 1]}`);
  const whereAll = d2l.subwordNgrams('where');
  print(`G_where for n = 3..6: ${whereAll.length} subwords: ${whereAll.join(' ')}`);

  // ## The dictionary is the union of the words' subwords: larger than the vocabulary of words.
  const subwords = new Map<string, number>();
  const idOf = (g: string) => {
    if (!subwords.has(g)) subwords.set(g, subwords.size);
    return subwords.get(g)!;
  };
  const ids = WORDS.map((w) => d2l.subwordNgrams(w).map(idOf));
  print(`${WORDS.length} words (${WORDS.join(', ')}): a dictionary of ${subwords.size} subwords`);
  const shared = (a: string, b: string) => d2l.subwordNgrams(a).filter((g) => d2l.subwordNgrams(b).includes(g));
  print(`dog and dogs share ${shared('dog', 'dogs').join(' ')}; dogs and cats share ${shared('dogs', 'cats').join(' ') || 'nothing'}`);

  // ## v_w = Σ_{g∈G_w} z_g: the subword vectors z are an Embedding, a word's vector the sum of its rows.
  const embedSize = 100;
  const z = new gluon.nn.Embedding(subwords.size, embedSize);
  z.initialize(); // Uniform(-0.07, 0.07), MXNet's default
  const centerVector = (w: string) => {
    const idx = d2l
      .subwordNgrams(w)
      .filter((g) => subwords.has(g))
      .map((g) => subwords.get(g)!);
    return z.forward(nd.array(idx)).sum({ axis: 0 });
  };
  const vWhere = centerVector('where');
  const Z = z.weight.data().toArray() as number[][];
  const manual = Z[0].map((_, j) => ids[0].reduce((s, i) => s + Z[i][j], 0));
  const sumDiff = Math.max(...(vWhere.toArray() as number[]).map((v, j) => Math.abs(v - manual[j])));
  print(
    `v_where: the sum of ${ids[0].length} rows of z, shape [${vWhere.shape.join(', ')}], equal to the rows added by hand (max diff ${sumDiff.toExponential(1)})`,
  );

  // ## Training updates the subwords: the gradient of L = ‖v_dog‖² + ‖v_dogs‖² reaches every
  // subword of either word, and a shared one gets both: ∂L/∂z_g = Σ_{w: g∈G_w} 2 v_w.
  const l = autograd.record(() => centerVector('dog').square().sum().add(centerVector('dogs').square().sum()));
  l.backward();
  const grad = z.weight.grad().toArray() as number[][];
  const vDog = centerVector('dog').toArray() as number[];
  const vDogs = centerVector('dogs').toArray() as number[];
  const gDog = new Set(d2l.subwordNgrams('dog'));
  const gDogs = new Set(d2l.subwordNgrams('dogs'));
  let gradientDiff = 0;
  for (const [g, i] of subwords)
    for (let j = 0; j < embedSize; j++) {
      const expected = (gDog.has(g) ? 2 * vDog[j] : 0) + (gDogs.has(g) ? 2 * vDogs[j] : 0);
      gradientDiff = Math.max(gradientDiff, Math.abs(grad[i][j] - expected));
    }
  print(`∂L/∂z_g by autograd vs Σ_w 2 v_w over the words holding g: max diff ${gradientDiff.toExponential(1)}`);

  // ## A word outside the dictionary still gets a vector from the subwords it shares.
  const oov = 'dogcatchers';
  const oovGrams = d2l.subwordNgrams(oov);
  const known = oovGrams.filter((g) => subwords.has(g));
  const vOov = centerVector(oov).toArray() as number[];
  const oovCos = {
    dogcatcher: cosine(vOov, centerVector('dogcatcher').toArray() as number[]),
    girl: cosine(vOov, centerVector('girl').toArray() as number[]),
  };
  print(`${oov}: ${known.length} of its ${oovGrams.length} subwords are in the dictionary`);
  // For independent random z_g, cos(v_a, v_b) is about |G_a ∩ G_b| / sqrt(|G_a| |G_b|).
  const gCatcher = d2l.subwordNgrams('dogcatcher');
  const expectedCos = known.filter((g) => gCatcher.includes(g)).length / Math.sqrt(known.length * gCatcher.length);
  print(
    `with untrained subword vectors already cos(v_${oov}, v_dogcatcher) = ${oovCos.dogcatcher.toFixed(3)} ` +
      `(shared subwords predict ${expectedCos.toFixed(3)}), cos(v_${oov}, v_girl) = ${oovCos.girl.toFixed(3)} (none shared)`,
  );

  // ## The exercise: too many subwords. There are 26^6 six-letter strings; fastText hashes every
  // n-gram (FNV-1a, 32 bits) into 2,000,000 buckets, so the dictionary stays bounded.
  print(`26^6 = ${26 ** 6} (about 3 × 10^8) six-letter strings`);
  print(
    `FNV-1a('a') = ${d2l.fastTextHash('a')} (0x${d2l.fastTextHash('a').toString(16)}); buckets of where's 3-grams mod 2000000: ${where3
      .slice(0, -1)
      .map((g) => d2l.fastTextHash(g) % 2000000)
      .join(', ')}`,
  );
  return {
    lines,
    where3,
    whereAll,
    numWords: WORDS.length,
    numSubwords: subwords.size,
    gradientDiff,
    oovCos: { ...oovCos, expected: expectedCos },
  };
}

runIfMain(import.meta.url, run);
