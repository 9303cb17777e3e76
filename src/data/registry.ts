/**
 * The registry of data files the project knows: where each one comes from (its canonical URL),
 * what its bytes must hash to, and where else it may already sit on a machine. The one data
 * resolver (`resolver.ts`) reads this table for every data set: Fashion-MNIST, MNIST and the
 * book's corpora (lyrics, PTB, The Time Machine, ...).
 *
 * Checksums of gzip files are over the **unpacked** bytes where we know them: Debian's
 * `dataset-fashion-mnist` recompressed the files, so their .gz bytes differ from Zalando's while
 * the content is the same. Other variants (the MXNet/Gluon S3 mirror, whose files have other
 * content and sample order) are listed as further accepted checksums over the packed file.
 */
import { ValueError } from '../core/errors.js';
import { PRETRAINED_EMBEDDING_FILES, pretrainedDataName, pretrainedInstallHint } from './pretrained-embeddings.js';

/** A hash algorithm the resolver can verify. */
export type HashAlgorithm = 'sha256' | 'sha1' | 'md5';

/** One accepted checksum of a data file. */
export interface DataChecksum {
  algorithm: HashAlgorithm;
  /** Lower-case hex digest. */
  hex: string;
  /** What is hashed: the unpacked content of a gzip file, or the file's bytes as stored. */
  over: 'unpacked' | 'file';
  /** Which release of the file this is, for messages ("Zalando original", "Gluon S3 mirror"). */
  label: string;
}

/** A data file the resolver knows how to find, download and verify. */
export interface DataFileSpec {
  /**
   * The file's path inside a data directory, with forward slashes, e.g.
   * `fashion-mnist/train-images-idx3-ubyte.gz` or `ptb.zip`. The cache uses the same layout.
   */
  name: string;
  /** The data set it belongs to (`fashion-mnist`, `mnist`, `ptb`, ...). */
  dataset: string;
  /** The canonical download URL. */
  url: string;
  /** Accepted checksums; the first one is the canonical release. A file passes if any matches. */
  checksums: DataChecksum[];
  /** Bytes of the unpacked content (for .gz) or of the file, for early truncation checks. */
  size?: number;
  /** Directories (absolute, `~` allowed) that hold the file under its base name. */
  systemDirs?: string[];
  /** One line on how to install the data without the downloader (shown in errors). */
  installHint?: string;
  /**
   * Why the resolver must not download the file (it comes inside an archive, or is too large):
   * the async API then stops at step 4 and the error says this and the install hint.
   */
  noDownload?: string;
}

const FMNIST_URL = 'http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/';
const FMNIST_HINT = 'Debian/Ubuntu: `sudo apt-get install dataset-fashion-mnist` (installs /usr/share/datasets/fashion-mnist)';
const FMNIST_DIRS = ['/usr/share/datasets/fashion-mnist', '~/.mxnet/datasets/fashion-mnist'];

function fmnist(base: string, sha256: string, size: number, gluonSha1: string): DataFileSpec {
  return {
    name: `fashion-mnist/${base}`,
    dataset: 'fashion-mnist',
    url: FMNIST_URL + base,
    checksums: [
      { algorithm: 'sha256', hex: sha256, over: 'unpacked', label: 'Zalando original (unpacked)' },
      { algorithm: 'sha1', hex: gluonSha1, over: 'file', label: "MXNet/Gluon S3 mirror (the book's copy)" },
    ],
    size,
    systemDirs: FMNIST_DIRS,
    installHint: FMNIST_HINT,
  };
}

// MNIST: the original files as mirrored by PyTorch (yann.lecun.com often refuses downloads).
// Known checksums are of the packed files (md5 of the original .gz, sha1 of Gluon's mirror).
const MNIST_URL = 'https://ossci-datasets.s3.amazonaws.com/mnist/';
function mnist(base: string, md5: string, gluonSha1: string, size: number): DataFileSpec {
  return {
    name: `mnist/${base}`,
    dataset: 'mnist',
    url: MNIST_URL + base,
    checksums: [
      { algorithm: 'md5', hex: md5, over: 'file', label: 'LeCun original' },
      { algorithm: 'sha1', hex: gluonSha1, over: 'file', label: 'MXNet/Gluon S3 mirror' },
    ],
    size,
    systemDirs: ['~/.mxnet/datasets/mnist'],
    installHint: "download the four IDX files from http://yann.lecun.com/exdb/mnist/ into a data directory's mnist/ folder",
  };
}

// The book's own files: d2l-zh's data/ folder at the v1 tip, and the d2l data hub.
const D2LZH_RAW = 'https://raw.githubusercontent.com/d2l-ai/d2l-zh/13177e16f335fef0b47317f98e2705c2f69a3440/data/';
const D2L_HUB = 'http://d2l-data.s3-accelerate.amazonaws.com/';
const BOOK_HINT = "copy the book's data/ folder (d2l-zh, branch v1) into a data directory";

function book(name: string, url: string, sha256: string, size: number, sha1?: string): DataFileSpec {
  const checksums: DataChecksum[] = [{ algorithm: 'sha256', hex: sha256, over: 'file', label: 'd2l-zh v1' }];
  if (sha1) checksums.push({ algorithm: 'sha1', hex: sha1, over: 'file', label: 'd2l data hub' });
  return { name, dataset: name.replace(/\..*$/, '').replace(/\/.*$/, ''), url, checksums, size, installHint: BOOK_HINT };
}

const BUILTIN: DataFileSpec[] = [
  fmnist(
    'train-images-idx3-ubyte.gz',
    'c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888',
    47040016,
    '0cf37b0d40ed5169c6b3aba31069a9770ac9043d',
  ),
  fmnist(
    'train-labels-idx1-ubyte.gz',
    'bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9',
    60008,
    '236021d52f1e40852b06a4c3008d8de8aef1e40b',
  ),
  fmnist(
    't10k-images-idx3-ubyte.gz',
    '5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b',
    7840016,
    '626ed6a7c06dd17c0eec72fa3be1740f146a2863',
  ),
  fmnist(
    't10k-labels-idx1-ubyte.gz',
    '0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34',
    10008,
    '17f9ab60e7257a1620f4ad76bbbaf857c3920701',
  ),
  mnist('train-images-idx3-ubyte.gz', 'f68b3c2dcbeaaa9fbdd348bbdeb94873', '6c95f4b05d2bf285e1bfb0e7960c31bd3b3f8a7d', 47040016),
  mnist('train-labels-idx1-ubyte.gz', 'd53e105ee54ea40749a09fcbcd1e9432', '2a80914081dc54586dbdf242f9805a6b8d2a15fc', 60008),
  mnist('t10k-images-idx3-ubyte.gz', '9fb629c4189551a2d022fa330f9573f3', 'c3a25af1f52dad7f726cce8cacb138654b760d48', 7840016),
  mnist('t10k-labels-idx1-ubyte.gz', 'ec29112dd5afa0611ce80d1b7f02629c', '763e7fa3757d93b0cdec073cef058b2004252c17', 10008),
  book(
    'jaychou_lyrics.txt.zip',
    D2LZH_RAW + 'jaychou_lyrics.txt.zip',
    '3cfedd7d174111cdad5a27eaffaa6a2432a2842cf2590a03dd8a97610ea07043',
    52607,
    '9529987e701a4f37048ab778270a5dde9a762a0b',
  ),
  book(
    'ptb.zip',
    D2L_HUB + 'ptb.zip',
    '310d8f602882a5716613815ed75596e5764ea84ed04c5630eebaaf2b943ec5aa',
    1981551,
    '319d85e578af0cdc590547f26231e4e31cdf1e42',
  ),
  book(
    'timemachine.txt',
    D2L_HUB + 'timemachine.txt',
    '8424dbd9532ac81f7e5f0b6add90e6952baea29158309d7d1bf3884f4e12c516',
    178979,
    '090b5e7e70c295757f55df93cb0a180b9691891a',
  ),
  book(
    'airfoil_self_noise.dat',
    D2LZH_RAW + 'airfoil_self_noise.dat',
    '74c75fd71783f1e6b71f8a622b993dc592897a97cd689c5090a07147a1b097b3',
    59984,
  ),
  book(
    'kaggle_house_pred_train.csv',
    D2LZH_RAW + 'kaggle_house_pred_train.csv',
    '1e18addf81e5e4d347cc17ee6075bbe4a42b7fa26b9e5b063e8f692a5f929d41',
    460676,
  ),
  book(
    'kaggle_house_pred_test.csv',
    D2LZH_RAW + 'kaggle_house_pred_test.csv',
    '8fdd3d829d4d986b58f845c9553b225e67dd8383624d90fb6ca1d4bed5798c1e',
    451405,
  ),
  book('fr-en-small.txt', D2LZH_RAW + 'fr-en-small.txt', '2fbdf9bbb0dc1f31adb0af10a49c2aa9799de565e1d4bd71257a856d4dc9dbfc', 806),
  // The book's early IMDb sample (removed from d2l-zh's data/ before v1, so read at the commit
  // that last had it), and the full set that v1's 10.7/10.8 download (d2lzh's download_imdb sha1).
  book(
    'aclImdb_tiny.zip',
    'https://raw.githubusercontent.com/d2l-ai/d2l-zh/56bcc80ce123633356b58208d20ace0b4c2b0e71/data/aclImdb_tiny.zip',
    '556e7340b08cdd0aa827db7d64868d0326d0b79160659d6753dce1afbdfe6e6a',
    32845,
  ),
  {
    name: 'aclImdb_v1.tar.gz',
    dataset: 'aclImdb',
    url: 'http://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz',
    checksums: [{ algorithm: 'sha1', hex: '01ada507287d82875905620988597833ad4e0903', over: 'file', label: "d2lzh's download_imdb" }],
    installHint: 'download http://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz (84 MB) into a data directory',
  },
  // GloVe and fastText vectors (mxnet.contrib.text.embedding): looked up, verified, never downloaded.
  ...PRETRAINED_EMBEDDING_FILES.map((f): DataFileSpec => ({
    name: pretrainedDataName(f.embedding, f.file),
    dataset: f.embedding,
    url: f.url,
    checksums: [{ algorithm: 'sha1', hex: f.sha1, over: 'file', label: "MXNet's recorded sha1 (mxnet/contrib/text/_constants.py)" }],
    systemDirs: [`~/.mxnet/embeddings/${f.embedding}`],
    installHint: pretrainedInstallHint(f),
    noDownload: f.inArchive
      ? `it comes inside the archive ${f.url}, which must be unpacked by hand`
      : 'pretrained vectors are several GB: get them by hand',
  })),
];

const registry = new Map<string, DataFileSpec>(BUILTIN.map((s) => [s.name, s]));

/**
 * The spec of a known data file, by its name inside a data directory.
 *
 * @example
 * const spec = getDataFileSpec('fashion-mnist/train-images-idx3-ubyte.gz');
 * spec.url; // 'http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/train-images-idx3-ubyte.gz'
 */
export function getDataFileSpec(name: string): DataFileSpec {
  const s = registry.get(name);
  if (!s)
    throw new ValueError(
      `data: unknown data file ${JSON.stringify(name)}; known files: ${[...registry.keys()].join(', ')} ` +
        '(register others with registerDataFile)',
    );
  return s;
}

/**
 * Adds (or replaces) a data file in the registry, so the resolver can find, download and verify it.
 *
 * @example
 * registerDataFile({
 *   name: 'my-set/train.csv', dataset: 'my-set', url: 'https://example.org/train.csv',
 *   checksums: [{ algorithm: 'sha256', hex: 'ab12...', over: 'file', label: 'v1' }],
 * });
 */
export function registerDataFile(spec: DataFileSpec): void {
  if (!spec.name || spec.name.startsWith('/') || spec.name.split('/').includes('..'))
    throw new ValueError(`registerDataFile: the name must be a relative path inside a data directory, got ${JSON.stringify(spec.name)}`);
  if (!spec.checksums?.length) throw new ValueError(`registerDataFile(${spec.name}): at least one checksum is required`);
  for (const c of spec.checksums) {
    const len = { sha256: 64, sha1: 40, md5: 32 }[c.algorithm];
    if (!len || !new RegExp(`^[0-9a-f]{${len}}$`).test(c.hex))
      throw new ValueError(
        `registerDataFile(${spec.name}): ${c.algorithm} checksum ${JSON.stringify(c.hex)} is not ${len} lower-case hex digits`,
      );
  }
  registry.set(spec.name, spec);
}

/**
 * Every registered data file.
 *
 * @example
 * listDataFiles().filter((s) => s.dataset === 'fashion-mnist').length; // 4
 */
export function listDataFiles(): DataFileSpec[] {
  return [...registry.values()];
}
