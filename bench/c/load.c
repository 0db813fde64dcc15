// The benchmark's load client in C (one thread, epoll), so that the client is never the bottleneck.
// usage:
//   load rr     <host> <port> <conns> <size> <warmup-s> <seconds>   request/response, one message in flight per connection
//   load stream <host> <port> <chunk> <warmup-s> <seconds>          one connection, writes of <chunk> bytes, reads the echo
//   load idle   <host> <port> <conns> <timeout-s> <hold-s>          opens <conns>, pings each once, holds them until stdin ends
//   load wsrr   <host> <port> <conns> <size> <warmup-s> <seconds>   as rr, over WebSocket: one handshake per connection, then masked
//                                                                   text frames of <size> bytes (< 126), each answered by its echo
// Each prints one JSON line of results on stdout. Every loop stops by itself at its deadline.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU seconds this process has used: a client near 1.0 per second of wall time would be the bottleneck. */
static double cpu_used(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static struct sockaddr_storage target;
static socklen_t target_len;
static int target_v6;

static void resolve(const char *host, int port) {
  memset(&target, 0, sizeof target);
  target_v6 = strchr(host, ':') != NULL;
  if (target_v6) {
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)&target;
    a->sin6_family = AF_INET6;
    a->sin6_port = htons((uint16_t)port);
    inet_pton(AF_INET6, host, &a->sin6_addr);
    target_len = sizeof *a;
  } else {
    struct sockaddr_in *a = (struct sockaddr_in *)&target;
    a->sin_family = AF_INET;
    a->sin_port = htons((uint16_t)port);
    inet_pton(AF_INET, host, &a->sin_addr);
    target_len = sizeof *a;
  }
}

/* A non-blocking socket, connecting. `source` spreads IPv4 clients over 127.0.0.x so ephemeral ports never run short. */
static int open_socket(int source) {
  int fd = socket(target_v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  if (fd < 0) return -1;
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (!target_v6 && source > 0) {
    setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
    struct sockaddr_in src = {.sin_family = AF_INET};
    src.sin_addr.s_addr = htonl(0x7f000000u | (uint32_t)source);
    bind(fd, (struct sockaddr *)&src, sizeof src);
  }
  if (connect(fd, (struct sockaddr *)&target, target_len) < 0 && errno != EINPROGRESS) {
    close(fd);
    return -1;
  }
  return fd;
}

/* Waits for a connect to finish; 0 when connected. */
static int await_connect(int fd, double deadline) {
  struct pollfd p = {.fd = fd, .events = POLLOUT};
  int ms = (int)((deadline - now()) * 1000);
  if (ms < 1 || poll(&p, 1, ms) != 1) return -1;
  int err = 0;
  socklen_t el = sizeof err;
  getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el);
  return err;
}

/* Latency histogram: 1 µs buckets up to 100 ms (beyond that counts in the last). */
#define HIST 100000
static uint32_t hist[HIST];

static double percentile(uint64_t total, double p) {
  uint64_t want = (uint64_t)(total * p), seen = 0;
  for (int i = 0; i < HIST; i++) {
    seen += hist[i];
    if (seen > want) return i / 1000.0;
  }
  return HIST / 1000.0;
}

struct rr_conn {
  int fd;
  int got;
  double sent_at;
};

/* The WebSocket opening handshake on a connected socket: 0 once the server answered 101. */
static int ws_handshake(int fd, double deadline) {
  static const char req[] = "GET / HTTP/1.1\r\nHost: bench\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
  if (write(fd, req, sizeof req - 1) != (ssize_t)(sizeof req - 1)) return -1;
  char head[4096];
  size_t got = 0;
  /* read a byte at a time up to the blank line, so no frame byte after it is taken */
  while (got < sizeof head - 1) {
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int ms = (int)((deadline - now()) * 1000);
    if (ms < 1 || poll(&p, 1, ms) != 1) return -1;
    if (read(fd, head + got, 1) != 1) return -1;
    got++;
    if (got >= 4 && memcmp(head + got - 4, "\r\n\r\n", 4) == 0) break;
  }
  head[got] = 0;
  return strncmp(head, "HTTP/1.1 101", 12) == 0 ? 0 : -1;
}

static int run_rr(int conns, int size, double warmup, double seconds, int ws) {
  char *payload = malloc((size_t)size), buf[65536];
  memset(payload, 'x', (size_t)size);
  /* over WebSocket a request is a masked text frame (the zero mask leaves the payload as is), its echo an unmasked one */
  int msg_len = ws ? size + 6 : size, expect = ws ? size + 2 : size;
  char *msg = malloc((size_t)msg_len);
  if (ws) {
    if (size >= 126) {
      fprintf(stderr, "wsrr: size must be below 126\n");
      return 2;
    }
    msg[0] = (char)0x81;
    msg[1] = (char)(0x80 | size);
    memset(msg + 2, 0, 4);
    memcpy(msg + 6, payload, (size_t)size);
  } else {
    memcpy(msg, payload, (size_t)size);
  }
  int ep = epoll_create1(0);
  struct rr_conn *cs = calloc((size_t)conns, sizeof *cs);
  double start = now(), deadline = start + 10;
  int alive = 0;
  for (int i = 0; i < conns; i++) {
    int fd = open_socket(0);
    if (fd < 0 || await_connect(fd, deadline) != 0) {
      fprintf(stderr, "connect failed: %s\n", strerror(errno));
      return 4;
    }
    if (ws && ws_handshake(fd, deadline) != 0) {
      fprintf(stderr, "the WebSocket handshake failed\n");
      return 4;
    }
    cs[i].fd = fd;
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &cs[i]};
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    alive++;
  }
  for (int i = 0; i < conns; i++) {
    cs[i].sent_at = now();
    if (write(cs[i].fd, msg, (size_t)msg_len) != msg_len) return 5;
  }
  double t0 = now(), measure_from = t0 + warmup, end = measure_from + seconds;
  uint64_t done = 0, measured = 0, errors = 0;
  int measuring = 0;
  double cpu0 = 0;
  struct epoll_event events[512];
  while (alive > 0) {
    double t = now();
    if (!measuring && t >= measure_from) {
      measuring = 1;
      cpu0 = cpu_used();
    }
    if (t >= end) break;
    int n = epoll_wait(ep, events, 512, 10);
    for (int i = 0; i < n; i++) {
      struct rr_conn *c = events[i].data.ptr;
      ssize_t r = read(c->fd, buf, sizeof buf);
      if (r <= 0) {
        if (r < 0 && errno == EAGAIN) continue;
        errors++;
        epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
        close(c->fd);
        c->fd = -1;
        alive--;
        continue;
      }
      c->got += (int)r;
      if (c->got < expect) continue;
      c->got = 0;
      done++;
      double t1 = now();
      if (measuring) {
        measured++;
        long us = (long)((t1 - c->sent_at) * 1e6);
        hist[us < HIST ? us : HIST - 1]++;
      }
      c->sent_at = t1;
      if (write(c->fd, msg, (size_t)msg_len) != msg_len) errors++;
    }
  }
  double elapsed = now() - measure_from, cpu = (cpu_used() - cpu0) / elapsed;
  printf("{\"mode\":\"%s\",\"conns\":%d,\"size\":%d,\"seconds\":%.3f,\"messages\":%llu,\"rate\":%.1f,\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"client_cpu\":%.2f,\"errors\":%llu}\n",
         ws ? "wsrr" : "rr", conns, size, elapsed, (unsigned long long)measured, measured / elapsed, percentile(measured, 0.5), percentile(measured, 0.99), cpu,
         (unsigned long long)errors);
  return errors > 0 ? 1 : 0;
}

static int run_stream(int chunk, double warmup, double seconds) {
  char *out = malloc((size_t)chunk);
  static char in[1 << 20];
  memset(out, 'y', (size_t)chunk);
  int fd = open_socket(0);
  if (fd < 0 || await_connect(fd, now() + 10) != 0) {
    fprintf(stderr, "connect failed\n");
    return 4;
  }
  int ep = epoll_create1(0);
  struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.fd = fd};
  epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
  double t0 = now(), measure_from = t0 + warmup, end = measure_from + seconds, mark = 0, cpu0 = 0;
  uint64_t received = 0, at_mark = 0, sent = 0;
  size_t off = 0;
  int measuring = 0, failed = 0;
  struct epoll_event events[4];
  for (;;) {
    double t = now();
    if (!measuring && t >= measure_from) {
      measuring = 1;
      mark = t;
      at_mark = received;
      cpu0 = cpu_used();
    }
    if (t >= end) break;
    int n = epoll_wait(ep, events, 4, 10);
    if (n <= 0) continue;
    uint32_t e = events[0].events;
    if (e & EPOLLIN) {
      for (int i = 0; i < 16; i++) {
        ssize_t r = read(fd, in, sizeof in);
        if (r == 0 || (r < 0 && errno != EAGAIN)) {
          failed = 1;
          break;
        }
        if (r < 0) break;
        received += (uint64_t)r;
      }
      if (failed) break;
    }
    if (e & EPOLLOUT) {
      for (int i = 0; i < 16; i++) {
        ssize_t w = write(fd, out + off, (size_t)chunk - off);
        if (w < 0) break;
        sent += (uint64_t)w;
        off = (off + (size_t)w) % (size_t)chunk;
      }
    }
  }
  double elapsed = now() - mark, cpu = (cpu_used() - cpu0) / elapsed;
  printf("{\"mode\":\"stream\",\"chunk\":%d,\"seconds\":%.3f,\"bytes\":%llu,\"rate\":%.1f,\"sent\":%llu,\"client_cpu\":%.2f,\"errors\":%d}\n", chunk,
         elapsed, (unsigned long long)(received - at_mark), (received - at_mark) / elapsed, (unsigned long long)sent, cpu, failed);
  close(fd);
  return failed;
}

static int run_idle(int conns, double timeout, double hold) {
  int *fds = malloc(sizeof(int) * (size_t)conns);
  char *state = calloc((size_t)conns, 1); /* 0 connecting, 1 connected, 2 answered, 3 failed */
  int *got = calloc((size_t)conns, sizeof(int));
  int ep = epoll_create1(0);
  double start = now(), deadline = start + timeout;
  int opened = 0, connected = 0, failed = 0, inflight = 0;
  const int max_inflight = 64;
  struct epoll_event events[512];
  /* connect a bounded number at a time, like clients arriving, so no listen backlog overflows */
  while (connected + failed < conns && now() < deadline) {
    while (inflight < max_inflight && opened < conns) {
      int fd = open_socket(target_v6 ? 0 : 2 + opened % 200);
      fds[opened] = fd;
      if (fd < 0) {
        state[opened++] = 3;
        failed++;
        continue;
      }
      struct epoll_event ev = {.events = EPOLLOUT, .data.u32 = (uint32_t)opened};
      epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
      opened++;
      inflight++;
    }
    int n = epoll_wait(ep, events, 512, 10);
    for (int i = 0; i < n; i++) {
      uint32_t k = events[i].data.u32;
      int err = 0;
      socklen_t el = sizeof err;
      getsockopt(fds[k], SOL_SOCKET, SO_ERROR, &err, &el);
      inflight--;
      if (err) {
        state[k] = 3;
        failed++;
        epoll_ctl(ep, EPOLL_CTL_DEL, fds[k], NULL);
        close(fds[k]);
        continue;
      }
      state[k] = 1;
      connected++;
      struct epoll_event ev = {.events = EPOLLIN, .data.u32 = k};
      epoll_ctl(ep, EPOLL_CTL_MOD, fds[k], &ev);
    }
  }
  double connected_at = now();
  for (int k = 0; k < opened; k++)
    if (state[k] == 1 && write(fds[k], "ping\n", 5) != 5) state[k] = 3;
  int answered = 0;
  char buf[256];
  while (answered < connected && now() < deadline) {
    int n = epoll_wait(ep, events, 512, 10);
    for (int i = 0; i < n; i++) {
      uint32_t k = events[i].data.u32;
      ssize_t r = read(fds[k], buf, sizeof buf);
      if (r < 0 && errno == EAGAIN) continue;
      if (r <= 0) {
        state[k] = 3;
        epoll_ctl(ep, EPOLL_CTL_DEL, fds[k], NULL);
        continue;
      }
      got[k] += (int)r;
      if (got[k] >= 5 && state[k] == 1) {
        state[k] = 2;
        answered++;
      }
    }
  }
  double answered_at = now();
  int still_open = 0;
  for (int k = 0; k < opened; k++) still_open += state[k] == 1 || state[k] == 2;
  printf("{\"mode\":\"idle\",\"conns\":%d,\"connected\":%d,\"answered\":%d,\"open\":%d,\"connect_s\":%.3f,\"answer_s\":%.3f}\n", conns, connected,
         answered, still_open, connected_at - start, answered_at - connected_at);
  fflush(stdout);
  /* hold every connection until the driver has measured the server (stdin closes), at most `hold` seconds */
  struct pollfd p = {.fd = 0, .events = POLLIN};
  char line[64];
  double until = now() + hold;
  while (now() < until) {
    if (poll(&p, 1, 100) == 1) {
      if (read(0, line, sizeof line) <= 0) break;
      break;
    }
  }
  for (int k = 0; k < opened; k++)
    if (fds[k] >= 0 && state[k] != 3) close(fds[k]);
  return answered == conns ? 0 : 1;
}

int main(int argc, char **argv) {
  signal(SIGPIPE, SIG_IGN);
  if (argc < 5) {
    fprintf(stderr, "usage: load rr|wsrr|stream|idle <host> <port> ...\n");
    return 2;
  }
  resolve(argv[2], atoi(argv[3]));
  if (strcmp(argv[1], "rr") == 0 && argc == 8) return run_rr(atoi(argv[4]), atoi(argv[5]), atof(argv[6]), atof(argv[7]), 0);
  if (strcmp(argv[1], "wsrr") == 0 && argc == 8) return run_rr(atoi(argv[4]), atoi(argv[5]), atof(argv[6]), atof(argv[7]), 1);
  if (strcmp(argv[1], "stream") == 0 && argc == 7) return run_stream(atoi(argv[4]), atof(argv[5]), atof(argv[6]));
  if (strcmp(argv[1], "idle") == 0 && argc == 7) return run_idle(atoi(argv[4]), atof(argv[5]), atof(argv[6]));
  fprintf(stderr, "bad arguments\n");
  return 2;
}
