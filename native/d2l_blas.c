/*
 * d2l_blas: a small N-API addon exposing the system OpenBLAS GEMM (cblas_sgemm / cblas_dgemm) to
 * d2l-ts. It works directly on the CPU backend's heap, one shared WebAssembly.Memory: JS passes a
 * Uint8Array over the heap's SharedArrayBuffer plus byte offsets, so no data is copied. Every call
 * checks that each matrix lies inside that array before handing pointers to BLAS.
 *
 * Built by scripts/build-blas.mjs (node-gyp, plain C N-API, no node-addon-api); loaded by
 * src/backend/cpu/blas/index.ts. Entry points:
 *   gemm(f64, mem, transA, transB, M, N, K, alpha, lda, ldb, beta, ldc, offA, offB, offC)
 *   gemmBatch(f64, mem, transA, transB, M, N, K, alpha, lda, ldb, beta, ldc, offsets)
 *       offsets: a Float64Array of (A, B, C) byte-offset triples, one per batch item.
 *   setThreads(n), getThreads(), info()
 * Matrices are row-major (CblasRowMajor); a transposed operand is a column-major one.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <node_api.h>
#include <sys/mman.h>
#include <errno.h>

/*
 * The CBLAS and OpenBLAS entry points, declared here rather than taken from <cblas.h>: Debian
 * ships that header under a per-variant directory (openblas-pthread/, openblas-openmp/), other
 * systems elsewhere, and these declarations are the stable C ABI of libopenblas (32-bit ints).
 */
enum CBLAS_ORDER { CblasRowMajor = 101, CblasColMajor = 102 };
enum CBLAS_TRANSPOSE { CblasNoTrans = 111, CblasTrans = 112 };
extern void cblas_sgemm(enum CBLAS_ORDER order, enum CBLAS_TRANSPOSE ta, enum CBLAS_TRANSPOSE tb, int m, int n, int k,
                        float alpha, const float *a, int lda, const float *b, int ldb, float beta, float *c, int ldc);
extern void cblas_dgemm(enum CBLAS_ORDER order, enum CBLAS_TRANSPOSE ta, enum CBLAS_TRANSPOSE tb, int m, int n, int k,
                        double alpha, const double *a, int lda, const double *b, int ldb, double beta, double *c, int ldc);
extern void openblas_set_num_threads(int num_threads);
extern int openblas_get_num_threads(void);
extern int openblas_get_num_procs(void);
extern char *openblas_get_config(void);
extern char *openblas_get_corename(void);
extern int openblas_get_parallel(void);

#define CHECK(env, call)                                                   \
  do {                                                                     \
    if ((call) != napi_ok) {                                               \
      napi_throw_error((env), "D2L_BLAS", "d2l_blas: N-API call failed: " #call); \
      return NULL;                                                         \
    }                                                                      \
  } while (0)

static napi_value throw_range(napi_env env, const char *msg) {
  napi_throw_range_error(env, "D2L_BLAS", msg);
  return NULL;
}

/* The bytes of a Uint8Array (over an ArrayBuffer or a SharedArrayBuffer). */
static int get_bytes(napi_env env, napi_value v, uint8_t **data, size_t *len) {
  bool is_ta = false;
  if (napi_is_typedarray(env, v, &is_ta) != napi_ok || !is_ta) return 0;
  napi_typedarray_type type;
  size_t length = 0, byte_offset = 0;
  void *p = NULL;
  napi_value ab;
  if (napi_get_typedarray_info(env, v, &type, &length, &p, &ab, &byte_offset) != napi_ok) return 0;
  if (type != napi_uint8_array || p == NULL) return 0;
  *data = (uint8_t *)p;
  *len = length;
  return 1;
}

static int get_int(napi_env env, napi_value v, int64_t *out) {
  double d;
  if (napi_get_value_double(env, v, &d) != napi_ok) return 0;
  if (!(d >= -2147483648.0 && d <= 2147483647.0) || d != floor(d)) return 0;
  *out = (int64_t)d;
  return 1;
}

/* The arguments shared by gemm and gemmBatch (the first 12). */
typedef struct {
  int f64;
  uint8_t *mem;
  size_t mem_len;
  enum CBLAS_TRANSPOSE ta, tb;
  int m, n, k, lda, ldb, ldc;
  double alpha, beta;
  /* Byte extents (one past the last element touched) of A, B and C relative to their start. */
  uint64_t ext_a, ext_b, ext_c;
  size_t esize;
} gemm_args;

/* Bytes spanned by a rows x cols row-major matrix with leading dimension ld. */
static uint64_t extent(int rows, int cols, int ld, size_t esize) {
  if (rows == 0 || cols == 0) return 0;
  return ((uint64_t)(rows - 1) * (uint64_t)ld + (uint64_t)cols) * esize;
}

static const char *parse_common(napi_env env, napi_value *argv, gemm_args *g) {
  bool f64 = false;
  if (napi_get_value_bool(env, argv[0], &f64) != napi_ok) return "f64 must be a boolean";
  g->f64 = f64 ? 1 : 0;
  g->esize = f64 ? 8 : 4;
  if (!get_bytes(env, argv[1], &g->mem, &g->mem_len)) return "mem must be a Uint8Array";
  bool ta = false, tb = false;
  if (napi_get_value_bool(env, argv[2], &ta) != napi_ok || napi_get_value_bool(env, argv[3], &tb) != napi_ok)
    return "transA and transB must be booleans";
  g->ta = ta ? CblasTrans : CblasNoTrans;
  g->tb = tb ? CblasTrans : CblasNoTrans;
  int64_t v[3];
  for (int i = 0; i < 3; i++)
    if (!get_int(env, argv[4 + i], &v[i]) || v[i] < 0) return "M, N and K must be int32 values >= 0";
  g->m = (int)v[0];
  g->n = (int)v[1];
  g->k = (int)v[2];
  if (napi_get_value_double(env, argv[7], &g->alpha) != napi_ok) return "alpha must be a number";
  int64_t lda, ldb, ldc;
  if (!get_int(env, argv[8], &lda) || !get_int(env, argv[9], &ldb)) return "lda and ldb must be int32 values";
  if (napi_get_value_double(env, argv[10], &g->beta) != napi_ok) return "beta must be a number";
  if (!get_int(env, argv[11], &ldc)) return "ldc must be an int32 value";
  g->lda = (int)lda;
  g->ldb = (int)ldb;
  g->ldc = (int)ldc;
  /* Stored shapes: A is M x K (or K x M when transposed), B is K x N (or N x K), C is M x N. */
  int ar = ta ? g->k : g->m, ac = ta ? g->m : g->k;
  int br = tb ? g->n : g->k, bc = tb ? g->k : g->n;
  if (g->lda < (ac > 1 ? ac : 1)) return "lda is smaller than the stored row length of A";
  if (g->ldb < (bc > 1 ? bc : 1)) return "ldb is smaller than the stored row length of B";
  if (g->ldc < (g->n > 1 ? g->n : 1)) return "ldc is smaller than N";
  g->ext_a = extent(ar, ac, g->lda, g->esize);
  g->ext_b = extent(br, bc, g->ldb, g->esize);
  g->ext_c = extent(g->m, g->n, g->ldc, g->esize);
  return NULL;
}

/* Checks that a matrix of `ext` bytes at byte offset `off` lies inside the memory and is aligned. */
static int in_bounds(const gemm_args *g, double off, uint64_t ext) {
  if (!(off >= 0) || off != floor(off) || off > 9007199254740991.0) return 0;
  uint64_t o = (uint64_t)off;
  if (o % g->esize != 0) return 0;
  return o <= g->mem_len && ext <= g->mem_len - o;
}

static void run_one(const gemm_args *g, uint64_t oa, uint64_t ob, uint64_t oc) {
  if (g->m == 0 || g->n == 0) return;
  if (g->f64)
    cblas_dgemm(CblasRowMajor, g->ta, g->tb, g->m, g->n, g->k, g->alpha, (const double *)(g->mem + oa), g->lda,
                (const double *)(g->mem + ob), g->ldb, g->beta, (double *)(g->mem + oc), g->ldc);
  else
    cblas_sgemm(CblasRowMajor, g->ta, g->tb, g->m, g->n, g->k, (float)g->alpha, (const float *)(g->mem + oa), g->lda,
                (const float *)(g->mem + ob), g->ldb, (float)g->beta, (float *)(g->mem + oc), g->ldc);
}

static napi_value gemm(napi_env env, napi_callback_info info) {
  size_t argc = 15;
  napi_value argv[15];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 15) return throw_range(env, "d2l_blas.gemm: expected 15 arguments");
  gemm_args g;
  const char *err = parse_common(env, argv, &g);
  if (err) return throw_range(env, err);
  double off[3];
  for (int i = 0; i < 3; i++)
    if (napi_get_value_double(env, argv[12 + i], &off[i]) != napi_ok) return throw_range(env, "d2l_blas.gemm: offsets must be numbers");
  if (!in_bounds(&g, off[0], g.ext_a) || !in_bounds(&g, off[1], g.ext_b) || !in_bounds(&g, off[2], g.ext_c))
    return throw_range(env, "d2l_blas.gemm: a matrix lies outside the memory or is misaligned");
  run_one(&g, (uint64_t)off[0], (uint64_t)off[1], (uint64_t)off[2]);
  return NULL;
}

static napi_value gemm_batch(napi_env env, napi_callback_info info) {
  size_t argc = 13;
  napi_value argv[13];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 13) return throw_range(env, "d2l_blas.gemmBatch: expected 13 arguments");
  gemm_args g;
  const char *err = parse_common(env, argv, &g);
  if (err) return throw_range(env, err);
  bool is_ta = false;
  napi_typedarray_type type;
  size_t len = 0, bo = 0;
  void *p = NULL;
  napi_value ab;
  if (napi_is_typedarray(env, argv[12], &is_ta) != napi_ok || !is_ta ||
      napi_get_typedarray_info(env, argv[12], &type, &len, &p, &ab, &bo) != napi_ok || type != napi_float64_array ||
      len % 3 != 0)
    return throw_range(env, "d2l_blas.gemmBatch: offsets must be a Float64Array of (A, B, C) triples");
  const double *offs = (const double *)p;
  size_t nb = len / 3;
  /* Validate every item before running any, so a bad offset leaves C untouched. */
  for (size_t i = 0; i < nb; i++)
    if (!in_bounds(&g, offs[3 * i], g.ext_a) || !in_bounds(&g, offs[3 * i + 1], g.ext_b) || !in_bounds(&g, offs[3 * i + 2], g.ext_c))
      return throw_range(env, "d2l_blas.gemmBatch: a matrix lies outside the memory or is misaligned");
  for (size_t i = 0; i < nb; i++) run_one(&g, (uint64_t)offs[3 * i], (uint64_t)offs[3 * i + 1], (uint64_t)offs[3 * i + 2]);
  return NULL;
}

static napi_value set_threads(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int64_t n;
  if (argc != 1 || !get_int(env, argv[0], &n) || n < 1) return throw_range(env, "d2l_blas.setThreads: n must be an integer >= 1");
  openblas_set_num_threads((int)n);
  return NULL;
}

static napi_value get_threads(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value r;
  CHECK(env, napi_create_int32(env, openblas_get_num_threads(), &r));
  return r;
}

static int set_str(napi_env env, napi_value obj, const char *key, const char *s) {
  napi_value v;
  if (napi_create_string_utf8(env, s ? s : "", NAPI_AUTO_LENGTH, &v) != napi_ok) return 0;
  return napi_set_named_property(env, obj, key, v) == napi_ok;
}

static int set_int(napi_env env, napi_value obj, const char *key, int x) {
  napi_value v;
  if (napi_create_int32(env, x, &v) != napi_ok) return 0;
  return napi_set_named_property(env, obj, key, v) == napi_ok;
}

/* { library, config, corename, parallel: 'sequential' | 'pthread' | 'openmp', threads, procs } */
static napi_value get_info(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value obj;
  CHECK(env, napi_create_object(env, &obj));
  Dl_info dl;
  const char *lib = "";
  if (dladdr((void *)&cblas_sgemm, &dl) != 0 && dl.dli_fname) lib = dl.dli_fname;
  int par = openblas_get_parallel();
  const char *pars = par == 0 ? "sequential" : par == 1 ? "pthread" : par == 2 ? "openmp" : "unknown";
  if (!set_str(env, obj, "library", lib) || !set_str(env, obj, "config", openblas_get_config()) ||
      !set_str(env, obj, "corename", openblas_get_corename()) || !set_str(env, obj, "parallel", pars) ||
      !set_int(env, obj, "threads", openblas_get_num_threads()) || !set_int(env, obj, "procs", openblas_get_num_procs())) {
    napi_throw_error(env, "D2L_BLAS", "d2l_blas.info: could not build the result");
    return NULL;
  }
  return obj;
}

/*
 * adviseHugePages(mem): madvise(MADV_HUGEPAGE) over the 2 MiB-aligned part of a Uint8Array's bytes
 * (the CPU heap). Where transparent huge pages are in "madvise" mode (Debian's default), the heap
 * otherwise stays in 4 KiB pages, and a minibatch drawn at random from a data set of hundreds of
 * megabytes misses the TLB on every row. Returns 0, or the errno of a refusal (advisory only).
 */
static napi_value advise_huge_pages(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  uint8_t *data = NULL;
  size_t len = 0;
  if (argc < 1 || !get_bytes(env, argv[0], &data, &len)) return throw_range(env, "adviseHugePages: expected a Uint8Array");
  int err = 0;
#ifdef MADV_HUGEPAGE
  const uintptr_t huge = (uintptr_t)2 << 20;
  uintptr_t lo = ((uintptr_t)data + huge - 1) & ~(huge - 1);
  uintptr_t hi = ((uintptr_t)data + len) & ~(huge - 1);
  if (hi > lo && madvise((void *)lo, hi - lo, MADV_HUGEPAGE) != 0) err = errno;
#else
  err = -1;
#endif
  napi_value r;
  napi_create_int32(env, err, &r);
  return r;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"gemm", NULL, gemm, NULL, NULL, NULL, napi_enumerable, NULL},
      {"gemmBatch", NULL, gemm_batch, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setThreads", NULL, set_threads, NULL, NULL, NULL, napi_enumerable, NULL},
      {"getThreads", NULL, get_threads, NULL, NULL, NULL, napi_enumerable, NULL},
      {"info", NULL, get_info, NULL, NULL, NULL, napi_enumerable, NULL},
      {"adviseHugePages", NULL, advise_huge_pages, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props) != napi_ok) return NULL;
  return exports;
}

NAPI_MODULE_INIT() { return init(env, exports); }
