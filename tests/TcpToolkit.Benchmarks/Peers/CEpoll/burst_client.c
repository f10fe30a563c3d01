/*
 * burst_client.c: the client side of the compare harness's connection burst in C, for `--generator c` (issue 17).
 * The .NET burst client (Compare/BurstClient.cs) is the limit against the fastest servers (13,000-20,000 connects/s
 * on its core against the C server on a 2-core machine), so it measured itself; the reference figure for the
 * C server came from a C client.
 *
 *   gcc -O2 -march=native -Wall -Wextra -o burst_client burst_client.c
 *   ./burst_client --port N [--count 10000] [--concurrency 256] [--connect-timeout 10] [--deadline 60]
 *
 * Same contract as BurstClient.cs (the harness reads both the same way):
 * - Opens `count` connections to 127.0.0.1:N, at most `concurrency` connects in flight, and keeps every connection
 *   open: a burst of clients that arrive and stay, so the server must accept all of them and the harness can count
 *   them in the server's descriptors. Nothing is sent or read on them.
 * - A connect that has not completed after `connect-timeout` seconds is abandoned and counted as failed ("Timeout");
 *   `deadline` seconds after the start, the connects still in flight and those not yet started count as failed too
 *   ("Timeout", as the .NET client's cancelled connects do). Other failures are counted under .NET's SocketError name
 *   for the errno (ConnectionRefused, TimedOut, TooManyOpenSockets, ...), or the errno's text when .NET has no name.
 * - When every connect has finished (or failed, or the deadline passed) it prints one JSON line with BurstClient's
 *   fields: connected, failed, seconds (from the first connect to the last completed one; the whole run when none
 *   completed), connectsPerSec (connected / seconds), connectP50Ms, connectP99Ms, connectMaxMs (one connect, from
 *   connect() to the epoll_wait that reported it done; percentiles are the value at rank ceil(p * n) of the sorted
 *   times) and errors (an object of kind: count). Then it holds the connections until its standard input reaches
 *   end of file, closes them and exits 0 (1 on bad usage).
 * One thread, one epoll set: non-blocking sockets, connect() returns EINPROGRESS and the socket is watched for
 * EPOLLOUT with EPOLLONESHOT, so a completed connection needs no further epoll_ctl to fall silent; each completion
 * starts the next connect. The descriptor limit is raised to its hard limit at start, so 10,000+ connections fit.
 * On loopback the kernel runs the whole handshake (SYN, SYN-ACK, ACK, the server's child socket in its accept queue)
 * inside connect(), on this process's core: most of this client's CPU time is that kernel work (about 0.04 s user
 * and 0.4 s system for 10,000 connects in a first check), which is the same for every server; what differs between
 * servers is how fast they drain their accept queue.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_EVENTS 1024
#define MAX_ERROR_KINDS 32
#define TIMEOUT_KIND "Timeout"

/* A connect in flight: which connection, and when its connect() was called. */
struct slot {
    int index;
    int64_t begin;
};

static int *fds;            /* per connection: its descriptor, or -1 (not started, failed or abandoned) */
static int64_t *connect_ns; /* per connection: how long its connect took, when it completed */
static struct slot *slots;  /* `concurrency` slots; a free one has index -1 */
static int *free_slots;     /* stack of free slot numbers */
static int free_count;
static int epoll_fd;
static int64_t timeout_ns;  /* --connect-timeout */
static int64_t next_expiry; /* no connect in flight expires before this (it may be earlier than needed) */

static struct {
    const char *kind;
    int count;
} error_kinds[MAX_ERROR_KINDS];
static int error_kind_count;
static int other_errors; /* failures past MAX_ERROR_KINDS distinct kinds (not expected) */

static int64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000LL + t.tv_nsec;
}

/* .NET's SocketError name for an errno (what BurstClient.cs reports), or the errno's text. */
static const char *kind_of(int error)
{
    switch (error) {
    case ECONNREFUSED: return "ConnectionRefused";
    case ETIMEDOUT: return "TimedOut";
    case ECONNRESET: return "ConnectionReset";
    case ECONNABORTED: return "ConnectionAborted";
    case EADDRNOTAVAIL: return "AddressNotAvailable";
    case EADDRINUSE: return "AddressAlreadyInUse";
    case ENETUNREACH: return "NetworkUnreachable";
    case EHOSTUNREACH: return "HostUnreachable";
    case EMFILE:
    case ENFILE: return "TooManyOpenSockets";
    case ENOBUFS:
    case ENOMEM: return "NoBufferSpaceAvailable";
    case EACCES:
    case EPERM: return "AccessDenied";
    default: return strerror(error);
    }
}

static void count_error(const char *kind)
{
    for (int i = 0; i < error_kind_count; i++) {
        if (strcmp(error_kinds[i].kind, kind) == 0) {
            error_kinds[i].count++;
            return;
        }
    }

    if (error_kind_count == MAX_ERROR_KINDS) {
        other_errors++;
        return;
    }

    /* strerror's text may be overwritten by the next call: keep a copy. */
    error_kinds[error_kind_count].kind = strdup(kind);
    error_kinds[error_kind_count].count = error_kinds[error_kind_count].kind != NULL ? 1 : 0;
    if (error_kinds[error_kind_count].kind == NULL) {
        other_errors++;
        return;
    }

    error_kind_count++;
}

static void release(int slot)
{
    slots[slot].index = -1;
    free_slots[free_count++] = slot;
}

/* A connect that failed or was abandoned: its socket is closed and it counts as failed. */
static void fail(int slot, const char *kind)
{
    int index = slots[slot].index;
    close(fds[index]);
    fds[index] = -1;
    count_error(kind);
    release(slot);
}

/*
 * Starts connection `index` in a free slot. Returns false when it failed at once (counted). A connect that completes
 * at once (it does not on Linux for TCP, but may) is recorded as completed; *completed_at is then its time.
 */
static bool start(int index, const struct sockaddr_in *address, int64_t *completed_at)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        count_error(kind_of(errno));
        return false;
    }

    int64_t begin = now_ns();
    if (connect(fd, (const struct sockaddr *)address, sizeof *address) == 0) {
        int64_t end = now_ns();
        fds[index] = fd;
        connect_ns[index] = end - begin;
        *completed_at = end;
        return true;
    }

    if (errno != EINPROGRESS) {
        count_error(kind_of(errno));
        close(fd);
        return false;
    }

    int slot = free_slots[--free_count];
    slots[slot].index = index;
    slots[slot].begin = begin;
    fds[index] = fd;
    if (begin + timeout_ns < next_expiry) {
        next_expiry = begin + timeout_ns;
    }

    struct epoll_event ev = {.events = EPOLLOUT | EPOLLONESHOT, .data.u32 = (uint32_t)slot};
    if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &ev) < 0) {
        fail(slot, kind_of(errno));
        return false;
    }

    return true;
}

static int compare_ns(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a;
    int64_t y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* The value at rank ceil(p * n) of sorted times, in milliseconds (BurstClient's Percentile). */
static double percentile_ms(const int64_t *sorted, int n, double p)
{
    if (n == 0) {
        return 0;
    }

    int rank = (int)(p * n);
    if ((double)rank < p * n) {
        rank++;
    }

    int at = rank - 1 < 0 ? 0 : rank - 1 > n - 1 ? n - 1 : rank - 1;
    return (double)sorted[at] / 1e6;
}

static void json_string(const char *text)
{
    putchar('"');
    for (const char *c = text; *c; c++) {
        if (*c == '"' || *c == '\\') {
            putchar('\\');
        }

        if ((unsigned char)*c >= 0x20) {
            putchar(*c);
        }
    }

    putchar('"');
}

static void usage(FILE *to)
{
    fprintf(to, "Usage: burst-client --port N [--count 10000] [--concurrency 256] [--connect-timeout 10] [--deadline 60]\n");
}

int main(int argc, char **argv)
{
    long port = 0;
    long count = 10000;
    long concurrency = 256;
    double connect_timeout = 10;
    double deadline = 60;
    for (int i = 1; i < argc; i += 2) {
        if (strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            return 0;
        }

        const char *value = i + 1 < argc ? argv[i + 1] : NULL;
        char *end = NULL;
        if (value == NULL) {
            fprintf(stderr, "burst-client: %s needs a value\n", argv[i]);
            usage(stderr);
            return 1;
        } else if (strcmp(argv[i], "--port") == 0) {
            port = strtol(value, &end, 10);
        } else if (strcmp(argv[i], "--count") == 0) {
            count = strtol(value, &end, 10);
        } else if (strcmp(argv[i], "--concurrency") == 0) {
            concurrency = strtol(value, &end, 10);
        } else if (strcmp(argv[i], "--connect-timeout") == 0) {
            connect_timeout = strtod(value, &end);
        } else if (strcmp(argv[i], "--deadline") == 0) {
            deadline = strtod(value, &end);
        } else {
            usage(stderr);
            return 1;
        }

        if (end == value || *end != '\0') {
            fprintf(stderr, "burst-client: %s: not a number: %s\n", argv[i], value);
            return 1;
        }
    }

    if (port <= 0 || port > 65535 || count < 1 || count > 10000000 || concurrency < 1) {
        fprintf(stderr, "burst-client: --port, --count and --concurrency must be positive.\n");
        return 1;
    }

    if (concurrency > count) {
        concurrency = count;
    }

    struct rlimit limit;
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        setrlimit(RLIMIT_NOFILE, &limit);
    }

    fds = malloc((size_t)count * sizeof *fds);
    connect_ns = malloc((size_t)count * sizeof *connect_ns);
    slots = malloc((size_t)concurrency * sizeof *slots);
    free_slots = malloc((size_t)concurrency * sizeof *free_slots);
    epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    if (fds == NULL || connect_ns == NULL || slots == NULL || free_slots == NULL || epoll_fd < 0) {
        fprintf(stderr, "burst-client: out of memory\n");
        return 1;
    }

    for (long i = 0; i < count; i++) {
        fds[i] = -1;
    }

    for (long s = concurrency - 1; s >= 0; s--) {
        slots[s].index = -1;
        free_slots[free_count++] = (int)s;
    }

    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    timeout_ns = (int64_t)(connect_timeout * 1e9);
    next_expiry = INT64_MAX;
    int64_t started = now_ns();
    int64_t deadline_at = started + (int64_t)(deadline * 1e9);
    int64_t last_completed = 0;
    long next = 0; /* the next connection to start */
    int connected = 0;
    struct epoll_event events[MAX_EVENTS];
    for (;;) {
        /* Fill the free slots; a connect that fails at once takes no slot and the next one is tried. */
        while (free_count > 0 && next < count) {
            int64_t completed_at = 0;
            if (start((int)next, &address, &completed_at) && completed_at != 0) {
                connected++;
                last_completed = completed_at > last_completed ? completed_at : last_completed;
            }

            next++;
        }

        int in_flight = (int)concurrency - free_count;
        if (in_flight == 0) {
            break;
        }

        int64_t now = now_ns();
        if (now >= deadline_at) {
            /* The deadline: what is in flight and what was never started fails, as BurstClient's cancelled connects. */
            for (int s = 0; s < concurrency; s++) {
                if (slots[s].index >= 0) {
                    fail(s, TIMEOUT_KIND);
                }
            }

            for (; next < count; next++) {
                count_error(TIMEOUT_KIND);
            }

            break;
        }

        if (now >= next_expiry) {
            next_expiry = INT64_MAX;
            for (int s = 0; s < concurrency; s++) {
                if (slots[s].index < 0) {
                    continue;
                }

                if (now - slots[s].begin >= timeout_ns) {
                    fail(s, TIMEOUT_KIND);
                } else if (slots[s].begin + timeout_ns < next_expiry) {
                    next_expiry = slots[s].begin + timeout_ns;
                }
            }

            continue;
        }

        int64_t wake = next_expiry < deadline_at ? next_expiry : deadline_at;
        int wait_ms = (int)((wake - now) / 1000000) + 1;
        int ready = epoll_wait(epoll_fd, events, MAX_EVENTS, wait_ms > 1000 ? 1000 : wait_ms);
        if (ready < 0) {
            if (errno == EINTR) {
                continue;
            }

            perror("burst-client: epoll_wait");
            return 1;
        }

        int64_t end = ready > 0 ? now_ns() : 0;
        for (int i = 0; i < ready; i++) {
            int slot = (int)events[i].data.u32;
            int index = slots[slot].index;
            if (index < 0) {
                continue;
            }

            int error = 0;
            socklen_t length = sizeof error;
            if (getsockopt(fds[index], SOL_SOCKET, SO_ERROR, &error, &length) < 0) {
                error = errno;
            }

            if (error != 0) {
                fail(slot, kind_of(error));
                continue;
            }

            connect_ns[index] = end - slots[slot].begin;
            connected++;
            last_completed = end;
            release(slot);
        }
    }

    int64_t finished = now_ns();
    double seconds = (double)(connected > 0 ? last_completed - started : finished - started) / 1e9;
    int64_t *times = malloc((size_t)(connected > 0 ? connected : 1) * sizeof *times);
    if (times == NULL) {
        fprintf(stderr, "burst-client: out of memory\n");
        return 1;
    }

    int n = 0;
    for (long i = 0; i < count; i++) {
        if (fds[i] >= 0) {
            times[n++] = connect_ns[i];
        }
    }

    qsort(times, (size_t)n, sizeof *times, compare_ns);
    printf("{\"connected\":%d,\"failed\":%ld,\"seconds\":%.6f,\"connectsPerSec\":%.1f,\"connectP50Ms\":%.3f,"
           "\"connectP99Ms\":%.3f,\"connectMaxMs\":%.3f,\"errors\":{",
           connected, count - connected, seconds, connected / (seconds > 1e-6 ? seconds : 1e-6), percentile_ms(times, n, 0.50),
           percentile_ms(times, n, 0.99), n > 0 ? (double)times[n - 1] / 1e6 : 0.0);
    for (int i = 0; i < error_kind_count; i++) {
        if (i > 0) {
            putchar(',');
        }

        json_string(error_kinds[i].kind);
        printf(":%d", error_kinds[i].count);
    }

    if (other_errors > 0) {
        printf("%s\"Other\":%d", error_kind_count > 0 ? "," : "", other_errors);
    }

    printf("}}\n");
    fflush(stdout);

    /* Hold the connections until the harness has counted them on the server side and closes our standard input. */
    char buffer[256];
    for (;;) {
        ssize_t r = read(STDIN_FILENO, buffer, sizeof buffer);
        if (r == 0 || (r < 0 && errno != EINTR)) {
            break;
        }
    }

    for (long i = 0; i < count; i++) {
        if (fds[i] >= 0) {
            close(fds[i]);
        }
    }

    return 0;
}
