/*
 * d2l_mpi: a small N-API addon over Open MPI for the dist_sync KVStore (src/kvstore/dist.ts).
 * Collectives work in place on memory JS hands over as a Uint8Array plus a byte offset: for
 * arrays on the CPU backend that is the heap itself (one shared WebAssembly.Memory), so a
 * gradient is reduced where it lies, without a copy.
 *
 * Every collective is non-blocking underneath (MPI_Iallreduce, MPI_Ibcast, MPI_Ibarrier,
 * MPI_Iallgather) and waited for here by MPI_Test polling against a deadline: a collective that
 * another rank never joins (one rank one batch more) would otherwise block forever, since Open
 * MPI 4.1 has no fault tolerance. Past the deadline the addon prints what was waited for (the
 * caller's description: rank, step, collective) and ends the whole job with MPI_Abort.
 *
 * Two communicators, both duplicates of MPI_COMM_WORLD: one for data (allreduce, broadcast),
 * one for control (barrier, allgather), so that a rank in a control collective never pairs with
 * a rank still in a data one; both then wait, and the watchdog reports it.
 *
 * Built by scripts/build-mpi.mjs with mpicc; loaded by src/kvstore/mpi.ts. Entry points:
 *   init() -> { rank, size, threadLevel, library }        (idempotent)
 *   allreduce(mem, byteOffset, count, dtype, timeoutMs, what)   in place, sum;
 *       dtype 0 float32, 1 float64, 2 int32
 *   bcast(mem, byteOffset, byteLength, root, timeoutMs, what)
 *   allgather(send, recv, timeoutMs, what)               bytes; recv.length = size * send.length
 *   barrier(timeoutMs, what)
 *   abort(code, message)                                  prints message, then MPI_Abort
 *   finalize()
 *   wtime()
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <math.h>
#include <mpi.h>
#include <node_api.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int initialized = 0;
static int finalized = 0;
static int world_rank = 0;
static int world_size = 1;
static int thread_level = 0;
static MPI_Comm data_comm = MPI_COMM_NULL;
static MPI_Comm ctl_comm = MPI_COMM_NULL;
static char library_path[1024] = "";

#define CHECK(env, call)                                                          \
  do {                                                                            \
    if ((call) != napi_ok) {                                                      \
      napi_throw_error((env), "D2L_MPI", "d2l_mpi: N-API call failed: " #call);   \
      return NULL;                                                                \
    }                                                                             \
  } while (0)

static napi_value throw_err(napi_env env, const char *msg) {
  napi_throw_error(env, "D2L_MPI", msg);
  return NULL;
}

static napi_value throw_range(napi_env env, const char *msg) {
  napi_throw_range_error(env, "D2L_MPI", msg);
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
  if (type != napi_uint8_array) return 0;
  *data = (uint8_t *)p;
  *len = length;
  return 1;
}

/* A non-negative integer below 2^53. */
static int get_size(napi_env env, napi_value v, uint64_t *out) {
  double d;
  if (napi_get_value_double(env, v, &d) != napi_ok) return 0;
  if (!(d >= 0 && d <= 9007199254740991.0) || d != floor(d)) return 0;
  *out = (uint64_t)d;
  return 1;
}

static void get_string(napi_env env, napi_value v, char *buf, size_t cap) {
  size_t n = 0;
  if (napi_get_value_string_utf8(env, v, buf, cap, &n) != napi_ok) snprintf(buf, cap, "a collective");
}

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void die(int code, const char *msg) {
  fprintf(stderr, "%s\n", msg);
  fflush(stderr);
  MPI_Abort(MPI_COMM_WORLD, code);
  exit(code); /* MPI_Abort does not return; this is for a broken MPI. */
}

/*
 * Waits for `req` until `timeout_ms` (<= 0: forever). Polls MPI_Test (which also drives Open
 * MPI's progress) tightly for the first ~50 us, then with short sleeps, so a rank that waits long
 * for a slower one leaves the core to it (ranks may outnumber cores).
 */
static int wait_or_abort(MPI_Request *req, double timeout_ms, const char *what) {
  double start = now_s();
  double deadline = timeout_ms > 0 ? start + timeout_ms / 1000.0 : 0;
  long polls = 0;
  for (;;) {
    int done = 0;
    int rc = MPI_Test(req, &done, MPI_STATUS_IGNORE);
    if (rc != MPI_SUCCESS) return rc;
    if (done) return MPI_SUCCESS;
    polls++;
    if (polls > 2000) {
      struct timespec s = {0, polls > 20000 ? 200000 : 20000}; /* 20 us, then 0.2 ms */
      nanosleep(&s, NULL);
    }
    if (deadline > 0 && (polls & 63) == 0 && now_s() > deadline) {
      char msg[1400];
      snprintf(msg, sizeof msg,
               "d2l-ts dist_sync watchdog: rank %d of %d waited %.1f s in %s without the other ranks joining "
               "(D2L_DIST_TIMEOUT=%g s); a rank ran more (or fewer) steps or collectives than the others. "
               "Aborting the job (MPI_Abort).",
               world_rank, world_size, now_s() - start, what, timeout_ms / 1000.0);
      die(3, msg);
    }
  }
}

static napi_value mpi_error(napi_env env, int rc, const char *what) {
  char err[MPI_MAX_ERROR_STRING];
  int len = 0;
  MPI_Error_string(rc, err, &len);
  char msg[1600];
  snprintf(msg, sizeof msg, "d2l_mpi: %s failed on rank %d: %s", what, world_rank, err);
  return throw_err(env, msg);
}

static napi_value set_int(napi_env env, napi_value obj, const char *key, int v) {
  napi_value x;
  CHECK(env, napi_create_int32(env, v, &x));
  CHECK(env, napi_set_named_property(env, obj, key, x));
  return obj;
}

static napi_value info_object(napi_env env) {
  napi_value obj, lib;
  CHECK(env, napi_create_object(env, &obj));
  if (!set_int(env, obj, "rank", world_rank)) return NULL;
  if (!set_int(env, obj, "size", world_size)) return NULL;
  if (!set_int(env, obj, "threadLevel", thread_level)) return NULL;
  if (!set_int(env, obj, "threadMultiple", thread_level >= MPI_THREAD_MULTIPLE)) return NULL;
  CHECK(env, napi_create_string_utf8(env, library_path, NAPI_AUTO_LENGTH, &lib));
  CHECK(env, napi_set_named_property(env, obj, "library", lib));
  return obj;
}

static napi_value Init(napi_env env, napi_callback_info info) {
  (void)info;
  if (finalized) return throw_err(env, "d2l_mpi: MPI was finalized in this process and cannot be initialised again");
  if (!initialized) {
    /*
     * Node loads an addon with RTLD_LOCAL, so libmpi's symbols are invisible to the components Open
     * MPI dlopens at MPI_Init (mca_*.so), which then fail to load. Reopen libmpi globally first.
     */
    Dl_info dl;
    if (dladdr((void *)&MPI_Init_thread, &dl) && dl.dli_fname) {
      snprintf(library_path, sizeof library_path, "%s", dl.dli_fname);
      dlopen(dl.dli_fname, RTLD_NOW | RTLD_GLOBAL | RTLD_NOLOAD);
    }
    int already = 0;
    MPI_Initialized(&already);
    int rc = already ? MPI_Query_thread(&thread_level) : MPI_Init_thread(NULL, NULL, MPI_THREAD_MULTIPLE, &thread_level);
    if (rc != MPI_SUCCESS) return mpi_error(env, rc, "MPI_Init_thread");
    MPI_Comm_rank(MPI_COMM_WORLD, &world_rank);
    MPI_Comm_size(MPI_COMM_WORLD, &world_size);
    if ((rc = MPI_Comm_dup(MPI_COMM_WORLD, &data_comm)) != MPI_SUCCESS) return mpi_error(env, rc, "MPI_Comm_dup");
    if ((rc = MPI_Comm_dup(MPI_COMM_WORLD, &ctl_comm)) != MPI_SUCCESS) return mpi_error(env, rc, "MPI_Comm_dup");
    /* Errors come back as codes (and JS errors), not as Open MPI's own abort. */
    MPI_Comm_set_errhandler(data_comm, MPI_ERRORS_RETURN);
    MPI_Comm_set_errhandler(ctl_comm, MPI_ERRORS_RETURN);
    initialized = 1;
  }
  return info_object(env);
}

static int ready(napi_env env) {
  if (!initialized || finalized) {
    throw_err(env, finalized ? "d2l_mpi: MPI was finalized" : "d2l_mpi: call init() first");
    return 0;
  }
  return 1;
}

/* allreduce(mem, byteOffset, count, dtype, timeoutMs, what): in place, sum. */
static napi_value Allreduce(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 6) return throw_err(env, "d2l_mpi.allreduce(mem, byteOffset, count, dtype, timeoutMs, what): 6 arguments");
  if (!ready(env)) return NULL;
  uint8_t *mem;
  size_t len;
  uint64_t off, count, dt;
  double timeout_ms;
  char what[512];
  if (!get_bytes(env, argv[0], &mem, &len)) return throw_err(env, "d2l_mpi.allreduce: mem must be a Uint8Array");
  if (!get_size(env, argv[1], &off) || !get_size(env, argv[2], &count) || !get_size(env, argv[3], &dt) || dt > 2)
    return throw_err(env, "d2l_mpi.allreduce: byteOffset and count must be integers >= 0, dtype 0, 1 or 2");
  CHECK(env, napi_get_value_double(env, argv[4], &timeout_ms));
  get_string(env, argv[5], what, sizeof what);
  size_t es = dt == 1 ? 8 : 4;
  MPI_Datatype type = dt == 0 ? MPI_FLOAT : dt == 1 ? MPI_DOUBLE : MPI_INT;
  if (count > INT32_MAX) return throw_range(env, "d2l_mpi.allreduce: more than 2^31-1 elements in one call");
  if (off % es != 0) return throw_range(env, "d2l_mpi.allreduce: byteOffset is not aligned to the element size");
  if (off > len || count * es > len - off) return throw_range(env, "d2l_mpi.allreduce: the range lies outside mem");
  if (count == 0) return NULL;
  MPI_Request req;
  int rc = MPI_Iallreduce(MPI_IN_PLACE, mem + off, (int)count, type, MPI_SUM, data_comm, &req);
  if (rc == MPI_SUCCESS) rc = wait_or_abort(&req, timeout_ms, what);
  if (rc != MPI_SUCCESS) return mpi_error(env, rc, what);
  return NULL;
}

/* bcast(mem, byteOffset, byteLength, root, timeoutMs, what) */
static napi_value Bcast(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 6) return throw_err(env, "d2l_mpi.bcast(mem, byteOffset, byteLength, root, timeoutMs, what): 6 arguments");
  if (!ready(env)) return NULL;
  uint8_t *mem;
  size_t len;
  uint64_t off, bytes, root;
  double timeout_ms;
  char what[512];
  if (!get_bytes(env, argv[0], &mem, &len)) return throw_err(env, "d2l_mpi.bcast: mem must be a Uint8Array");
  if (!get_size(env, argv[1], &off) || !get_size(env, argv[2], &bytes) || !get_size(env, argv[3], &root))
    return throw_err(env, "d2l_mpi.bcast: byteOffset, byteLength and root must be integers >= 0");
  CHECK(env, napi_get_value_double(env, argv[4], &timeout_ms));
  get_string(env, argv[5], what, sizeof what);
  if ((int64_t)root >= world_size) return throw_range(env, "d2l_mpi.bcast: root is not a rank");
  if (bytes > INT32_MAX) return throw_range(env, "d2l_mpi.bcast: more than 2^31-1 bytes in one call");
  if (off > len || bytes > len - off) return throw_range(env, "d2l_mpi.bcast: the range lies outside mem");
  if (bytes == 0) return NULL;
  MPI_Request req;
  int rc = MPI_Ibcast(mem + off, (int)bytes, MPI_BYTE, (int)root, data_comm, &req);
  if (rc == MPI_SUCCESS) rc = wait_or_abort(&req, timeout_ms, what);
  if (rc != MPI_SUCCESS) return mpi_error(env, rc, what);
  return NULL;
}

/* allgather(send, recv, timeoutMs, what): recv.length must be size * send.length. */
static napi_value Allgather(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 4) return throw_err(env, "d2l_mpi.allgather(send, recv, timeoutMs, what): 4 arguments");
  if (!ready(env)) return NULL;
  uint8_t *send, *recv;
  size_t slen, rlen;
  double timeout_ms;
  char what[512];
  if (!get_bytes(env, argv[0], &send, &slen) || !get_bytes(env, argv[1], &recv, &rlen))
    return throw_err(env, "d2l_mpi.allgather: send and recv must be Uint8Arrays");
  CHECK(env, napi_get_value_double(env, argv[2], &timeout_ms));
  get_string(env, argv[3], what, sizeof what);
  if (slen > INT32_MAX || rlen != slen * (size_t)world_size)
    return throw_range(env, "d2l_mpi.allgather: recv must hold size * send.length bytes");
  MPI_Request req;
  int rc = MPI_Iallgather(send, (int)slen, MPI_BYTE, recv, (int)slen, MPI_BYTE, ctl_comm, &req);
  if (rc == MPI_SUCCESS) rc = wait_or_abort(&req, timeout_ms, what);
  if (rc != MPI_SUCCESS) return mpi_error(env, rc, what);
  return NULL;
}

/* barrier(timeoutMs, what) */
static napi_value Barrier(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 2) return throw_err(env, "d2l_mpi.barrier(timeoutMs, what): 2 arguments");
  if (!ready(env)) return NULL;
  double timeout_ms;
  char what[512];
  CHECK(env, napi_get_value_double(env, argv[0], &timeout_ms));
  get_string(env, argv[1], what, sizeof what);
  MPI_Request req;
  int rc = MPI_Ibarrier(ctl_comm, &req);
  if (rc == MPI_SUCCESS) rc = wait_or_abort(&req, timeout_ms, what);
  if (rc != MPI_SUCCESS) return mpi_error(env, rc, what);
  return NULL;
}

/* abort(code, message): prints message on stderr, then ends every rank of the job. */
static napi_value Abort(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t code = 1;
  char msg[2048] = "";
  if (argc >= 1) napi_get_value_int32(env, argv[0], &code);
  if (argc >= 2) get_string(env, argv[1], msg, sizeof msg);
  if (msg[0]) fprintf(stderr, "%s\n", msg);
  fflush(stderr);
  if (initialized && !finalized) MPI_Abort(MPI_COMM_WORLD, code);
  exit(code);
}

static napi_value Finalize(napi_env env, napi_callback_info info) {
  (void)info;
  if (initialized && !finalized) {
    MPI_Comm_free(&data_comm);
    MPI_Comm_free(&ctl_comm);
    int rc = MPI_Finalize();
    finalized = 1;
    if (rc != MPI_SUCCESS) return mpi_error(env, rc, "MPI_Finalize");
  }
  return NULL;
}

static napi_value Wtime(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value v;
  CHECK(env, napi_create_double(env, now_s(), &v));
  return v;
}

static napi_value ModuleInit(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"init", NULL, Init, NULL, NULL, NULL, napi_default, NULL},
      {"allreduce", NULL, Allreduce, NULL, NULL, NULL, napi_default, NULL},
      {"bcast", NULL, Bcast, NULL, NULL, NULL, napi_default, NULL},
      {"allgather", NULL, Allgather, NULL, NULL, NULL, napi_default, NULL},
      {"barrier", NULL, Barrier, NULL, NULL, NULL, napi_default, NULL},
      {"abort", NULL, Abort, NULL, NULL, NULL, napi_default, NULL},
      {"finalize", NULL, Finalize, NULL, NULL, NULL, napi_default, NULL},
      {"wtime", NULL, Wtime, NULL, NULL, NULL, napi_default, NULL},
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return NULL;
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, ModuleInit)
