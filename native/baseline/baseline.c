/*
 * bulwark baseline native helper (N-API, plain C). Node has no listxattr/getxattr and no ioctl, so
 * this addon gives the baseline scanner the two attributes it cannot read otherwise:
 *   - every extended attribute of an entry (all namespaces the caller may read: user, trusted,
 *     security, system.posix_acl_*), without following symlinks;
 *   - the ext2/3/4-style inode flags (chattr: FS_IOC_GETFLAGS), for regular files and directories.
 * One call per entry, no allocation kept between calls; safe to load in several worker threads
 * (N-API modules are context-aware).
 *
 * attrs(path: Buffer, fd: number, kind: number) -> [flags, errno, name0, value0, name1, value1, ...]
 *   path  NUL-free path bytes (not NUL-terminated; the helper copies and terminates it)
 *   fd    an open descriptor of the entry (regular files) or -1 to use the path
 *   kind  0 regular file, 1 directory, 2 symlink, 3 other (fifo, socket, device)
 *   flags inode flags, or -1 when the file system or file type has none
 *   errno 0, or the errno of the first failure (xattrs or flags could not be read)
 *   names are latin1 strings (byte-exact), values Buffers. Names are returned sorted.
 *
 * lstat(path: Buffer, st: BigInt64Array(16)) -> errno (0: st filled, see ST_* below)
 *   The scanner's lstat without Node's Stats objects (a BigIntStats and its Dates per entry).
 *
 * readFile(path: Buffer, algos: number, opts: number, st: BigInt64Array(16))
 *     -> [stage, errno, scanFlags, noatimeRefused, bytes, nonRegular, digests[], attrs | null]
 *   One regular file, read as read-entry.ts does it in JS: open(O_RDONLY|O_NOFOLLOW|O_NONBLOCK,
 *   O_NOATIME first when opts & 1), one read pass feeding every digest in `algos` (bit 0 SHA-256,
 *   1 SHA-512, 2 SHA3-256, 3 BLAKE2b-512; digests[] in that bit order), fstat after the pass, and
 *   up to three passes while the file moves under the reader. On entry st holds the lstat taken
 *   before open (ST_DEV, ST_INO, ST_SIZE, ST_MTIME, ST_CTIME are used as the first "before"); on
 *   return it holds the last fstat. stage: 0 read, 1 open failed, 2 read or fstat failed (errno
 *   says why; nothing else is valid). scanFlags: ENTRY_FLAG bits (1 changed, 2 replaced during
 *   the scan). nonRegular: the fd no longer names a regular file (no digests). attrs: as attrs()
 *   returns, through the open fd, when opts & 2. One call per file instead of a dozen: the
 *   content is hashed with libcrypto here, in the calling thread.
 *
 * listDir(path: Buffer) -> errno | [names: Buffer, kinds: Buffer]
 *   A directory's entries (not . and ..) sorted as bytes (memcmp, shorter first on a tie), as one
 *   Buffer of NUL-terminated names and one kind byte per name: 1 directory, 0 anything else,
 *   2 unknown (DT_UNKNOWN: the caller asks lstat). The walker's listing without a Dirent object
 *   and a Buffer per name.
 *
 * dpkgIndex(infoDir: Buffer, prefixes: Buffer[] | null) -> [index, packages: string[]] | errno
 * dpkgOwner(index, key: Buffer, rootSpelled: boolean) -> package number or -1
 *   The owners of the files dpkg's *.md5sums list, outside the JS heap (an init asks for every
 *   file; a Map of tens of thousands of strings cost it more in garbage collection than in
 *   lookups). Same rules as DpkgManager in packages.ts: a line is "<32 hex>  <path without the
 *   leading slash>"; with prefixes (both merged-/usr spellings, relative to '/', no trailing
 *   slash) only paths at or under one are kept; a path is filed under its /usr spelling
 *   ("lib/x" as "usr/lib/x") as a store key (NUL for '/', leading NUL), with one slot per
 *   spelling (the last listing in each wins); a lookup takes the slot of the key's own spelling,
 *   else the other. The package name drops a ":arch" suffix.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <node_api.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#define CHECK(call)                                                                                \
  do {                                                                                             \
    if ((call) != napi_ok) {                                                                       \
      napi_throw_error(env, NULL, "bulwark baseline native: N-API call failed");                   \
      return NULL;                                                                                 \
    }                                                                                              \
  } while (0)

/* The first `n` arguments of a call into argv; false with an exception pending when there are
 * fewer (a TypeError showing `usage`) or N-API fails. */
static bool get_args(napi_env env, napi_callback_info info, size_t n, napi_value *argv, const char *usage) {
  size_t argc = n;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) {
    napi_throw_error(env, NULL, "bulwark baseline native: N-API call failed");
    return false;
  }
  if (argc < n) {
    napi_throw_type_error(env, NULL, usage);
    return false;
  }
  return true;
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Lists names into a malloc'd buffer; returns length, 0 for none, -1 on error (errno set). */
static ssize_t list_names(const char *path, int fd, char **out) {
  ssize_t cap = 1024;
  for (int tries = 0; tries < 8; tries++) {
    char *buf = malloc((size_t)cap);
    if (!buf) return -1;
    ssize_t n = fd >= 0 ? flistxattr(fd, buf, (size_t)cap) : llistxattr(path, buf, (size_t)cap);
    if (n >= 0) {
      *out = buf;
      return n;
    }
    free(buf);
    if (errno != ERANGE) return -1;
    ssize_t need = fd >= 0 ? flistxattr(fd, NULL, 0) : llistxattr(path, NULL, 0);
    if (need < 0) return -1;
    cap = need + 64;
  }
  errno = ERANGE;
  return -1;
}

static ssize_t get_value(const char *path, int fd, const char *name, char **out) {
  ssize_t cap = 256;
  for (int tries = 0; tries < 8; tries++) {
    char *buf = malloc((size_t)cap + 1);
    if (!buf) return -1;
    ssize_t n = fd >= 0 ? fgetxattr(fd, name, buf, (size_t)cap) : lgetxattr(path, name, buf, (size_t)cap);
    if (n >= 0) {
      *out = buf;
      return n;
    }
    free(buf);
    if (errno != ERANGE) return -1;
    ssize_t need = fd >= 0 ? fgetxattr(fd, name, NULL, 0) : lgetxattr(path, name, NULL, 0);
    if (need < 0) return -1;
    cap = need + 64;
  }
  errno = ERANGE;
  return -1;
}

/* The path argument as a NUL-terminated copy (caller frees), or NULL with an exception pending. */
static char *path_arg(napi_env env, napi_value v) {
  void *pdata;
  size_t plen;
  if (napi_get_buffer_info(env, v, &pdata, &plen) != napi_ok) {
    napi_throw_type_error(env, NULL, "path must be a Buffer");
    return NULL;
  }
  char *path = malloc(plen + 1);
  if (!path) {
    napi_throw_error(env, NULL, "out of memory");
    return NULL;
  }
  memcpy(path, pdata, plen);
  path[plen] = 0;
  return path;
}

static napi_value attrs_of(napi_env env, const char *path, int fd, int kind);

static napi_value attrs(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  if (!get_args(env, info, 3, argv, "attrs(path, fd, kind)")) return NULL;
  int32_t fd, kind;
  CHECK(napi_get_value_int32(env, argv[1], &fd));
  CHECK(napi_get_value_int32(env, argv[2], &kind));
  char *path = path_arg(env, argv[0]);
  if (!path) return NULL;
  napi_value r = attrs_of(env, path, fd, kind);
  free(path);
  return r;
}

/* Builds attrs()'s result for an entry; NULL with an exception pending on an N-API failure. */
static napi_value attrs_of(napi_env env, const char *path, int fd, int kind) {
  int first_err = 0;
  int flags = -1;
  /* Inode flags: only regular files and directories carry them (lsattr refuses the rest). */
  if (kind == 0 || kind == 1) {
    int dfd = fd;
    if (dfd < 0) dfd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | (kind == 1 ? O_DIRECTORY : 0));
    if (dfd >= 0) {
      int f = 0;
      if (ioctl(dfd, FS_IOC_GETFLAGS, &f) == 0) flags = f;
      else if (errno != ENOTTY && errno != EOPNOTSUPP && errno != EINVAL && errno != ENOSYS)
        first_err = errno;
      if (fd < 0) close(dfd);
    } else if (errno != ENXIO) {
      first_err = errno;
    }
  }

  napi_value result;
  CHECK(napi_create_array(env, &result));
  uint32_t idx = 2;
  char *names = NULL;
  /* xattrs are read through the fd for regular files; for symlinks l*xattr never follows. */
  int xfd = kind == 0 ? fd : -1;
  ssize_t nlen = list_names(path, xfd, &names);
  if (nlen < 0) {
    if (errno != ENOTSUP && first_err == 0) first_err = errno;
    nlen = 0;
  }
  if (nlen > 0) {
    size_t count = 0;
    for (ssize_t i = 0; i < nlen; i++)
      if (names[i] == 0) count++;
    const char **list = malloc(sizeof(char *) * (count + 1));
    size_t k = 0;
    for (ssize_t i = 0; i < nlen && list;) {
      list[k++] = names + i;
      i += (ssize_t)strlen(names + i) + 1;
    }
    if (list) {
      qsort(list, k, sizeof(char *), cmp_str);
      for (size_t j = 0; j < k; j++) {
        char *val = NULL;
        ssize_t vlen = get_value(path, xfd, list[j], &val);
        if (vlen < 0) {
          /* Vanished between list and get, or not readable by this user: report, go on. */
          if (errno != ENODATA && first_err == 0) first_err = errno;
          continue;
        }
        napi_value jname, jval;
        void *copy;
        CHECK(napi_create_string_latin1(env, list[j], NAPI_AUTO_LENGTH, &jname));
        CHECK(napi_create_buffer_copy(env, (size_t)vlen, val, &copy, &jval));
        free(val);
        CHECK(napi_set_element(env, result, idx++, jname));
        CHECK(napi_set_element(env, result, idx++, jval));
      }
      free(list);
    }
  }
  free(names);
  napi_value jflags, jerr;
  CHECK(napi_create_int32(env, flags, &jflags));
  CHECK(napi_create_int32(env, first_err, &jerr));
  CHECK(napi_set_element(env, result, 0, jflags));
  CHECK(napi_set_element(env, result, 1, jerr));
  return result;
}

/* Layout of the BigInt64Array shared with read-entry.ts (ST_* there). */
enum { ST_DEV, ST_INO, ST_MODE, ST_NLINK, ST_UID, ST_GID, ST_RDEV, ST_SIZE, ST_MTIME, ST_CTIME, ST_LEN = 16 };

static int64_t *st_arg(napi_env env, napi_value v) {
  napi_typedarray_type t;
  size_t len;
  void *data;
  if (napi_get_typedarray_info(env, v, &t, &len, &data, NULL, NULL) != napi_ok || t != napi_bigint64_array ||
      len < ST_LEN) {
    napi_throw_type_error(env, NULL, "st must be a BigInt64Array of 16");
    return NULL;
  }
  return data;
}

static void st_fill(int64_t *o, const struct stat *s) {
  o[ST_DEV] = (int64_t)s->st_dev;
  o[ST_INO] = (int64_t)s->st_ino;
  o[ST_MODE] = s->st_mode;
  o[ST_NLINK] = (int64_t)s->st_nlink;
  o[ST_UID] = s->st_uid;
  o[ST_GID] = s->st_gid;
  o[ST_RDEV] = (int64_t)s->st_rdev;
  o[ST_SIZE] = s->st_size;
  o[ST_MTIME] = (int64_t)s->st_mtim.tv_sec * 1000000000 + s->st_mtim.tv_nsec;
  o[ST_CTIME] = (int64_t)s->st_ctim.tv_sec * 1000000000 + s->st_ctim.tv_nsec;
}

static napi_value do_lstat(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!get_args(env, info, 2, argv, "lstat(path, st)")) return NULL;
  int64_t *o = st_arg(env, argv[1]);
  if (!o) return NULL;
  char *path = path_arg(env, argv[0]);
  if (!path) return NULL;
  struct stat s;
  int err = lstat(path, &s) == 0 ? 0 : errno;
  free(path);
  if (!err) st_fill(o, &s);
  napi_value r;
  CHECK(napi_create_int32(env, err, &r));
  return r;
}

#define READ_BUF (512 * 1024)
#define MAX_TRIES 3
#define N_ALGOS 4

/* One read buffer and one digest context per algorithm per thread, freed when the thread ends. */
struct thread_state {
  unsigned char *buf;
  EVP_MD_CTX *ctx[N_ALGOS];
};
static pthread_key_t state_key;
static pthread_once_t state_once = PTHREAD_ONCE_INIT;

static void state_free(void *p) {
  struct thread_state *t = p;
  for (int i = 0; i < N_ALGOS; i++) EVP_MD_CTX_free(t->ctx[i]);
  free(t->buf);
  free(t);
}
static void state_key_make(void) { pthread_key_create(&state_key, state_free); }

static struct thread_state *thread_state(void) {
  pthread_once(&state_once, state_key_make);
  struct thread_state *t = pthread_getspecific(state_key);
  if (t) return t;
  t = calloc(1, sizeof *t);
  if (!t) return NULL;
  t->buf = malloc(READ_BUF);
  for (int i = 0; i < N_ALGOS; i++) t->ctx[i] = EVP_MD_CTX_new();
  if (!t->buf || !t->ctx[0] || !t->ctx[1] || !t->ctx[2] || !t->ctx[3] || pthread_setspecific(state_key, t)) {
    state_free(t);
    return NULL;
  }
  return t;
}

static const EVP_MD *algo_md(int i) {
  switch (i) {
  case 0: return EVP_sha256();
  case 1: return EVP_sha512();
  case 2: return EVP_sha3_256();
  default: return EVP_blake2b512();
  }
}

/* One pass from offset 0 into every chosen digest; bytes read, or -1 with errno set. */
static int64_t hash_pass(int fd, struct thread_state *t, int algos) {
  for (int i = 0; i < N_ALGOS; i++)
    if ((algos & (1 << i)) && !EVP_DigestInit_ex(t->ctx[i], algo_md(i), NULL)) return errno = ENOMEM, -1;
  int64_t total = 0;
  for (;;) {
    ssize_t n = pread(fd, t->buf, READ_BUF, total);
    if (n < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    if (n == 0) return total;
    for (int i = 0; i < N_ALGOS; i++)
      if (algos & (1 << i)) EVP_DigestUpdate(t->ctx[i], t->buf, (size_t)n);
    total += n;
  }
}

static napi_value read_file(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  if (!get_args(env, info, 4, argv, "readFile(path, algos, opts, st)")) return NULL;
  int32_t algos, opts;
  CHECK(napi_get_value_int32(env, argv[1], &algos));
  CHECK(napi_get_value_int32(env, argv[2], &opts));
  int64_t *o = st_arg(env, argv[3]);
  if (!o) return NULL;
  struct thread_state *t = thread_state();
  if (!t) {
    napi_throw_error(env, NULL, "out of memory");
    return NULL;
  }
  char *path = path_arg(env, argv[0]);
  if (!path) return NULL;

  int stage = 0, err = 0, scan_flags = 0, noatime_refused = 0, non_regular = 0;
  int64_t bytes = 0;
  unsigned char md[N_ALGOS][EVP_MAX_MD_SIZE];
  unsigned int mdlen[N_ALGOS] = {0};
  napi_value attrs_v = NULL;
  const int base = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC;
  int fd = -1;
  if (opts & 1) {
    fd = open(path, base | O_NOATIME);
    /* Not the owner and not root: O_NOATIME is refused, a plain open works. */
    if (fd < 0 && errno == EPERM) noatime_refused = 1;
  }
  if (fd < 0 && (!(opts & 1) || noatime_refused)) fd = open(path, base);
  if (fd < 0) {
    stage = 1, err = errno;
  } else {
    /* "before" of the first pass: the caller's lstat; of a retry, the previous pass's fstat. */
    int64_t b_dev = o[ST_DEV], b_ino = o[ST_INO], b_size = o[ST_SIZE], b_mt = o[ST_MTIME], b_ct = o[ST_CTIME];
    const int64_t l_dev = b_dev, l_ino = b_ino;
    for (int attempt = 1;; attempt++) {
      int64_t n = hash_pass(fd, t, algos);
      struct stat a;
      if (n < 0 || fstat(fd, &a) != 0) {
        stage = 2, err = errno;
        break;
      }
      bytes += n;
      if (!S_ISREG(a.st_mode)) {
        non_regular = 1;
        scan_flags |= 2;
        break;
      }
      int flags = 0;
      /* Another inode at this path (swapped between lstat and open): the one read is recorded. */
      if ((int64_t)a.st_ino != l_ino || (int64_t)a.st_dev != l_dev) flags |= 2;
      st_fill(o, &a);
      int stable = b_size == o[ST_SIZE] && b_mt == o[ST_MTIME] && b_ct == o[ST_CTIME] && b_ino == o[ST_INO] &&
                   n == o[ST_SIZE];
      scan_flags = stable ? flags : flags | 1;
      for (int i = 0; i < N_ALGOS; i++)
        if (algos & (1 << i)) EVP_DigestFinal_ex(t->ctx[i], md[i], &mdlen[i]);
      if (stable || attempt >= MAX_TRIES) break;
      b_dev = o[ST_DEV], b_ino = o[ST_INO], b_size = o[ST_SIZE], b_mt = o[ST_MTIME], b_ct = o[ST_CTIME];
      (void)b_dev;
    }
    if (stage == 0 && (opts & 2)) attrs_v = attrs_of(env, path, fd, 0);
    close(fd);
    if (stage == 0 && (opts & 2) && !attrs_v) {
      free(path);
      return NULL;
    }
  }
  free(path);

  napi_value r, v, digests;
  CHECK(napi_create_array_with_length(env, 8, &r));
  int32_t ints[4] = {stage, err, scan_flags, noatime_refused};
  for (uint32_t i = 0; i < 4; i++) {
    CHECK(napi_create_int32(env, ints[i], &v));
    CHECK(napi_set_element(env, r, i, v));
  }
  CHECK(napi_create_double(env, (double)bytes, &v));
  CHECK(napi_set_element(env, r, 4, v));
  CHECK(napi_get_boolean(env, non_regular, &v));
  CHECK(napi_set_element(env, r, 5, v));
  CHECK(napi_create_array(env, &digests));
  if (stage == 0 && !non_regular) {
    uint32_t k = 0;
    for (int i = 0; i < N_ALGOS; i++) {
      if (!(algos & (1 << i))) continue;
      void *copy;
      CHECK(napi_create_buffer_copy(env, mdlen[i], md[i], &copy, &v));
      CHECK(napi_set_element(env, digests, k++, v));
    }
  }
  CHECK(napi_set_element(env, r, 6, digests));
  if (!attrs_v) CHECK(napi_get_null(env, &attrs_v));
  CHECK(napi_set_element(env, r, 7, attrs_v));
  return r;
}

struct name_ref {
  const char *name;
  size_t len;
  unsigned char kind;
};

static int cmp_name(const void *a, const void *b) {
  const struct name_ref *x = a, *y = b;
  size_t n = x->len < y->len ? x->len : y->len;
  int c = memcmp(x->name, y->name, n);
  return c ? c : (x->len > y->len) - (x->len < y->len);
}

static napi_value list_dir(napi_env env, napi_callback_info info) {
  napi_value argv[1], r;
  if (!get_args(env, info, 1, argv, "listDir(path)")) return NULL;
  char *path = path_arg(env, argv[0]);
  if (!path) return NULL;
  DIR *d = opendir(path);
  free(path);
  if (!d) {
    CHECK(napi_create_int32(env, errno, &r));
    return r;
  }
  /* Names are copied into one growing arena; refs point into it once it stops moving. */
  size_t cap = 1 << 14, used = 0, n = 0, ncap = 256;
  char *arena = malloc(cap);
  struct name_ref *refs = malloc(ncap * sizeof *refs);
  size_t *offs = malloc(ncap * sizeof *offs);
  int err = 0;
  struct dirent *e;
  for (;;) {
    errno = 0;
    e = readdir(d);
    if (!e) {
      err = errno;
      break;
    }
    if (!arena || !refs || !offs) {
      err = ENOMEM;
      break;
    }
    if (e->d_name[0] == '.' && (e->d_name[1] == 0 || (e->d_name[1] == '.' && e->d_name[2] == 0))) continue;
    size_t len = strlen(e->d_name);
    if (used + len + 1 > cap) {
      while (used + len + 1 > cap) cap *= 2;
      char *a = realloc(arena, cap);
      if (!a) {
        err = ENOMEM;
        break;
      }
      arena = a;
    }
    if (n == ncap) {
      ncap *= 2;
      struct name_ref *nr = realloc(refs, ncap * sizeof *refs);
      if (nr) refs = nr;
      size_t *no = realloc(offs, ncap * sizeof *offs);
      if (no) offs = no;
      if (!nr || !no) {
        err = ENOMEM;
        break;
      }
    }
    memcpy(arena + used, e->d_name, len + 1);
    offs[n] = used;
    refs[n].len = len;
    refs[n].kind = e->d_type == DT_DIR ? 1 : e->d_type == DT_UNKNOWN ? 2 : 0;
    used += len + 1;
    n++;
  }
  closedir(d);
  if (err) {
    free(arena);
    free(refs);
    free(offs);
    CHECK(napi_create_int32(env, err, &r));
    return r;
  }
  for (size_t i = 0; i < n; i++) refs[i].name = arena + offs[i];
  qsort(refs, n, sizeof *refs, cmp_name);
  napi_value names, kinds;
  void *nb, *kb;
  CHECK(napi_create_buffer(env, used, &nb, &names));
  CHECK(napi_create_buffer(env, n, &kb, &kinds));
  char *np = nb;
  unsigned char *kp = kb;
  for (size_t i = 0; i < n; i++) {
    memcpy(np, refs[i].name, refs[i].len + 1);
    np += refs[i].len + 1;
    kp[i] = refs[i].kind;
  }
  free(arena);
  free(refs);
  free(offs);
  CHECK(napi_create_array_with_length(env, 2, &r));
  CHECK(napi_set_element(env, r, 0, names));
  CHECK(napi_set_element(env, r, 1, kinds));
  return r;
}

static const char *const MERGED_DIRS[] = {"bin", "sbin", "lib", "lib32", "lib64", "libx32"};

/* "lib/x" and the like: the first component is a merged-/usr directory. */
static int root_spelled(const char *rel, size_t len) {
  for (size_t i = 0; i < sizeof MERGED_DIRS / sizeof MERGED_DIRS[0]; i++) {
    size_t d = strlen(MERGED_DIRS[i]);
    if (len > d && rel[d] == '/' && !memcmp(rel, MERGED_DIRS[i], d)) return 1;
  }
  return 0;
}

struct dpkg_ent {
  uint32_t off, len; /* key bytes in the arena */
  int32_t pkg;
  uint32_t seq; /* listing order: the last listing of a spelling wins */
  unsigned char root;
};

struct dpkg_index {
  char *arena;
  struct dpkg_ent *ents; /* unique keys, sorted; pkg = /usr-spelling slot */
  int32_t *root_pkg;     /* root-spelling slot per key, -1 when none */
  size_t n;
};

static int cmp_ent(const void *a, const void *b, void *arena_p) {
  const struct dpkg_ent *x = a, *y = b;
  const char *arena = arena_p;
  size_t n = x->len < y->len ? x->len : y->len;
  int c = memcmp(arena + x->off, arena + y->off, n);
  if (c) return c;
  if (x->len != y->len) return x->len < y->len ? -1 : 1;
  return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void dpkg_free(napi_env env, void *data, void *hint) {
  struct dpkg_index *ix = data;
  free(ix->arena);
  free(ix->ents);
  free(ix->root_pkg);
  free(ix);
}

static char *read_all(int dfd, const char *name, size_t *len) {
  int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return NULL;
  struct stat st;
  char *buf = NULL;
  if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (buf = malloc((size_t)st.st_size + 1))) {
    size_t got = 0;
    ssize_t r;
    while (got < (size_t)st.st_size && (r = read(fd, buf + got, (size_t)st.st_size - got)) > 0) got += (size_t)r;
    *len = got;
  }
  close(fd);
  return buf;
}

static napi_value dpkg_index(napi_env env, napi_callback_info info) {
  napi_value argv[2], r;
  if (!get_args(env, info, 2, argv, "dpkgIndex(infoDir, prefixes)")) return NULL;
  char *dir = path_arg(env, argv[0]);
  if (!dir) return NULL;
  /* Prefixes, relative to '/': none (null) keeps every path. */
  bool has_prefixes = false;
  napi_valuetype t;
  CHECK(napi_typeof(env, argv[1], &t));
  uint32_t npre = 0;
  char **pre = NULL;
  size_t *prelen = NULL;
  if (t != napi_null && t != napi_undefined) {
    has_prefixes = true;
    CHECK(napi_get_array_length(env, argv[1], &npre));
    pre = calloc(npre + 1, sizeof *pre);
    prelen = calloc(npre + 1, sizeof *prelen);
    for (uint32_t i = 0; pre && prelen && i < npre; i++) {
      napi_value v;
      void *d;
      size_t l;
      CHECK(napi_get_element(env, argv[1], i, &v));
      CHECK(napi_get_buffer_info(env, v, &d, &l));
      pre[i] = malloc(l + 1);
      if (pre[i]) memcpy(pre[i], d, l), pre[i][l] = 0, prelen[i] = l;
    }
  }
  int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  free(dir);
  DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
  if (!d) {
    int err = errno;
    if (dfd >= 0) close(dfd);
    for (uint32_t i = 0; pre && i < npre; i++) free(pre[i]);
    free(pre);
    free(prelen);
    CHECK(napi_create_int32(env, err ? err : ENOENT, &r));
    return r;
  }
  size_t acap = 1 << 20, aused = 0, ecap = 4096, n = 0;
  char *arena = malloc(acap);
  struct dpkg_ent *ents = malloc(ecap * sizeof *ents);
  napi_value names;
  CHECK(napi_create_array(env, &names));
  uint32_t npkg = 0;
  int oom = !arena || !ents;
  /* The lists in name order (strcmp), as Node's readdir gives them to packages.ts: within one
   * spelling the last listing wins, so both must read them in the same order. */
  size_t nf = 0, fcap = 1024;
  char **files = malloc(fcap * sizeof *files);
  struct dirent *de;
  while (files && (de = readdir(d))) {
    size_t fl = strlen(de->d_name);
    if (fl <= 8 || strcmp(de->d_name + fl - 8, ".md5sums")) continue;
    if (nf == fcap) {
      char **nfp = realloc(files, (fcap *= 2) * sizeof *files);
      if (!nfp) break;
      files = nfp;
    }
    if (!(files[nf] = strdup(de->d_name))) break;
    nf++;
  }
  if (!files) oom = 1;
  else qsort(files, nf, sizeof *files, cmp_str);
  for (size_t fi = 0; !oom && fi < nf; fi++) {
    const char *fname = files[fi];
    size_t fl = strlen(fname);
    size_t tlen = 0;
    char *text = read_all(dirfd(d), fname, &tlen);
    if (!text) continue; /* unreadable: as if the package listed nothing */
    /* The package name: the file name without ".md5sums" and without a ":arch" suffix. */
    size_t pl = fl - 8;
    char *colon = memchr(fname, ':', pl);
    for (char *c = colon; c; c = memchr(c + 1, ':', pl - (size_t)(c + 1 - fname))) colon = c;
    if (colon) pl = (size_t)(colon - fname);
    napi_value pn;
    CHECK(napi_create_string_latin1(env, fname, pl, &pn));
    CHECK(napi_set_element(env, names, npkg, pn));
    int32_t pkg = (int32_t)npkg++;
    for (size_t i = 0; i < tlen && !oom;) {
      char *nl = memchr(text + i, '\n', tlen - i);
      size_t j = nl ? (size_t)(nl - text) : tlen;
      if (j - i > 34) {
        const char *rel = text + i + 34;
        size_t rl = j - i - 34;
        int keep = !has_prefixes;
        for (uint32_t k = 0; !keep && k < npre; k++) {
          if (!pre[k]) continue;
          size_t l = prelen[k];
          keep = rl >= l && !memcmp(rel, pre[k], l) && (rl == l || rel[l] == '/');
        }
        if (keep) {
          unsigned char root = (unsigned char)root_spelled(rel, rl);
          size_t kl = 1 + (root ? 4 : 0) + rl;
          if (aused + kl > acap) {
            while (aused + kl > acap) acap *= 2;
            char *a = realloc(arena, acap);
            if (!a) {
              oom = 1;
              break;
            }
            arena = a;
          }
          if (n == ecap) {
            struct dpkg_ent *ne = realloc(ents, (ecap *= 2) * sizeof *ents);
            if (!ne) {
              oom = 1;
              break;
            }
            ents = ne;
          }
          char *k = arena + aused;
          *k++ = 0;
          if (root) memcpy(k, "usr", 3), k[3] = 0, k += 4;
          for (size_t q = 0; q < rl; q++) k[q] = rel[q] == '/' ? 0 : rel[q];
          ents[n] = (struct dpkg_ent){(uint32_t)aused, (uint32_t)kl, pkg, (uint32_t)n, root};
          aused += kl;
          n++;
        }
      }
      i = j + 1;
    }
    free(text);
  }
  for (size_t fi = 0; files && fi < nf; fi++) free(files[fi]);
  free(files);
  closedir(d);
  for (uint32_t i = 0; pre && i < npre; i++) free(pre[i]);
  free(pre);
  free(prelen);
  struct dpkg_index *ix = calloc(1, sizeof *ix);
  int32_t *root_pkg = malloc((n ? n : 1) * sizeof *root_pkg);
  if (oom || !ix || !root_pkg) {
    free(arena);
    free(ents);
    free(ix);
    free(root_pkg);
    CHECK(napi_create_int32(env, ENOMEM, &r));
    return r;
  }
  /* Sort by key, then listing order; keep one entry per key with a slot per spelling. */
  qsort_r(ents, n, sizeof *ents, cmp_ent, arena);
  size_t u = 0;
  for (size_t i = 0; i < n;) {
    size_t j = i;
    int32_t usr = -1, rootp = -1;
    for (; j < n && ents[j].len == ents[i].len && !memcmp(arena + ents[j].off, arena + ents[i].off, ents[i].len); j++) {
      if (ents[j].root) rootp = ents[j].pkg;
      else usr = ents[j].pkg;
    }
    ents[u] = ents[i];
    ents[u].pkg = usr;
    root_pkg[u] = rootp;
    u++;
    i = j;
  }
  ix->arena = arena;
  ix->ents = ents;
  ix->root_pkg = root_pkg;
  ix->n = u;
  napi_value ext;
  CHECK(napi_create_external(env, ix, dpkg_free, NULL, &ext));
  CHECK(napi_create_array_with_length(env, 2, &r));
  CHECK(napi_set_element(env, r, 0, ext));
  CHECK(napi_set_element(env, r, 1, names));
  return r;
}

static napi_value dpkg_owner(napi_env env, napi_callback_info info) {
  napi_value argv[3], r;
  if (!get_args(env, info, 3, argv, "dpkgOwner(index, key, rootSpelled)")) return NULL;
  struct dpkg_index *ix;
  void *kd;
  size_t kl;
  bool root;
  CHECK(napi_get_value_external(env, argv[0], (void **)&ix));
  CHECK(napi_get_buffer_info(env, argv[1], &kd, &kl));
  CHECK(napi_get_value_bool(env, argv[2], &root));
  /* The /usr spelling of a root-spelled key: "\0lib\0x" -> "\0usr\0lib\0x". */
  char stackbuf[512];
  char *key = kd;
  size_t len = kl;
  char *heap = NULL;
  if (root) {
    len = kl + 4;
    key = len <= sizeof stackbuf ? stackbuf : (heap = malloc(len));
    if (!key) {
      CHECK(napi_create_int32(env, -1, &r));
      return r;
    }
    memcpy(key, "\0usr", 4);
    memcpy(key + 4, kd, kl);
  }
  int32_t pkg = -1;
  size_t lo = 0, hi = ix->n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    const struct dpkg_ent *m = &ix->ents[mid];
    size_t n = m->len < len ? m->len : len;
    int c = memcmp(ix->arena + m->off, key, n);
    if (!c) c = m->len < len ? -1 : m->len > len;
    if (!c) {
      int32_t own = root ? ix->root_pkg[mid] : m->pkg, other = root ? m->pkg : ix->root_pkg[mid];
      pkg = own >= 0 ? own : other;
      break;
    }
    if (c < 0) lo = mid + 1;
    else hi = mid;
  }
  free(heap);
  CHECK(napi_create_int32(env, pkg, &r));
  return r;
}

NAPI_MODULE_INIT() {
  static const struct {
    const char *name;
    napi_callback cb;
  } fns[] = {{"attrs", attrs}, {"lstat", do_lstat}, {"readFile", read_file}, {"listDir", list_dir},
                 {"dpkgIndex", dpkg_index}, {"dpkgOwner", dpkg_owner}};
  for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
    napi_value fn;
    if (napi_create_function(env, fns[i].name, NAPI_AUTO_LENGTH, fns[i].cb, NULL, &fn) != napi_ok) return NULL;
    if (napi_set_named_property(env, exports, fns[i].name, fn) != napi_ok) return NULL;
  }
  return exports;
}
