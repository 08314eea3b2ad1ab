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
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <node_api.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/xattr.h>
#include <unistd.h>

#define CHECK(call)                                                                                \
  do {                                                                                             \
    if ((call) != napi_ok) {                                                                       \
      napi_throw_error(env, NULL, "bulwark baseline native: N-API call failed");                   \
      return NULL;                                                                                 \
    }                                                                                              \
  } while (0)

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

static napi_value attrs(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 3) {
    napi_throw_type_error(env, NULL, "attrs(path, fd, kind)");
    return NULL;
  }
  void *pdata;
  size_t plen;
  CHECK(napi_get_buffer_info(env, argv[0], &pdata, &plen));
  int32_t fd, kind;
  CHECK(napi_get_value_int32(env, argv[1], &fd));
  CHECK(napi_get_value_int32(env, argv[2], &kind));
  char *path = malloc(plen + 1);
  if (!path) {
    napi_throw_error(env, NULL, "out of memory");
    return NULL;
  }
  memcpy(path, pdata, plen);
  path[plen] = 0;

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
  free(path);
  napi_value jflags, jerr;
  CHECK(napi_create_int32(env, flags, &jflags));
  CHECK(napi_create_int32(env, first_err, &jerr));
  CHECK(napi_set_element(env, result, 0, jflags));
  CHECK(napi_set_element(env, result, 1, jerr));
  return result;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  if (napi_create_function(env, "attrs", NAPI_AUTO_LENGTH, attrs, NULL, &fn) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "attrs", fn) != napi_ok) return NULL;
  return exports;
}
