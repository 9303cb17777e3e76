/**
 * Beam search (10.10 束搜索): keep the `beamSize` most probable prefixes at every step, and choose
 * among the finished sequences by the book's score (1/L^α)·log P, α = 0.75 by default.
 *
 * Candidates are the sequences that produced EOS (EOS and what follows dropped), and the prefixes
 * still alive after `maxLen` steps; L is the number of tokens of a candidate, EOS included when it
 * ended with one.
 */
import { ValueError } from '../core/errors.js';
import type { NDArray } from '../ndarray/ndarray.js';
import * as nd from '../ndarray/nd.js';
import type { Context } from '../ndarray/context.js';
import { BOS, EOS, encodeInput, type Decoder, type Encoder, type Vocabulary } from './machine-translation.js';

/** One beam-search candidate. */
export interface BeamCandidate<S> {
  tokens: number[];
  logProb: number;
  state: S;
}

/** A decoding step: the log-probabilities of the next token (a plain array) and the new state. */
export type BeamStep<S> = (prevToken: number, state: S) => [logProbs: ArrayLike<number>, state: S];

/**
 * Beam search over a step function; returns the best candidate's tokens (without EOS) and its score.
 * `beamSize` 1 is greedy search.
 *
 * @example
 * const { tokens } = beamSearch(step, bosIndex, eosIndex, initialState, { beamSize: 2, maxLen: 7 });
 */
export function beamSearch<S>(
  step: BeamStep<S>,
  bos: number,
  eos: number,
  initialState: S,
  opts: { beamSize: number; maxLen: number; alpha?: number },
): { tokens: number[]; score: number; logProb: number } {
  const { beamSize, maxLen } = opts;
  const alpha = opts.alpha ?? 0.75;
  if (!Number.isInteger(beamSize) || beamSize < 1) throw new ValueError(`beamSearch: beamSize must be a positive integer, got ${beamSize}`);
  if (!Number.isInteger(maxLen) || maxLen < 1) throw new ValueError(`beamSearch: maxLen must be a positive integer, got ${maxLen}`);
  let beams: BeamCandidate<S>[] = [{ tokens: [], logProb: 0, state: initialState }];
  const finished: { tokens: number[]; logProb: number; length: number }[] = [];
  for (let t = 0; t < maxLen && beams.length > 0; t++) {
    const expanded: { parent: BeamCandidate<S>; token: number; logProb: number; state: S }[] = [];
    for (const beam of beams) {
      const [logProbs, state] = step(beam.tokens.length ? beam.tokens[beam.tokens.length - 1] : bos, beam.state);
      for (let v = 0; v < logProbs.length; v++) expanded.push({ parent: beam, token: v, logProb: beam.logProb + logProbs[v], state });
    }
    expanded.sort((a, b) => b.logProb - a.logProb);
    beams = [];
    for (const c of expanded.slice(0, beamSize)) {
      if (c.token === eos) finished.push({ tokens: c.parent.tokens, logProb: c.logProb, length: c.parent.tokens.length + 1 });
      else beams.push({ tokens: [...c.parent.tokens, c.token], logProb: c.logProb, state: c.state });
    }
  }
  for (const b of beams) finished.push({ tokens: b.tokens, logProb: b.logProb, length: b.tokens.length });
  let best = finished[0];
  const score = (c: (typeof finished)[number]) => c.logProb / Math.pow(Math.max(c.length, 1), alpha);
  for (const c of finished) if (score(c) > score(best)) best = c;
  return { tokens: best.tokens, score: score(best), logProb: best.logProb };
}

/**
 * `translate` with beam search over the 10.12 encoder–decoder: `beamSize` 1 gives the greedy
 * translation.
 *
 * @example
 * translateBeam(encoder, decoder, 'ils regardent .', 7, inVocab, outVocab, { beamSize: 3 });
 */
export function translateBeam(
  encoder: Encoder,
  decoder: Decoder,
  inputSeq: string,
  maxSeqLen: number,
  inVocab: Vocabulary,
  outVocab: Vocabulary,
  opts: { beamSize: number; alpha?: number; ctx?: Context },
): string[] {
  const ctx = opts.ctx;
  const [encOutput, encState] = encodeInput('translateBeam', encoder, inputSeq, maxSeqLen, inVocab, ctx);
  const step: BeamStep<NDArray[]> = (prev, state) => {
    const [out, st] = decoder.forward(nd.array([prev], { ctx }), state, encOutput);
    return [nd.logSoftmax(out, { axis: 1 }).toArray().flat() as number[], st];
  };
  const { tokens } = beamSearch(step, outVocab.tokenToIdx.get(BOS)!, outVocab.tokenToIdx.get(EOS)!, decoder.beginState(encState), {
    beamSize: opts.beamSize,
    maxLen: maxSeqLen,
    alpha: opts.alpha,
  });
  return tokens.map((i) => outVocab.idxToToken[i]);
}
