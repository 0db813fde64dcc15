// A single-threaded epoll echo server in C: the benchmark's physical limit for one core.
// usage: echo-epoll <host> <port>   (port 0: any; the bound port is printed on stdout)
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define BUF_SIZE (256 * 1024)

struct conn {
  int fd;
  char *pending; /* bytes the peer has not taken yet; reading stops until they are written */
  size_t off, len;
};

static int epfd;

static void drop(struct conn *c) {
  close(c->fd);
  free(c->pending);
  free(c);
}

static void want(struct conn *c, uint32_t events) {
  struct epoll_event ev = {.events = events, .data.ptr = c};
  epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev);
}

/* Writes what is pending; returns 1 when all of it is out, 0 when the socket is full, -1 on error. */
static int flush_pending(struct conn *c) {
  while (c->off < c->len) {
    ssize_t w = write(c->fd, c->pending + c->off, c->len - c->off);
    if (w < 0) return errno == EAGAIN ? 0 : -1;
    c->off += (size_t)w;
  }
  free(c->pending);
  c->pending = NULL;
  c->off = c->len = 0;
  return 1;
}

static void on_readable(struct conn *c, char *buf) {
  /* bounded like libuv's read loop, so one busy peer cannot starve the others */
  for (int i = 0; i < 32; i++) {
    ssize_t n = read(c->fd, buf, BUF_SIZE);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
      drop(c);
      return;
    }
    if (n < 0) return;
    ssize_t w = write(c->fd, buf, (size_t)n);
    if (w < 0) {
      if (errno != EAGAIN) {
        drop(c);
        return;
      }
      w = 0;
    }
    if (w < n) {
      c->len = (size_t)(n - w);
      c->off = 0;
      c->pending = malloc(c->len);
      memcpy(c->pending, buf + w, c->len);
      want(c, EPOLLOUT);
      return;
    }
    if (n < BUF_SIZE) return;
  }
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s <host> <port>\n", argv[0]);
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  int v6 = strchr(argv[1], ':') != NULL;
  int lfd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  int one = 1;
  setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_storage ss = {0};
  socklen_t sl;
  if (v6) {
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
    a->sin6_family = AF_INET6;
    a->sin6_port = htons((uint16_t)atoi(argv[2]));
    inet_pton(AF_INET6, argv[1], &a->sin6_addr);
    sl = sizeof *a;
  } else {
    struct sockaddr_in *a = (struct sockaddr_in *)&ss;
    a->sin_family = AF_INET;
    a->sin_port = htons((uint16_t)atoi(argv[2]));
    inet_pton(AF_INET, argv[1], &a->sin_addr);
    sl = sizeof *a;
  }
  if (bind(lfd, (struct sockaddr *)&ss, sl) < 0 || listen(lfd, 4096) < 0) {
    perror("bind/listen");
    return 3;
  }
  getsockname(lfd, (struct sockaddr *)&ss, &sl);
  printf("%d\n", ntohs(v6 ? ((struct sockaddr_in6 *)&ss)->sin6_port : ((struct sockaddr_in *)&ss)->sin_port));
  fflush(stdout);

  epfd = epoll_create1(0);
  struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
  epoll_ctl(epfd, EPOLL_CTL_ADD, lfd, &ev);
  static char buf[BUF_SIZE];
  struct epoll_event events[256];
  for (;;) {
    int n = epoll_wait(epfd, events, 256, -1);
    for (int i = 0; i < n; i++) {
      struct conn *c = events[i].data.ptr;
      if (c == NULL) {
        for (;;) {
          int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK);
          if (fd < 0) break;
          setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          struct conn *nc = calloc(1, sizeof *nc);
          nc->fd = fd;
          struct epoll_event cev = {.events = EPOLLIN, .data.ptr = nc};
          epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &cev);
        }
      } else if (events[i].events & EPOLLOUT) {
        int r = flush_pending(c);
        if (r < 0) drop(c);
        else if (r > 0) want(c, EPOLLIN);
      } else if (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
        on_readable(c, buf);
      }
    }
  }
}
