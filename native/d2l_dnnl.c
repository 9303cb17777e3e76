/*
 * d2l_dnnl: a small N-API addon running 2-D convolution (forward, backward data, backward weights
 * with the bias gradient) on oneDNN, the library PyTorch and MXNet use for CPU convolution. Like
 * the BLAS addon (d2l_blas.c) it computes directly on the CPU backend's heap, one shared
 * WebAssembly.Memory: JS passes a Uint8Array over the heap's SharedArrayBuffer and byte offsets,
 * and every tensor is checked to lie inside that array before oneDNN gets a pointer.
 *
 * Built by scripts/build-dnnl.mjs (cc, plain C N-API); loaded by src/backend/cpu/dnnl.ts, on the
 * main thread and in each kernel worker thread (threads/worker.ts), which run slices of a batch:
 * all state (engine, stream, primitive cache, scratch) is per thread.
 * Entry points:
 *   conv(mem, desc) -> boolean
 *       desc: a Float64Array of DESC_LEN numbers (see the D_* indices below): the kind
 *       (0 forward, 1 backward data, 2 backward weights), the geometry (N, C, H, W, OC, KH, KW,
 *       OH, OW, strides, paddings, dilations, groups), the layout choice, whether the gradient is
 *       accumulated into its output, the OpenMP thread count, and four byte offsets (-1: absent):
 *         forward:          x, w, bias,  y        (y is written)
 *         backward data:    dy, w, -1,   dx       (dx is written, or added to when accumulating)
 *         backward weights: x, dy, dbias, dw     (dw and dbias likewise)
 *       Returns false, touching nothing, when oneDNN has no implementation for the case.
 *   impl(desc) -> string     the oneDNN implementation that runs `desc` (e.g. "brgconv:avx512_core")
 *   getThreads(), info(), stats()
 * Tensors are float32 in the CPU backend's layouts: x, y NCHW, w OIHW (O = groups * OC/groups,
 * I = C/groups), bias (OC). Created primitives are kept in a small LRU cache keyed by the whole
 * descriptor and the thread count, as creating one costs far more than running a small one.
 *
 * Memory: oneDNN's blocked copies of the tensors and its scratchpad are needed only while one call
 * runs, and a thread runs one call at a time, so every primitive of a thread shares one arena (the
 * largest need of any of them) instead of owning its buffers: with one buffer set per cached
 * primitive, ResNet-18's ~70 primitives per thread kept ~700 MB of copies alive.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <node_api.h>
#include <oneapi/dnnl/dnnl.h>

enum {
  D_KIND,
  D_N,
  D_C,
  D_H,
  D_W,
  D_OC,
  D_KH,
  D_KW,
  D_OH,
  D_OW,
  D_SH,
  D_SW,
  D_PH,
  D_PW,
  D_DH,
  D_DW,
  D_G,
  D_ANY, /* 1: let oneDNN choose its (blocked) layouts, with reorders from and to ours */
  D_ACC, /* 1: add the gradient into dx / dw / dbias instead of writing it */
  D_THR, /* OpenMP threads for this call (1 in a kernel worker thread: our pool splits the batch) */
  D_OFF0,
  D_OFF1,
  D_OFF2,
  D_OFF3,
  DESC_LEN
};
/* The key of a cached primitive: the descriptor without the offsets and the accumulate flag, plus
 * whether a bias takes part and the thread count the primitive was created for. */
#define KEY_LEN (D_ACC + 2)
/* 1 MiB of primitives at most per thread: LeNet needs 12 per thread, ResNet-18 about 70. */
#define CACHE_SIZE 128
enum { KIND_FWD = 0, KIND_BWD_DATA = 1, KIND_BWD_WEIGHTS = 2 };

#define CHECK(env, call)                                                          \
  do {                                                                            \
    if ((call) != napi_ok) {                                                      \
      napi_throw_error((env), "D2L_DNNL", "d2l_dnnl: N-API call failed: " #call); \
      return NULL;                                                                \
    }                                                                             \
  } while (0)

static napi_value throw_range(napi_env env, const char *msg) {
  napi_throw_range_error(env, "D2L_DNNL", msg);
  return NULL;
}

/* ---------------------------------------------------------------- threads (OpenMP runtime) */

/*
 * Debian's libdnnl runs on OpenMP (libgomp). Its thread count is the calling thread's OpenMP
 * setting, which the OpenMP build of OpenBLAS also sets (openblas_set_num_threads calls
 * omp_set_num_threads): each call sets ours for its duration and puts the previous value back.
 * libgomp was loaded with libdnnl (as a dependency, so not in the global scope): dlopen with
 * RTLD_NOLOAD finds it. With another runtime (TBB, sequential) these stay NULL.
 */
static void (*p_omp_set)(int) = NULL;
static int (*p_omp_get)(void) = NULL;

static void find_openmp(void) {
  const char *names[] = {"libgomp.so.1", "libiomp5.so", "libomp.so.5", "libomp.so"};
  for (size_t i = 0; i < sizeof(names) / sizeof(names[0]) && !p_omp_set; i++) {
    void *h = dlopen(names[i], RTLD_LAZY | RTLD_NOLOAD);
    if (!h) continue;
    p_omp_set = (void (*)(int))dlsym(h, "omp_set_num_threads");
    p_omp_get = (int (*)(void))dlsym(h, "omp_get_max_threads");
    if (!p_omp_set || !p_omp_get) p_omp_set = NULL, p_omp_get = NULL;
  }
}

static int threads_now(void) { return p_omp_get ? p_omp_get() : 1; }

/* Sets the calling thread's OpenMP thread count to n for one call (n <= 0: leave it); returns the
 * value to restore (0: nothing to restore). */
static int threads_enter(int n) {
  if (!p_omp_set || n <= 0) return 0;
  int prev = p_omp_get();
  if (prev == n) return 0;
  p_omp_set(n);
  return prev;
}

static void threads_leave(int prev) {
  if (prev > 0) p_omp_set(prev);
}

/* ---------------------------------------------------------------- engine and stream */

/* Per thread: a oneDNN stream must not be shared between threads, and neither may our cache. */
static __thread dnnl_engine_t g_engine = NULL;
static __thread dnnl_stream_t g_stream = NULL;

typedef struct entry entry_t;
static __thread entry_t *g_cache = NULL;

static const char *ensure_engine(void) {
  if (g_engine) return NULL;
  if (dnnl_engine_create(&g_engine, dnnl_cpu, 0) != dnnl_success) {
    g_engine = NULL;
    return "d2l_dnnl: could not create the oneDNN CPU engine";
  }
  if (dnnl_stream_create(&g_stream, g_engine, dnnl_stream_default_flags) != dnnl_success) {
    dnnl_engine_destroy(g_engine);
    g_engine = NULL;
    g_stream = NULL;
    return "d2l_dnnl: could not create a oneDNN stream";
  }
  return NULL;
}

/* ---------------------------------------------------------------- cached primitives */

/* One tensor argument of a primitive: our plain memory, and oneDNN's layout when it differs. */
typedef struct {
  int arg;            /* DNNL_ARG_* of the convolution */
  int output;         /* written by the convolution */
  int present;        /* 0: this argument takes no part (no bias) */
  size_t user_bytes;  /* bytes of our plain tensor */
  dnnl_memory_t user; /* plain layout; its handle is set to our buffer on each call */
  dnnl_memory_t inner;          /* oneDNN's layout (NULL: the plain one is used directly) */
  size_t inner_off;             /* where inner's storage lies in the thread's arena */
  dnnl_primitive_t reorder;     /* user -> inner for inputs, inner -> user for outputs */
} targ_t;

struct entry {
  int64_t key[KEY_LEN];
  int used;
  uint64_t stamp;
  dnnl_primitive_desc_t pd;
  dnnl_primitive_t prim;
  targ_t t[4]; /* in the order of the descriptor's offsets */
  dnnl_memory_t scratch; /* the primitive's scratchpad (NULL: it needs none), in the arena */
  size_t scratch_off;
  size_t arena_bytes; /* the arena this entry needs: its blocked copies, then its scratchpad */
};

static __thread uint64_t g_clock = 0;
/* Counters for stats(), over all threads: convolutions run, primitives created. */
static uint64_t g_runs = 0, g_created = 0;

static void entry_free(entry_t *e) {
  for (int i = 0; i < 4; i++) {
    targ_t *a = &e->t[i];
    if (a->reorder) dnnl_primitive_destroy(a->reorder);
    if (a->inner) dnnl_memory_destroy(a->inner);
    if (a->user) dnnl_memory_destroy(a->user);
  }
  if (e->scratch) dnnl_memory_destroy(e->scratch);
  if (e->prim) dnnl_primitive_destroy(e->prim);
  if (e->pd) dnnl_primitive_desc_destroy(e->pd);
  memset(e, 0, sizeof(*e));
}

/* The geometry read from a descriptor, checked. */
typedef struct {
  int kind, any, acc;
  int64_t N, C, H, W, OC, KH, KW, OH, OW, SH, SW, PH, PW, DH, DW, G;
  double off[4];
} geom_t;

static int is_int(double v, double lo, double hi) { return v >= lo && v <= hi && v == floor(v); }

static const char *parse_desc(const double *d, geom_t *g) {
  for (int i = 0; i < D_OFF0; i++)
    if (!is_int(d[i], 0, 2147483647.0)) return "d2l_dnnl.conv: every descriptor entry but the offsets must be an int32 value >= 0";
  if (d[D_THR] > 4096) return "d2l_dnnl.conv: at most 4096 threads";
  for (int i = D_OFF0; i < DESC_LEN; i++)
    if (!is_int(d[i], -1, 9007199254740991.0)) return "d2l_dnnl.conv: offsets must be integers (-1: absent)";
  g->kind = (int)d[D_KIND];
  if (g->kind < 0 || g->kind > 2) return "d2l_dnnl.conv: kind must be 0 (forward), 1 (backward data) or 2 (backward weights)";
  g->N = (int64_t)d[D_N], g->C = (int64_t)d[D_C], g->H = (int64_t)d[D_H], g->W = (int64_t)d[D_W];
  g->OC = (int64_t)d[D_OC], g->KH = (int64_t)d[D_KH], g->KW = (int64_t)d[D_KW];
  g->OH = (int64_t)d[D_OH], g->OW = (int64_t)d[D_OW];
  g->SH = (int64_t)d[D_SH], g->SW = (int64_t)d[D_SW], g->PH = (int64_t)d[D_PH], g->PW = (int64_t)d[D_PW];
  g->DH = (int64_t)d[D_DH], g->DW = (int64_t)d[D_DW], g->G = (int64_t)d[D_G];
  g->any = d[D_ANY] != 0;
  g->acc = d[D_ACC] != 0;
  if (g->N < 1 || g->C < 1 || g->H < 1 || g->W < 1 || g->OC < 1 || g->KH < 1 || g->KW < 1 || g->OH < 1 || g->OW < 1)
    return "d2l_dnnl.conv: every size must be >= 1";
  if (g->SH < 1 || g->SW < 1 || g->DH < 1 || g->DW < 1 || g->PH < 0 || g->PW < 0 || g->G < 1)
    return "d2l_dnnl.conv: strides, dilations and groups must be >= 1 and paddings >= 0";
  if (g->C % g->G != 0 || g->OC % g->G != 0) return "d2l_dnnl.conv: C and OC must be multiples of groups";
  /* The output size the op layer computed (floor), which oneDNN's own check (integer division of
   * a non-negative numerator) agrees with when both paddings are the same. */
  int64_t spanH = (g->KH - 1) * g->DH + 1, spanW = (g->KW - 1) * g->DW + 1;
  if (g->H + 2 * g->PH < spanH || g->W + 2 * g->PW < spanW) return "d2l_dnnl.conv: the kernel does not fit the padded input";
  if (g->OH != (g->H + 2 * g->PH - spanH) / g->SH + 1 || g->OW != (g->W + 2 * g->PW - spanW) / g->SW + 1)
    return "d2l_dnnl.conv: OH/OW do not match the input, kernel, stride, padding and dilation";
  for (int i = 0; i < 4; i++) g->off[i] = d[D_OFF0 + i];
  return NULL;
}

static void plain_md(dnnl_memory_desc_t *md, int ndims, const int64_t *dims, dnnl_format_tag_t tag, int any) {
  dnnl_dims_t dd;
  for (int i = 0; i < ndims; i++) dd[i] = dims[i];
  dnnl_memory_desc_init_by_tag(md, ndims, dd, dnnl_f32, any ? dnnl_format_tag_any : tag);
}

/* The plain descriptors of x (or dx), w (or dw), the bias and y (or dy). */
static void user_mds(const geom_t *g, int any, dnnl_memory_desc_t *x, dnnl_memory_desc_t *w, dnnl_memory_desc_t *b,
                     dnnl_memory_desc_t *y) {
  int64_t xd[4] = {g->N, g->C, g->H, g->W};
  int64_t yd[4] = {g->N, g->OC, g->OH, g->OW};
  plain_md(x, 4, xd, dnnl_nchw, any);
  plain_md(y, 4, yd, dnnl_nchw, any);
  if (g->G == 1) {
    int64_t wd[4] = {g->OC, g->C, g->KH, g->KW};
    plain_md(w, 4, wd, dnnl_oihw, any);
  } else {
    /* OIHW with O = G * (OC/G) is exactly GOIHW. */
    int64_t wd[5] = {g->G, g->OC / g->G, g->C / g->G, g->KH, g->KW};
    plain_md(w, 5, wd, dnnl_goihw, any);
  }
  int64_t bd[1] = {g->OC};
  plain_md(b, 1, bd, dnnl_x, 0);
}

/* The arena's bytes up to `bytes` rounded to the next 64-byte boundary. */
static size_t arena_round(size_t bytes) { return (bytes + 63) & ~(size_t)63; }

/* Sets up argument `a` of entry `e`: our plain memory, and when the primitive wants another
 * layout, its own memory (placed next in the arena; its handle is set at each call) and the
 * reorder between them. */
static dnnl_status_t targ_init(entry_t *e, targ_t *a, int arg, int output, const dnnl_memory_desc_t *user_md,
                               const dnnl_memory_desc_t *prim_md) {
  dnnl_status_t s;
  a->arg = arg;
  a->output = output;
  a->present = 1;
  a->user_bytes = dnnl_memory_desc_get_size(user_md);
  if ((s = dnnl_memory_create(&a->user, user_md, g_engine, DNNL_MEMORY_NONE)) != dnnl_success) return s;
  if (dnnl_memory_desc_equal(user_md, prim_md)) return dnnl_success;
  a->inner_off = e->arena_bytes;
  e->arena_bytes += arena_round(dnnl_memory_desc_get_size(prim_md));
  if ((s = dnnl_memory_create(&a->inner, prim_md, g_engine, DNNL_MEMORY_NONE)) != dnnl_success) return s;
  dnnl_primitive_desc_t rpd;
  s = output ? dnnl_reorder_primitive_desc_create(&rpd, prim_md, g_engine, user_md, g_engine, NULL)
             : dnnl_reorder_primitive_desc_create(&rpd, user_md, g_engine, prim_md, g_engine, NULL);
  if (s != dnnl_success) return s;
  s = dnnl_primitive_create(&a->reorder, rpd);
  dnnl_primitive_desc_destroy(rpd);
  return s;
}

/* Creates the primitive for `g` (bias: whether the bias / its gradient takes part) into `e`. */
static dnnl_status_t entry_create(entry_t *e, const geom_t *g, int bias) {
  dnnl_status_t s;
  dnnl_memory_desc_t ux, uw, ub, uy, ax, aw, ab, ay;
  user_mds(g, 0, &ux, &uw, &ub, &uy);
  user_mds(g, g->any, &ax, &aw, &ab, &ay);
  dnnl_dims_t strides = {g->SH, g->SW}, dil = {g->DH - 1, g->DW - 1}, pad = {g->PH, g->PW};
  dnnl_convolution_desc_t fwd, bwd;
  /* forward_training: the forward primitive is also the hint the backward ones are created from. */
  s = dnnl_dilated_convolution_forward_desc_init(&fwd, dnnl_forward_training, dnnl_convolution_direct, &ax, &aw,
                                                 bias ? &ab : NULL, &ay, strides, dil, pad, pad);
  if (s != dnnl_success) return s;
  /* The scratchpad is ours (in the arena), not one oneDNN allocates per primitive. */
  dnnl_primitive_attr_t attr = NULL;
  if ((s = dnnl_primitive_attr_create(&attr)) != dnnl_success) return s;
  if ((s = dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user)) != dnnl_success) {
    dnnl_primitive_attr_destroy(attr);
    return s;
  }
  dnnl_primitive_desc_t fpd = NULL;
  s = dnnl_primitive_desc_create(&fpd, &fwd, attr, g_engine, NULL);
  if (s != dnnl_success) {
    dnnl_primitive_attr_destroy(attr);
    return s;
  }
  if (g->kind == KIND_FWD) {
    e->pd = fpd;
  } else {
    if (g->kind == KIND_BWD_DATA)
      s = dnnl_dilated_convolution_backward_data_desc_init(&bwd, dnnl_convolution_direct, &ax, &aw, &ay, strides, dil, pad, pad);
    else
      s = dnnl_dilated_convolution_backward_weights_desc_init(&bwd, dnnl_convolution_direct, &ax, &aw, bias ? &ab : NULL, &ay,
                                                              strides, dil, pad, pad);
    if (s == dnnl_success) s = dnnl_primitive_desc_create(&e->pd, &bwd, attr, g_engine, fpd);
    dnnl_primitive_desc_destroy(fpd);
    if (s != dnnl_success) {
      e->pd = NULL;
      dnnl_primitive_attr_destroy(attr);
      return s;
    }
  }
  dnnl_primitive_attr_destroy(attr);
  if ((s = dnnl_primitive_create(&e->prim, e->pd)) != dnnl_success) return s;
  const dnnl_memory_desc_t *q;
#define MD(what) (q = dnnl_primitive_desc_query_md(e->pd, (what), 0))
  if (g->kind == KIND_FWD) {
    if ((s = targ_init(e, &e->t[0], DNNL_ARG_SRC, 0, &ux, MD(dnnl_query_src_md))) != dnnl_success) return s;
    if ((s = targ_init(e, &e->t[1], DNNL_ARG_WEIGHTS, 0, &uw, MD(dnnl_query_weights_md))) != dnnl_success) return s;
    if (bias && (s = targ_init(e, &e->t[2], DNNL_ARG_BIAS, 0, &ub, dnnl_primitive_desc_query_md(e->pd, dnnl_query_weights_md, 1))) != dnnl_success)
      return s;
    if ((s = targ_init(e, &e->t[3], DNNL_ARG_DST, 1, &uy, MD(dnnl_query_dst_md))) != dnnl_success) return s;
  } else if (g->kind == KIND_BWD_DATA) {
    if ((s = targ_init(e, &e->t[0], DNNL_ARG_DIFF_DST, 0, &uy, MD(dnnl_query_diff_dst_md))) != dnnl_success) return s;
    if ((s = targ_init(e, &e->t[1], DNNL_ARG_WEIGHTS, 0, &uw, MD(dnnl_query_weights_md))) != dnnl_success) return s;
    if ((s = targ_init(e, &e->t[3], DNNL_ARG_DIFF_SRC, 1, &ux, MD(dnnl_query_diff_src_md))) != dnnl_success) return s;
  } else {
    if ((s = targ_init(e, &e->t[0], DNNL_ARG_SRC, 0, &ux, MD(dnnl_query_src_md))) != dnnl_success) return s;
    if ((s = targ_init(e, &e->t[1], DNNL_ARG_DIFF_DST, 0, &uy, MD(dnnl_query_diff_dst_md))) != dnnl_success) return s;
    if (bias &&
        (s = targ_init(e, &e->t[2], DNNL_ARG_DIFF_BIAS, 1, &ub, dnnl_primitive_desc_query_md(e->pd, dnnl_query_diff_weights_md, 1))) !=
            dnnl_success)
      return s;
    if ((s = targ_init(e, &e->t[3], DNNL_ARG_DIFF_WEIGHTS, 1, &uw, MD(dnnl_query_diff_weights_md))) != dnnl_success) return s;
  }
#undef MD
  (void)q;
  const dnnl_memory_desc_t *smd = dnnl_primitive_desc_query_md(e->pd, dnnl_query_scratchpad_md, 0);
  size_t sbytes = smd ? dnnl_memory_desc_get_size(smd) : 0;
  if (sbytes > 0) {
    e->scratch_off = e->arena_bytes;
    e->arena_bytes += arena_round(sbytes);
    if ((s = dnnl_memory_create(&e->scratch, smd, g_engine, DNNL_MEMORY_NONE)) != dnnl_success) return s;
  }
  return dnnl_success;
}

static void make_key(const double *d, int bias, int64_t *key) {
  for (int i = 0; i < D_ACC; i++) key[i] = (int64_t)d[i];
  key[D_ACC] = bias;
  key[D_ACC + 1] = d[D_THR] > 0 ? (int64_t)d[D_THR] : threads_now();
}

/* The cached entry for `d`, created on a miss (NULL with *status set when creation fails). */
static entry_t *lookup(const double *d, const geom_t *g, int bias, dnnl_status_t *status) {
  int64_t key[KEY_LEN];
  make_key(d, bias, key);
  if (!g_cache && !(g_cache = (entry_t *)calloc(CACHE_SIZE, sizeof(entry_t)))) {
    *status = dnnl_out_of_memory;
    return NULL;
  }
  entry_t *victim = &g_cache[0];
  for (int i = 0; i < CACHE_SIZE; i++) {
    entry_t *e = &g_cache[i];
    if (e->used && memcmp(e->key, key, sizeof(key)) == 0) {
      e->stamp = ++g_clock;
      return e;
    }
    if (!e->used) {
      if (victim->used) victim = e;
    } else if (victim->used && e->stamp < victim->stamp)
      victim = e;
  }
  if (victim->used) entry_free(victim);
  memset(victim, 0, sizeof(*victim));
  *status = entry_create(victim, g, bias);
  if (*status != dnnl_success) {
    entry_free(victim);
    return NULL;
  }
  memcpy(victim->key, key, sizeof(key));
  __atomic_add_fetch(&g_created, 1, __ATOMIC_RELAXED);
  victim->used = 1;
  victim->stamp = ++g_clock;
  return victim;
}

static size_t cache_count(void) {
  size_t n = 0;
  for (int i = 0; g_cache && i < CACHE_SIZE; i++) n += g_cache[i].used ? 1 : 0;
  return n;
}

/* ---------------------------------------------------------------- running */

/* The thread's arena: every cached primitive's blocked copies and scratchpad, one call at a time. */
static __thread uint8_t *g_arena = NULL;
static __thread size_t g_arena_bytes = 0;

static uint8_t *arena(size_t bytes) {
  if (bytes <= g_arena_bytes) return g_arena;
  void *p = NULL;
  if (posix_memalign(&p, 64, bytes) != 0) return NULL;
  free(g_arena);
  g_arena = (uint8_t *)p;
  g_arena_bytes = bytes;
  return g_arena;
}

/* A growing scratch buffer for gradients that are added to a non-zero output. */
static __thread float *g_tmp = NULL;
static __thread size_t g_tmp_bytes = 0;

static float *tmp_buffer(size_t bytes) {
  if (bytes <= g_tmp_bytes) return g_tmp;
  void *p = NULL;
  if (posix_memalign(&p, 64, bytes) != 0) return NULL;
  free(g_tmp);
  g_tmp = (float *)p;
  g_tmp_bytes = bytes;
  return g_tmp;
}

/* Whether `n` floats are all +0 bit patterns (or -0): then writing equals adding to them. */
static int all_zero(const float *p, size_t n) {
  const uint32_t *u = (const uint32_t *)p;
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    uint32_t o = 0;
    for (int j = 0; j < 16; j++) o |= u[i + j] << 1; /* << 1 drops the sign bit: -0 counts as 0 */
    if (o) return 0;
  }
  for (; i < n; i++)
    if (u[i] << 1) return 0;
  return 1;
}

static void add_into(float *dst, const float *src, size_t n) {
  for (size_t i = 0; i < n; i++) dst[i] += src[i];
}

static const char *status_str(dnnl_status_t s) {
  switch (s) {
    case dnnl_out_of_memory: return "out of memory";
    case dnnl_invalid_arguments: return "invalid arguments";
    case dnnl_unimplemented: return "unimplemented";
    case dnnl_runtime_error: return "runtime error";
    default: return "error";
  }
}

static int exec_reorder(dnnl_primitive_t r, dnnl_memory_t from, dnnl_memory_t to) {
  dnnl_exec_arg_t args[2] = {{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, to}};
  return dnnl_primitive_execute(r, g_stream, 2, args) == dnnl_success;
}

/* Runs `e` on the tensors at `ptrs` (NULL for an absent one); 0 with *err set on failure. */
static int run_entry(entry_t *e, int acc, uint8_t **ptrs, const char **err) {
  /* Outputs that are added to a non-zero tensor are computed into the scratch buffer first. */
  float *redirect[4] = {NULL, NULL, NULL, NULL};
  size_t tmp_need = 0, tmp_at[4] = {0, 0, 0, 0};
  for (int i = 0; i < 4; i++) {
    targ_t *a = &e->t[i];
    if (!a->present || !a->output || !acc) continue;
    if (all_zero((const float *)ptrs[i], a->user_bytes / 4)) continue;
    tmp_at[i] = tmp_need;
    tmp_need += (a->user_bytes + 63) & ~(size_t)63;
    redirect[i] = (float *)1; /* placeholder until the buffer exists */
  }
  float *tmp = NULL;
  if (tmp_need) {
    tmp = tmp_buffer(tmp_need);
    if (!tmp) {
      *err = "d2l_dnnl.conv: out of memory for the accumulation buffer";
      return 0;
    }
    for (int i = 0; i < 4; i++)
      if (redirect[i]) redirect[i] = (float *)((uint8_t *)tmp + tmp_at[i]);
  }
  uint8_t *ar = NULL;
  if (e->arena_bytes && !(ar = arena(e->arena_bytes))) {
    *err = "d2l_dnnl.conv: out of memory for oneDNN's layout copies and scratchpad";
    return 0;
  }
  dnnl_exec_arg_t args[6];
  int nargs = 0;
  for (int i = 0; i < 4; i++) {
    targ_t *a = &e->t[i];
    if (!a->present) continue;
    void *h = redirect[i] ? (void *)redirect[i] : (void *)ptrs[i];
    if (dnnl_memory_set_data_handle(a->user, h) != dnnl_success ||
        (a->inner && dnnl_memory_set_data_handle(a->inner, ar + a->inner_off) != dnnl_success)) {
      *err = "d2l_dnnl.conv: could not set a memory handle";
      return 0;
    }
    if (a->inner && !a->output && !exec_reorder(a->reorder, a->user, a->inner)) {
      *err = "d2l_dnnl.conv: a reorder into oneDNN's layout failed";
      return 0;
    }
    args[nargs].arg = a->arg;
    args[nargs].memory = a->inner ? a->inner : a->user;
    nargs++;
  }
  if (e->scratch) {
    if (dnnl_memory_set_data_handle(e->scratch, ar + e->scratch_off) != dnnl_success) {
      *err = "d2l_dnnl.conv: could not set the scratchpad's handle";
      return 0;
    }
    args[nargs].arg = DNNL_ARG_SCRATCHPAD;
    args[nargs].memory = e->scratch;
    nargs++;
  }
  dnnl_status_t s = dnnl_primitive_execute(e->prim, g_stream, nargs, args);
  if (s != dnnl_success) {
    *err = "d2l_dnnl.conv: the convolution failed to run";
    return 0;
  }
  for (int i = 0; i < 4; i++) {
    targ_t *a = &e->t[i];
    if (a->present && a->inner && a->output && !exec_reorder(a->reorder, a->inner, a->user)) {
      *err = "d2l_dnnl.conv: a reorder out of oneDNN's layout failed";
      return 0;
    }
  }
  dnnl_stream_wait(g_stream);
  for (int i = 0; i < 4; i++)
    if (redirect[i]) add_into((float *)ptrs[i], redirect[i], e->t[i].user_bytes / 4);
  __atomic_add_fetch(&g_runs, 1, __ATOMIC_RELAXED);
  return 1;
}

/* ---------------------------------------------------------------- N-API */

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

static const double *get_desc(napi_env env, napi_value v) {
  bool is_ta = false;
  napi_typedarray_type type;
  size_t len = 0, bo = 0;
  void *p = NULL;
  napi_value ab;
  if (napi_is_typedarray(env, v, &is_ta) != napi_ok || !is_ta ||
      napi_get_typedarray_info(env, v, &type, &len, &p, &ab, &bo) != napi_ok || type != napi_float64_array || len != DESC_LEN)
    return NULL;
  return (const double *)p;
}

/* Bytes of the four tensors of `g`, in the order of the descriptor's offsets. */
static void tensor_bytes(const geom_t *g, uint64_t *b) {
  uint64_t x = (uint64_t)(g->N * g->C * g->H * g->W) * 4, y = (uint64_t)(g->N * g->OC * g->OH * g->OW) * 4;
  uint64_t w = (uint64_t)(g->OC * (g->C / g->G) * g->KH * g->KW) * 4, bias = (uint64_t)g->OC * 4;
  if (g->kind == KIND_FWD) b[0] = x, b[1] = w, b[2] = bias, b[3] = y;
  else if (g->kind == KIND_BWD_DATA) b[0] = y, b[1] = w, b[2] = 0, b[3] = x;
  else b[0] = x, b[1] = y, b[2] = bias, b[3] = w;
}

/* Parses (mem, desc) and resolves the tensors' pointers, checking each lies inside mem. */
static const char *prepare(napi_env env, napi_value *argv, geom_t *g, const double **desc, uint8_t **ptrs, int *bias) {
  uint8_t *mem;
  size_t mem_len;
  if (!get_bytes(env, argv[0], &mem, &mem_len)) return "d2l_dnnl.conv: mem must be a Uint8Array";
  const double *d = get_desc(env, argv[1]);
  if (!d) return "d2l_dnnl.conv: desc must be a Float64Array of the descriptor's length";
  const char *err = parse_desc(d, g);
  if (err) return err;
  uint64_t bytes[4];
  tensor_bytes(g, bytes);
  for (int i = 0; i < 4; i++) {
    double off = g->off[i];
    ptrs[i] = NULL;
    if (off < 0) {
      if (i != 2) return "d2l_dnnl.conv: only the bias (offset 2) may be absent";
      continue;
    }
    if (i == 2 && g->kind == KIND_BWD_DATA) return "d2l_dnnl.conv: backward data takes no bias";
    uint64_t o = (uint64_t)off;
    if (o % 4 != 0 || o > mem_len || bytes[i] > mem_len - o)
      return "d2l_dnnl.conv: a tensor lies outside the memory or is misaligned";
    ptrs[i] = mem + o;
  }
  *bias = ptrs[2] != NULL;
  *desc = d;
  return NULL;
}

static napi_value conv(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 2) return throw_range(env, "d2l_dnnl.conv: expected 2 arguments (mem, desc)");
  geom_t g;
  const double *d;
  uint8_t *ptrs[4];
  int bias;
  const char *err = prepare(env, argv, &g, &d, ptrs, &bias);
  if (err) return throw_range(env, err);
  if ((err = ensure_engine())) {
    napi_throw_error(env, "D2L_DNNL", err);
    return NULL;
  }
  int prev = threads_enter((int)d[D_THR]);
  dnnl_status_t st = dnnl_success;
  entry_t *e = lookup(d, &g, bias, &st);
  int ok = 0;
  if (e) ok = run_entry(e, g.kind != KIND_FWD && g.acc, ptrs, &err);
  threads_leave(prev);
  napi_value r;
  if (!e) {
    if (st == dnnl_unimplemented) {
      CHECK(env, napi_get_boolean(env, false, &r));
      return r;
    }
    char msg[160];
    snprintf(msg, sizeof msg, "d2l_dnnl.conv: creating the oneDNN primitive failed (%s)", status_str(st));
    napi_throw_error(env, "D2L_DNNL", msg);
    return NULL;
  }
  if (!ok) {
    napi_throw_error(env, "D2L_DNNL", err);
    return NULL;
  }
  CHECK(env, napi_get_boolean(env, true, &r));
  return r;
}

/* impl(desc): the implementation oneDNN picked for `desc` (offsets are ignored but the bias
 * offset, which says whether a bias takes part). */
static napi_value impl(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  const double *d = argc == 1 ? get_desc(env, argv[0]) : NULL;
  if (!d) return throw_range(env, "d2l_dnnl.impl: desc must be a Float64Array of the descriptor's length");
  geom_t g;
  const char *err = parse_desc(d, &g);
  if (err) return throw_range(env, err);
  if ((err = ensure_engine())) {
    napi_throw_error(env, "D2L_DNNL", err);
    return NULL;
  }
  int prev = threads_enter((int)d[D_THR]);
  dnnl_status_t st = dnnl_success;
  entry_t *e = lookup(d, &g, g.off[2] >= 0 && g.kind != KIND_BWD_DATA, &st);
  threads_leave(prev);
  const char *s = "unimplemented";
  if (e) dnnl_primitive_desc_query(e->pd, dnnl_query_impl_info_str, 0, &s);
  napi_value r;
  CHECK(env, napi_create_string_utf8(env, s ? s : "", NAPI_AUTO_LENGTH, &r));
  return r;
}

static napi_value get_threads(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value r;
  CHECK(env, napi_create_int32(env, threads_now(), &r));
  return r;
}

static int set_num(napi_env env, napi_value obj, const char *key, double x) {
  napi_value v;
  if (napi_create_double(env, x, &v) != napi_ok) return 0;
  return napi_set_named_property(env, obj, key, v) == napi_ok;
}

/* { runs, created, cached }: convolutions run and primitives created (all threads), primitives in
 * this thread's cache. */
static napi_value stats(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value obj;
  CHECK(env, napi_create_object(env, &obj));
  if (!set_num(env, obj, "runs", (double)__atomic_load_n(&g_runs, __ATOMIC_RELAXED)) ||
      !set_num(env, obj, "created", (double)__atomic_load_n(&g_created, __ATOMIC_RELAXED)) ||
      !set_num(env, obj, "cached", (double)cache_count())) {
    napi_throw_error(env, "D2L_DNNL", "d2l_dnnl.stats: could not build the result");
    return NULL;
  }
  return obj;
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

static const char *isa_name(dnnl_cpu_isa_t isa) {
  switch (isa) {
    case dnnl_cpu_isa_sse41: return "sse41";
    case dnnl_cpu_isa_avx: return "avx";
    case dnnl_cpu_isa_avx2: return "avx2";
    case dnnl_cpu_isa_avx512_mic: return "avx512_mic";
    case dnnl_cpu_isa_avx512_mic_4ops: return "avx512_mic_4ops";
    case dnnl_cpu_isa_avx512_core: return "avx512_core";
    case dnnl_cpu_isa_avx512_core_vnni: return "avx512_core_vnni";
    case dnnl_cpu_isa_avx512_core_bf16: return "avx512_core_bf16";
    case dnnl_cpu_isa_avx512_core_amx: return "avx512_core_amx";
    case dnnl_cpu_isa_avx2_vnni: return "avx2_vnni";
    default: return "other";
  }
}

/* { version, library, runtime: 'omp' | 'tbb' | 'seq' | 'threadpool' | 'other', isa, threads, openmp } */
static napi_value get_info(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value obj;
  CHECK(env, napi_create_object(env, &obj));
  const dnnl_version_t *v = dnnl_version();
  char ver[64];
  snprintf(ver, sizeof ver, "%d.%d.%d", v->major, v->minor, v->patch);
  unsigned rt = v->cpu_runtime;
  const char *rts = rt == DNNL_RUNTIME_OMP ? "omp" : rt == DNNL_RUNTIME_TBB ? "tbb" : rt == DNNL_RUNTIME_SEQ ? "seq"
                    : rt == DNNL_RUNTIME_THREADPOOL ? "threadpool" : "other";
  Dl_info dl;
  const char *lib = "";
  if (dladdr((void *)&dnnl_version, &dl) != 0 && dl.dli_fname) lib = dl.dli_fname;
  if (!set_str(env, obj, "version", ver) || !set_str(env, obj, "library", lib) || !set_str(env, obj, "runtime", rts) ||
      !set_str(env, obj, "isa", isa_name(dnnl_get_effective_cpu_isa())) ||
      !set_int(env, obj, "threads", threads_now()) || !set_int(env, obj, "openmp", p_omp_set != NULL)) {
    napi_throw_error(env, "D2L_DNNL", "d2l_dnnl.info: could not build the result");
    return NULL;
  }
  return obj;
}

/* A worker thread's environment ends: free what this thread created. */
static void free_thread_state(void *arg) {
  (void)arg;
  for (int i = 0; g_cache && i < CACHE_SIZE; i++)
    if (g_cache[i].used) entry_free(&g_cache[i]);
  free(g_cache);
  g_cache = NULL;
  free(g_tmp);
  g_tmp = NULL;
  g_tmp_bytes = 0;
  free(g_arena);
  g_arena = NULL;
  g_arena_bytes = 0;
  if (g_stream) dnnl_stream_destroy(g_stream);
  if (g_engine) dnnl_engine_destroy(g_engine);
  g_stream = NULL;
  g_engine = NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  find_openmp();
  if (napi_add_env_cleanup_hook(env, free_thread_state, NULL) != napi_ok) return NULL;
  napi_property_descriptor props[] = {
      {"conv", NULL, conv, NULL, NULL, NULL, napi_enumerable, NULL},
      {"impl", NULL, impl, NULL, NULL, NULL, napi_enumerable, NULL},
      {"getThreads", NULL, get_threads, NULL, NULL, NULL, napi_enumerable, NULL},
      {"stats", NULL, stats, NULL, NULL, NULL, napi_enumerable, NULL},
      {"info", NULL, get_info, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props) != napi_ok) return NULL;
  return exports;
}

NAPI_MODULE_INIT() { return init(env, exports); }
