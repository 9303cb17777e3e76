/**
 * MXNet's `mxnet.contrib.text.embedding`: token embeddings loaded from the published text formats
 * of pretrained word vectors, as the book's 10.6 and 10.7 use them
 * (`text.embedding.create('glove', pretrained_file_name='glove.6B.50d.txt')`).
 *
 * - GloVe: one line per token, `token v1 v2 ... vN`, separated by single spaces.
 * - fastText `.vec`: the same after a first line `count dim`.
 *
 * Files are read line by line in chunks (the published ones are up to several GB), checked as they
 * are read (a malformed line or a vector of another length is an error naming the file and the
 * line), and the pretrained ones are checked against MXNet's recorded SHA-1 while they are read.
 * The pretrained files are found through the project's data resolver (`glove/glove.6B.50d.txt` in
 * a data directory, the cache, or `~/.mxnet/embeddings/glove/`); they are never downloaded, and
 * the error for a missing one says where to get it and where to put it. As in MXNet, the unknown
 * token `<unk>` has index 0; its vector is the file's `<unk>` line if it has one, else
 * `initUnknownVec` (zeros by default).
 */
import { closeSync, createHash, openSync, readSync } from '#platform'; // Node-only: see src/platform/
import { D2LError, ShapeError, ValueError } from '../../core/errors.js';
import type { Context } from '../../ndarray/context.js';
import { array, zeros } from '../../ndarray/creation.js';
import { NDArray } from '../../ndarray/ndarray.js';
import { CorruptDataError } from '../../data/verify.js';
import { DataNotFoundError, resolveDataFileSync } from '../../data/resolver.js';
import { getDataFileSpec } from '../../data/registry.js';
import {
  PRETRAINED_EMBEDDING_FILES,
  pretrainedDataName,
  pretrainedInstallHint,
  type PretrainedEmbeddingFile,
} from '../../data/pretrained-embeddings.js';
import { UNKNOWN_IDX, Vocabulary } from './vocab.js';

/** A line of an embedding file that cannot be read: the message names the file and the line. */
export class EmbeddingFormatError extends D2LError {}

/**
 * A pretrained file that is not on this machine; the message says where it was looked for, where
 * to download it and where to put it.
 */
export class PretrainedFileNotFoundError extends DataNotFoundError {}

/** Vectors read from a file (or made in memory) for the `TokenEmbedding` constructor. */
export interface EmbeddingVectors {
  /** The tokens, in file order, the unknown token not among them. */
  tokens: string[];
  /** Their vectors, row after row: tokens.length × vecLen values. */
  vectors: Float32Array;
  /** The length of every vector. */
  vecLen: number;
  /** The unknown token's vector when the file has one, else null. */
  unknownVec: Float32Array | null;
}

/** Options shared by every token embedding (MXNet's keyword arguments in camelCase). */
export interface TokenEmbeddingOptions {
  /** The unknown token (default `<unk>`), at index 0. */
  unknownToken?: string;
  /**
   * The unknown token's vector when the file has none: called with `[vecLen]` (default `nd.zeros`).
   * @example { initUnknownVec: (shape) => nd.random.uniform(-0.1, 0.1, shape) }
   */
  initUnknownVec?: (shape: number[]) => NDArray;
  /**
   * Index only this vocabulary's tokens, with its indices (its reserved tokens and the tokens the
   * file lacks get the unknown vector), as MXNet's `vocabulary=` argument. Only those vectors are
   * kept while reading, so a large file needs little memory.
   */
  vocabulary?: Vocabulary;
  /** Where `idxToVec` lives (default: the current context). */
  ctx?: Context;
}

/** Options of reading an embedding file. */
export interface EmbeddingFileOptions extends TokenEmbeddingOptions {
  /** What separates the token and the numbers on a line (default ' '). */
  elemDelim?: string;
  /** The file's text encoding, a WHATWG label (default 'utf8'). */
  encoding?: string;
  /** Where warnings go (duplicate tokens, header lines); default console.warn. */
  warn?: (message: string) => void;
}

/** Options of the pretrained embeddings (`GloVe`, `FastText`, `create`). */
export interface PretrainedEmbeddingOptions extends Omit<EmbeddingFileOptions, 'elemDelim'> {
  /** The file, one of `getPretrainedFileNames(name)`. */
  pretrainedFileName?: string;
  /** A data directory to look in first (else the resolver's order: --data-dir, D2L_DATA_DIR, the cache, ~/.mxnet/embeddings). */
  dataDir?: string;
  /** Check the file's SHA-1 while reading it (default true). */
  verify?: boolean;
}

const FILE_OPTION_KEYS = ['unknownToken', 'initUnknownVec', 'vocabulary', 'ctx', 'elemDelim', 'encoding', 'warn'];
const PRETRAINED_OPTION_KEYS = [...FILE_OPTION_KEYS.filter((k) => k !== 'elemDelim'), 'pretrainedFileName', 'dataDir', 'verify'];

function checkKeys(op: string, opts: object, keys: readonly string[]): void {
  if (typeof opts !== 'object' || opts === null) throw new ValueError(`${op}: the options must be an object, got ${String(opts)}`);
  for (const k of Object.keys(opts))
    if (!keys.includes(k)) throw new ValueError(`${op}: unknown option '${k}' (expected one of ${keys.join(', ')})`);
}

/** How a file's lines are read. */
interface ParseOptions {
  /** The file, for messages. */
  where: string;
  elemDelim: string;
  unknownToken: string;
  /** fastText `.vec`: the first line must be the `count dim` header. */
  header: boolean;
  /** Keep only these tokens' vectors (others are checked, then dropped). */
  keep?: (token: string) => boolean;
  warn: (message: string) => void;
}

const preview = (line: string) => JSON.stringify(line.length > 60 ? line.slice(0, 60) + '...' : line);

/**
 * Reads the lines of an embedding file given as text chunks (split anywhere), as MXNet's
 * `_load_embedding`: each line is `token v1 ... vN`; the first `unknownToken` line gives the
 * unknown vector; a token seen before is skipped with a warning; a line with one number is
 * skipped as a header (with `header`, line 1 must be fastText's `count dim`, and the count is
 * checked at the end). A line with no numbers, a field that is not a number, or a vector of
 * another length is an EmbeddingFormatError naming the file, the line and what was expected.
 *
 * @example
 * const v = parseEmbeddingText(['a 1 2\nb 3', ' 4\n'], { where: 'tiny.txt' });
 * v.tokens; // ['a', 'b']
 * v.vectors; // Float32Array [1, 2, 3, 4]
 */
export function parseEmbeddingText(chunks: Iterable<string>, opts: Partial<ParseOptions> & { where: string }): EmbeddingVectors {
  const o: ParseOptions = {
    elemDelim: ' ',
    unknownToken: '<unk>',
    header: false,
    warn: (m: string) => console.warn(`warning: ${m}`),
    ...opts,
  };
  if (typeof o.elemDelim !== 'string' || o.elemDelim.length === 0)
    throw new ValueError(`parseEmbeddingText(${o.where}): elemDelim must be a non-empty string, got ${JSON.stringify(o.elemDelim)}`);
  const tokens: string[] = [];
  const seen = new Set<string>();
  let vecLen: number | null = null;
  let store = new Float32Array(1 << 16);
  let stored = 0;
  let unknownVec: Float32Array | null = null;
  let row = new Float32Array(0);
  let lineNum = 0;
  let vectorLines = 0;
  let declared: { count: number; dim: number } | null = null;
  let duplicates = 0;
  const fail = (msg: string): never => {
    throw new EmbeddingFormatError(`${o.where}, line ${lineNum}: ${msg}`);
  };
  const line = (raw: string) => {
    lineNum++;
    // Python's line.rstrip(): the newline, a '\r' and trailing spaces go.
    const text = raw.trimEnd();
    const elems = text.split(o.elemDelim);
    if (o.header && lineNum === 1) {
      const [c, d] = elems;
      if (elems.length !== 2 || !/^\d+$/.test(c) || !/^\d+$/.test(d) || Number(d) < 1)
        fail(`expected the fastText header 'count dim' (two integers, dim >= 1), got ${preview(text)}`);
      declared = { count: Number(c), dim: Number(d) };
      // All vectors are kept: allocate once (up to 1 GiB; beyond, the store grows as it fills).
      if (!o.keep && declared.count * declared.dim > store.length)
        store = new Float32Array(Math.min(declared.count * declared.dim, 1 << 28));
      return;
    }
    if (elems.length < 2)
      fail(
        `expected 'token v1 v2 ...' (fields separated by ${JSON.stringify(o.elemDelim)}), got ${preview(text)}; the file is not in the GloVe/fastText text format`,
      );
    const token = elems[0];
    const dim = elems.length - 1;
    if (dim === 1 && !o.header) {
      o.warn(`${o.where}, line ${lineNum}: token ${JSON.stringify(token)} with a 1-dimensional vector is likely a header and is skipped`);
      return;
    }
    const want: number = vecLen ?? (declared as { dim: number } | null)?.dim ?? dim;
    if (dim !== want)
      fail(
        vecLen === null
          ? `token ${JSON.stringify(token)} has ${dim} numbers but the header (line 1) says dim ${want}`
          : `the dimension of token ${JSON.stringify(token)} is ${dim} but the dimension of previous tokens is ${vecLen}; all vectors must have the same length`,
      );
    if (vecLen === null) {
      vecLen = dim;
      row = new Float32Array(dim);
    }
    for (let i = 0; i < dim; i++) {
      const s = elems[i + 1];
      let v = Number(s);
      // Python's float() also reads 'nan', 'inf' and 'infinity' in any case, with a sign.
      if (Number.isNaN(v) && /^[+-]?(inf|infinity)$/i.test(s)) v = s.startsWith('-') ? -Infinity : Infinity;
      if (s === '' || (Number.isNaN(v) && !/^[+-]?nan$/i.test(s)))
        fail(
          `number ${i + 1} of token ${JSON.stringify(token)} is ${JSON.stringify(s)}, not a number (fields must be separated by exactly one ${JSON.stringify(o.elemDelim)})`,
        );
      row[i] = v;
    }
    vectorLines++;
    if (token === o.unknownToken && unknownVec === null) {
      unknownVec = row.slice();
      seen.add(token);
      return;
    }
    if (seen.has(token)) {
      if (++duplicates <= 3)
        o.warn(`${o.where}, line ${lineNum}: the vector of token ${JSON.stringify(token)} was loaded already; this duplicate is skipped`);
      return;
    }
    seen.add(token);
    if (o.keep && !o.keep(token)) return;
    if (stored + dim > store.length) {
      const grown = new Float32Array(Math.max(store.length * 2, stored + dim));
      grown.set(store.subarray(0, stored));
      store = grown;
    }
    store.set(row, stored);
    stored += dim;
    tokens.push(token);
  };
  let rest = '';
  for (const chunk of chunks) {
    const text = rest + chunk;
    let start = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
      line(text.slice(start, nl));
      start = nl + 1;
    }
    rest = text.slice(start);
  }
  if (rest.length > 0) line(rest);
  if (duplicates > 3) o.warn(`${o.where}: ${duplicates} duplicate tokens skipped in all`);
  const hdr = declared as { count: number; dim: number } | null;
  if (hdr && vectorLines !== hdr.count)
    throw new EmbeddingFormatError(
      `${o.where}: the header (line 1) declares ${hdr.count} vectors but the file has ${vectorLines}${vectorLines < hdr.count ? ' (truncated?)' : ''}`,
    );
  if (vecLen === null) throw new EmbeddingFormatError(`${o.where}: no vectors in the file (${lineNum} lines)`);
  return { tokens, vectors: store.subarray(0, stored), vecLen, unknownVec };
}

/** The text of a file in chunks of 4 MiB, decoded as `encoding`; `onBytes` sees the raw bytes. */
function* fileChunks(path: string, encoding: string, onBytes?: (b: Uint8Array) => void): Generator<string> {
  let decoder: TextDecoder;
  try {
    decoder = new TextDecoder(encoding, { fatal: true });
  } catch {
    throw new ValueError(`reading ${path}: unknown text encoding ${JSON.stringify(encoding)}`);
  }
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw new ValueError(`cannot open the embedding file ${path}: ${(e as Error).message}`);
  }
  try {
    const buf = new Uint8Array(1 << 22);
    let offset = 0;
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      const b = buf.subarray(0, n);
      onBytes?.(b);
      let text: string;
      try {
        text = decoder.decode(b, { stream: true });
      } catch {
        throw new EmbeddingFormatError(`${path}: not valid ${encoding} text in bytes ${offset}..${offset + n}`);
      }
      offset += n;
      yield text;
    }
    let tail: string;
    try {
      tail = decoder.decode();
    } catch {
      throw new EmbeddingFormatError(`${path}: the file ends inside a ${encoding} character (truncated?)`);
    }
    if (tail) yield tail;
  } finally {
    closeSync(fd);
  }
}

/**
 * MXNet's `_TokenEmbedding`: a `Vocabulary` whose every token has a vector, row `i` of `idxToVec`
 * for the token of index `i` (row 0: the unknown token). Built by `CustomEmbedding`, `GloVe`,
 * `FastText` and `create`, or from vectors in memory.
 *
 * @example
 * const e = new text.embedding.TokenEmbedding({ tokens: ['a', 'b'], vectors: Float32Array.of(1, 0, 0, 1), vecLen: 2, unknownVec: null });
 * e.length;                    // 3 (<unk>, a, b)
 * e.getVecsByTokens(['b', 'x']); // [[0, 1], [0, 0]]
 */
export class TokenEmbedding extends Vocabulary {
  /** The length of every vector. */
  readonly vecLen: number;
  private vecs: NDArray;

  constructor(source: EmbeddingVectors, opts: TokenEmbeddingOptions = {}) {
    const vocabulary = opts.vocabulary;
    if (vocabulary !== undefined && !(vocabulary instanceof Vocabulary))
      throw new ValueError(`TokenEmbedding: vocabulary must be a text.vocab.Vocabulary, got ${String(vocabulary)}`);
    const unknownToken = opts.unknownToken ?? '<unk>';
    if (vocabulary && vocabulary.unknownToken !== unknownToken)
      throw new ValueError(
        `TokenEmbedding: the vocabulary's unknown token ${JSON.stringify(vocabulary.unknownToken)} must be the embedding's ${JSON.stringify(unknownToken)}`,
      );
    super(null, { unknownToken, reservedTokens: vocabulary?.reservedTokens ?? null });
    const { tokens, vectors, vecLen, unknownVec } = source;
    if (!Number.isInteger(vecLen) || vecLen < 1) throw new ValueError(`TokenEmbedding: vecLen must be a positive integer, got ${vecLen}`);
    if (!(vectors instanceof Float32Array) || vectors.length !== tokens.length * vecLen)
      throw new ShapeError(
        `TokenEmbedding: expected ${tokens.length} × ${vecLen} = ${tokens.length * vecLen} float32 values, got ${vectors?.length}`,
      );
    this.vecLen = vecLen;
    let unk: Float32Array;
    if (unknownVec) {
      if (unknownVec.length !== vecLen)
        throw new ShapeError(`TokenEmbedding: the unknown vector has ${unknownVec.length} values, expected ${vecLen}`);
      unk = unknownVec;
    } else {
      const init = opts.initUnknownVec ?? ((shape: number[]) => zeros(shape));
      const v = init([vecLen]);
      if (!(v instanceof NDArray) || v.size !== vecLen)
        throw new ShapeError(
          `TokenEmbedding: initUnknownVec([${vecLen}]) must return an NDArray of ${vecLen} values, got ${v instanceof NDArray ? `shape [${v.shape}]` : String(v)}`,
        );
      unk = Float32Array.from(v.dataSync() as ArrayLike<number>);
    }
    let data: Float32Array;
    if (vocabulary) {
      // MXNet's _build_embedding_for_vocabulary: the vocabulary's indices, each with its vector
      // from the file, or the unknown vector.
      const rowOf = new Map(tokens.map((t, i) => [t, i]));
      for (const t of vocabulary.idxToToken.slice(this.idxToToken.length)) this.addToken(t);
      data = new Float32Array(this.idxToToken.length * vecLen);
      this.idxToToken.forEach((t, i) => {
        const r = i === UNKNOWN_IDX ? undefined : rowOf.get(t);
        data.set(r === undefined ? unk : vectors.subarray(r * vecLen, (r + 1) * vecLen), i * vecLen);
      });
    } else {
      for (const t of tokens) this.addToken(t);
      if (this.idxToToken.length !== tokens.length + 1)
        throw new ValueError(
          `TokenEmbedding: the tokens must be distinct and must not include the unknown token ${JSON.stringify(unknownToken)}`,
        );
      data = new Float32Array((tokens.length + 1) * vecLen);
      data.set(unk, 0);
      data.set(vectors, vecLen);
    }
    this.vecs = array(data, { shape: [this.idxToToken.length, vecLen], ctx: opts.ctx });
  }

  /** The vectors: (length, vecLen), row i for the token of index i. @example e.idxToVec.shape // [400001, 50] */
  get idxToVec(): NDArray {
    return this.vecs;
  }

  /**
   * The vectors of tokens: (vecLen,) for one token, (n, vecLen) for an array; unknown tokens get
   * the unknown vector. With `lowerCaseBackup`, a token not found is looked up in lower case.
   *
   * @example
   * glove.getVecsByTokens(['hello', 'world']).shape; // [2, 50]
   * glove.getVecsByTokens('Hello', true);             // the vector of 'hello'
   */
  getVecsByTokens(tokens: string, lowerCaseBackup?: boolean): NDArray;
  getVecsByTokens(tokens: readonly string[], lowerCaseBackup?: boolean): NDArray;
  getVecsByTokens(tokens: string | readonly string[], lowerCaseBackup = false): NDArray {
    const one = typeof tokens === 'string';
    const list = one ? [tokens] : tokens;
    if (!Array.isArray(list) || list.some((t) => typeof t !== 'string'))
      throw new ValueError(`getVecsByTokens: expected a token or an array of tokens, got ${String(tokens)}`);
    if (list.length === 0) throw new ValueError('getVecsByTokens: the token list is empty');
    const indices = list.map(
      (t) => this.tokenToIdx.get(t) ?? (lowerCaseBackup ? this.tokenToIdx.get(t.toLowerCase()) : undefined) ?? UNKNOWN_IDX,
    );
    const vecs = this.vecs.take(indices);
    return one ? vecs.reshape([this.vecLen]) : vecs;
  }

  /**
   * Replaces the vectors of known tokens (one token with a (vecLen,) or (1, vecLen) array, or n
   * tokens with (n, vecLen)). A token not in the embedding is an error, except the unknown token
   * named explicitly (as MXNet, to avoid updating it by mistake).
   *
   * @example
   * e.updateTokenVectors(['hello'], nd.ones([1, 50]));
   * e.updateTokenVectors('<unk>', nd.zeros([50]));
   */
  updateTokenVectors(tokens: string | readonly string[], newVectors: NDArray): void {
    const list = typeof tokens === 'string' ? [tokens] : tokens;
    if (!Array.isArray(list) || list.length === 0 || list.some((t) => typeof t !== 'string'))
      throw new ValueError(`updateTokenVectors: expected a token or a non-empty array of tokens, got ${String(tokens)}`);
    if (!(newVectors instanceof NDArray))
      throw new ValueError(`updateTokenVectors: newVectors must be an NDArray, got ${String(newVectors)}`);
    let nv = newVectors;
    if (list.length === 1 && nv.ndim === 1) nv = nv.reshape([1, nv.shape[0]]);
    if (nv.ndim !== 2 || nv.shape[0] !== list.length || nv.shape[1] !== this.vecLen)
      throw new ShapeError(
        `updateTokenVectors: newVectors must have shape [${list.length}, ${this.vecLen}] (one row per token, the embedding's length), got [${newVectors.shape}]`,
      );
    const indices = list.map((t) => {
      const i = this.tokenToIdx.get(t);
      if (i === undefined)
        throw new ValueError(
          `updateTokenVectors: token ${JSON.stringify(t)} is unknown. To update the vector of an unknown token, name the unknown token ${JSON.stringify(this.unknownToken)} explicitly in tokens; this is to avoid unintended updates`,
        );
      return i;
    });
    const values = nv.astype(this.vecs.dtype).copyto(this.vecs.context);
    indices.forEach((idx, r) => this.vecs.set(idx, values.get(r)));
  }
}

/**
 * MXNet's `CustomEmbedding`: vectors from any file in the GloVe text format (`token v1 ... vN`
 * per line, fields separated by `elemDelim`).
 *
 * @example
 * const e = new text.embedding.CustomEmbedding('/tmp/my_vectors.txt', { elemDelim: ' ' });
 * e.getVecsByTokens('hello');
 */
export class CustomEmbedding extends TokenEmbedding {
  constructor(pretrainedFilePath: string, opts: EmbeddingFileOptions = {}) {
    checkKeys('CustomEmbedding', opts, FILE_OPTION_KEYS);
    if (typeof pretrainedFilePath !== 'string' || pretrainedFilePath === '')
      throw new ValueError(`CustomEmbedding: pretrainedFilePath must be a path to a vector file, got ${String(pretrainedFilePath)}`);
    super(readEmbeddingFile(pretrainedFilePath, { ...opts, header: false }), opts);
  }
}

/** Reads a vector file: text format, optional fastText header, optional SHA-1 check. */
function readEmbeddingFile(
  path: string,
  opts: EmbeddingFileOptions & { header: boolean; sha1?: { hex: string; name: string; hint: string } },
): EmbeddingVectors {
  const hash = opts.sha1 ? createHash('sha1') : null;
  const vocabulary = opts.vocabulary;
  const parsed = parseEmbeddingText(fileChunks(path, opts.encoding ?? 'utf8', hash ? (b) => hash.update(b) : undefined), {
    where: path,
    elemDelim: opts.elemDelim ?? ' ',
    unknownToken: opts.unknownToken ?? '<unk>',
    header: opts.header,
    keep: vocabulary ? (t) => vocabulary.has(t) : undefined,
    warn: opts.warn,
  });
  if (hash && opts.sha1) {
    const got = hash.digest('hex');
    if (got !== opts.sha1.hex)
      throw new CorruptDataError(
        `${path}: checksum mismatch for ${opts.sha1.name}: expected sha1 ${opts.sha1.hex} (MXNet's recorded checksum), got ${got}. ` +
          `The file is truncated, corrupt or another version: ${opts.sha1.hint} (or pass verify: false to use it anyway)`,
      );
  }
  return parsed;
}

/** The pretrained files of each embedding name, from the data registry's table. */
function filesOf(name: string): PretrainedEmbeddingFile[] {
  return PRETRAINED_EMBEDDING_FILES.filter((f) => f.embedding === name);
}

const EMBEDDING_NAMES = ['glove', 'fasttext'] as const;

/** Finds and reads a pretrained file of `embedding` through the data resolver. */
function loadPretrained(
  embedding: 'glove' | 'fasttext',
  cls: string,
  defaultFile: string,
  opts: PretrainedEmbeddingOptions,
): EmbeddingVectors {
  checkKeys(cls, opts, PRETRAINED_OPTION_KEYS);
  const fileName = opts.pretrainedFileName ?? defaultFile;
  const file = filesOf(embedding).find((f) => f.file === fileName);
  if (!file)
    throw new ValueError(
      `Cannot find pretrained file ${JSON.stringify(fileName)} for token embedding ${embedding}. Valid pretrained files for embedding ${embedding}: ` +
        `${filesOf(embedding)
          .map((f) => f.file)
          .join(', ')} (any other file in this format loads with text.embedding.CustomEmbedding)`,
    );
  const name = pretrainedDataName(embedding, file.file);
  let path: string;
  try {
    path = resolveDataFileSync(getDataFileSpec(name), { dataDir: opts.dataDir, verify: false }).path;
  } catch (e) {
    if (!(e instanceof DataNotFoundError) || e.constructor !== DataNotFoundError) throw e;
    const looked = e.message.split('\nHow to get it:')[0].replace(/^[^\n]*\n/, '');
    throw new PretrainedFileNotFoundError(
      `text.embedding.create('${embedding}', { pretrainedFileName: '${file.file}' }): the file is not on this machine, and the library does not download pretrained vectors. ` +
        `To use it: ${pretrainedInstallHint(file)}.\nLooked in:\n${looked}`,
    );
  }
  return readEmbeddingFile(path, {
    ...opts,
    header: embedding === 'fasttext',
    sha1: opts.verify === false ? undefined : { hex: file.sha1, name, hint: pretrainedInstallHint(file) },
  });
}

/**
 * MXNet's `GloVe` embedding (Pennington et al. 2014, https://nlp.stanford.edu/projects/glove/):
 * `pretrainedFileName` one of `getPretrainedFileNames('glove')` (default 'glove.840B.300d.txt'),
 * found as `glove/<file>` through the data resolver and checked against MXNet's SHA-1.
 *
 * @example
 * const glove = new text.embedding.GloVe({ pretrainedFileName: 'glove.6B.50d.txt' });
 * glove.length; // 400001
 */
export class GloVe extends TokenEmbedding {
  constructor(opts: PretrainedEmbeddingOptions = {}) {
    super(loadPretrained('glove', 'GloVe', 'glove.840B.300d.txt', opts), opts);
  }
}

/**
 * MXNet's `FastText` embedding (Bojanowski et al. 2017, https://fasttext.cc/): a `.vec` file of
 * `getPretrainedFileNames('fasttext')` (default 'wiki.simple.vec'), whose first line is the
 * `count dim` header, found as `fasttext/<file>` through the data resolver.
 *
 * @example
 * const ft = new text.embedding.FastText({ pretrainedFileName: 'wiki.simple.vec', vocabulary: myVocab });
 */
export class FastText extends TokenEmbedding {
  constructor(opts: PretrainedEmbeddingOptions = {}) {
    super(loadPretrained('fasttext', 'FastText', 'wiki.simple.vec', opts), opts);
  }
}

function checkName(op: string, embeddingName: string): 'glove' | 'fasttext' {
  const n = typeof embeddingName === 'string' ? embeddingName.toLowerCase() : embeddingName;
  if (!(EMBEDDING_NAMES as readonly unknown[]).includes(n))
    throw new ValueError(
      `${op}: cannot find embedding ${JSON.stringify(embeddingName)}; valid embedding names: ${EMBEDDING_NAMES.join(', ')} ` +
        '(Object.keys(text.embedding.getPretrainedFileNames()))',
    );
  return n as 'glove' | 'fasttext';
}

/**
 * MXNet's `text.embedding.create(embedding_name, **kwargs)`: a `GloVe` or `FastText` embedding
 * (the name is case-insensitive).
 *
 * @example
 * const glove6b50d = text.embedding.create('glove', { pretrainedFileName: 'glove.6B.50d.txt' });
 * const mine = text.embedding.create('fasttext', { pretrainedFileName: 'wiki.simple.vec', vocabulary: myVocab });
 */
export function create(embeddingName: string, opts: PretrainedEmbeddingOptions = {}): TokenEmbedding {
  return checkName('text.embedding.create', embeddingName) === 'glove' ? new GloVe(opts) : new FastText(opts);
}

/**
 * MXNet's `get_pretrained_file_names(embedding_name=None)`: the pretrained files of one embedding,
 * or of every embedding by name.
 *
 * @example
 * Object.keys(text.embedding.getPretrainedFileNames()); // ['glove', 'fasttext']
 * text.embedding.getPretrainedFileNames('glove');        // ['glove.42B.300d.txt', 'glove.6B.50d.txt', ...]
 */
export function getPretrainedFileNames(): Record<string, string[]>;
export function getPretrainedFileNames(embeddingName: string): string[];
export function getPretrainedFileNames(embeddingName?: string | null): string[] | Record<string, string[]> {
  if (embeddingName === undefined || embeddingName === null)
    return Object.fromEntries(EMBEDDING_NAMES.map((n) => [n, filesOf(n).map((f) => f.file)]));
  return filesOf(checkName('getPretrainedFileNames', embeddingName)).map((f) => f.file);
}

/**
 * The source, checksum and install line of a pretrained file (what a program prints when the file
 * is missing).
 *
 * @example
 * pretrainedFileInfo('glove', 'glove.6B.50d.txt').sha1; // '21bf566a9d27f84d253e0cd4d4be9dcc07976a6d'
 */
export function pretrainedFileInfo(
  embeddingName: string,
  pretrainedFileName: string,
): PretrainedEmbeddingFile & { dataName: string; hint: string } {
  const name = checkName('pretrainedFileInfo', embeddingName);
  const f = filesOf(name).find((x) => x.file === pretrainedFileName);
  if (!f) throw new ValueError(`pretrainedFileInfo: ${JSON.stringify(pretrainedFileName)} is not one of getPretrainedFileNames('${name}')`);
  return { ...f, dataName: pretrainedDataName(f.embedding, f.file), hint: pretrainedInstallHint(f) };
}
