/*
 * echo_server.c: the compare harness's C reference (server id c-epoll, issue 17): a single-threaded epoll echo
 * server written the way a C programmer would write a fast one, to show what this machine can do without a runtime.
 *
 *   gcc -O2 -march=native -Wall -Wextra -o echo_server echo_server.c
 *   ./echo_server [--host 127.0.0.1] [--port 65432] [--framing raw|length32] [--backlog N]
 *
 * The harness compiles it on first use and starts it pinned to core 0 like every other server; it waits by polling
 * the port, and logs the server's first line ("listening on HOST:PORT (...)"), printed once the socket listens.
 *
 * Design:
 * - One thread, one epoll set, level-triggered. A readable connection gets one read() per wake-up into a buffer
 *   shared by every connection, and what was read is written straight back with one send(). Level-triggered means
 *   no extra read() that only returns EAGAIN (edge-triggered needs one per wake-up) and fairness between
 *   connections: a connection with more data than the buffer holds is simply reported again by the next
 *   epoll_wait.
 * - Partial writes: the bytes the socket did not take are copied into a buffer of the connection's own (malloc'd
 *   at that moment, freed once written), and the connection waits for EPOLLOUT instead of EPOLLIN until they are
 *   gone. So a connection holds at most one read's worth (64 KiB) and a peer that does not read stops being read
 *   (backpressure, no unbounded buffering).
 * - An idle connection holds no buffer: only its 24-byte slot in a table indexed by descriptor, initialised when the
 *   connection is accepted. The table is calloc'd for the descriptor limit up front; glibc maps a table that size
 *   from the kernel's zero pages, so memory is committed only as slots are touched. So RSS grows by 24 B per idle
 *   connection (page by page), which is what the harness's idle measurement (RSS delta / connections) sees; the
 *   kernel's socket, file and epoll memory (a few KiB per connection) is not in RSS, for this server or any other.
 * - Accepting: on a readable listener, accept4(SOCK_NONBLOCK | SOCK_CLOEXEC) in a loop until EAGAIN, TCP_NODELAY on
 *   every connection. Out of descriptors (EMFILE), a spare descriptor is closed to accept and close the connection
 *   at once, so a level-triggered listener does not spin (libuv's trick).
 * - length32 framing (a 4-byte big-endian length, then the payload): echoing a whole frame gives the same bytes as
 *   echoing the bytes as they arrive, so the server echoes the bytes as they arrive (no frame is held back or
 *   copied), but it walks the frame headers as they pass (5 bytes of state per connection) and closes a connection
 *   that announces a frame over 1 MiB, as the .NET peers' decoders do. raw echoes bytes unchecked.
 * - The descriptor limit is raised to its hard limit at start, so 10,000+ connections fit.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#define READ_BUFFER_SIZE (64 * 1024)
#define MAX_EVENTS 1024
#define MAX_FRAME_LENGTH (1024u * 1024u) /* as the .NET peers' decoders (PeerArgs.MaxFrameLength) */
#define MAX_DESCRIPTORS (1u << 20)       /* the slot table covers at most this many descriptors */

/* One connection, indexed by its descriptor. An idle connection is this and nothing else. */
struct conn {
    unsigned char *pending; /* bytes read but not yet written back, or NULL (at most one read's worth) */
    uint32_t pending_off;   /* of pending: written so far */
    uint32_t pending_len;   /* of pending: bytes in all */
    uint32_t frame_left;    /* length32: payload bytes of the current frame still to pass; while header_have > 0,
                               the header bytes seen so far (big-endian) */
    uint8_t header_have;    /* length32: bytes of the next frame's header seen (0-3) */
};

static struct conn *conns;
static unsigned conn_capacity;
static int epoll_fd;
static int listen_fd;
static int spare_fd = -1;
static bool length32;
static unsigned char read_buffer[READ_BUFFER_SIZE];

static void usage(FILE *to)
{
    fprintf(to, "Usage: echo_server [--host 127.0.0.1] [--port 65432] [--framing raw|length32] [--backlog N]\n"
                "  --backlog N  listen backlog (default SOMAXCONN = %d; the kernel caps it at net.core.somaxconn)\n",
            SOMAXCONN);
}

static void close_conn(int fd)
{
    free(conns[fd].pending);
    conns[fd].pending = NULL;
    close(fd); /* also removes it from the epoll set: the descriptor is never duplicated */
}

static void set_interest(int fd, uint32_t events)
{
    struct epoll_event ev = {.events = events, .data.fd = fd};
    if (epoll_ctl(epoll_fd, EPOLL_CTL_MOD, fd, &ev) < 0) {
        close_conn(fd);
    }
}

/* length32: walks the frame headers in what was read; false when a frame is longer than MAX_FRAME_LENGTH. */
static bool track_frames(struct conn *c, const unsigned char *p, size_t n)
{
    while (n > 0) {
        if (c->header_have == 0 && c->frame_left > 0) {
            size_t take = c->frame_left < n ? c->frame_left : n;
            c->frame_left -= (uint32_t)take;
            p += take;
            n -= take;
            continue;
        }

        if (c->header_have == 0 && n >= 4) {
            c->frame_left = ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
            p += 4;
            n -= 4;
        } else {
            c->frame_left = (c->frame_left << 8) | *p++;
            n--;
            if (++c->header_have < 4) {
                continue;
            }

            c->header_have = 0;
        }

        if (c->frame_left > MAX_FRAME_LENGTH) {
            return false;
        }
    }

    return true;
}

/* Writes back what the connection could not take before; back to reading once it is all gone. */
static void on_writable(int fd)
{
    struct conn *c = &conns[fd];
    while (c->pending_off < c->pending_len) {
        ssize_t w = send(fd, c->pending + c->pending_off, c->pending_len - c->pending_off, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR) {
                continue;
            }

            if (errno != EAGAIN) {
                close_conn(fd);
            }

            return;
        }

        c->pending_off += (uint32_t)w;
    }

    free(c->pending);
    c->pending = NULL;
    c->pending_off = c->pending_len = 0;
    set_interest(fd, EPOLLIN);
}

/* One read, echoed at once; what the socket does not take waits in the connection's own buffer for EPOLLOUT. */
static void on_readable(int fd)
{
    ssize_t n = read(fd, read_buffer, sizeof read_buffer);
    if (n <= 0) {
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
            return;
        }

        close_conn(fd); /* end of stream or an error (reset) */
        return;
    }

    struct conn *c = &conns[fd];
    if (length32 && !track_frames(c, read_buffer, (size_t)n)) {
        close_conn(fd); /* the peer broke the protocol */
        return;
    }

    size_t written = 0;
    while (written < (size_t)n) {
        ssize_t w = send(fd, read_buffer + written, (size_t)n - written, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR) {
                continue;
            }

            if (errno == EAGAIN) {
                break;
            }

            close_conn(fd);
            return;
        }

        written += (size_t)w;
    }

    if (written == (size_t)n) {
        return;
    }

    c->pending_len = (uint32_t)((size_t)n - written);
    c->pending_off = 0;
    c->pending = malloc(c->pending_len);
    if (c->pending == NULL) {
        close_conn(fd);
        return;
    }

    memcpy(c->pending, read_buffer + written, c->pending_len);
    set_interest(fd, EPOLLOUT);
}

static void on_acceptable(void)
{
    for (;;) {
        int fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) {
                continue;
            }

            if ((errno == EMFILE || errno == ENFILE) && spare_fd >= 0) {
                /* Out of descriptors: accept with the spare one and close at once, then take it back. */
                /* (accept reports EMFILE even with an empty queue: stop when the queue is empty.) */
                close(spare_fd);
                int dropped = accept(listen_fd, NULL, NULL);
                if (dropped >= 0) {
                    close(dropped);
                }

                spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
                if (dropped < 0) {
                    return;
                }

                continue;
            }

            return; /* EAGAIN: the accept queue is empty */
        }

        if ((unsigned)fd >= conn_capacity) {
            close(fd);
            continue;
        }

        conns[fd] = (struct conn){0};
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
        if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &ev) < 0) {
            close(fd);
        }
    }
}

static unsigned raise_descriptor_limit(void)
{
    struct rlimit limit;
    if (getrlimit(RLIMIT_NOFILE, &limit) < 0) {
        return 1024;
    }

    rlim_t wanted = limit.rlim_max == RLIM_INFINITY || limit.rlim_max > MAX_DESCRIPTORS ? MAX_DESCRIPTORS : limit.rlim_max;
    if (limit.rlim_cur < wanted) {
        limit.rlim_cur = wanted;
        if (setrlimit(RLIMIT_NOFILE, &limit) < 0) {
            getrlimit(RLIMIT_NOFILE, &limit);
        }
    }

    return limit.rlim_cur > MAX_DESCRIPTORS ? MAX_DESCRIPTORS : (unsigned)limit.rlim_cur;
}

static int listen_on(const char *host, const char *port, int backlog)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE};
    struct addrinfo *addresses;
    int rc = getaddrinfo(host, port, &hints, &addresses);
    if (rc != 0) {
        fprintf(stderr, "echo_server: %s:%s: %s\n", host, port, gai_strerror(rc));
        return -1;
    }

    int fd = -1;
    for (struct addrinfo *a = addresses; a != NULL && fd < 0; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0) {
            continue;
        }

        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (bind(fd, a->ai_addr, a->ai_addrlen) < 0 || listen(fd, backlog) < 0) {
            fprintf(stderr, "echo_server: %s:%s: %s\n", host, port, strerror(errno));
            close(fd);
            fd = -1;
        }
    }

    freeaddrinfo(addresses);
    return fd;
}

int main(int argc, char **argv)
{
    const char *host = "127.0.0.1";
    const char *port = "65432";
    const char *framing = "raw";
    int backlog = SOMAXCONN;
    for (int i = 1; i < argc; i++) {
        const char *value = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(argv[i], "--host") == 0 && value) {
            host = value;
        } else if (strcmp(argv[i], "--port") == 0 && value) {
            port = value;
        } else if (strcmp(argv[i], "--framing") == 0 && value) {
            framing = value;
        } else if (strcmp(argv[i], "--backlog") == 0 && value && atoi(value) > 0) {
            backlog = atoi(value);
        } else {
            /* A server that ignored an option would be measured in a mode nobody asked for. */
            fprintf(stderr, "echo_server: unknown or incomplete option %s\n", argv[i]);
            usage(stderr);
            return 2;
        }

        i++;
    }

    if (strcmp(framing, "raw") != 0 && strcmp(framing, "length32") != 0) {
        fprintf(stderr, "echo_server: --framing must be raw or length32\n");
        return 2;
    }

    length32 = strcmp(framing, "length32") == 0;
    signal(SIGPIPE, SIG_IGN);
    conn_capacity = raise_descriptor_limit();
    conns = calloc(conn_capacity, sizeof *conns);
    spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    listen_fd = listen_on(host, port, backlog);
    if (conns == NULL || epoll_fd < 0 || listen_fd < 0) {
        return 1;
    }

    struct epoll_event ev = {.events = EPOLLIN, .data.fd = listen_fd};
    if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, listen_fd, &ev) < 0) {
        perror("echo_server: epoll_ctl");
        return 1;
    }

    printf("listening on %s:%s (C epoll echo server: one thread, level-triggered, framing %s, backlog %d, "
           "descriptors %u, %zu B per idle connection)\n",
           host, port, framing, backlog, conn_capacity, sizeof(struct conn));
    fflush(stdout);

    struct epoll_event events[MAX_EVENTS];
    for (;;) {
        int ready = epoll_wait(epoll_fd, events, MAX_EVENTS, -1);
        if (ready < 0) {
            if (errno == EINTR) {
                continue;
            }

            perror("echo_server: epoll_wait");
            return 1;
        }

        for (int i = 0; i < ready; i++) {
            int fd = events[i].data.fd;
            uint32_t what = events[i].events;
            if (fd == listen_fd) {
                on_acceptable();
            } else if (conns[fd].pending != NULL) {
                /* Waiting to write: EPOLLOUT, or EPOLLERR/EPOLLHUP, which the send reports as an error. */
                on_writable(fd);
            } else if (what & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
                on_readable(fd);
            }
        }
    }
}
