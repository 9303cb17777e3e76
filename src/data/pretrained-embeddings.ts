/**
 * The pretrained word vectors that MXNet's `contrib.text.embedding` knows (GloVe and fastText),
 * as data files of the project's resolver: each is looked up as `glove/<file>` or
 * `fasttext/<file>` in a data directory, the cache (`~/.cache/d2l-ts/glove/...`) or MXNet's
 * `~/.mxnet/embeddings/<name>/`, and checked against the SHA-1 that MXNet records for it
 * (`python/mxnet/contrib/text/_constants.py`, `GLOVE_PRETRAINED_ARCHIVE_SHA1` and
 * `FAST_TEXT_FILE_SHA1`, which hash the unpacked text files).
 *
 * They are never downloaded by the library: they are hundreds of MB to several GB, and GloVe's
 * come inside zip archives. The error for a missing file names the archive's URL, the file and its
 * checksum. The archives' own SHA-1s in MXNet's table are of MXNet's mirror of them
 * (apache-mxnet S3), not verified against the publishers' copies, so they are given for
 * information only.
 */

/** One pretrained file: where it comes from and what it hashes to. */
export interface PretrainedEmbeddingFile {
  /** The embedding's name in `text.embedding.create(name, ...)`: 'glove' or 'fasttext'. */
  embedding: 'glove' | 'fasttext';
  /** The file name, e.g. 'glove.6B.50d.txt'. */
  file: string;
  /** The publisher's download URL (an archive holding `file`, or the file itself). */
  url: string;
  /** Whether `url` is a zip archive that holds `file` (so it must be unpacked). */
  inArchive: boolean;
  /** SHA-1 of the unpacked file, as MXNet records it. */
  sha1: string;
  /** The archive's SHA-1 in MXNet's table (of MXNet's mirror of it; not verified against the publisher's), if any. */
  archiveSha1?: string;
}

const STANFORD = 'https://nlp.stanford.edu/data/';
const GLOVE_ARCHIVE_SHA1: Record<string, string> = {
  'glove.42B.300d.zip': 'f8e722b39578f776927465b71b231bae2ae8776a',
  'glove.6B.zip': 'b64e54f1877d2f735bdd000c1d7d771e25c7dfdc',
  'glove.840B.300d.zip': '8084fbacc2dee3b1fd1ca4cc534cbfff3519ed0d',
  'glove.twitter.27B.zip': 'dce69c404025a8312c323197347695e81fd529fc',
};

function glove(file: string, archive: string, sha1: string): PretrainedEmbeddingFile {
  return { embedding: 'glove', file, url: STANFORD + archive, inArchive: true, sha1, archiveSha1: GLOVE_ARCHIVE_SHA1[archive] };
}

const FB = 'https://dl.fbaipublicfiles.com/';
function wiki(lang: string, sha1: string): PretrainedEmbeddingFile {
  return { embedding: 'fasttext', file: `wiki.${lang}.vec`, url: `${FB}fasttext/vectors-wiki/wiki.${lang}.vec`, inArchive: false, sha1 };
}

/**
 * Every pretrained file, in MXNet's order for GloVe (what the book prints for
 * `get_pretrained_file_names('glove')`). For fastText, the English files and a selection of
 * Wikipedia languages of MXNet's table (which lists every Wikipedia); any other `.vec` file loads
 * with `text.embedding.CustomEmbedding`.
 */
export const PRETRAINED_EMBEDDING_FILES: readonly PretrainedEmbeddingFile[] = [
  glove('glove.42B.300d.txt', 'glove.42B.300d.zip', '876767977d6bd4d947c0f84d44510677bc94612a'),
  glove('glove.6B.50d.txt', 'glove.6B.zip', '21bf566a9d27f84d253e0cd4d4be9dcc07976a6d'),
  glove('glove.6B.100d.txt', 'glove.6B.zip', '16b1dbfaf35476790bd9df40c83e2dfbd05312f1'),
  glove('glove.6B.200d.txt', 'glove.6B.zip', '17d0355ddaa253e298ede39877d1be70f99d9148'),
  glove('glove.6B.300d.txt', 'glove.6B.zip', '646443dd885090927f8215ecf7a677e9f703858d'),
  glove('glove.840B.300d.txt', 'glove.840B.300d.zip', '294b9f37fa64cce31f9ebb409c266fc379527708'),
  glove('glove.twitter.27B.25d.txt', 'glove.twitter.27B.zip', '767d80889d8c8a22ae7cd25e09d0650a6ff0a502'),
  glove('glove.twitter.27B.50d.txt', 'glove.twitter.27B.zip', '9585f4be97e286339bf0112d0d3aa7c15a3e864d'),
  glove('glove.twitter.27B.100d.txt', 'glove.twitter.27B.zip', '1bbeab8323c72332bd46ada0fc3c99f2faaa8ca8'),
  glove('glove.twitter.27B.200d.txt', 'glove.twitter.27B.zip', '7921c77a53aa5977b1d9ce3a7c4430cbd9d1207a'),
  {
    embedding: 'fasttext',
    file: 'crawl-300d-2M.vec',
    url: `${FB}fasttext/vectors-english/crawl-300d-2M.vec.zip`,
    inArchive: true,
    sha1: '9b556504d099a6c01f3dd76b88775d02cb2f1946',
  },
  {
    embedding: 'fasttext',
    file: 'wiki-news-300d-1M.vec',
    url: `${FB}fasttext/vectors-english/wiki-news-300d-1M.vec.zip`,
    inArchive: true,
    sha1: '11cac9efe6f599e659be182f5766d6fbd5b1cab9',
  },
  {
    embedding: 'fasttext',
    file: 'wiki-news-300d-1M-subword.vec',
    url: `${FB}fasttext/vectors-english/wiki-news-300d-1M-subword.vec.zip`,
    inArchive: true,
    sha1: '717a3058e0ba5ef3cde52c3df0d4f0f60b0a113a',
  },
  wiki('en', 'c1e418f144ceb332b4328d27addf508731fa87df'),
  wiki('simple', '55267c50fbdf4e4ae0fbbda5c73830a379d68795'),
  wiki('zh', '117ab34faa80e381641fbabf3a24bc8cfba44050'),
  wiki('ar', 'c46e2142f799cc385bd25f0c0a8943ca565505a4'),
  wiki('de', '2ed2696afe55f023b0040b238d9a47e5fedfe48b'),
  wiki('es', '2f41401aa0925167176bcd7a6770423d891dfef5'),
  wiki('fr', 'b092229005a65d8683a4112852fe6eb8161a6917'),
  wiki('it', 'ac4a985e85ffae48047034e2603d804bf126caa9'),
  wiki('ja', '7a2b1af1e46d795410692a002e40fa3085135f69'),
  wiki('ko', '042c85a788c2778cca538cf716b8a78f0d7fa823'),
  wiki('nl', 'd796ee27e37b7d1d464e03c265c31ab62b52533e'),
  wiki('pt', '7f11ebdb0cbf5929b38319f1e977d2c13bcd741b'),
  wiki('ru', '7514a2c60ee4118abb451ed32a0d61cb52dec384'),
  {
    embedding: 'fasttext',
    file: 'wiki.multi.en.vec',
    url: `${FB}arrival/vectors/wiki.multi.en.vec`,
    inArchive: false,
    sha1: '696719afdbe470ee4a2eb668229486dba1df19cc',
  },
];

/**
 * The resolver's name of a pretrained file: `<embedding>/<file>`.
 *
 * @example
 * pretrainedDataName('glove', 'glove.6B.50d.txt'); // 'glove/glove.6B.50d.txt'
 */
export function pretrainedDataName(embedding: string, file: string): string {
  return `${embedding}/${file}`;
}

/**
 * How to get a pretrained file by hand, in one line (for errors and program output).
 *
 * @example
 * pretrainedInstallHint(PRETRAINED_EMBEDDING_FILES[1]);
 * // 'download https://nlp.stanford.edu/data/glove.6B.zip, unpack glove.6B.50d.txt (sha1 21bf...) and put it at glove/glove.6B.50d.txt ...'
 */
export function pretrainedInstallHint(f: PretrainedEmbeddingFile): string {
  const where = `${pretrainedDataName(f.embedding, f.file)} in a data directory (the dataDir option, --data-dir, D2L_DATA_DIR), in the cache or in ~/.mxnet/embeddings/${f.embedding}/`;
  return f.inArchive
    ? `download ${f.url}, unpack ${f.file} (sha1 ${f.sha1}) and put it at ${where}`
    : `download ${f.url} (sha1 ${f.sha1}) and put it at ${where}`;
}
