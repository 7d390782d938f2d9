/*
 * eni-ipam CNI shim: the binary installed as `tke-route-eni` and `tke-direct-eni`.
 *
 * Why C: the runtime execs a CNI plugin per pod operation, and a bare `node -e 0` costs about
 * 60 ms while Debian's whole ptp + host-local ADD costs about 7 ms. This shim only forwards the
 * CNI_* environment and stdin to eni-agent over its unix socket and relays the answer, so the
 * exec path costs about a millisecond and all the work (ipamd, netlink) happens in the agent.
 * It needs no `node` in PATH (containerd's CNI environment may have none).
 *
 * Wire format (see packages/node-dataplane/src/agent/cni-socket.ts):
 *   request:  "NAME=VALUE\0" per CNI_* variable, "\0", stdin bytes, then half-close.
 *   response: exit code in ASCII, "\n", stdout bytes.
 *
 * Build: cc -O2 -Wall -o tke-route-eni cni-shim.c  (done at install / test set-up; never committed)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#define DEFAULT_SOCKET "/run/eni-agent/agent.sock"
#define MAX_STDIN (4 << 20)

extern char **environ;

static char *read_all(int fd, size_t *len) {
  size_t cap = 65536, n = 0;
  char *buf = malloc(cap + 1);
  for (;;) {
    if (n == cap) {
      if (cap >= MAX_STDIN) break;
      cap *= 2;
      buf = realloc(buf, cap + 1);
    }
    ssize_t r = read(fd, buf + n, cap - n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    n += (size_t)r;
  }
  buf[n] = 0;
  *len = n;
  return buf;
}

/*
 * Extracts a top-level-looking string field ("key": "value") from the config JSON. Only used for
 * `agentSocket` and `cniVersion`, whose values are plain strings without escapes; the agent
 * validates the full config properly. Returns a malloc'd copy or NULL.
 */
static char *json_string(const char *json, const char *key) {
  char pat[64];
  snprintf(pat, sizeof pat, "\"%s\"", key);
  const char *p = strstr(json, pat);
  if (!p) return NULL;
  p += strlen(pat);
  while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') p++;
  if (*p++ != ':') return NULL;
  while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') p++;
  if (*p++ != '"') return NULL;
  const char *end = strchr(p, '"');
  if (!end || end - p > 4096) return NULL;
  return strndup(p, (size_t)(end - p));
}

/*
 * A strict JSON syntax check (no tree is built): malformed stdin is answered with code 6 here,
 * even when no agent is reachable at the socket the config would have named.
 */
static const char *ws(const char *p) {
  while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') p++;
  return p;
}
static const char *value(const char *p, int depth);
static const char *string(const char *p) {
  if (*p++ != '"') return NULL;
  for (; *p && *p != '"'; p++) {
    if ((unsigned char)*p < 0x20) return NULL;
    if (*p == '\\' && !*++p) return NULL;
  }
  return *p == '"' ? p + 1 : NULL;
}
static const char *container(const char *p, int depth, char close) {
  p = ws(p + 1);
  if (*p == close) return p + 1;
  for (;;) {
    if (close == '}') {
      if (!(p = string(p))) return NULL;
      p = ws(p);
      if (*p++ != ':') return NULL;
    }
    if (!(p = value(p, depth + 1))) return NULL;
    p = ws(p);
    if (*p == close) return p + 1;
    if (*p++ != ',') return NULL;
  }
}
static const char *value(const char *p, int depth) {
  p = ws(p);
  if (depth > 64) return NULL;
  if (*p == '{') return container(p, depth, '}');
  if (*p == '[') return container(p, depth, ']');
  if (*p == '"') return string(p);
  if (!strncmp(p, "true", 4)) return p + 4;
  if (!strncmp(p, "false", 5)) return p + 5;
  if (!strncmp(p, "null", 4)) return p + 4;
  const char *start = p;
  if (*p == '-') p++;
  while ((*p >= '0' && *p <= '9') || *p == '.' || *p == 'e' || *p == 'E' || *p == '+' || *p == '-') p++;
  return p > start ? p : NULL;
}
static int well_formed(const char *json, size_t len) {
  const char *end = value(json, 0);
  return end && (size_t)(ws(end) - json) == len;
}

static int fail(const char *version, int code, const char *msg, const char *detail) {
  printf("{\"cniVersion\":\"%s\",\"code\":%d,\"msg\":\"%s\",\"details\":\"%s\"}\n", version, code, msg, detail);
  return 1;
}

static int write_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return -1;
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

int main(void) {
  size_t in_len = 0;
  char *in = read_all(0, &in_len);
  char *version = json_string(in, "cniVersion");
  const char *v = version ? version : "1.0.0";
  const char *cmd = getenv("CNI_COMMAND");

  if (cmd && strcmp(cmd, "VERSION") == 0) {
    printf("{\"cniVersion\":\"%s\",\"supportedVersions\":[\"0.4.0\",\"1.0.0\"]}\n", v);
    return 0;
  }

  if (!well_formed(in, in_len)) return fail(v, 6, "stdin is not valid JSON", "");

  char *path = json_string(in, "agentSocket");
  const char *sock_path = path ? path : DEFAULT_SOCKET;
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  if (strlen(sock_path) >= sizeof addr.sun_path) return fail(v, 7, "agentSocket path too long", "");
  strcpy(addr.sun_path, sock_path);

  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
    /* 11: try again later. The agent restarting is transient; the runtime retries. */
    return fail(v, 11, "eni-agent is not reachable", strerror(errno));
  }
  struct timeval tv = {.tv_sec = 120};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);

  for (char **e = environ; *e; e++) {
    if (strncmp(*e, "CNI_", 4) == 0 && write_all(fd, *e, strlen(*e) + 1) != 0) {
      return fail(v, 11, "eni-agent closed the connection", "");
    }
  }
  if (write_all(fd, "", 1) != 0 || write_all(fd, in, in_len) != 0) return fail(v, 11, "eni-agent closed the connection", "");
  shutdown(fd, SHUT_WR);

  size_t out_len = 0;
  char *out = read_all(fd, &out_len);
  char *nl = memchr(out, '\n', out_len);
  if (!nl) return fail(v, 11, "eni-agent gave no answer", "");
  *nl = 0;
  int code = atoi(out);
  size_t head = (size_t)(nl - out) + 1;
  write_all(1, out + head, out_len - head);
  return code;
}
